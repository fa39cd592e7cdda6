// Keras' time-step masks on the GPU (shaders/masking.wgsl): Masking's mask and output, a mask applied
// to a sequence (and to its gradient), a loss's row weights from a mask, and the masked mean over time.
// A mask is f32 [T, B], time-major like the sequences: 1 at a real step, 0 at a masked one.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';
import { checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';

type MaskingDims = {
  rows: number; features: number; steps: number; flags: number; mask_value: number;
  x_offset: number; out_offset: number; mask_offset: number; base_offset: number; dout_offset: number;
};

const spec = (entry: string): KernelSpec => ({ files: ['masking.wgsl'], entry });
/** mask_from_values (shaders/masking.wgsl). */
export const maskFromValuesSpec = spec('mask_from_values');
/** mask_rows (shaders/masking.wgsl). */
export const maskRowsSpec = spec('mask_rows');
/** mask_rows_in_place (shaders/masking.wgsl). */
export const maskRowsInPlaceSpec = spec('mask_rows_in_place');
/** mask_row_weights (shaders/masking.wgsl). */
export const maskRowWeightsSpec = spec('mask_row_weights');
/** masked_mean_forward (shaders/masking.wgsl). */
export const maskedMeanForwardSpec = spec('masked_mean_forward');
/** masked_mean_backward (shaders/masking.wgsl). */
export const maskedMeanBackwardSpec = spec('masked_mean_backward');

const WORKGROUP = 64;
const FLAG_ACCUMULATE = 1;
const FLAG_BASE = 2;

/** Rows R (steps x batch, time-major) of `features` values each. */
export interface MaskedRowsShape {
  /** R: the rows a mask has one value for (T B for a sequence). */
  rows: number;
  /** F: values per row. */
  features: number;
}

/** Keras' Masking: mask[r] = 1 where some x[r, f] != maskValue, else 0; out = x mask (rows zeroed). */
export async function maskFromValuesStep(
  registry: KernelRegistry, label: string, shape: MaskedRowsShape, maskValue: number,
  buffers: { x: ElementRegion; out: ElementRegion; mask: ElementRegion },
): Promise<Step> {
  const { rows, features } = checkRows(label, shape);
  if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) throw new ShapeError(`${label}: maskValue must be a number, got ${describe(maskValue)}`);
  const x = checkRegion(label, 'x', buffers.x, rows * features);
  const out = checkRegion(label, 'out', buffers.out, rows * features);
  const mask = checkRegion(label, 'mask', buffers.mask, rows);
  keepApart(label, [['out', buffers.out], ['mask', buffers.mask]], [['x', buffers.x]]);
  return (await registry.kernel<MaskingDims>(maskFromValuesSpec)).step(label, { x: x.range, out: out.range, mask: mask.range },
    grid1d(rows, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: dims({ rows, features, mask_value: maskValue, x_offset: buffers.x.offset, out_offset: buffers.out.offset, mask_offset: buffers.mask.offset }),
      bytes: { x: x.bytes, out: out.bytes, mask: mask.bytes } });
}

/** out[r, f] (+)= x[r, f] mask[r]: added to what out holds with `accumulate`, written otherwise. */
export async function maskRowsStep(
  registry: KernelRegistry, label: string, shape: MaskedRowsShape,
  buffers: { x: ElementRegion; mask: ElementRegion; out: ElementRegion }, options: { accumulate: boolean },
): Promise<Step> {
  const { rows, features } = checkRows(label, shape);
  const flags = accumulateFlag(label, options);
  const x = checkRegion(label, 'x', buffers.x, rows * features);
  const out = checkRegion(label, 'out', buffers.out, rows * features);
  const mask = checkRegion(label, 'mask', buffers.mask, rows);
  keepApart(label, [['out', buffers.out]], [['x', buffers.x], ['mask', buffers.mask]]);
  return (await registry.kernel<MaskingDims>(maskRowsSpec)).step(label, { x: x.range, out: out.range, mask_in: mask.range },
    grid1d(rows * features, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: dims({ rows, features, flags, x_offset: buffers.x.offset, out_offset: buffers.out.offset, mask_offset: buffers.mask.offset }),
      bytes: { x: x.bytes, out: out.bytes, mask_in: mask.bytes } });
}

/** values[r, f] = values[r, f] mask[r], in place (a sequence's masked steps zeroed, or their gradient). */
export async function maskRowsInPlaceStep(
  registry: KernelRegistry, label: string, shape: MaskedRowsShape, buffers: { values: ElementRegion; mask: ElementRegion },
): Promise<Step> {
  const { rows, features } = checkRows(label, shape);
  const values = checkRegion(label, 'values', buffers.values, rows * features);
  const mask = checkRegion(label, 'mask', buffers.mask, rows);
  keepApart(label, [['values', buffers.values]], [['mask', buffers.mask]]);
  return (await registry.kernel<MaskingDims>(maskRowsInPlaceSpec)).step(label, { values: values.range, mask_in: mask.range },
    grid1d(rows * features, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: dims({ rows, features, out_offset: buffers.values.offset, mask_offset: buffers.mask.offset }), bytes: { values: values.bytes, mask_in: mask.bytes } });
}

/**
 * A loss's row weights from a mask: out[r] = mask[r] base[r] / sum(mask base) (base 1 when absent), all 0
 * when nothing is real: the weighted sum of row losses is then the mean over the real rows.
 */
export async function maskRowWeightsStep(
  registry: KernelRegistry, label: string, rows: number, buffers: { mask: ElementRegion; base?: ElementRegion; out: ElementRegion },
): Promise<Step> {
  checkRows(label, { rows, features: 1 });
  const mask = checkRegion(label, 'mask', buffers.mask, rows);
  const base = buffers.base ? checkRegion(label, 'base', buffers.base, rows) : undefined;
  const out = checkRegion(label, 'out', buffers.out, rows);
  keepApart(label, [['out', buffers.out]], [['mask', buffers.mask], ...(buffers.base ? [['base', buffers.base] as const] : [])]);
  return (await registry.kernel<MaskingDims>(maskRowWeightsSpec)).step(label,
    { mask_in: mask.range, base: base?.range ?? registry.context.placeholder('read'), out: out.range }, [1, 1, 1],
    { dims: dims({ rows, features: 1, flags: base ? FLAG_BASE : 0, mask_offset: buffers.mask.offset, base_offset: buffers.base?.offset ?? 0, out_offset: buffers.out.offset }),
      bytes: { mask_in: mask.bytes, base: base?.bytes ?? 4, out: out.bytes } });
}

/** The shape of a sequence x [T, B, F] (time-major) reduced over time. */
export interface MaskedMeanShape {
  /** T. */
  steps: number;
  /** B. */
  batch: number;
  /** F. */
  features: number;
}

/** The mean over the real steps: out[b, f] = sum_t x[t, b, f] mask[t, b] / n_b (0 for a sample with none). */
export async function maskedMeanForwardStep(
  registry: KernelRegistry, label: string, shape: MaskedMeanShape, buffers: { x: ElementRegion; mask: ElementRegion; out: ElementRegion },
): Promise<Step> {
  const { steps, batch, features } = checkMean(label, shape);
  const x = checkRegion(label, 'x', buffers.x, steps * batch * features);
  const mask = checkRegion(label, 'mask', buffers.mask, steps * batch);
  const out = checkRegion(label, 'out', buffers.out, batch * features);
  keepApart(label, [['out', buffers.out]], [['x', buffers.x], ['mask', buffers.mask]]);
  return (await registry.kernel<MaskingDims>(maskedMeanForwardSpec)).step(label, { x: x.range, mask_in: mask.range, out: out.range },
    grid1d(batch * features, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: dims({ rows: batch, features, steps, x_offset: buffers.x.offset, mask_offset: buffers.mask.offset, out_offset: buffers.out.offset }),
      bytes: { x: x.bytes, mask_in: mask.bytes, out: out.bytes } });
}

/** The masked mean's gradient: dx[t, b, f] (+)= dout[b, f] mask[t, b] / n_b. */
export async function maskedMeanBackwardStep(
  registry: KernelRegistry, label: string, shape: MaskedMeanShape,
  buffers: { dout: ElementRegion; mask: ElementRegion; dx: ElementRegion }, options: { accumulate: boolean },
): Promise<Step> {
  const { steps, batch, features } = checkMean(label, shape);
  const flags = accumulateFlag(label, options);
  const dout = checkRegion(label, 'dout', buffers.dout, batch * features);
  const mask = checkRegion(label, 'mask', buffers.mask, steps * batch);
  const dx = checkRegion(label, 'dx', buffers.dx, steps * batch * features);
  keepApart(label, [['dx', buffers.dx]], [['dout', buffers.dout], ['mask', buffers.mask]]);
  return (await registry.kernel<MaskingDims>(maskedMeanBackwardSpec)).step(label, { dout: dout.range, mask_in: mask.range, out: dx.range },
    grid1d(steps * batch * features, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: dims({ rows: batch, features, steps, flags, dout_offset: buffers.dout.offset, mask_offset: buffers.mask.offset, out_offset: buffers.dx.offset }),
      bytes: { dout: dout.bytes, mask_in: mask.bytes, out: dx.bytes } });
}

function checkRows(label: string, shape: MaskedRowsShape): MaskedRowsShape {
  if (!shape || typeof shape !== 'object') throw new ShapeError(`${label}: shape must be { rows, features }, got ${describe(shape)}`);
  for (const name of ['rows', 'features'] as const) {
    if (!Number.isInteger(shape[name]) || shape[name] < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${describe(shape[name])}`);
  }
  return shape;
}

function checkMean(label: string, shape: MaskedMeanShape): MaskedMeanShape {
  if (!shape || typeof shape !== 'object') throw new ShapeError(`${label}: shape must be { steps, batch, features }, got ${describe(shape)}`);
  for (const name of ['steps', 'batch', 'features'] as const) {
    if (!Number.isInteger(shape[name]) || shape[name] < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${describe(shape[name])}`);
  }
  return shape;
}

function accumulateFlag(label: string, options: { accumulate: boolean }): number {
  if (!options || typeof options.accumulate !== 'boolean') throw new ShapeError(`${label}: options must be { accumulate: boolean }, got ${describe(options)}`);
  return options.accumulate ? FLAG_ACCUMULATE : 0;
}

function dims(rest: Partial<MaskingDims>): MaskingDims {
  return { rows: 0, features: 0, steps: 0, flags: 0, mask_value: 0, x_offset: 0, out_offset: 0, mask_offset: 0, base_offset: 0, dout_offset: 0, ...rest };
}
