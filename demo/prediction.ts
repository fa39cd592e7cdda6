// After training a numeric task: the model's output next to the input and the correct curve (dashed).
//   translation: Seq2Seq.predict on one window (chosen with the slider), decoded on the GPU;
//   next step:   SequenceModel.generate from the first window, in closed loop, against the true curve.

import type { Seq2Seq, SequenceModel } from 'webrnn';
import { ChartView } from './charts.js';
import { $, errorMessage, formatLoss, formatMs, showStatus } from './dom.js';
import { closedLoop, meanSquaredError, type ClosedLoopMode, type Task } from './tasks.js';
import type { Trained } from './trainer.js';

export class PredictionPanel {
  private readonly chart = new ChartView($('prediction-chart'));
  private trained: Trained | null = null;
  private overall = '';
  private running = false;
  private queued = false;

  constructor() {
    $('window').addEventListener('input', () => void this.refresh());
    $('loop-mode').addEventListener('change', () => void this.refresh());
  }

  clear(): void {
    this.trained = null;
    this.chart.clear();
    $('prediction').hidden = true;
  }

  async show(trained: Trained): Promise<void> {
    this.trained = trained;
    const { task } = trained;
    $('prediction').hidden = false;
    $('window-field').hidden = task.kind !== 'translate';
    $('loop-field').hidden = task.kind !== 'next-step';
    if (task.kind === 'translate') {
      const slider = $<HTMLInputElement>('window');
      slider.max = String(task.windows.count - 1);
      slider.value = String(Math.floor(task.windows.count / 2));
      this.overall = await overallError(trained.model as Seq2Seq, task).catch((error: unknown) => `Decoding every window failed: ${errorMessage(error)}`);
      // The first call for a batch size builds its decode plan (pipelines, buffers); later calls reuse it.
      const { windows } = task;
      await (trained.model as Seq2Seq).predict({ data: windows.x[0].data.subarray(0, windows.steps), shape: [1, windows.steps, 1] }, { steps: windows.steps }).catch(() => undefined);
    }
    await this.refresh();
  }

  /** Redraws for the current controls; calls that arrive while one runs are folded into one more. */
  private async refresh(): Promise<void> {
    if (this.running) {
      this.queued = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.queued = false;
        const trained = this.trained;
        if (!trained) break;
        try {
          if (trained.task.kind === 'translate') await this.translation(trained.model as Seq2Seq, trained.task);
          else if (trained.task.kind === 'next-step') await this.nextStep(trained.model as SequenceModel, trained.task);
        } catch (error) {
          if (this.trained === trained) showStatus('prediction-status', `Prediction failed: ${errorMessage(error)}`, 'bad');
        }
      } while (this.queued);
    } finally {
      this.running = false;
    }
  }

  private async translation(model: Seq2Seq, task: Extract<Task, { kind: 'translate' }>): Promise<void> {
    const { windows, names } = task;
    const { steps, count } = windows;
    const n = Number($<HTMLInputElement>('window').value);
    const source = windows.x[0].data.slice(n * steps, (n + 1) * steps);
    const start = performance.now();
    const one = await model.predict({ data: source, shape: [1, steps, 1] }, { steps });
    const latency = performance.now() - start;
    const x = Array.from(windows.grid.subarray(n, n + steps));
    this.chart.show({
      title: `${names[0]} → ${names[1]}, window ${n + 1} of ${count}`,
      xLabel: 'x',
      series: [
        { name: `input: ${names[0]}`, x, y: source },
        { name: 'model output', x, y: one.data },
        { name: `correct: ${names[1]}`, x, y: windows.y.data.subarray(n * steps, (n + 1) * steps), dashed: true },
      ],
    });
    showStatus('prediction-status',
      `Decode latency: ${formatMs(latency)} for one window of ${steps} steps (predict, on the GPU, one readback). ${this.overall} Drag the slider to pick a window.`);
  }

  private async nextStep(model: SequenceModel, task: Extract<Task, { kind: 'next-step' }>): Promise<void> {
    const mode = $<HTMLSelectElement>('loop-mode').value as ClosedLoopMode;
    const { values, ms } = await closedLoop(model, task, mode);
    const { grid, series, steps } = task;
    const x = Array.from(grid);
    this.chart.show({
      title: 'closed loop from the first window',
      xLabel: 'x',
      // The correct curve first, so that the input drawn over it stays visible.
      series: [
        { name: 'correct: e^(−x/5) cos x', x, y: series, dashed: true, color: '#2ca02c' },
        { name: `input: first ${steps} values`, x: x.slice(0, steps), y: series.slice(0, steps), color: '#1f77b4' },
        { name: 'model, closed loop', x: x.slice(steps), y: values, color: '#ff7f0e' },
      ],
    });
    showStatus('prediction-status',
      `${values.length} steps in closed loop: ${formatMs(ms)} (one generate() call, on the GPU${mode === 'carry' ? ', state carried' : `, re-reading a ${steps}-step window each step`}); ` +
      `MSE against the true curve ${formatLoss(meanSquaredError(values, series.slice(steps)))}.`);
  }
}

/** Every window decoded in one predict() call: the error over all of them, and the time of a call (after a first one builds the plan). */
async function overallError(model: Seq2Seq, task: Extract<Task, { kind: 'translate' }>): Promise<string> {
  const { windows } = task;
  await model.predict(windows.x[0], { steps: windows.steps });
  const start = performance.now();
  const all = await model.predict(windows.x[0], { steps: windows.steps });
  const ms = performance.now() - start;
  return `All ${windows.count} windows in one call: ${formatMs(ms)}, MSE ${formatLoss(meanSquaredError(all.data, windows.y.data))}.`;
}
