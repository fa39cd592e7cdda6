// Training losses and metrics (shaders/loss.wgsl): each writes the gradient of the batch's loss and
// per-element or per-row partial losses; sum_partials then adds scale x their sum to a slot of an
// accumulator on the GPU, which the host reads once per epoch instead of once per step.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

/** Losses computed element by element (mean over each row's values). */
export const POINTWISE_LOSSES = {
  /** Mean squared error. */
  mse: 0,
  /** Mean absolute error. */
  mae: 1,
  /** Binary cross-entropy of logits (sigmoid fused in). */
  binary_crossentropy_logits: 2,
  /** Binary cross-entropy of probabilities. */
  binary_crossentropy: 3,
} as const;
/** Losses over each row's classes. */
export const ROW_LOSSES = {
  /** Cross-entropy of class ids against logits (softmax fused in). */
  sparse_categorical_crossentropy_logits: 0,
  /** Cross-entropy of class ids against probabilities. */
  sparse_categorical_crossentropy: 1,
  /** Cross-entropy of one-hot (or soft) targets against logits (softmax fused in). */
  categorical_crossentropy_logits: 2,
  /** Cross-entropy of one-hot (or soft) targets against probabilities. */
  categorical_crossentropy: 3,
} as const;
/** Accuracy metrics (Keras' binary, categorical and sparse categorical accuracy). */
export const ACCURACIES = {
  /** Prediction above the threshold equals a target above 0.5. */
  binary: 0,
  /** Argmax of the prediction equals argmax of the one-hot target. */
  categorical: 1,
  /** Argmax of the prediction equals the class id. */
  sparse: 2,
} as const;

/** A pointwise loss by name. */
export type PointwiseLoss = keyof typeof POINTWISE_LOSSES;
/** A loss over each row's classes, by name. */
export type RowLoss = keyof typeof ROW_LOSSES;
/** An accuracy metric by name. */
export type AccuracyKind = keyof typeof ACCURACIES;

type LossDims = { rows: number; cols: number; kind: number; flags: number; count: number; slot: number; scale: number; threshold: number };

const FILES = ['loss.wgsl'];
/** The pointwise loss entry point (shaders/loss.wgsl). */
export const pointwiseLossSpec: KernelSpec = { files: FILES, entry: 'pointwise_loss' };
/** The row loss entry point (shaders/loss.wgsl). */
export const rowLossSpec: KernelSpec = { files: FILES, entry: 'row_loss' };
/** The accuracy entry point (shaders/loss.wgsl). */
export const accuracySpec: KernelSpec = { files: FILES, entry: 'accuracy' };
/** The entry point that adds scale x the sum of partial losses to an accumulator slot. */
export const sumPartialsSpec: KernelSpec = { files: FILES, entry: 'sum_partials' };

const ELEMENT_WORKGROUP = 64;
const FLAG_NO_GRAD = 1;
const FLAG_FINITE_ONLY = 2;

/** The buffers of a loss or accuracy dispatch. */
export interface LossBuffers {
  /** f32 [rows, cols]: predictions, or logits for the *_logits kinds. */
  pred: BufferRange;
  /** f32 [rows, cols] targets (dense kinds) or i32 [rows] class ids (sparse kinds). */
  target: BufferRange;
  /** f32 [rows]: mask / sum(mask), see rowWeightsFromMask. */
  rowWeight: BufferRange;
  /** f32 [rows, cols], written: d(loss)/d(pred); absent for a metric (no gradient). */
  grad?: BufferRange;
  /** f32 scratch: [rows * cols] (pointwise) or [rows]. */
  partial: BufferRange;
}

function dims(rows: number, cols: number, kind: number, withGrad: boolean, label: string): LossDims {
  for (const [name, value] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  return { rows, cols, kind, flags: withGrad ? 0 : FLAG_NO_GRAD, count: 0, slot: 0, scale: 0, threshold: 0 };
}

/** A pointwise loss over [rows, cols]: gradient (when `buffers.grad`) and per-element partial losses. */
export async function pointwiseLossStep(
  registry: KernelRegistry, label: string, loss: PointwiseLoss, rows: number, cols: number, buffers: LossBuffers,
): Promise<Step> {
  const d = dims(rows, cols, POINTWISE_LOSSES[loss], buffers.grad !== undefined, label);
  const n = rows * cols * 4;
  const ctx = registry.context;
  return (await registry.kernel<LossDims>(pointwiseLossSpec)).step(label, {
    pred: buffers.pred, target_values: buffers.target, row_weight: buffers.rowWeight,
    grad: buffers.grad ?? ctx.placeholder('write'), partial: buffers.partial,
  }, grid1d(rows * cols, ELEMENT_WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension), {
    dims: d, bytes: { pred: n, target_values: n, row_weight: rows * 4, grad: buffers.grad ? n : 4, partial: n },
  });
}

/** A loss over each row's classes (cross-entropies): gradient (when `buffers.grad`) and per-row partial losses. */
export async function rowLossStep(
  registry: KernelRegistry, label: string, loss: RowLoss, rows: number, cols: number, buffers: LossBuffers,
): Promise<Step> {
  const d = dims(rows, cols, ROW_LOSSES[loss], buffers.grad !== undefined, label);
  const sparse = loss.startsWith('sparse');
  const n = rows * cols * 4;
  const ctx = registry.context;
  return (await registry.kernel<LossDims>(rowLossSpec)).step(label, {
    pred: buffers.pred,
    target_values: sparse ? ctx.placeholder('read') : buffers.target,
    target_ids: sparse ? buffers.target : ctx.placeholder('read'),
    row_weight: buffers.rowWeight, grad: buffers.grad ?? ctx.placeholder('write'), partial: buffers.partial,
  }, grid1d(rows, 1, registry.limits.maxComputeWorkgroupsPerDimension), {
    dims: d, bytes: { pred: n, target_values: sparse ? 4 : n, target_ids: sparse ? rows * 4 : 4, row_weight: rows * 4, grad: buffers.grad ? n : 4, partial: rows * 4 },
  });
}

/**
 * Accuracy partials per row (weighted by rowWeight): binary (pred > threshold, 0.5 on probabilities or
 * 0 on logits), categorical (argmax of pred and of a one-hot target) or sparse (argmax against an id).
 */
export async function accuracyStep(
  registry: KernelRegistry, label: string, kind: AccuracyKind, rows: number, cols: number,
  buffers: Omit<LossBuffers, 'grad'>, threshold = 0.5,
): Promise<Step> {
  const d = { ...dims(rows, cols, ACCURACIES[kind], false, label), threshold };
  const sparse = kind === 'sparse';
  const n = rows * cols * 4;
  const ctx = registry.context;
  return (await registry.kernel<LossDims>(accuracySpec)).step(label, {
    pred: buffers.pred,
    target_values: sparse ? ctx.placeholder('read') : buffers.target,
    target_ids: sparse ? buffers.target : ctx.placeholder('read'),
    row_weight: buffers.rowWeight, partial: buffers.partial,
  }, grid1d(rows, ELEMENT_WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension), {
    dims: d, bytes: { pred: n, target_values: sparse ? 4 : n, target_ids: sparse ? rows * 4 : 4, row_weight: rows * 4, partial: rows * 4 },
  });
}

/**
 * accumulator[slot] += scale * sum(partial[0 .. count)). One workgroup, deterministic. With `finiteOnly`
 * a sum that is not finite goes uncounted, and its scale is added to accumulator[slot + 1] instead.
 */
export async function sumPartialsStep(
  registry: KernelRegistry, label: string, count: number, scale: number, slot: number,
  buffers: { partial: BufferRange; accumulator: BufferRange },
  options: { finiteOnly?: boolean } = {},
): Promise<Step> {
  if (!Number.isInteger(count) || count < 1) throw new ShapeError(`${label}: count must be a positive integer, got ${count}`);
  if (!Number.isFinite(scale)) throw new ShapeError(`${label}: scale must be a finite number, got ${scale}`);
  const d: LossDims = { rows: 0, cols: 0, kind: 0, flags: options.finiteOnly ? FLAG_FINITE_ONLY : 0, count, slot, scale, threshold: 0 };
  return (await registry.kernel<LossDims>(sumPartialsSpec)).step(label, buffers, [1], {
    dims: d, bytes: { partial: count * 4, accumulator: (slot + (options.finiteOnly ? 2 : 1)) * 4 },
  });
}

/**
 * Per-row weights: mask[r] / sum(mask), so the weighted sum of row losses is the mean over unmasked rows.
 * An all-zero mask gives all-zero weights (zero loss and gradient), as Keras does.
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
