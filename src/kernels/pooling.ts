// Reductions of a sequence over time and its flattening (shaders/pooling.wgsl), forward and backward:
// Keras' GlobalAveragePooling1D / GlobalMaxPooling1D over the time axis of x [T, B, F] (time-major) to
// [B, F], and Flatten of a sequence [T, F] to batch-major [B, T F].

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import type { Tensor } from '../gpu/tensor.js';
import { grid1d } from './grid.js';
import { checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';

/** How a global pooling reduces over time: Keras' GlobalAveragePooling1D ('avg') or GlobalMaxPooling1D ('max'). */
export type PoolMode = 'avg' | 'max';

/** The pooling modes by name, with the mode code the shader takes. */
export const POOL_MODE_CODES: Readonly<Record<PoolMode, number>> = { avg: 0, max: 1 };

/** A region of a buffer from an element offset (4-byte elements: a dim, so any offset works). */
export type PoolingRegion = ElementRegion;

/** Shape of the sequence x [T, B, F] (time-major: row t B + b) that is pooled or flattened. */
export interface PoolingShape {
  /** T: the sequence's steps. */
  steps: number;
  /** B. */
  batch: number;
  /** F: features per step. */
  features: number;
}

/** Whether a backward adds to what dx holds. */
export interface PoolingBackwardOptions {
  /** Add to dx (gradient that arrived there already) rather than overwrite it. */
  accumulate: boolean;
}

type PoolingDims = {
  steps: number; batch: number; features: number; mode: number; flags: number;
  x_offset: number; out_offset: number; dx_offset: number; arg_offset: number;
};

/** pool_forward (shaders/pooling.wgsl). */
export const poolForwardSpec: KernelSpec = { files: ['pooling.wgsl'], entry: 'pool_forward' };
/** pool_backward (shaders/pooling.wgsl). */
export const poolBackwardSpec: KernelSpec = { files: ['pooling.wgsl'], entry: 'pool_backward' };
/** flatten_sequence (shaders/pooling.wgsl). */
export const flattenSequenceSpec: KernelSpec = { files: ['pooling.wgsl'], entry: 'flatten_sequence' };
/** flatten_sequence_backward (shaders/pooling.wgsl). */
export const flattenSequenceBackwardSpec: KernelSpec = { files: ['pooling.wgsl'], entry: 'flatten_sequence_backward' };

const WORKGROUP = 64;
const FLAG_ACCUMULATE = 1;

/** Bytes of the max pooling's arg buffer [B, F] (u32: the step t of each maximum) for `batch` rows of `features`. */
export function globalPoolArgBytes(batch: number, features: number): number {
  for (const [name, value] of [['batch', batch], ['features', features]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`globalPoolArgBytes: ${name} must be a positive integer, got ${value}`);
  }
  return batch * features * 4;
}

/**
 * The global pooling over time: out [B, F] from x [T, B, F], out[b, f] = the mean (mode 'avg') or the
 * maximum (mode 'max') of x[t, b, f] over t. Mode 'max' also writes `arg` [B, F] (u32, at least
 * {@link globalPoolArgBytes} from its offset): the first t reaching each maximum, which the backward
 * reads; mode 'avg' takes no arg.
 */
export async function globalPoolForwardStep(
  registry: KernelRegistry,
  label: string,
  mode: PoolMode,
  dims: PoolingShape,
  buffers: { x: PoolingRegion; out: PoolingRegion; arg?: PoolingRegion },
): Promise<Step> {
  const shape = checkShape(label, dims);
  checkMode(label, mode);
  const arg = checkArg(label, mode, buffers.arg, shape);
  const x = checkRegion(label, 'x', buffers.x, shape.block);
  const out = checkRegion(label, 'out', buffers.out, shape.row);
  keepApart(label, [['out', buffers.out], ...(buffers.arg ? [['arg', buffers.arg] as const] : [])], [['x', buffers.x]]);
  const values = dimsOf(shape, {
    mode: POOL_MODE_CODES[mode], x_offset: buffers.x.offset, out_offset: buffers.out.offset, arg_offset: buffers.arg?.offset ?? 0,
  });
  return (await registry.kernel<PoolingDims>(poolForwardSpec)).step(label,
    { x: x.range, out: out.range, arg: arg?.range ?? registry.context.placeholder('write') },
    grid1d(shape.row, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { x: x.bytes, out: out.bytes, arg: arg?.bytes ?? 4 } });
}

/**
 * The gradient of the global pooling: dx [T, B, F] (+)= dout[b, f] / T (mode 'avg'), or dout[b, f] at
 * the step `arg` [B, F] holds (what {@link globalPoolForwardStep} wrote) and 0 elsewhere (mode 'max');
 * added to what dx holds with `accumulate`, written otherwise.
 */
export async function globalPoolBackwardStep(
  registry: KernelRegistry,
  label: string,
  mode: PoolMode,
  dims: PoolingShape,
  buffers: { dout: PoolingRegion; dx: PoolingRegion; arg?: PoolingRegion },
  options: PoolingBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  checkMode(label, mode);
  const flags = accumulateFlag(label, options);
  const arg = checkArg(label, mode, buffers.arg, shape);
  const dout = checkRegion(label, 'dout', buffers.dout, shape.row);
  const dx = checkRegion(label, 'dx', buffers.dx, shape.block);
  keepApart(label, [['dx', buffers.dx]], [['dout', buffers.dout], ...(buffers.arg ? [['arg', buffers.arg] as const] : [])]);
  const values = dimsOf(shape, {
    mode: POOL_MODE_CODES[mode], flags, out_offset: buffers.dout.offset, dx_offset: buffers.dx.offset, arg_offset: buffers.arg?.offset ?? 0,
  });
  return (await registry.kernel<PoolingDims>(poolBackwardSpec)).step(label,
    { dout: dout.range, dx: dx.range, arg_in: arg?.range ?? registry.context.placeholder('read') },
    grid1d(shape.block, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dout: dout.bytes, dx: dx.bytes, arg_in: arg?.bytes ?? 4 } });
}

/** Keras' Flatten of a sequence: out [B, T F] (batch-major) from x [T, B, F], out[b, t F + f] = x[t, b, f]. */
export async function flattenSequenceStep(
  registry: KernelRegistry,
  label: string,
  dims: PoolingShape,
  buffers: { x: PoolingRegion; out: PoolingRegion },
): Promise<Step> {
  const shape = checkShape(label, dims);
  const x = checkRegion(label, 'x', buffers.x, shape.block);
  const out = checkRegion(label, 'out', buffers.out, shape.block);
  keepApart(label, [['out', buffers.out]], [['x', buffers.x]]);
  const values = dimsOf(shape, { x_offset: buffers.x.offset, out_offset: buffers.out.offset });
  return (await registry.kernel<PoolingDims>(flattenSequenceSpec)).step(label, { x: x.range, out: out.range },
    grid1d(shape.block, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { x: x.bytes, out: out.bytes } });
}

/**
 * The gradient of the flatten: dx[t, b, f] (+)= dout[b, t F + f] (dout [B, T F], dx [T, B, F]); added to
 * what dx holds with `accumulate`, written otherwise.
 */
export async function flattenSequenceBackwardStep(
  registry: KernelRegistry,
  label: string,
  dims: PoolingShape,
  buffers: { dout: PoolingRegion; dx: PoolingRegion },
  options: PoolingBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  const flags = accumulateFlag(label, options);
  const dout = checkRegion(label, 'dout', buffers.dout, shape.block);
  const dx = checkRegion(label, 'dx', buffers.dx, shape.block);
  keepApart(label, [['dx', buffers.dx]], [['dout', buffers.dout]]);
  const values = dimsOf(shape, { flags, out_offset: buffers.dout.offset, dx_offset: buffers.dx.offset });
  return (await registry.kernel<PoolingDims>(flattenSequenceBackwardSpec)).step(label, { dout: dout.range, dx: dx.range },
    grid1d(shape.block, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dout: dout.bytes, dx: dx.bytes } });
}

interface CheckedShape {
  steps: number;
  batch: number;
  features: number;
  /** B F: one time step (the pooled output). */
  row: number;
  /** T B F: the whole sequence. */
  block: number;
}

function checkShape(label: string, dims: PoolingShape): CheckedShape {
  if (!dims || typeof dims !== 'object') throw new ShapeError(`${label}: dims must be { steps, batch, features }, got ${describe(dims)}`);
  for (const name of ['steps', 'batch', 'features'] as const) {
    const value = dims[name];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  const { steps, batch, features } = dims;
  return { steps, batch, features, row: batch * features, block: steps * batch * features };
}

function checkMode(label: string, mode: PoolMode): void {
  if (typeof mode !== 'string' || !Object.hasOwn(POOL_MODE_CODES, mode)) {
    throw new ShapeError(`${label}: mode must be one of ${Object.keys(POOL_MODE_CODES).map((m) => `'${m}'`).join(', ')}, got ${describe(mode)}`);
  }
}

/** The arg region: required by mode 'max' (B F u32 from its offset), refused by 'avg'. */
function checkArg(label: string, mode: PoolMode, arg: PoolingRegion | undefined, shape: CheckedShape): { range: GPUBuffer | Tensor; bytes: number } | undefined {
  if (mode === 'avg') {
    if (arg !== undefined) throw new ShapeError(`${label}: mode 'avg' takes no arg (only 'max' records where each maximum was)`);
    return undefined;
  }
  if (arg === undefined) throw new ShapeError(`${label}: mode 'max' needs arg (a [${shape.batch}, ${shape.features}] u32 region: the step of each maximum)`);
  return checkRegion(label, 'arg', arg, shape.row);
}

function accumulateFlag(label: string, options: PoolingBackwardOptions): number {
  if (!options || typeof options.accumulate !== 'boolean') throw new ShapeError(`${label}: options must be { accumulate: boolean }, got ${describe(options)}`);
  return options.accumulate ? FLAG_ACCUMULATE : 0;
}

/** Checks that `elements` 4-byte elements from the region's offset fit its buffer; the binding (the whole buffer) and its bytes. */

/**
 * A dispatch may not bind a buffer writably and again: each written region's buffer must differ from
 * every other region's (read-only ones may share a buffer).
 */

function dimsOf(shape: CheckedShape, rest: Partial<PoolingDims>): PoolingDims {
  const { steps, batch, features } = shape;
  return { steps, batch, features, mode: 0, flags: 0, x_offset: 0, out_offset: 0, dx_offset: 0, arg_offset: 0, ...rest };
}


