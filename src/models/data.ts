// Datasets at the model boundary: sequences of feature vectors ([N, T, F], e.g. sin windows) or of token
// ids ([N, T]), given as nested arrays (Keras style) or as flat typed data with a shape. Normalized once
// to flat batch-major storage, then sliced into time-major batches for upload.

import { ShapeError } from '../gpu/errors.js';

/**
 * Numeric sequences [N, T, F] (N sequences of T steps of F features), as nested arrays or as flat
 * batch-major data with its shape; every value must be finite.
 */
export type FeatureSequences = number[][][] | {
  /** The values, batch-major: data[(n * T + t) * F + f]. */
  data: ArrayLike<number>;
  /** [N, T, F]. */
  shape: [number, number, number];
};
/** Token-id sequences [N, T] (integers in [0, vocabSize)), as nested arrays or as flat batch-major data with its shape. */
export type TokenSequences = number[][] | {
  /** The ids, batch-major: data[n * T + t]. */
  data: ArrayLike<number>;
  /** [N, T]. */
  shape: [number, number];
};
export type Sequences = FeatureSequences | TokenSequences;

/** Flat batch-major sequences: data[(n * steps + t) * features + f]. */
export interface SequenceSet {
  readonly data: Float32Array | Int32Array;
  readonly count: number;
  readonly steps: number;
  readonly features: number;
  readonly tokens: boolean;
  /**
   * Sequences of different lengths: each sample's real steps, its data padded to `steps` (the longest)
   * with the pad value its mask recognises (token 0 for an Embedding with maskZero, a Masking layer's
   * maskValue). A batch is cut to its own longest sequence (batchOf).
   */
  readonly lengths?: Int32Array;
}

/** Feature sequences [N, T, F]; every value must be finite. */
export function featureSequences(value: FeatureSequences, what: string, features: number): SequenceSet {
  const { data, shape } = flatten(value, what, 3);
  const [count, steps, f] = shape;
  if (f !== features) throw new ShapeError(`${what}: expected ${features} features per step, got shape [${shape.join(', ')}]`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      const n = Math.floor(i / (steps * f));
      const t = Math.floor(i / f) % steps;
      throw new ShapeError(`${what}: value at [${n}, ${t}, ${i % f}] is ${v}; values must be finite`);
    }
    out[i] = v;
  }
  return { data: out, count, steps, features, tokens: false };
}

/** Token sequences [N, T] of integers in [0, vocabSize) (or equal to `allowed`, e.g. a mask token). */
export function tokenSequences(value: TokenSequences, what: string, vocabSize: number, allowed?: number): SequenceSet {
  const { data, shape } = flatten(value, what, 2);
  const [count, steps] = shape;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const id = data[i];
    if (!Number.isInteger(id) || ((id < 0 || id >= vocabSize) && id !== allowed)) {
      throw new ShapeError(`${what}: token id ${id} at [${Math.floor(i / steps)}, ${i % steps}] is out of range [0, ${vocabSize})`);
    }
    out[i] = id;
  }
  return { data: out, count, steps, features: 1, tokens: true };
}

function flatten(value: Sequences, what: string, rank: 2 | 3): { data: ArrayLike<number>; shape: number[] } {
  if (value && !Array.isArray(value) && typeof value === 'object' && 'data' in value && 'shape' in value) {
    const shape = [...value.shape];
    if (shape.length !== rank || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`${what}: shape must be ${rank} positive integers, got [${shape.join(', ')}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (value.data.length !== size) throw new ShapeError(`${what}: shape [${shape.join(', ')}] needs ${size} values, data has ${value.data.length}`);
    return { data: value.data, shape };
  }
  if (!Array.isArray(value) || value.length === 0) throw new ShapeError(`${what}: expected a non-empty nested array or { data, shape }`);
  const steps = Array.isArray(value[0]) ? value[0].length : -1;
  const features = rank === 3 && Array.isArray(value[0]) && Array.isArray(value[0][0]) ? (value[0][0] as number[]).length : 1;
  if (steps < 1 || (rank === 3 && features < 1)) throw new ShapeError(`${what}: expected a nested array of rank ${rank}`);
  const shape = rank === 3 ? [value.length, steps, features] : [value.length, steps];
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let k = 0;
  value.forEach((sequence, n) => {
    if (!Array.isArray(sequence) || sequence.length !== steps) {
      throw new ShapeError(`${what}: sequence ${n} has ${Array.isArray(sequence) ? sequence.length : 'no'} steps, expected ${steps}`);
    }
    for (let t = 0; t < steps; t++) {
      const step = sequence[t] as number | number[];
      if (rank === 2) {
        if (typeof step !== 'number') throw new ShapeError(`${what}: [${n}, ${t}] should be a number (token id)`);
        data[k++] = step;
      } else {
        if (!Array.isArray(step) || step.length !== features) {
          throw new ShapeError(`${what}: [${n}, ${t}] should be an array of ${features} features`);
        }
        for (const v of step) data[k++] = v;
      }
    }
  });
  return { data, shape };
}

/**
 * Rows `indices` of a set, time-major: out[(t * batch + b) * F + f] = set[indices[b], t, f], for the
 * first `steps` steps (default all).
 */
export function timeMajorBatch(set: SequenceSet, indices: ArrayLike<number>, steps = set.steps): Float32Array | Int32Array {
  const { features } = set;
  const batch = indices.length;
  const out = set.tokens ? new Int32Array(batch * steps * features) : new Float32Array(batch * steps * features);
  for (let b = 0; b < batch; b++) {
    const from = indices[b] * set.steps * features;
    for (let t = 0; t < steps; t++) {
      const src = from + t * features;
      const dst = (t * batch + b) * features;
      for (let f = 0; f < features; f++) out[dst + f] = set.data[src + f];
    }
  }
  return out;
}

/** Samples [from, to) of a set. */
export function sliceSet(set: SequenceSet, from: number, to: number): SequenceSet {
  const size = set.steps * set.features;
  return { ...set, data: set.data.slice(from * size, to * size), count: to - from, ...(set.lengths ? { lengths: set.lengths.slice(from, to) } : {}) };
}

/**
 * Samples `indices` of sets that belong together (a model's inputs and targets), batch-major, each set of
 * sequences of different lengths, and each rectangular one padded as long as they are, cut to the
 * longest sequence among these samples (rounded up to a multiple of BATCH_STEPS_MULTIPLE, so that
 * batches of nearby lengths share plans): a batch of short sequences runs about as short as they are.
 */
export function batchOf(sets: readonly SequenceSet[], indices: readonly number[]): SequenceSet[] {
  const ragged = sets.filter((s) => s.lengths);
  if (ragged.length === 0) return sets.map((s) => pick(s, indices, s.steps));
  const padded = Math.max(...ragged.map((s) => s.steps));
  // Rounded up to a multiple of BATCH_STEPS_MULTIPLE (the padding is masked): fewer batch shapes.
  const longest = Math.min(padded, Math.ceil(Math.max(1, ...ragged.flatMap((s) => indices.map((i) => s.lengths![i]))) / BATCH_STEPS_MULTIPLE) * BATCH_STEPS_MULTIPLE);
  return sets.map((s) => pick(s, indices, s.lengths || (s.steps === padded && padded > 1) ? longest : s.steps));
}

/** A batch of sequences of different lengths runs at its longest, rounded up to a multiple of this. */
const BATCH_STEPS_MULTIPLE = 4;

function pick(set: SequenceSet, indices: readonly number[], steps: number): SequenceSet {
  const { features } = set;
  const data = set.tokens ? new Int32Array(indices.length * steps * features) : new Float32Array(indices.length * steps * features);
  indices.forEach((n, b) => data.set(set.data.subarray(n * set.steps * features, (n * set.steps + steps) * features), b * steps * features));
  return { ...set, data, count: indices.length, steps, ...(set.lengths ? { lengths: Int32Array.from(indices, (n) => set.lengths![n]) } : {}) };
}

/**
 * Sequences of different lengths padded with `pad`: to the input's length when it has one (`length`; a
 * longer sequence is an error), else to the longest, with each sample's length.
 */
function padRagged(value: ArrayData, what: string, pad: number | undefined, length: number | null): { value: ArrayData; lengths?: Int32Array } {
  if (!Array.isArray(value) || value.length === 0 || !value.every(Array.isArray)) return { value };
  const sequences = value as ArrayData[][];
  const lengths = Int32Array.from(sequences, (s) => s.length);
  const longest = Math.max(...lengths);
  if (lengths.every((n) => n === longest) && (length === null || longest === length || pad === undefined)) return { value };
  const over = length === null ? -1 : lengths.findIndex((n) => n > length);
  if (over >= 0) throw new ShapeError(`${what}: sample ${over} has ${lengths[over]} steps, past the input's length ${length}`);
  const at = lengths.findIndex((n) => n !== longest);
  if (pad === undefined) {
    throw new ShapeError(`${what}: sequences of different lengths (sample ${lengths.indexOf(longest)}: ${longest} steps, sample ${at}: ${lengths[at]}) need a mask of their padding: ` +
      'an Embedding with maskZero or a Masking layer reading this input (or pad them yourself to one length)');
  }
  // One step's shape, from the first step of any sequence: the padding steps take it, filled with `pad`.
  const first = sequences.find((s) => s.length > 0)![0];
  const step = flattenArray([first], `${what} step 0`).shape.slice(1);
  const padStep = (): ArrayData => step.reduceRight<ArrayData>((inner, d) => Array.from({ length: d }, () => inner), pad);
  const padded = sequences.map((s) => [...s, ...Array.from({ length: (length ?? longest) - s.length }, padStep)]);
  // An input of a fixed length runs at that length; one of any length, each batch at its longest.
  return length === null ? { value: padded, lengths } : { value: padded };
}

/** A batch of samples as Keras takes it: nested arrays [N, ...], or flat data with its shape. */
export type ArrayData = number | ArrayData[] | {
  /** The values, row-major (batch first). */
  data: ArrayLike<number>;
  /** [N, ...]. */
  shape: readonly number[];
};

/** Nested arrays (or { data, shape }) to flat data and a shape, checked to be rectangular. */
export function flattenArray(value: ArrayData, what: string): { data: ArrayLike<number>; shape: number[] } {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'data' in value && 'shape' in value) {
    const shape = [...value.shape];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${what}: shape must be non-negative integers, got [${shape.join(', ')}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (value.data.length !== size) throw new ShapeError(`${what}: shape [${shape.join(', ')}] needs ${size} values, data has ${value.data.length}`);
    return { data: value.data, shape };
  }
  if (!Array.isArray(value)) throw new ShapeError(`${what}: expected nested arrays or { data, shape }, got ${typeof value}`);
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const data: number[] = [];
  const walk = (node: unknown, depth: number, at: number[]) => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw new ShapeError(`${what}: [${at.join(', ')}] should be a number, got ${Array.isArray(node) ? 'an array' : typeof node}`);
      data.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ShapeError(`${what}: [${at.join(', ')}] has ${Array.isArray(node) ? node.length : 'no'} entries, expected ${shape[depth]} (the arrays must be rectangular)`);
    }
    node.forEach((child, i) => walk(child, depth + 1, [...at, i]));
  };
  walk(value, 0, []);
  return { data, shape };
}

/**
 * Samples of a model input or target, checked against its per-sample shape (null: any length), as a
 * SequenceSet whose steps are the first per-sample axis when it is a time axis (`sequence`), else 1.
 * Token ids must be integers in [0, vocabSize) (or equal to `allowed`).
 */
export function sampleSet(
  value: ArrayData, what: string, perSample: readonly (number | null)[],
  options: { sequence: boolean; tokens?: { vocabSize?: number; allowed?: number }; pad?: number },
): SequenceSet {
  const ragged = options.sequence ? padRagged(value, what, options.pad, perSample[0]) : { value };
  const { data, shape } = flattenArray(ragged.value, what);
  const lengths = ragged.lengths ? { lengths: ragged.lengths } : {};
  let sample = shape.slice(1);
  // Keras takes [N] or [N, 1] for one value per sample.
  if (sample.length === perSample.length + 1 && sample[sample.length - 1] === 1) sample = sample.slice(0, -1);
  if (sample.length === perSample.length - 1 && perSample[perSample.length - 1] === 1) sample = [...sample, 1];
  const fits = sample.length === perSample.length && sample.every((d, i) => perSample[i] === null || perSample[i] === d);
  if (!fits || shape[0] < 1) {
    throw new ShapeError(`${what}: expected shape [samples, ${perSample.map((d) => (d === null ? 'any' : d)).join(', ')}], got [${shape.join(', ')}]`);
  }
  if (sample.some((d) => d < 1)) throw new ShapeError(`${what}: shape [${shape.join(', ')}] has an empty axis`);
  const count = shape[0];
  const steps = options.sequence ? sample[0] : 1;
  const features = sample.reduce((a, b) => a * b, 1) / steps;
  const tokens = options.tokens;
  if (tokens) {
    const out = new Int32Array(data.length);
    const vocab = tokens.vocabSize ?? Infinity;
    for (let i = 0; i < data.length; i++) {
      const id = data[i];
      if (!Number.isInteger(id) || ((id < 0 || id >= vocab) && id !== tokens.allowed)) {
        throw new ShapeError(`${what}: token id ${id} at ${indexOf(i, [count, ...sample])} is out of range [0, ${vocab})`);
      }
      out[i] = id;
    }
    return { data: out, count, steps, features, tokens: true, ...lengths };
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new ShapeError(`${what}: value at ${indexOf(i, [count, ...sample])} is ${v}; values must be finite`);
    out[i] = v;
  }
  return { data: out, count, steps, features, tokens: false, ...lengths };
}

function indexOf(flat: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(flat % shape[k]);
    flat = Math.floor(flat / shape[k]);
  }
  return `[${at.join(', ')}]`;
}
