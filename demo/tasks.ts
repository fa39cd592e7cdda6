// The demo's tasks (the seed experiments, and date conversion with attention): their data, their default
// settings, and the model each one trains. Numbers in, numbers out (function translation, next-step
// prediction) or characters in, characters out (addition, rotation, dates).

import {
  Seq2Seq, SequenceModel, linspace, nextStepWindows, translationWindows,
  type CellType, type GpuContext, type OptimizerName, type TranslationWindows,
} from 'webrnn';
// The character tasks' data comes with the repository (the command line trains the same tasks); it is
// not part of the library.
import { additionTask, datesTask, parseDateQuestion, rotationTask, type CharacterTask } from '../src/tasks/characters.js';

export interface Settings {
  cell: CellType;
  units: number;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  validationSplit: number;
}

export type TaskId = 'sin-cos' | 'damped-translate' | 'square-sqrt' | 'damped-next' | 'addition' | 'rotation' | 'dates';

export interface TaskInfo {
  id: TaskId;
  label: string;
  /** One sentence under the picker: what the model learns, and from which seed. */
  about: string;
  defaults: Settings;
}

const translate = (epochs = 35): Settings => ({ cell: 'lstm', units: 75, epochs, batchSize: 10, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0 });
const characters = (epochs: number): Settings => ({ cell: 'lstm', units: 64, epochs, batchSize: 100, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0.1 });

export const TASKS: readonly TaskInfo[] = [
  { id: 'sin-cos', label: 'sin → cos', about: 'Encoder-decoder translating 24-step windows of sin(x) into cos(x), x in [−2π, 2π] (seed 000: LSTM 75, batch 10, Adam, 35 epochs).', defaults: translate() },
  { id: 'damped-translate', label: 'e^(−x/5)·cos x → e^(−x/5)·sin x', about: 'The same translator on a damped pair, x in [−2π, 2π] (seed 000, second experiment).', defaults: translate() },
  { id: 'square-sqrt', label: 'x² → √x', about: 'The same translator from x² to √x on x in [0, 2] (seed 000, third experiment).', defaults: translate() },
  { id: 'damped-next', label: 'damped oscillation, next step', about: 'Predicts the next value of e^(−x/5)·cos x (200 points on [0, 5π], 20-step windows), then runs closed loop from the first window (seed 004).', defaults: { cell: 'lstm', units: 40, epochs: 300, batchSize: 10, optimizer: 'adam', learningRate: 3e-3, validationSplit: 0.1 } },
  { id: 'addition', label: 'addition (characters)', about: "Character-level addition, '12+3' → '15': Embedding + LSTM encoder-decoder, greedy decoding (seed 001). Ask it questions below once trained.", defaults: characters(20) },
  { id: 'rotation', label: 'rotate (characters)', about: "Rotates 5 digits right by 2, '12345' → '45123' (seed 001). Ask it below once trained.", defaults: characters(10) },
  { id: 'dates', label: 'dates → ISO (attention)', about: "Converts dates in 8 formats to ISO, 'Sat, 13 Nov 2021' → '2021-11-13': an encoder-decoder whose decoder attends over the encoder's outputs (Luong). Ask it below once trained, and see which characters each answer character looked at.", defaults: { cell: 'lstm', units: 64, epochs: 10, batchSize: 64, optimizer: 'adam', learningRate: 5e-3, validationSplit: 0 } },
];

export function taskInfo(id: string): TaskInfo {
  const info = TASKS.find((t) => t.id === id);
  if (!info) throw new Error(`demo: unknown task '${id}'`);
  return info;
}

export interface CharacterOptions {
  /** Addition: digits per operand (1 to 3). */
  digits: number;
  reverse: boolean;
  /** Training questions (the test set is up to 500 others). */
  count: number;
}

export type Task =
  | { kind: 'translate'; info: TaskInfo; windows: TranslationWindows; names: [input: string, output: string] }
  | { kind: 'next-step'; info: TaskInfo; grid: Float64Array; series: number[]; steps: number; windows: ReturnType<typeof nextStepWindows> }
  | {
    kind: 'characters'; info: TaskInfo; train: CharacterTask; test: CharacterTask; options: CharacterOptions; example: string; pattern: RegExp; hint: string;
    /** What a typed question means: spaces dropped (numbers), or kept inside (dates). */
    clean: (typed: string) => string;
    /** The right answer to a question, when the task can tell (a date in none of the 8 formats: undefined). */
    answer: (question: string) => string | undefined;
    /** Attention over the source: its weights can be shown for each answer character. */
    attends: boolean;
    /** The characters whose embeddings the playground compares (default: all the encoder reads). */
    compared?: string;
  };

const damped = (f: (x: number) => number) => (x: number) => Math.exp(-x / 5) * f(x);
const noSpaces = (typed: string) => typed.replace(/\s+/g, '');

export function buildTask(id: TaskId, options: CharacterOptions): Task {
  const info = taskInfo(id);
  switch (id) {
    case 'sin-cos':
      return { kind: 'translate', info, names: ['sin x', 'cos x'], windows: translationWindows(Math.sin, Math.cos, { from: -2 * Math.PI, to: 2 * Math.PI }) };
    case 'damped-translate':
      return { kind: 'translate', info, names: ['e^(−x/5) cos x', 'e^(−x/5) sin x'], windows: translationWindows(damped(Math.cos), damped(Math.sin), { from: -2 * Math.PI, to: 2 * Math.PI }) };
    case 'square-sqrt':
      return { kind: 'translate', info, names: ['x²', '√x'], windows: translationWindows((x) => x * x, Math.sqrt, { from: 0, to: 2 }) };
    case 'damped-next':
      return dampedOscillation(info);
    case 'addition': {
      const d = options.digits;
      const possible = 10 ** (2 * d);
      const count = Math.min(options.count, Math.floor(0.8 * possible));
      const train = additionTask({ digits: d, count, reverse: options.reverse, seed: 1 });
      const test = additionTask({ digits: d, count: Math.min(500, possible - count), reverse: options.reverse, seed: 2, exclude: new Set(train.questions) });
      const example = `${'12345'.slice(0, d)}+${'9876'.slice(0, Math.max(1, d - 1))}`;
      return {
        kind: 'characters', info, train, test, options: { ...options, count }, example, pattern: new RegExp(`^\\d{1,${d}}\\+\\d{1,${d}}$`), hint: `two numbers of 1 to ${d} digits, like ${example}`,
        clean: noSpaces, answer: (q) => String(q.split('+').map(Number).reduce((a, b) => a + b)), attends: false,
      };
    }
    case 'rotation': {
      const count = Math.min(options.count, 50_000);
      const train = rotationTask({ length: 5, shift: 2, count, reverse: options.reverse, seed: 1 });
      const test = rotationTask({ length: 5, shift: 2, count: 500, reverse: options.reverse, seed: 2, exclude: new Set(train.questions) });
      return {
        kind: 'characters', info, train, test, options: { ...options, count }, example: '12345', pattern: /^\d{5}$/, hint: 'five digits, like 12345',
        clean: noSpaces, answer: (q) => q.slice(3) + q.slice(0, 3), attends: false, // rotate right by 2 over 5 characters
      };
    }
    case 'dates': {
      const count = Math.min(options.count, 50_000);
      const train = datesTask({ count, seed: 1 });
      const test = datesTask({ count: 500, seed: 2, exclude: new Set(train.questions) });
      const known = train.vocabulary.tokens.filter((t) => t !== train.vocabulary.pad && t !== train.vocabulary.start && t !== train.vocabulary.end).join('');
      const allowed = `[${known.replace(/[\]\\^-]/g, '\\$&')}]`;
      return {
        kind: 'characters', info, train, test, options: { ...options, reverse: false, count }, example: 'Sat, 13 Nov 2021',
        pattern: new RegExp(`^${allowed}{1,${train.sourceLength}}$`),
        hint: `a date of 1950 to 2049 (${train.sourceLength} characters at most), like 'Sat, 13 Nov 2021', '11/13/21' or 'November 13, 2021'`,
        clean: (typed) => typed.trim().replace(/\s+/g, ' '), answer: parseDateQuestion, attends: true, compared: '0123456789', // 60 characters: the digits
      };
    }
  }
}

/** Seed 004's series: exp(-x/5) cos(x) at 200 points of [0, 5π], in 20-step next-step windows. */
export function dampedOscillation(info = taskInfo('damped-next')): Extract<Task, { kind: 'next-step' }> {
  const grid = linspace(0, 5 * Math.PI, 200);
  const series = Array.from(grid, damped(Math.cos));
  const steps = 20;
  return { kind: 'next-step', info, grid, series, steps, windows: nextStepWindows(series, steps) };
}

export type Model = Seq2Seq | SequenceModel;

/** A compiled model for the task. Character tasks use an embedding as wide as the recurrent layer. */
export function buildModel(gpu: GpuContext, task: Task, s: Settings): Model {
  const layers = [{ cell: s.cell, units: s.units }];
  const optimizer = { optimizer: s.optimizer, learningRate: s.learningRate };
  if (task.kind === 'translate') {
    const model = new Seq2Seq(gpu, { encoder: { inputSize: 1, layers }, decoder: { inputSize: 1, layers }, head: { units: 1 }, seed: 0 });
    model.compile({ loss: 'mse', ...optimizer });
    return model;
  }
  if (task.kind === 'next-step') {
    const model = new SequenceModel(gpu, { inputSize: 1, layers, head: { units: 1 }, seed: 0 });
    model.compile({ loss: 'mse', ...optimizer });
    return model;
  }
  const vocab = task.train.vocabulary;
  // Dates: the command line's model (embedding 32, Luong attention, gradients clipped to norm 1).
  const branch = { vocabSize: vocab.size, embeddingDim: task.attends ? 32 : s.units, layers };
  const model = new Seq2Seq(gpu, { encoder: branch, decoder: branch, head: { units: vocab.size, activation: 'softmax' }, attention: task.attends ? 'luong' : 'none', seed: 0 });
  // Padding after the end token is not part of the answer: it is left out of the loss.
  model.compile({ loss: 'sparse_categorical_crossentropy', ...optimizer, maskToken: vocab.padId, ...(task.attends ? { clipNorm: 1 } : {}) });
  return model;
}

/** fit()'s x and y for the task, and how many samples that is. */
export function trainingData(task: Task): { x: unknown; y: unknown; count: number } {
  if (task.kind === 'translate') return { x: task.windows.x, y: task.windows.y, count: task.windows.count };
  if (task.kind === 'next-step') return { x: task.windows.x, y: task.windows.y, count: task.windows.count };
  return { x: [task.train.source, task.train.decoderInput], y: task.train.target, count: task.train.questions.length };
}

export type ClosedLoopMode = 'carry' | 'reprime';

/**
 * Closed-loop generation from the first window: the model's predictions become its inputs, in one
 * generate() call, all on the GPU.
 * 'carry': the recurrent state carried through all steps (mode 'continue').
 * 'reprime': seed 004's loop, each step a fresh zero-state pass over the last `steps` values (mode 'window').
 * Returns the generated values and the milliseconds spent.
 */
export async function closedLoop(model: SequenceModel, task: Extract<Task, { kind: 'next-step' }>, mode: ClosedLoopMode): Promise<{ values: number[]; ms: number }> {
  const { steps, series } = task;
  const total = series.length - steps;
  const start = performance.now();
  const out = await model.generate({ data: Float32Array.from(series.slice(0, steps)), shape: [1, steps, 1] },
    { steps: total, mode: mode === 'carry' ? 'continue' : 'window' });
  return { values: Array.from(out.data), ms: performance.now() - start };
}

export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}
