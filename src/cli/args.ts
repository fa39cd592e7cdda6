// Command-line parsing for `webrnn`: node:util parseArgs (strict: unknown options and missing values are
// errors), then every value checked. Anything wrong is a UsageError, which main turns into a message on
// stderr and exit code 2.

import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type CommandName = 'train' | 'predict' | 'summary' | 'convert' | 'experiments';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder of the value in the help ('N', 'X', 'DIR'). */
  value?: string;
  description: string;
  short?: string;
}

/** Options of every command, in help order. */
export const COMMAND_OPTIONS: Record<CommandName, Record<string, OptionSpec>> = {
  train: {
    cell: { type: 'string', value: 'lstm|gru|rnn', description: 'recurrent cell of every layer: LSTM, GRU (Keras reset_after) or SimpleRNN (tanh)' },
    units: { type: 'string', value: 'N', description: 'units of each recurrent layer' },
    epochs: { type: 'string', value: 'N', description: 'training epochs' },
    batch: { type: 'string', value: 'N', description: 'batch size' },
    optimizer: { type: 'string', value: 'adam|sgd|rmsprop', description: 'optimizer (Keras defaults)' },
    lr: { type: 'string', value: 'X', description: "learning rate (default: the optimizer's Keras default, or the task's)" },
    'lr-schedule': { type: 'string', value: 'constant|cosine', description: 'learning rate over the epochs: constant, or cosine decay from --lr to 0' },
    'clip-norm': { type: 'string', value: 'X', description: 'clip gradients to this global norm' },
    'validation-split': { type: 'string', value: 'X', description: 'fraction of the samples held out for val_loss, in [0, 1)' },
    seed: { type: 'string', value: 'N', description: 'seed of the weights, the shuffling and the generated data' },
    steps: { type: 'string', value: 'N', description: 'function tasks, damped: time steps per window' },
    digits: { type: 'string', value: 'N', description: 'addition: digits of each operand (1-6)' },
    length: { type: 'string', value: 'N', description: 'rotate, reverse: length of the strings' },
    shift: { type: 'string', value: 'N', description: 'rotate: positions to rotate right by' },
    reverse: { type: 'boolean', description: 'addition, rotate: feed the question reversed (seed 001)' },
    attention: { type: 'string', value: 'none|luong|bahdanau', description: 'character tasks: the decoder attends over the encoder\'s outputs (default: luong for reverse and dates, none otherwise)' },
    'train-size': { type: 'string', value: 'N', description: 'addition, rotate: training questions' },
    'test-size': { type: 'string', value: 'N', description: 'addition, rotate: test questions (none shared with training)' },
    embedding: { type: 'string', value: 'N', description: 'addition, rotate: embedding width' },
    out: { type: 'string', value: 'DIR', description: 'where to write the model, the plots and task.json (default ./webrnn-out/<task>)' },
    json: { type: 'boolean', description: 'print the final metrics as one JSON object on stdout (progress stays on stderr)' },
    quiet: { type: 'boolean', short: 'q', description: 'no progress output' },
    adapter: { type: 'string', value: 'lavapipe|swiftshader|PATH', description: 'WebGPU adapter in Node: a CPU driver or a Vulkan ICD json (default: auto, or WEBRNN_ADAPTER)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  predict: {
    model: { type: 'string', value: 'PATH', description: 'a directory written by `webrnn train`, or with --input any model file: a Keras .h5 / .keras, a TensorFlow.js model.json (or its directory)' },
    weights: { type: 'string', value: 'PATH', description: 'with --model an architecture JSON (Keras model.to_json()): the weights file (save_weights .h5, .weights.h5, or a model file)' },
    input: { type: 'string', value: 'FILE', description: 'a JSON file { "shape": [...], "data": [...] } (a list for several inputs): print the outputs in that form' },
    out: { type: 'string', value: 'DIR', description: 'where to write the plot (default: the model directory)' },
    'beam-width': { type: 'string', value: 'N', description: 'addition, rotate: decode by beam search with N beams per question (1 to 16; default: greedy)' },
    json: { type: 'boolean', description: 'print the result as one JSON object on stdout' },
    adapter: { type: 'string', value: 'lavapipe|swiftshader|PATH', description: 'WebGPU adapter in Node (as for train)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  summary: {
    model: { type: 'string', value: 'PATH', description: 'a model file: Keras .h5 / .keras, a TensorFlow.js model.json (or its directory)' },
    weights: { type: 'string', value: 'PATH', description: 'with --model an architecture JSON (Keras model.to_json()): the weights file (save_weights .h5, .weights.h5, or a model file)' },
    adapter: { type: 'string', value: 'lavapipe|swiftshader|PATH', description: 'WebGPU adapter in Node (as for train)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  convert: {
    weights: { type: 'string', value: 'PATH', description: 'with --model an architecture JSON (Keras model.to_json()): the weights file (save_weights .h5, .weights.h5, or a model file)' },
    adapter: { type: 'string', value: 'lavapipe|swiftshader|PATH', description: 'WebGPU adapter in Node (as for train)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  experiments: {
    out: { type: 'string', value: 'DIR', description: 'where to write every run and REPORT.md (default ./experiments)' },
    quick: { type: 'boolean', description: 'scale the long runs down (3-digit addition: 10,000 examples, fewer epochs)' },
    only: { type: 'string', value: 'ID,ID', description: 'run only these experiments (ids as in --list)' },
    list: { type: 'boolean', description: 'list the experiments and their commands, run nothing' },
    quiet: { type: 'boolean', short: 'q', description: 'no progress output' },
    adapter: { type: 'string', value: 'lavapipe|swiftshader|PATH', description: 'WebGPU adapter in Node (as for train)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
};

export type OptionValues = Record<string, string | boolean | undefined>;

export interface ParsedCommand {
  command: CommandName;
  values: OptionValues;
  positionals: string[];
}

/**
 * Parses a command's arguments strictly. `--epochs -3` is read as `--epochs=-3` (parseArgs would call
 * the value ambiguous) so that the value check can say what is wrong with it.
 */
export function parseCommand(command: CommandName, args: string[]): ParsedCommand {
  const specs = COMMAND_OPTIONS[command];
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name !== undefined && specs[name]?.type === 'string' && i + 1 < args.length && /^-\.?\d/.test(args[i + 1])) {
      joined.push(`--${name}=${args[i + 1]}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: joined, options, strict: true, allowPositionals: true });
    return { command, values: values as OptionValues, positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }), command);
  }
}

function describeParseError(error: Error & { code?: string }): string {
  const message = error.message;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return `unknown option '${option}'`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--?[\w-]+)/.exec(message)?.[1];
    if (/argument missing/.test(message) && option) return `option '${option}' needs a value`;
    if (/does not take an argument/.test(message) && option) return `option '${option}' does not take a value`;
  }
  return message.split('\n')[0];
}

// ---- value checks -------------------------------------------------------------------------------

/** An integer option in [min, max]; undefined when absent. */
export function intOption(values: OptionValues, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer >= ${min}`) : `an integer in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be ${range}, got '${raw}'`);
  }
  return value;
}

/** A number option: `min < value` (or <=, with inclusiveMin) and `value < max` (or <=, with inclusiveMax). */
export function numberOption(
  values: OptionValues,
  name: string,
  range: { min?: number; max?: number; inclusiveMin?: boolean; inclusiveMax?: boolean },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = text === '' ? NaN : Number(text);
  const { min, max, inclusiveMin = false, inclusiveMax = false } = range;
  const ok = Number.isFinite(value)
    && (min === undefined || (inclusiveMin ? value >= min : value > min))
    && (max === undefined || (inclusiveMax ? value <= max : value < max));
  if (!ok) {
    const parts: string[] = [];
    if (min !== undefined) parts.push(inclusiveMin ? `>= ${min}` : `> ${min}`);
    if (max !== undefined) parts.push(inclusiveMax ? `<= ${max}` : `< ${max}`);
    throw new UsageError(`--${name} must be a number ${parts.join(' and ')}, got '${raw}'`);
  }
  return value;
}

/** A string option from a fixed set of choices. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = String(raw);
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = String(raw);
  if (value.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
  return value;
}

// ---- help ---------------------------------------------------------------------------------------

/** The option lines of a command's help, aligned. */
export function optionHelp(command: CommandName, only?: readonly string[]): string {
  const entries = Object.entries(COMMAND_OPTIONS[command]).filter(([name]) => !only || only.includes(name));
  const heads = entries.map(([name, spec]) => `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return entries.map(([, spec], i) => `  ${heads[i].padEnd(width)}${spec.description}`).join('\n');
}
