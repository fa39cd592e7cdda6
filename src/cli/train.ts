// `webrnn train <task>`: build the task's data and model, fit with a progress bar, measure, save the
// model (model.json + weights.bin, with task.json for `predict`) and write the plots.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel, type GpuContext, type History, type Seq2Seq, type SequenceModel } from '../index.js';
import { closedLoop, decodeWindows, scoreCharacters, statefulLoop, type CharacterScores } from './evaluate.js';
import { accuracyChart, closedLoopChart, figureWindows, lossChart, predictionChart, writeSvg } from './plots.js';
import { formatNumber, formatPercent, formatSeconds, Progress } from './progress.js';
import { buildData, buildModel, cellLabel, compileModel, describeSettings, taskOf, type TaskData, type TrainSettings } from './tasks.js';

/** The final numbers of a run (snake_case, as Keras names its logs). */
export interface Metrics {
  /** Training loss of the last epoch. */
  loss: number;
  /** Validation loss of the last epoch (null without a validation split). */
  val_loss: number | null;
  /** Function tasks: greedy decode MSE over every window. */
  decode_mse?: number;
  /** damped: closed-loop MSE over the generated steps. */
  closed_loop_mse?: number;
  closed_loop_steps?: number;
  /** damped: the same with the state carried on instead of re-reading a window (one GPU call). */
  stateful_loop_mse?: number;
  /** Character tasks, on the test set. */
  exact_match?: number;
  per_position?: number[];
  char_accuracy?: number;
  test_size?: number;
}

export interface TrainResult {
  settings: TrainSettings;
  metrics: Metrics;
  history: History['history'];
  /** Character tasks: test accuracy after each epoch. */
  accuracy?: { exact: number[]; perPosition: number[][] };
  /** damped: the generated continuation. */
  generated?: Float32Array;
  out: string;
  /** Files written in `out`. */
  files: string[];
  seconds: number;
}

export interface TrainOptions {
  out: string;
  /** Progress on stderr (default true). */
  progress?: boolean;
  /** Label of the progress lines (default: the task). */
  label?: string;
}

/** The task.json that `predict` reads. */
export interface TaskFile {
  format: 'webrnn-cli-task';
  settings: TrainSettings;
  metrics: Metrics;
}

export async function train(ctx: GpuContext, settings: TrainSettings, options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const data = buildData(settings);
  const model = buildModel(ctx, settings, data);
  try {
    compileModel(model, settings, data);
    const samples = data.kind === 'function' ? data.windows.count : data.kind === 'next-step' ? data.count : data.train.questions.length;
    const trainSamples = samples - Math.floor(samples * settings.validationSplit);
    const progress = new Progress({
      label: options.label ?? settings.task, epochs: settings.epochs,
      batchesPerEpoch: Math.ceil(trainSamples / settings.batch), enabled: options.progress ?? true,
    });
    progress.log(`${settings.task}: ${describeSettings(settings)} on ${ctx.adapterInfo.description || ctx.adapterInfo.device || 'the GPU'}`);

    const accuracy = data.kind === 'characters' ? { exact: [] as number[], perPosition: [] as number[][] } : undefined;
    let lastScores: CharacterScores | undefined;
    const [x, y] = fitData(data);
    const baseRate = model.optimizer.learningRate;
    const history = await model.fit(x, y, {
      epochs: settings.epochs, batchSize: settings.batch, validationSplit: settings.validationSplit, seed: settings.seed,
      callbacks: {
        onBatchEnd: (batch) => progress.batch(batch),
        onEpochEnd: async (epoch, logs) => {
          let status = `loss ${formatNumber(logs.loss)}${logs.val_loss !== undefined ? `  val_loss ${formatNumber(logs.val_loss)}` : ''}`;
          if (data.kind === 'characters') {
            lastScores = await scoreCharacters(model as Seq2Seq, data.test);
            accuracy!.exact.push(lastScores.exactMatch);
            accuracy!.perPosition.push(lastScores.perPosition);
            status += `  exact ${formatPercent(lastScores.exactMatch)}  chars ${formatPercent(lastScores.characterAccuracy)}`;
          }
          progress.epoch(epoch, status);
          if (settings.lrSchedule === 'cosine') model.optimizer.learningRate = baseRate * 0.5 * (1 + Math.cos((Math.PI * (epoch + 1)) / settings.epochs));
          if (!Number.isFinite(logs.loss)) {
            progress.log(`${settings.task}: the loss is ${logs.loss}; stopping (try a smaller --lr)`);
            return false;
          }
        },
      },
    });
    progress.done();

    const metrics: Metrics = { loss: history.history.loss.at(-1) ?? NaN, val_loss: history.history.val_loss?.at(-1) ?? null };
    const result: TrainResult = { settings, metrics, history: history.history, out: options.out, files: [], seconds: 0 };
    mkdirSync(options.out, { recursive: true });
    const title = `${settings.task}: ${cellLabel(settings)}`;
    result.files.push(writeSvg(options.out, 'loss.svg', lossChart(`${title}, training loss`, history.history.loss, history.history.val_loss)));

    if (data.kind === 'function') {
      const decoded = await decodeWindows(model as Seq2Seq, data.windows);
      metrics.decode_mse = decoded.mse;
      const fn = taskOf(settings).functions!;
      result.files.push(writeSvg(options.out, 'prediction.svg', predictionChart(
        `${title}, ${fn.inputName} -> ${fn.outputName}, greedy decoding (MSE ${formatNumber(decoded.mse)})`,
        data.windows, decoded.outputs, figureWindows(data.windows.count),
        { input: `input ${fn.inputName}`, output: 'model output', correct: `correct ${fn.outputName}` },
      )));
    } else if (data.kind === 'next-step') {
      const loop = await closedLoop(model as SequenceModel, data.series, data.steps);
      metrics.closed_loop_mse = loop.mse;
      metrics.closed_loop_steps = loop.generated.length;
      metrics.stateful_loop_mse = (await statefulLoop(model as SequenceModel, data.series, data.steps)).mse;
      result.generated = loop.generated;
      result.files.push(writeSvg(options.out, 'closed-loop.svg', closedLoopChart(
        `${title}, closed loop over ${loop.generated.length} steps (MSE ${formatNumber(loop.mse)})`,
        data.grid, data.series, data.steps, [{ name: cellLabel(settings), generated: loop.generated }],
      )));
    } else {
      const scores = lastScores ?? await scoreCharacters(model as Seq2Seq, data.test);
      metrics.exact_match = scores.exactMatch;
      metrics.per_position = scores.perPosition;
      metrics.char_accuracy = scores.characterAccuracy;
      metrics.test_size = data.test.questions.length;
      result.accuracy = accuracy;
      result.files.push(writeSvg(options.out, 'accuracy.svg', accuracyChart(
        `${title}, test accuracy (${data.test.questions.length} questions${settings.reverse ? ', reversed input' : ''})`,
        accuracy!.exact, accuracy!.perPosition,
      )));
    }

    const artifacts = await saveModel(model);
    writeFileSync(join(options.out, 'model.json'), `${JSON.stringify(artifacts.manifest, null, 1)}\n`);
    writeFileSync(join(options.out, 'weights.bin'), new Uint8Array(artifacts.weights));
    const taskFile: TaskFile = { format: 'webrnn-cli-task', settings, metrics };
    writeFileSync(join(options.out, 'task.json'), `${JSON.stringify(taskFile, null, 1)}\n`);
    result.files.unshift('model.json', 'weights.bin', 'task.json');
    result.seconds = (performance.now() - started) / 1000;
    return result;
  } finally {
    model.dispose();
  }
}

function fitData(data: TaskData): [unknown, unknown] {
  if (data.kind === 'function') return [data.windows.x, data.windows.y];
  if (data.kind === 'next-step') return [data.x, data.y];
  return [[data.train.source, data.train.decoderInput], data.train.target];
}

/** The human-readable summary of a run (stdout without --json). */
export function summary(result: TrainResult): string {
  const { settings, metrics } = result;
  const lines = [`${settings.task}: ${describeSettings(settings)} - ${formatSeconds(result.seconds)}`];
  const row = (name: string, value: string) => lines.push(`  ${name.padEnd(34)}${value}`);
  row('training loss (last epoch)', formatNumber(metrics.loss));
  if (metrics.val_loss !== null) row('validation loss (last epoch)', formatNumber(metrics.val_loss));
  if (metrics.decode_mse !== undefined) row('greedy decode MSE (all windows)', formatNumber(metrics.decode_mse));
  if (metrics.closed_loop_mse !== undefined) row(`closed-loop MSE (${metrics.closed_loop_steps} steps)`, formatNumber(metrics.closed_loop_mse));
  if (metrics.stateful_loop_mse !== undefined) row('  the same, state carried on', formatNumber(metrics.stateful_loop_mse));
  if (metrics.exact_match !== undefined) {
    row(`exact match (${metrics.test_size} test questions)`, formatPercent(metrics.exact_match));
    row('per-position accuracy', metrics.per_position!.map(formatPercent).join('  '));
    row('character accuracy', formatPercent(metrics.char_accuracy!));
  }
  lines.push(`  model: ${join(result.out, 'model.json')}, weights.bin, task.json`);
  lines.push(`  plots: ${result.files.filter((f) => f.endsWith('.svg')).map((f) => join(result.out, f)).join(', ')}`);
  return lines.join('\n');
}

/** The --json object. */
export function jsonResult(result: TrainResult): Record<string, unknown> {
  return {
    task: result.settings.task,
    settings: result.settings,
    metrics: result.metrics,
    history: result.history,
    ...(result.accuracy ? { accuracy: result.accuracy } : {}),
    out: result.out,
    files: result.files,
    seconds: Number(result.seconds.toFixed(3)),
  };
}
