// The "SimpleRNN vs LSTM" section (seed 004): trains both cells on the damped oscillation's next-step
// windows with the same settings, one after the other, and plots both loss curves and both
// closed-loop generations against the true curve.

import { SequenceModel, type CellType, type GpuContext, type OptimizerName } from 'webrnn';
import { ChartView, epochs } from './charts.js';
import { $, errorMessage, formatLoss, formatMs, formatRate, median, readNumber, setValue, showStatus } from './dom.js';
import { claim, onBusyChange, release, state } from './state.js';
import { closedLoop, dampedOscillation, meanSquaredError, type ClosedLoopMode } from './tasks.js';

const CELLS: { cell: CellType; name: string; color: string }[] = [
  { cell: 'simple_rnn', name: 'SimpleRNN', color: '#ff7f0e' },
  { cell: 'lstm', name: 'LSTM', color: '#1f77b4' },
];
const PRESETS: Record<string, { learningRate: number; epochs: number }> = { adam: { learningRate: 0.003, epochs: 300 }, sgd: { learningRate: 0.01, epochs: 1000 } };
const VALIDATION_SPLIT = 0.1; // as seed 004

export function setupCompare(gpu: GpuContext): void {
  const task = dampedOscillation();
  const lossChart = new ChartView($('cmp-loss-chart'));
  const loopChart = new ChartView($('cmp-loop-chart'));
  const trainButton = $<HTMLButtonElement>('cmp-train');
  const stopButton = $<HTMLButtonElement>('cmp-stop');
  const losses = new Map<CellType, { loss: number[]; val: number[] }>();
  let models: { cell: CellType; model: SequenceModel }[] = [];
  let stopRequested = false;

  const sync = () => {
    trainButton.disabled = state.busy !== null;
    stopButton.disabled = state.busy !== 'compare';
    $<HTMLFieldSetElement>('compare-fields').disabled = state.busy !== null;
  };
  onBusyChange(sync);
  sync();

  $('cmp-optimizer').addEventListener('change', () => {
    const preset = PRESETS[$<HTMLSelectElement>('cmp-optimizer').value];
    setValue('cmp-lr', preset.learningRate);
    setValue('cmp-epochs', preset.epochs);
  });
  stopButton.addEventListener('click', () => {
    stopRequested = true;
  });
  $('cmp-loop').addEventListener('change', () => void drawClosedLoop().catch(report));

  const drawLosses = (live: boolean) => {
    const series = CELLS.flatMap(({ cell, name, color }) => {
      const l = losses.get(cell);
      if (!l) return [];
      return [
        { name: `${name} loss`, x: epochs(l.loss.length), y: l.loss, color },
        { name: `${name} validation`, x: epochs(l.val.length), y: l.val, color, dashed: true },
      ];
    });
    const content = { title: 'loss per epoch (MSE)', xLabel: 'epoch', logY: true, series };
    if (live) lossChart.update(content);
    else lossChart.show(content);
  };

  async function drawClosedLoop(): Promise<string> {
    if (!models.length) return '';
    const mode = $<HTMLSelectElement>('cmp-loop').value as ClosedLoopMode;
    const x = Array.from(task.grid);
    const series = [];
    const notes: string[] = [];
    for (const { cell, model } of models) {
      const { name, color } = CELLS.find((c) => c.cell === cell)!;
      const { values, ms } = await closedLoop(model, task, mode);
      const mse = meanSquaredError(values, task.series.slice(task.steps));
      state.compare.closedLoopMse[cell] = mse;
      series.push({ name, x: x.slice(task.steps), y: values, color });
      notes.push(`${name} closed-loop MSE ${formatLoss(mse)} (${formatMs(ms)})`);
    }
    series.push({ name: 'correct: e^(−x/5) cos x', x, y: task.series, color: '#2ca02c', dashed: true });
    loopChart.show({ title: `closed loop from the first ${task.steps} values`, xLabel: 'x', series });
    return notes.join('; ');
  }

  function report(error: unknown): void {
    state.compare.state = 'error';
    state.compare.error = errorMessage(error);
    showStatus('cmp-status', `Failed: ${state.compare.error}`, 'bad');
  }

  $('compare-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!claim('compare')) return;
    stopRequested = false;
    Object.assign(state.compare, { state: 'training', runs: state.compare.runs + 1, error: null, closedLoopMse: {} });
    try {
      const units = readNumber('cmp-units', { min: 1, max: 256, integer: true });
      const epochCount = readNumber('cmp-epochs', { min: 1, max: 5000, integer: true });
      const batchSize = readNumber('cmp-batch', { min: 1, max: 1000, integer: true });
      const learningRate = readNumber('cmp-lr', { min: 0, max: 10 });
      const optimizer = $<HTMLSelectElement>('cmp-optimizer').value as OptimizerName;
      models.forEach((m) => m.model.dispose());
      models = [];
      losses.clear();
      loopChart.clear();
      const trainCount = task.windows.count - Math.floor(task.windows.count * VALIDATION_SPLIT);
      const summary: string[] = [];
      for (const { cell, name } of CELLS) {
        if (stopRequested) break;
        showStatus('cmp-status', `${name}: compiling shaders…`);
        const model = new SequenceModel(gpu, { inputSize: 1, layers: [{ cell, units }], head: { units: 1 }, seed: 0 });
        models.push({ cell, model });
        model.compile({ loss: 'mse', optimizer, learningRate });
        const record = { loss: [] as number[], val: [] as number[] };
        losses.set(cell, record);
        const epochMs: number[] = [];
        let last = performance.now();
        const started = last;
        await model.fit(task.windows.x, task.windows.y, {
          epochs: epochCount, batchSize, validationSplit: VALIDATION_SPLIT, seed: 0,
          callbacks: {
            onEpochEnd: (epoch, logs) => {
              const now = performance.now();
              epochMs.push(now - last);
              last = now;
              record.loss.push(logs.loss);
              if (logs.val_loss !== undefined) record.val.push(logs.val_loss);
              drawLosses(true);
              showStatus('cmp-status', `${name}: epoch ${epoch + 1}/${epochCount} · loss ${formatLoss(logs.loss)} · validation ${formatLoss(logs.val_loss)} · ${formatRate(trainCount / (epochMs.at(-1)! / 1000))} samples/s`);
              return !stopRequested;
            },
          },
        });
        const typical = median(epochMs.length > 1 ? epochMs.slice(1) : epochMs);
        summary.push(`${name} (${optimizer === 'sgd' ? 'SGD' : 'Adam'} lr ${learningRate}): ${record.loss.length} epochs in ${formatMs(performance.now() - started)}, ` +
          `loss ${formatLoss(record.loss.at(-1))}, validation ${formatLoss(record.val.at(-1))}, ${formatRate(trainCount / (typical / 1000))} samples/s`);
      }
      drawLosses(false);
      const loops = await drawClosedLoop();
      state.compare.state = stopRequested ? 'stopped' : 'done';
      showStatus('cmp-status', `${stopRequested ? 'Stopped. ' : ''}${summary.join('. ')}. ${loops}.`, 'ok');
    } catch (error) {
      report(error);
    } finally {
      release();
    }
  });
}
