// The tasks `webrnn train` knows: the seed experiments, each with defaults that match its seed, the
// options that apply to it, its data and its model.
//
//   function tasks  (sin-cos, exp-sin, sqrt): Seq2Seq over windows of two sampled functions (seeds 000, 002)
//   next-step       (damped): a SequenceModel predicting the next sample, then run in closed loop (seed 004)
//   characters      (addition, rotate): token Seq2Seq with Embedding and a softmax head (seed 001, Keras)

import {
  linspace, nextStepWindows, Seq2Seq, SequenceModel, translationWindows,
  type CellType, type FlatSequences, type GpuContext, type OptimizerName, type TranslationWindows,
} from '../index.js';
import type { AttentionKind } from '../models/recurrent-spec.js';
import { additionTask, datesTask, reversalTask, rotationTask, type CharacterTask, type Vocabulary } from '../tasks/characters.js';
import { choiceOption, intOption, numberOption, UsageError, type OptionValues } from './args.js';

export type TaskName = 'sin-cos' | 'exp-sin' | 'sqrt' | 'damped' | 'addition' | 'rotate' | 'reverse' | 'dates';
export type TaskKind = 'function' | 'next-step' | 'characters';
export type CellName = 'lstm' | 'gru' | 'rnn';
export type LrSchedule = 'constant' | 'cosine';

export const CELLS: readonly CellName[] = ['lstm', 'gru', 'rnn'];
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];
export const ATTENTION_KINDS: readonly AttentionKind[] = ['none', 'luong', 'bahdanau'];

/** Everything a training run needs; written to task.json so `predict` can rebuild the data. */
export interface TrainSettings {
  task: TaskName;
  cell: CellName;
  units: number;
  epochs: number;
  batch: number;
  optimizer: OptimizerName;
  /** Learning rate; absent: the optimizer's Keras default. */
  lr?: number;
  /** 'cosine': the learning rate decays from lr to 0 over the epochs (half a cosine). */
  lrSchedule: LrSchedule;
  clipNorm?: number;
  validationSplit: number;
  seed: number;
  /** Function tasks and damped: the sampling grid linspace(from, to, points) and the window length. */
  from?: number;
  to?: number;
  /** The range as written in the help ('-2pi', '5pi'). */
  range?: string;
  points?: number;
  steps?: number;
  /** Character tasks. */
  digits?: number;
  length?: number;
  shift?: number;
  reverse?: boolean;
  trainSize?: number;
  testSize?: number;
  embedding?: number;
  /** Character tasks: the decoder's attention over the encoder's outputs. */
  attention?: AttentionKind;
}

type Defaults = Omit<TrainSettings, 'task' | 'cell' | 'lrSchedule'> & { lrSchedule?: LrSchedule };

export interface TaskDefinition {
  name: TaskName;
  kind: TaskKind;
  /** One line for the task list. */
  summary: string;
  /** Further help lines: the seed, the defaults per cell. */
  help: string[];
  /** Task-specific options of `train` that apply (besides the common ones). */
  options: readonly string[];
  defaults(cell: CellName, values: OptionValues): Defaults;
  /** Function tasks: the encoder's and the decoder's function. */
  functions?: { input: (x: number) => number; output: (x: number) => number; inputName: string; outputName: string };
  /** Next-step task: the series. */
  series?: { f: (x: number) => number; name: string };
}

/** Options every task takes. */
export const COMMON_TRAIN_OPTIONS = [
  'cell', 'units', 'epochs', 'batch', 'optimizer', 'lr', 'lr-schedule', 'clip-norm', 'validation-split', 'seed', 'out', 'json', 'quiet', 'adapter', 'help',
] as const;

const PI = Math.PI;
const characterOptions = ['reverse', 'train-size', 'test-size', 'embedding', 'attention'] as const;

/** Training / test sizes: the seed's 5,000 / 500 when there are enough distinct questions, else 80% / 20% of them. */
function characterSizes(possible: number, train: number, test: number): { trainSize: number; testSize: number } {
  if (train + test <= possible * 0.8) return { trainSize: train, testSize: test };
  const trainSize = Math.floor(possible * 0.8);
  return { trainSize, testSize: Math.min(test, possible - trainSize) };
}

export const TASKS: readonly TaskDefinition[] = [
  {
    name: 'sin-cos',
    kind: 'function',
    summary: 'sin(x) windows -> cos(x) windows, seq2seq (seeds 000 and 002)',
    help: [
      'lstm: seed 000 - LSTM(75) encoder-decoder, 24-step windows on linspace(-2pi, 2pi, 100) (76 windows),',
      '      batch 10, 35 epochs, adam',
      'rnn:  seed 002 - SimpleRNN(10), linspace(-3pi, 3pi, 100), batch 16, 80 epochs, validation split 0.2',
    ],
    options: ['steps'],
    functions: { input: Math.sin, output: Math.cos, inputName: 'sin(x)', outputName: 'cos(x)' },
    defaults: (cell) => cell !== 'rnn'
      ? { units: 75, epochs: 35, batch: 10, optimizer: 'adam', validationSplit: 0, seed: 0, from: -2 * PI, to: 2 * PI, range: '[-2pi, 2pi]', points: 100, steps: 24 }
      : { units: 10, epochs: 80, batch: 16, optimizer: 'adam', validationSplit: 0.2, seed: 0, from: -3 * PI, to: 3 * PI, range: '[-3pi, 3pi]', points: 100, steps: 24 },
  },
  {
    name: 'exp-sin',
    kind: 'function',
    summary: 'exp(-x/5)cos(x) -> exp(-x/5)sin(x) on [0, 5pi], seq2seq (seed 000, where it failed)',
    help: [
      'the seed\'s configuration: LSTM(75) encoder-decoder, 24-step windows on linspace(0, 5pi, 100), batch 10,',
      '35 epochs, with adam and MSE (the seed used rmsprop on a cross-entropy loss and got the phase wrong)',
    ],
    options: ['steps'],
    functions: {
      input: (x) => Math.exp(-x / 5) * Math.cos(x), output: (x) => Math.exp(-x / 5) * Math.sin(x),
      inputName: 'exp(-x/5)cos(x)', outputName: 'exp(-x/5)sin(x)',
    },
    defaults: (cell) => ({
      units: cell === 'rnn' ? 32 : 75, epochs: 35, batch: 10, optimizer: 'adam', validationSplit: 0, seed: 0,
      from: 0, to: 5 * PI, range: '[0, 5pi]', points: 100, steps: 24,
    }),
  },
  {
    name: 'sqrt',
    kind: 'function',
    summary: 'x^2 -> x^0.5 on [0, 1.5], seq2seq (seed 000, where it failed)',
    help: [
      'the seed\'s configuration: LSTM(75) encoder-decoder, 24-step windows on linspace(0, 1.5, 100), batch 10,',
      '35 epochs, with adam and MSE (the seed used rmsprop on a cross-entropy loss)',
    ],
    options: ['steps'],
    functions: { input: (x) => x * x, output: Math.sqrt, inputName: 'x^2', outputName: 'x^0.5' },
    defaults: (cell) => ({
      units: cell === 'rnn' ? 32 : 75, epochs: 35, batch: 10, optimizer: 'adam', validationSplit: 0, seed: 0,
      from: 0, to: 1.5, range: '[0, 1.5]', points: 100, steps: 24,
    }),
  },
  {
    name: 'damped',
    kind: 'next-step',
    summary: 'next-step prediction of exp(-x/5)cos(x), then closed-loop generation (seed 004)',
    help: [
      'seed 004: 200 points on [0, 5pi], 20-step windows (180), a recurrent layer of 40 units with a Dense(1) at',
      'every step, batch 10, validation split 0.1, 1000 epochs; then, primed with the first window, the model',
      'predicts each next sample from the last 20, its own predictions included, for the remaining 180 steps',
      '(closed-loop MSE). Optimizer: adam at 0.005 with cosine decay (the seed\'s SGD at 0.01 does not track',
      'the curve in closed loop: MSE 0.04-0.08). --cell picks LSTM or SimpleRNN, as the seed compares them (or GRU).',
    ],
    options: ['steps'],
    series: { f: (x) => Math.exp(-x / 5) * Math.cos(x), name: 'exp(-x/5)cos(x)' },
    defaults: () => ({
      units: 40, epochs: 1000, batch: 10, optimizer: 'adam', lr: 0.005, lrSchedule: 'cosine', validationSplit: 0.1, seed: 0,
      from: 0, to: 5 * PI, range: '[0, 5pi]', points: 200, steps: 20,
    }),
  },
  {
    name: 'addition',
    kind: 'characters',
    summary: "character addition '12+3' -> '15', token seq2seq (seed 001, Keras addition example)",
    help: [
      'seed 001: 2-digit operands, 5,000 training / 500 test questions (no overlap), embedding 64, hidden 64,',
      '          batch 100, 30 epochs; --reverse feeds the question reversed',
      '--digits 3: the Keras example budget - 45,000 training / 5,000 test questions (50,000), LSTM(128),',
      '          batch 32, 30 epochs, adam at 0.002',
      '--digits 1: all 100 questions, 80 for training and 20 for test',
      'optimizer: adam at 0.01 (0.002 from 3 digits), cosine decay, gradients clipped to norm 1 (the seed: SGD',
      'at 0.5 for 400 epochs, from scratch)',
    ],
    options: ['digits', ...characterOptions],
    defaults: (cell, values) => {
      const digits = intOption(values, 'digits', 1, 6) ?? 2;
      const large = digits >= 3;
      return {
        units: large ? 128 : 64, epochs: 30, batch: large ? 32 : 100, optimizer: 'adam', lr: large ? 0.002 : 0.01, lrSchedule: 'cosine', clipNorm: 1,
        validationSplit: 0, seed: 0, digits, reverse: false, embedding: 64,
        ...characterSizes(10 ** (2 * digits), large ? 45_000 : 5_000, large ? 5_000 : 500),
      };
    },
  },
  {
    name: 'rotate',
    kind: 'characters',
    summary: "rotate digit strings right: '12345' -> '45123' (length 5, shift 2), token seq2seq (seed 001)",
    help: [
      'seed 001: length 5, shift 2, 5,000 training / 500 test strings, embedding 64, hidden 64, batch 100,',
      '          15 epochs; adam at 0.01, cosine decay, gradients clipped to norm 1',
    ],
    options: ['length', 'shift', ...characterOptions],
    defaults: (cell, values) => {
      const length = intOption(values, 'length', 1, 12) ?? 5;
      return {
        units: 64, epochs: 15, batch: 100, optimizer: 'adam', lr: 0.01, lrSchedule: 'cosine', clipNorm: 1, validationSplit: 0, seed: 0,
        length, shift: 2, reverse: false, embedding: 64, ...characterSizes(10 ** length, 5_000, 500),
      };
    },
  },
  {
    name: 'reverse',
    kind: 'characters',
    summary: "reverse letter strings: 'abcde' -> 'edcba' (length 30), token seq2seq with attention",
    help: [
      'strings of 30 lowercase letters, 10,000 training / 1,000 test, embedding 32, LSTM(128), batch 64, 12 epochs,',
      'adam at 0.005, cosine decay, gradients clipped to norm 1; --attention luong (default), bahdanau or none',
    ],
    options: ['length', 'train-size', 'test-size', 'embedding', 'attention'],
    defaults: (_cell, values) => ({
      units: 128, epochs: 12, batch: 64, optimizer: 'adam', lr: 0.005, lrSchedule: 'cosine', clipNorm: 1, validationSplit: 0, seed: 0,
      length: intOption(values, 'length', 1, 64) ?? 30, embedding: 32, attention: 'luong', trainSize: 10_000, testSize: 1_000,
    }),
  },
  {
    name: 'dates',
    kind: 'characters',
    summary: "date formats -> ISO: 'Sat, 13 Nov 2021', '11/13/21', 'November 13, 2021' -> '2021-11-13', token seq2seq with attention",
    help: [
      'dates of 1950-2049 in 8 formats, 20,000 training / 2,000 test (no question in both), embedding 32, LSTM(64),',
      'batch 64, 10 epochs, adam at 0.005, cosine decay, gradients clipped to norm 1; --attention luong (default),',
      'bahdanau or none',
    ],
    options: ['train-size', 'test-size', 'embedding', 'attention'],
    defaults: () => ({
      units: 64, epochs: 10, batch: 64, optimizer: 'adam', lr: 0.005, lrSchedule: 'cosine', clipNorm: 1, validationSplit: 0, seed: 0,
      embedding: 32, attention: 'luong', trainSize: 20_000, testSize: 2_000,
    }),
  },
];

export const TASK_NAMES = TASKS.map((t) => t.name);

export function findTask(name: string | undefined): TaskDefinition {
  if (name === undefined) throw new UsageError(`which task? One of: ${TASK_NAMES.join(', ')}`, 'train');
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new UsageError(`unknown task '${name}'; the tasks are: ${TASK_NAMES.join(', ')}`, 'train');
  return task;
}

/** The settings of a run: the task's defaults for the cell, overridden by the options given. */
export function resolveSettings(taskName: string | undefined, values: OptionValues): TrainSettings {
  const task = findTask(taskName);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!(COMMON_TRAIN_OPTIONS as readonly string[]).includes(name) && !task.options.includes(name)) {
      const users = TASKS.filter((t) => t.options.includes(name)).map((t) => t.name);
      throw new UsageError(`--${name} does not apply to ${task.name}${users.length ? ` (only to ${users.join(', ')})` : ''}`, 'train');
    }
  }
  const cell = choiceOption(values, 'cell', CELLS) ?? 'lstm';
  const settings: TrainSettings = { task: task.name, cell, lrSchedule: 'constant', ...task.defaults(cell, values) };
  const set = <K extends keyof TrainSettings>(key: K, value: TrainSettings[K] | undefined) => {
    if (value !== undefined) settings[key] = value;
  };
  set('units', intOption(values, 'units', 1, 1024));
  set('epochs', intOption(values, 'epochs', 1));
  set('batch', intOption(values, 'batch', 1));
  const optimizer = choiceOption(values, 'optimizer', OPTIMIZERS);
  if (optimizer !== undefined && optimizer !== settings.optimizer) {
    settings.optimizer = optimizer;
    delete settings.lr; // a task's learning rate belongs to its optimizer
  }
  set('lr', numberOption(values, 'lr', { min: 0 }));
  set('lrSchedule', choiceOption(values, 'lr-schedule', LR_SCHEDULES));
  set('clipNorm', numberOption(values, 'clip-norm', { min: 0 }));
  set('validationSplit', numberOption(values, 'validation-split', { min: 0, max: 1, inclusiveMin: true }));
  set('seed', intOption(values, 'seed', 0, 2 ** 31 - 1));
  set('steps', intOption(values, 'steps', 1, (settings.points ?? 2) - 1));
  set('shift', intOption(values, 'shift', 0));
  set('trainSize', intOption(values, 'train-size', 1));
  set('testSize', intOption(values, 'test-size', 1));
  set('embedding', intOption(values, 'embedding', 1, 1024));
  set('attention', choiceOption(values, 'attention', ATTENTION_KINDS));
  if (values.reverse) settings.reverse = true;

  if (task.kind === 'characters') {
    const possible = task.name === 'addition' ? 10 ** (2 * settings.digits!) : task.name === 'reverse' ? 26 ** settings.length! : task.name === 'dates' ? 36_524 * 8 : 10 ** settings.length!;
    if (settings.trainSize! + settings.testSize! > possible) {
      throw new UsageError(`${task.name}: --train-size ${settings.trainSize} + --test-size ${settings.testSize} is more than the ${possible} distinct questions`, 'train');
    }
  }
  const samples = task.kind === 'characters' ? settings.trainSize! : settings.points! - settings.steps!;
  if (Math.floor(samples * settings.validationSplit) >= samples) {
    throw new UsageError(`--validation-split ${settings.validationSplit} leaves no training samples out of ${samples}`, 'train');
  }
  return settings;
}

export function taskOf(settings: TrainSettings): TaskDefinition {
  return findTask(settings.task);
}

const CELL_LAYERS: Record<CellName, { type: CellType; label: string }> = {
  lstm: { type: 'lstm', label: 'LSTM' },
  gru: { type: 'gru', label: 'GRU' },
  rnn: { type: 'simple_rnn', label: 'SimpleRNN' },
};

/** 'LSTM(75)', 'GRU(75)' or 'SimpleRNN(10)'. */
export function cellLabel(settings: TrainSettings): string {
  return `${CELL_LAYERS[settings.cell].label}(${settings.units})`;
}

export function libraryCell(cell: CellName): CellType {
  return CELL_LAYERS[cell].type;
}

// ---- data -----------------------------------------------------------------------------------------

export type TaskData =
  | { kind: 'function'; windows: TranslationWindows }
  | { kind: 'next-step'; grid: Float64Array; series: Float64Array; x: FlatSequences; y: FlatSequences; count: number; steps: number }
  | { kind: 'characters'; train: CharacterTask; test: CharacterTask; vocabulary: Vocabulary };

export function buildData(settings: TrainSettings): TaskData {
  const task = taskOf(settings);
  if (task.kind === 'function') {
    const { input, output } = task.functions!;
    return { kind: 'function', windows: translationWindows(input, output, { from: settings.from!, to: settings.to!, points: settings.points, steps: settings.steps }) };
  }
  if (task.kind === 'next-step') {
    const grid = linspace(settings.from!, settings.to!, settings.points!);
    const series = grid.map(task.series!.f);
    const windows = nextStepWindows(series, settings.steps!);
    return { kind: 'next-step', grid, series, x: windows.x, y: windows.y, count: windows.count, steps: settings.steps! };
  }
  const make = (count: number, seed: number, exclude?: ReadonlySet<string>) => {
    if (settings.task === 'addition') return additionTask({ digits: settings.digits!, count, reverse: settings.reverse, seed, exclude });
    if (settings.task === 'reverse') return reversalTask({ length: settings.length!, count, seed, exclude });
    if (settings.task === 'dates') return datesTask({ count, seed, exclude });
    return rotationTask({ length: settings.length!, shift: settings.shift!, count, reverse: settings.reverse, seed, exclude });
  };
  const train = make(settings.trainSize!, settings.seed * 2 + 1);
  const test = make(settings.testSize!, settings.seed * 2 + 2, new Set(train.questions));
  return { kind: 'characters', train, test, vocabulary: train.vocabulary };
}

// ---- model ----------------------------------------------------------------------------------------

export function buildModel(ctx: GpuContext, settings: TrainSettings, data: TaskData): Seq2Seq | SequenceModel {
  const layers = [{ cell: libraryCell(settings.cell), units: settings.units }];
  if (data.kind === 'function') {
    return new Seq2Seq(ctx, { encoder: { inputSize: 1, layers }, decoder: { inputSize: 1, layers }, head: { units: 1 }, seed: settings.seed });
  }
  if (data.kind === 'next-step') return new SequenceModel(ctx, { inputSize: 1, layers, head: { units: 1 }, seed: settings.seed });
  const vocabSize = data.vocabulary.size;
  const branch = { vocabSize, embeddingDim: settings.embedding!, layers };
  return new Seq2Seq(ctx, { encoder: branch, decoder: branch, head: { units: vocabSize, activation: 'softmax' }, attention: settings.attention ?? 'none', seed: settings.seed });
}

/** Loss and optimizer of a run. */
export function compileModel(model: Seq2Seq | SequenceModel, settings: TrainSettings, data: TaskData): void {
  model.compile({
    loss: data.kind === 'characters' ? 'sparse_categorical_crossentropy' : 'mse',
    optimizer: settings.optimizer,
    ...(settings.lr !== undefined ? { learningRate: settings.lr } : {}),
    ...(settings.clipNorm !== undefined ? { clipNorm: settings.clipNorm } : {}),
    ...(data.kind === 'characters' ? { maskToken: data.vocabulary.padId } : {}),
  });
}

/** A short description of a run's configuration. */
export function describeSettings(settings: TrainSettings): string {
  const task = taskOf(settings);
  const parts = [`${cellLabel(settings)}`];
  if (task.kind === 'function') parts.push(`${settings.steps}-step windows on ${settings.range ?? `[${settings.from}, ${settings.to}]`}`);
  if (task.kind === 'next-step') parts.push(`${settings.points} points, ${settings.steps}-step windows`);
  if (settings.task === 'addition') parts.push(`${settings.digits}-digit`, `${settings.trainSize} train / ${settings.testSize} test`, `embedding ${settings.embedding}`);
  if (settings.task === 'rotate') parts.push(`length ${settings.length}, shift ${settings.shift}`, `${settings.trainSize} train / ${settings.testSize} test`, `embedding ${settings.embedding}`);
  if (settings.task === 'reverse') parts.push(`length ${settings.length}`, `${settings.trainSize} train / ${settings.testSize} test`, `embedding ${settings.embedding}`);
  if (settings.task === 'dates') parts.push(`${settings.trainSize} train / ${settings.testSize} test`, `embedding ${settings.embedding}`);
  if (settings.attention && settings.attention !== 'none') parts.push(`${settings.attention} attention`);
  if (settings.reverse) parts.push('reversed input');
  parts.push(`batch ${settings.batch}`, `${settings.epochs} epochs`, `${settings.optimizer}${settings.lr !== undefined ? ` lr ${settings.lr}` : ''}${settings.lrSchedule === 'cosine' ? ' (cosine decay)' : ''}`);
  if (settings.clipNorm !== undefined) parts.push(`clip norm ${settings.clipNorm}`);
  if (settings.validationSplit > 0) parts.push(`validation split ${settings.validationSplit}`);
  return parts.join(', ');
}
