// The "Train a model" section: task picker and settings, Train / Stop, the live loss curve and the
// training speed. When a run ends it hands the model to the prediction panel or the playground.

import type { CellType, GpuContext, OptimizerName } from 'webrnn';
import { ChartView, epochs } from './charts.js';
import { $, errorMessage, formatLoss, formatMs, formatRate, median, readNumber, setValue, showStatus } from './dom.js';
import { claim, onBusyChange, release, state } from './state.js';
import { TASKS, buildModel, buildTask, taskInfo, trainingData, type Model, type Settings, type Task, type TaskId } from './tasks.js';

export interface Trained {
  task: Task;
  model: Model;
  settings: Settings;
}

export interface TrainerHooks {
  /** The current model is about to be disposed: drop every reference to it. */
  onReset(): void;
  onTrained(trained: Trained): Promise<void>;
}

/** Fills the task picker and the first task's settings (also without WebGPU, so the page reads whole). */
export function initTaskPicker(): void {
  const taskSelect = $<HTMLSelectElement>('task');
  taskSelect.replaceChildren(...TASKS.map((t) => new Option(t.label, t.id)));
  taskSelect.addEventListener('change', () => applyDefaults(taskSelect.value as TaskId));
  applyDefaults(TASKS[0].id);
}

export function setupTrainer(gpu: GpuContext, hooks: TrainerHooks): void {
  const taskSelect = $<HTMLSelectElement>('task');

  const lossChart = new ChartView($('loss-chart'));
  const trainButton = $<HTMLButtonElement>('train-btn');
  const stopButton = $<HTMLButtonElement>('stop-btn');
  let current: Model | null = null;
  let stopRequested = false;

  const sync = () => {
    const mine = state.busy === 'train';
    trainButton.disabled = state.busy !== null;
    stopButton.disabled = !mine;
    $<HTMLFieldSetElement>('train-fields').disabled = state.busy !== null;
  };
  onBusyChange(sync);
  sync();

  stopButton.addEventListener('click', () => {
    stopRequested = true;
    showStatus('train-status', 'Stopping at the end of this epoch…');
  });

  $('train-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!claim('train')) return;
    stopRequested = false;
    const run = state.train;
    Object.assign(run, { state: 'training', runs: run.runs + 1, task: taskSelect.value, loss: [], valLoss: [], samplesPerSecond: null, error: null });
    try {
      const settings = readSettings();
      hooks.onReset();
      current?.dispose();
      current = null;
      showStatus('train-status', 'Building the data and the model, compiling shaders…');
      const task = buildTask(taskSelect.value as TaskId, {
        digits: Number($<HTMLSelectElement>('digits').value),
        reverse: $<HTMLInputElement>('reverse').checked,
        count: readNumber('count', { min: 10, max: 50_000, integer: true }),
      });
      const model = buildModel(gpu, task, settings);
      current = model;
      const data = trainingData(task);
      const trainCount = data.count - Math.floor(data.count * settings.validationSplit);
      const epochMs: number[] = [];
      const started = performance.now();
      let last = started;

      const draw = (live: boolean) => {
        const series = [{ name: 'training loss', x: epochs(run.loss.length), y: run.loss }];
        if (run.valLoss.length) series.push({ name: 'validation loss', x: epochs(run.valLoss.length), y: run.valLoss });
        const content = { title: `${task.info.label}: loss per epoch`, xLabel: 'epoch', yLabel: lossName(task), logY: true, series };
        if (live) lossChart.update(content);
        else lossChart.show(content);
      };

      await model.fit(data.x, data.y, {
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        validationSplit: settings.validationSplit,
        seed: 0,
        callbacks: {
          onEpochEnd: (epoch, logs) => {
            const now = performance.now();
            epochMs.push(now - last);
            last = now;
            run.loss.push(logs.loss);
            if (logs.val_loss !== undefined) run.valLoss.push(logs.val_loss);
            run.samplesPerSecond = trainCount / (epochMs.at(-1)! / 1000);
            draw(true);
            showStatus('train-status', `Epoch ${epoch + 1}/${settings.epochs} · loss ${formatLoss(logs.loss)}` +
              (logs.val_loss !== undefined ? ` · validation ${formatLoss(logs.val_loss)}` : '') +
              ` · ${formatRate(run.samplesPerSecond)} samples/s · ${formatMs(now - started)}`);
            return !stopRequested;
          },
        },
      });
      draw(false);
      // The first epoch also builds the pipelines: leave it out of the speed when there are others.
      const typical = median(epochMs.length > 1 ? epochMs.slice(1) : epochMs);
      run.samplesPerSecond = trainCount / (typical / 1000);
      const stopped = run.loss.length < settings.epochs;
      showStatus('train-status',
        `${stopped ? 'Stopped after' : 'Trained'} ${run.loss.length} epoch${run.loss.length === 1 ? '' : 's'} in ${formatMs(performance.now() - started)}: ` +
        `loss ${formatLoss(run.loss.at(-1))}${run.valLoss.length ? `, validation ${formatLoss(run.valLoss.at(-1))}` : ''}. ` +
        `Speed ${formatRate(run.samplesPerSecond)} samples/s (${trainCount} samples, median epoch ${formatMs(typical)}` +
        `${epochMs.length > 1 ? `; the first took ${formatMs(epochMs[0])} with shader compilation` : ''}).`, 'ok');
      await hooks.onTrained({ task, model, settings });
      run.state = stopped ? 'stopped' : 'done';
    } catch (error) {
      run.state = 'error';
      run.error = errorMessage(error);
      showStatus('train-status', `Training failed: ${run.error}`, 'bad');
    } finally {
      release();
    }
  });
}

function applyDefaults(id: TaskId): void {
  const info = taskInfo(id);
  const d = info.defaults;
  setValue('cell', d.cell);
  setValue('units', d.units);
  setValue('epochs', d.epochs);
  setValue('batch', d.batchSize);
  setValue('optimizer', d.optimizer);
  setValue('lr', d.learningRate);
  setValue('val', d.validationSplit);
  setValue('reverse', id === 'addition');
  // Dates train on the command line's 20,000 questions; the other character tasks on 5,000.
  setValue('count', id === 'dates' ? 20_000 : 5_000);
  $('digits').closest('label')!.hidden = id !== 'addition';
  $('reverse').closest('label')!.hidden = id === 'dates';
  $('train-fields').dataset.kind = id === 'addition' || id === 'rotation' || id === 'dates' ? 'characters' : 'numbers';
  $('task-about').textContent = info.about;
}

function readSettings(): Settings {
  return {
    cell: $<HTMLSelectElement>('cell').value as CellType,
    units: readNumber('units', { min: 1, max: 256, integer: true }),
    epochs: readNumber('epochs', { min: 1, max: 5000, integer: true }),
    batchSize: readNumber('batch', { min: 1, max: 1000, integer: true }),
    optimizer: $<HTMLSelectElement>('optimizer').value as OptimizerName,
    learningRate: readNumber('lr', { min: 0, max: 10 }),
    validationSplit: readNumber('val', { min: 0, max: 0.5 }),
  };
}

function lossName(task: Task): string {
  return task.kind === 'characters' ? 'cross-entropy' : 'MSE';
}
