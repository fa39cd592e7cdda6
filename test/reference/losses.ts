// Losses with their gradients w.r.t. the predictions.

import { expectLength } from './shapes.js';

export interface LossResult {
  loss: number;
  /** Same shape as the predictions / logits. */
  grad: Float64Array;
}

/** Mean squared error averaged over every element (Keras 'mse' averaged over batch, time, features). */
export function meanSquaredError(pred: Float64Array, target: Float64Array): LossResult {
  expectLength(target, pred.length, 'mse target');
  const n = pred.length;
  const grad = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    sum += d * d;
    grad[i] = (2 * d) / n;
  }
  return { loss: n > 0 ? sum / n : 0, grad };
}

/**
 * Sparse softmax cross-entropy. logits [N, V], targets [N] in [0, V), mask [N] of 0/1 (absent: all 1).
 * loss = sum over unmasked rows of -log softmax(logits)[target] / (number of unmasked rows).
 * log-softmax uses the row max shift, so huge logits stay finite. Masked rows are skipped entirely
 * (their target may be any padding value). With no unmasked rows the loss and gradient are 0
 * (instead of 0/0).
 */
export function sparseSoftmaxCrossEntropy(
  logits: Float64Array,
  targets: Int32Array,
  N: number,
  V: number,
  mask?: Float64Array,
): LossResult {
  expectLength(logits, N * V, 'sparseCE logits');
  expectLength(targets, N, 'sparseCE targets');
  if (mask) expectLength(mask, N, 'sparseCE mask');
  let count = 0;
  for (let n = 0; n < N; n++) count += mask ? mask[n] : 1;

  const grad = new Float64Array(N * V);
  if (count === 0) return { loss: 0, grad };
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask ? mask[n] : 1;
    if (m === 0) continue;
    const y = targets[n];
    if (y < 0 || y >= V) throw new RangeError(`sparseCE: target ${y} at row ${n} is outside [0, ${V})`);
    const o = n * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[o + j]);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[o + j] - max);
    const logSum = Math.log(sum);
    total += m * (logSum - (logits[o + y] - max)); // -log softmax[y]
    // d/dlogits = (softmax - onehot) * m / count
    for (let j = 0; j < V; j++) grad[o + j] = (m * Math.exp(logits[o + j] - max - logSum)) / count;
    grad[o + y] -= m / count;
  }
  return { loss: total / count, grad };
}

// ---- Every training loss webrnn has, by kind, with Keras' definitions ------------------------------
// Rows r of `cols` values; the loss is sum_r w_r l_r with w = mask / sum(mask) (all 1 when absent), so
// a batch mean that skips masked rows (Keras' sum_over_batch_size with a mask). eps = 1e-7 as Keras.

const EPS = 1e-7;

export type LossKind =
  | 'mse' | 'mae' | 'binary_crossentropy' | 'binary_crossentropy_logits'
  | 'categorical_crossentropy' | 'categorical_crossentropy_logits'
  | 'sparse_categorical_crossentropy' | 'sparse_categorical_crossentropy_logits';

const clip = (v: number) => Math.min(1 - EPS, Math.max(EPS, v));

/** The per-row loss of one row (pred p, target y: values, or [id] for the sparse kinds). */
export function rowLoss(kind: LossKind, p: Float64Array, y: Float64Array): number {
  const cols = p.length;
  let sum = 0;
  switch (kind) {
    case 'mse':
      for (let k = 0; k < cols; k++) sum += (p[k] - y[k]) ** 2;
      return sum / cols;
    case 'mae':
      for (let k = 0; k < cols; k++) sum += Math.abs(p[k] - y[k]);
      return sum / cols;
    case 'binary_crossentropy_logits':
      for (let k = 0; k < cols; k++) sum += Math.max(p[k], 0) - p[k] * y[k] + Math.log1p(Math.exp(-Math.abs(p[k])));
      return sum / cols;
    case 'binary_crossentropy':
      for (let k = 0; k < cols; k++) sum -= y[k] * Math.log(clip(p[k])) + (1 - y[k]) * Math.log(1 - clip(p[k]));
      return sum / cols;
    default: {
      const sparse = kind.startsWith('sparse');
      const target = (k: number) => (sparse ? (k === y[0] ? 1 : 0) : y[k]);
      if (kind.endsWith('_logits')) {
        let max = -Infinity;
        for (let k = 0; k < cols; k++) max = Math.max(max, p[k]);
        let s = 0;
        for (let k = 0; k < cols; k++) s += Math.exp(p[k] - max);
        const lse = max + Math.log(s);
        for (let k = 0; k < cols; k++) sum += target(k) * (lse - p[k]);
        return sum;
      }
      let total = 0;
      for (let k = 0; k < cols; k++) total += p[k];
      for (let k = 0; k < cols; k++) sum -= target(k) * Math.log(clip(p[k] / total));
      return sum;
    }
  }
}

export interface KerasLossResult extends LossResult {
  /** Per-row weights used. */
  weights: Float64Array;
}

/**
 * The weighted batch loss and its gradient w.r.t. pred (central differences of the exact float64 row
 * loss are what the tests compare rowLoss against; here the gradient is analytic).
 */
export function kerasLoss(kind: LossKind, pred: Float64Array, target: Float64Array, rows: number, cols: number, mask?: Float64Array): KerasLossResult {
  const sparse = kind.startsWith('sparse');
  expectLength(pred, rows * cols, `${kind} pred`);
  expectLength(target, sparse ? rows : rows * cols, `${kind} target`);
  const weights = new Float64Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) total += mask ? mask[r] : 1;
  for (let r = 0; r < rows; r++) weights[r] = total > 0 ? (mask ? mask[r] : 1) / total : 0;
  const grad = new Float64Array(rows * cols);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const w = weights[r];
    if (w === 0) continue;
    const p = pred.subarray(r * cols, (r + 1) * cols);
    const y = sparse ? target.subarray(r, r + 1) : target.subarray(r * cols, (r + 1) * cols);
    loss += w * rowLoss(kind, p, y);
    const g = rowLossGradient(kind, p, y);
    for (let k = 0; k < cols; k++) grad[r * cols + k] = w * g[k];
  }
  return { loss, grad, weights };
}

/** d l_r / d p, analytic (zero through a clipped probability, as TensorFlow's clip). */
export function rowLossGradient(kind: LossKind, p: Float64Array, y: Float64Array): Float64Array {
  const cols = p.length;
  const g = new Float64Array(cols);
  const sigmoidOf = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const inside = (q: number) => q > EPS && q < 1 - EPS;
  switch (kind) {
    case 'mse':
      for (let k = 0; k < cols; k++) g[k] = (2 * (p[k] - y[k])) / cols;
      return g;
    case 'mae':
      for (let k = 0; k < cols; k++) g[k] = Math.sign(p[k] - y[k]) / cols;
      return g;
    case 'binary_crossentropy_logits':
      for (let k = 0; k < cols; k++) g[k] = (sigmoidOf(p[k]) - y[k]) / cols;
      return g;
    case 'binary_crossentropy':
      for (let k = 0; k < cols; k++) g[k] = inside(p[k]) ? (p[k] - y[k]) / (p[k] * (1 - p[k])) / cols : 0;
      return g;
    default: {
      const sparse = kind.startsWith('sparse');
      const target = (k: number) => (sparse ? (k === y[0] ? 1 : 0) : y[k]);
      if (kind.endsWith('_logits')) {
        let max = -Infinity;
        for (let k = 0; k < cols; k++) max = Math.max(max, p[k]);
        let s = 0;
        for (let k = 0; k < cols; k++) s += Math.exp(p[k] - max);
        let sumY = 0;
        for (let k = 0; k < cols; k++) sumY += target(k);
        for (let k = 0; k < cols; k++) g[k] = (Math.exp(p[k] - max) / s) * sumY - target(k);
        return g;
      }
      let total = 0;
      for (let k = 0; k < cols; k++) total += p[k];
      let sumY = 0;
      for (let k = 0; k < cols; k++) if (inside(p[k] / total)) sumY += target(k);
      for (let k = 0; k < cols; k++) g[k] = sumY / total - (inside(p[k] / total) ? target(k) / p[k] : 0);
      return g;
    }
  }
}

/** Per-row accuracy: binary (pred > threshold vs target > 0.5, mean over cols), categorical, sparse. */
export function rowAccuracy(kind: 'binary' | 'categorical' | 'sparse', p: Float64Array, y: Float64Array, threshold = 0.5): number {
  const argmax = (v: ArrayLike<number>) => {
    let best = 0;
    for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
    return best;
  };
  if (kind === 'binary') {
    let hits = 0;
    for (let k = 0; k < p.length; k++) hits += (p[k] > threshold) === (y[k] > 0.5) ? 1 : 0;
    return hits / p.length;
  }
  return argmax(p) === (kind === 'sparse' ? y[0] : argmax(y)) ? 1 : 0;
}
