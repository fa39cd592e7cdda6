// Datasets at the model boundary: sequences of feature vectors ([N, T, F], e.g. sin windows) or of token
// ids ([N, T]), given as nested arrays (Keras style) or as flat typed data with a shape. Normalized once
// to flat batch-major storage, then sliced into time-major batches for upload.

import { ShapeError } from '../gpu/errors.js';

export type FeatureSequences = number[][][] | { data: ArrayLike<number>; shape: [number, number, number] };
export type TokenSequences = number[][] | { data: ArrayLike<number>; shape: [number, number] };
export type Sequences = FeatureSequences | TokenSequences;

/** Flat batch-major sequences: data[(n * steps + t) * features + f]. */
export interface SequenceSet {
  readonly data: Float32Array | Int32Array;
  readonly count: number;
  readonly steps: number;
  readonly features: number;
  readonly tokens: boolean;
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

/** Rows `indices` of a set, time-major: out[(t * batch + b) * F + f] = set[indices[b], t, f]. */
export function timeMajorBatch(set: SequenceSet, indices: ArrayLike<number>): Float32Array | Int32Array {
  const { steps, features } = set;
  const batch = indices.length;
  const out = set.tokens ? new Int32Array(batch * steps * features) : new Float32Array(batch * steps * features);
  for (let b = 0; b < batch; b++) {
    const from = indices[b] * steps * features;
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
  return { ...set, data: set.data.slice(from * size, to * size), count: to - from };
}
