// Training losses (shaders/loss.wgsl): mean squared error and sparse softmax cross-entropy. Each writes
// the gradient of the batch's mean loss, then adds lossScale x (sum of partial losses) to a one-float
// accumulator on the GPU, which the host reads once per epoch instead of once per step.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

type MseConstants = { COUNT: number };
type CrossEntropyConstants = { ROWS: number; VOCAB: number };
type SumConstants = { COUNT: number; LOSS_SCALE: number };

export const mseLossSpec: KernelSpec<MseConstants> = {
  shader: 'loss.wgsl',
  entry: 'mse',
  bindingBytes: (c) => ({ pred: c.COUNT * 4, target_values: c.COUNT * 4, grad: c.COUNT * 4, partial: c.COUNT * 4 }),
};
export const softmaxCrossEntropySpec: KernelSpec<CrossEntropyConstants> = {
  shader: 'loss.wgsl',
  entry: 'softmax_cross_entropy',
  bindingBytes: (c) => ({
    logits: c.ROWS * c.VOCAB * 4, targets: c.ROWS * 4, row_weight: c.ROWS * 4, grad: c.ROWS * c.VOCAB * 4, partial: c.ROWS * 4,
  }),
};
export const sumPartialsSpec: KernelSpec<SumConstants> = {
  shader: 'loss.wgsl', entry: 'sum_partials', bindingBytes: (c) => ({ partial: c.COUNT * 4, accumulator: 4 }),
};

const ELEMENT_WORKGROUP = 64;

export interface MseLossConfig {
  /** Elements of the predictions (batch x steps x features). */
  count: number;
  /** Factor on sum((pred - target)^2) added to the accumulator; batch / count makes it batch x mean loss. */
  lossScale: number;
}

export interface MseLossBuffers {
  /** f32 [count] */
  pred: BufferRange;
  /** f32 [count] */
  target: BufferRange;
  /** f32 [count], written: d(mean loss)/d(pred) */
  grad: BufferRange;
  /** f32 [count] scratch: squared errors */
  partial: BufferRange;
  /** f32 [>= 1]: element 0 is incremented */
  accumulator: BufferRange;
}

/** MSE gradient and loss accumulation: two dispatches (elementwise, then a one-workgroup sum). */
export async function mseLossSteps(registry: KernelRegistry, label: string, config: MseLossConfig, buffers: MseLossBuffers): Promise<Step[]> {
  const { count, lossScale } = config;
  positiveInteger(count, `${label}: count`);
  finite(lossScale, `${label}: lossScale`);
  const mse = await registry.kernel(mseLossSpec, { COUNT: count });
  const sum = await registry.kernel(sumPartialsSpec, { COUNT: count, LOSS_SCALE: lossScale });
  return [
    mse.step(`${label}.gradient`, { pred: buffers.pred, target_values: buffers.target, grad: buffers.grad, partial: buffers.partial },
      grid1d(count, ELEMENT_WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension)),
    sum.step(`${label}.sum`, { partial: buffers.partial, accumulator: buffers.accumulator }, [1]),
  ];
}

export interface SoftmaxCrossEntropyConfig {
  /** Rows of logits (batch x steps). */
  rows: number;
  /** Classes per row. */
  vocab: number;
  /** Factor on sum_r row_weight[r] * nll[r] added to the accumulator; the batch size makes it batch x mean loss. */
  lossScale: number;
}

export interface SoftmaxCrossEntropyBuffers {
  /** f32 [rows, vocab] (pre-softmax) */
  logits: BufferRange;
  /** i32 [rows]: class ids; rows of weight 0 may hold anything */
  targets: BufferRange;
  /** f32 [rows]: mask / sum(mask), see rowWeightsFromMask */
  rowWeight: BufferRange;
  /** f32 [rows, vocab], written: d(loss)/d(logits) */
  grad: BufferRange;
  /** f32 [rows] scratch: weighted per-row losses */
  partial: BufferRange;
  /** f32 [>= 1]: element 0 is incremented */
  accumulator: BufferRange;
}

/**
 * Sparse softmax cross-entropy on logits (the softmax is fused in: the gradient is w(softmax - onehot)),
 * and loss accumulation: two dispatches.
 */
export async function softmaxCrossEntropySteps(
  registry: KernelRegistry, label: string, config: SoftmaxCrossEntropyConfig, buffers: SoftmaxCrossEntropyBuffers,
): Promise<Step[]> {
  const { rows, vocab, lossScale } = config;
  positiveInteger(rows, `${label}: rows`);
  positiveInteger(vocab, `${label}: vocab`);
  finite(lossScale, `${label}: lossScale`);
  const crossEntropy = await registry.kernel(softmaxCrossEntropySpec, { ROWS: rows, VOCAB: vocab });
  const sum = await registry.kernel(sumPartialsSpec, { COUNT: rows, LOSS_SCALE: lossScale });
  const { logits, targets, rowWeight, grad, partial, accumulator } = buffers;
  return [
    // One workgroup per row.
    crossEntropy.step(`${label}.gradient`, { logits, targets, row_weight: rowWeight, grad, partial },
      grid1d(rows, 1, registry.limits.maxComputeWorkgroupsPerDimension)),
    sum.step(`${label}.sum`, { partial, accumulator }, [1]),
  ];
}

/**
 * Per-row weights of the cross-entropy: mask[r] / sum(mask), so the weighted sum of row losses is the
 * mean over unmasked rows. An all-zero mask gives all-zero weights (zero loss and gradient), as Keras does.
 */
export function rowWeightsFromMask(mask: ArrayLike<number>): Float32Array {
  let total = 0;
  for (let r = 0; r < mask.length; r++) {
    const m = mask[r];
    if (!(m >= 0) || !Number.isFinite(m)) throw new ShapeError(`rowWeightsFromMask: mask[${r}] is ${m}; mask values must be finite and >= 0`);
    total += m;
  }
  const weights = new Float32Array(mask.length);
  if (total === 0) return weights;
  for (let r = 0; r < mask.length; r++) weights[r] = mask[r] / total;
  return weights;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${what} must be a positive integer, got ${value}`);
}

function finite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new ShapeError(`${what} must be a finite number, got ${value}`);
}
