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
