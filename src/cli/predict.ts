// `webrnn predict --model DIR [input...]`: loads a model saved by `webrnn train` and decodes with it.
//   function tasks: input = window indices (default 0): the greedy-decoded curve of each, printed and plotted;
//   damped:         input = steps to generate in closed loop (default: the rest of the series);
//   addition/rotate: input = questions ('12+34', '12345'); without any, ten test questions.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type GpuContext, type ModelManifest, type Seq2Seq, type SequenceModel } from '../index.js';
import { UsageError } from './args.js';
import { DATE_FORMATS, parseDateQuestion } from '../tasks/characters.js';
import { closedLoop, compareAnswers, decodeWindows, generateWithAttention, meanSquaredError } from './evaluate.js';
import { heatmap } from '../plot/heatmap.js';
import { closedLoopChart, predictionChart, writeSvg } from './plots.js';
import { formatNumber, formatPercent } from './progress.js';
import { buildData, cellLabel, taskOf, type TrainSettings } from './tasks.js';
import type { TaskFile } from './train.js';

export interface PredictResult {
  /** Printed on stdout without --json. */
  text: string;
  /** Printed with --json. */
  json: Record<string, unknown>;
}

/** Reads DIR/task.json, or says why it cannot. */
export function readTaskFile(dir: string): TaskFile {
  const path = join(dir, 'task.json');
  if (!existsSync(dir)) throw new UsageError(`--model ${dir}: no such directory`, 'predict');
  if (!existsSync(path)) throw new UsageError(`--model ${dir}: no task.json there; give a directory written by 'webrnn train'`, 'predict');
  const file = JSON.parse(readFileSync(path, 'utf8')) as TaskFile;
  if (file?.format !== 'webrnn-cli-task' || !file.settings) throw new Error(`${path} is not a webrnn task file`);
  return file;
}

export async function loadTrained(ctx: GpuContext, dir: string): Promise<Seq2Seq | SequenceModel> {
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return loadModel(ctx, { manifest, weights });
}

/** Checks the inputs against the saved task first, then asks `gpu` for a context and decodes. */
export async function predict(gpu: () => Promise<GpuContext>, dir: string, inputs: string[], out = dir, beamWidth?: number): Promise<PredictResult> {
  const { settings } = readTaskFile(dir);
  const task = taskOf(settings);
  const data = buildData(settings);
  checkInputs(settings, inputs, data.kind === 'function' ? data.windows.count : undefined);
  if (beamWidth !== undefined && data.kind !== 'characters') throw new UsageError(`${settings.task}: --beam-width decodes tokens (addition, rotate); this task decodes numbers`, 'predict');
  const model = await loadTrained(await gpu(), dir);
  try {
    mkdirSync(out, { recursive: true });
    const title = `${settings.task}: ${cellLabel(settings)}`;
    if (data.kind === 'function') {
      const windows = inputs.length > 0 ? inputs.map(Number) : [0];
      const decoded = await decodeWindows(model as Seq2Seq, data.windows);
      const { steps, grid } = data.windows;
      const fn = task.functions!;
      const results = windows.map((w) => {
        const output = Array.from(decoded.outputs.subarray(w * steps, (w + 1) * steps));
        const correct = Array.from(data.windows.y.data.subarray(w * steps, (w + 1) * steps));
        return {
          window: w, x: Array.from(grid.subarray(w, w + steps)), input: Array.from(data.windows.input.subarray(w, w + steps)),
          output, correct, mse: meanSquaredError(output, correct),
        };
      });
      const file = writeSvg(out, 'predict.svg', predictionChart(`${title}, windows ${windows.join(', ')}, greedy decoding`, data.windows, decoded.outputs, windows,
        { input: `input ${fn.inputName}`, output: 'model output', correct: `correct ${fn.outputName}` }));
      const lines = results.flatMap((r) => [
        `window ${r.window} (x from ${formatNumber(r.x[0])} to ${formatNumber(r.x.at(-1)!)}): decode MSE ${formatNumber(r.mse)}`,
        `  ${'x'.padStart(9)} ${fn.inputName.padStart(16)} ${'output'.padStart(10)} ${fn.outputName.padStart(16)}`,
        ...r.x.map((x, t) => `  ${x.toFixed(4).padStart(9)} ${r.input[t].toFixed(5).padStart(16)} ${r.output[t].toFixed(5).padStart(10)} ${r.correct[t].toFixed(5).padStart(16)}`),
      ]);
      lines.push(`all ${data.windows.count} windows: decode MSE ${formatNumber(decoded.mse)}`, `plot: ${join(out, file)}`);
      return { text: lines.join('\n'), json: { task: settings.task, windows: results, decode_mse: decoded.mse, plot: join(out, file) } };
    }
    if (data.kind === 'next-step') {
      const horizon = inputs.length > 0 ? Number(inputs[0]) : data.series.length - data.steps;
      const loop = await closedLoop(model as SequenceModel, data.series, data.steps, horizon);
      const known = Math.min(horizon, data.series.length - data.steps);
      const file = writeSvg(out, 'predict.svg', closedLoopChart(`${title}, closed loop over ${horizon} steps (MSE ${formatNumber(loop.mse)})`,
        extendGrid(data.grid, data.steps + horizon), data.series, data.steps, [{ name: cellLabel(settings), generated: loop.generated }]));
      const lines = [`primed with samples 0-${data.steps - 1}, generated ${horizon} steps; closed-loop MSE over the ${known} known ones: ${formatNumber(loop.mse)}`,
        `  ${'step'.padStart(5)} ${'generated'.padStart(10)} ${'correct'.padStart(10)}`,
        ...Array.from(loop.generated, (v, i) => `  ${String(data.steps + i).padStart(5)} ${v.toFixed(5).padStart(10)} ${(i < known ? data.series[data.steps + i].toFixed(5) : '').padStart(10)}`),
        `plot: ${join(out, file)}`];
      return { text: lines.join('\n'), json: { task: settings.task, generated: Array.from(loop.generated), closed_loop_mse: loop.mse, steps: horizon, plot: join(out, file) } };
    }
    const { vocabulary, test } = data;
    const questions = inputs.length > 0 ? inputs : test.questions.slice(0, 10);
    const expected = questions.map((q) => answerOf(settings, q));
    const source = questions.map((q) => {
      const ids = vocabulary.encode(q, test.sourceLength);
      return settings.reverse ? ids.reverse() : ids;
    });
    const { answers, attention } = await generateWithAttention(model as Seq2Seq, vocabulary, source, test.targetLength, beamWidth);
    const scores = compareAnswers(answers, expected, test.targetLength - 1);
    const width = Math.max(...questions.map((q) => q.length));
    const lines = questions.map((q, i) => `${q.padStart(width)} -> ${answers[i].padEnd(test.targetLength - 1)}  ${answers[i] === expected[i] ? 'ok' : `wrong (${expected[i]})`}`);
    lines.push(`exact match ${formatPercent(scores.exactMatch)} of ${questions.length}${beamWidth ? `, beam search of width ${beamWidth}` : ', greedy decoding'}`);
    // The first question's alignment: which source characters each answer character attended to.
    let plot: string | undefined;
    if (attention) {
      const T = test.targetLength;
      const S = test.sourceLength;
      const answerRows = [...answers[0], vocabulary.end].slice(0, T);
      const sourceChars = source[0].map((id) => vocabulary.tokens[id]);
      plot = writeSvg(out, 'attention.svg', heatmap({
        title: `${settings.task}: attention of each answer character over '${questions[0]}'`, rows: answerRows, columns: sourceChars,
        values: attention.subarray(0, answerRows.length * S), rowLabel: 'answer', columnLabel: 'question (encoder input)',
      }));
      lines.push(`attention plot: ${join(out, plot)}`);
    }
    return {
      text: lines.join('\n'),
      json: {
        task: settings.task, predictions: questions.map((q, i) => ({ question: q, answer: answers[i], expected: expected[i], correct: answers[i] === expected[i] })),
        exact_match: scores.exactMatch, beam_width: beamWidth ?? null, ...(plot ? { attention_plot: join(out, plot) } : {}),
      },
    };
  } finally {
    model.dispose();
  }
}

function checkInputs(settings: TrainSettings, inputs: string[], windows?: number): void {
  const task = taskOf(settings);
  if (task.kind === 'function') {
    for (const input of inputs) {
      if (!/^\d+$/.test(input) || Number(input) >= windows!) throw new UsageError(`${settings.task}: an input is a window index in [0, ${windows! - 1}], got '${input}'`, 'predict');
    }
  } else if (task.kind === 'next-step') {
    if (inputs.length > 1 || (inputs.length === 1 && (!/^\d+$/.test(inputs[0]) || Number(inputs[0]) < 1 || Number(inputs[0]) > 100_000))) {
      throw new UsageError(`${settings.task}: the input is one number of steps to generate (1-100000), got '${inputs.join(' ')}'`, 'predict');
    }
  } else if (settings.task === 'reverse') {
    for (const input of inputs) if (!new RegExp(`^[a-z]{${settings.length}}$`).test(input)) throw new UsageError(`reverse: a question is ${settings.length} lowercase letters; got '${input}'`, 'predict');
  } else if (settings.task === 'dates') {
    for (const input of inputs) {
      if (parseDateQuestion(input) === undefined) throw new UsageError(`dates: a question is a date of 1950-2049 written as ${DATE_FORMATS.map((f) => `'${f(new Date(Date.UTC(2021, 10, 13)))}'`).join(', ')}; got '${input}'`, 'predict');
    }
  } else {
    const pattern = settings.task === 'addition' ? new RegExp(`^\\d{1,${settings.digits}}\\+\\d{1,${settings.digits}}$`) : new RegExp(`^\\d{${settings.length}}$`);
    const form = settings.task === 'addition' ? `a+b with 1-${settings.digits} digit numbers, e.g. '${'4'.repeat(settings.digits!)}+7'` : `${settings.length} digits, e.g. '${'1234567890'.slice(0, settings.length)}'`;
    for (const input of inputs) if (!pattern.test(input)) throw new UsageError(`${settings.task}: a question is ${form}; got '${input}'`, 'predict');
  }
}

function answerOf(settings: TrainSettings, question: string): string {
  if (settings.task === 'addition') {
    const [a, b] = question.split('+').map(Number);
    return String(a + b);
  }
  if (settings.task === 'reverse') return [...question].reverse().join('');
  if (settings.task === 'dates') return parseDateQuestion(question)!;
  const length = question.length;
  const s = ((settings.shift! % length) + length) % length;
  return question.slice(length - s) + question.slice(0, length - s);
}

/** The grid continued with the same spacing to `points` samples. */
function extendGrid(grid: Float64Array, points: number): Float64Array {
  const step = grid[1] - grid[0];
  return Float64Array.from({ length: Math.max(points, grid.length) }, (_, i) => (i < grid.length ? grid[i] : grid[0] + i * step));
}
