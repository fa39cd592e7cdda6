// Keras' MaxPooling1D / AveragePooling1D (shaders/pooling1d.wgsl), forward and backward: windows of
// poolSize steps moved `stride` at a time over the time axis of x [T, B, C] (time-major) to out
// [To, B, C], padding 'valid' or 'same' as TensorFlow pads (src/kernels/window1d.ts); padded steps are
// ignored (the average counts only real steps).

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import type { Tensor } from '../gpu/tensor.js';
import { grid1d } from './grid.js';
import { POOL_MODE_CODES, type PoolMode } from './pooling.js';
import { checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';
import { windowGeometry } from './window1d.js';

/** A region of a buffer from an element offset (4-byte elements: a dim, so any offset works). */
export type Pooling1DRegion = ElementRegion;

/** Keras' padding of a pooling window. */
export type PoolPadding = 'valid' | 'same';

/** Shape and options of a pooling of x [T, B, C] (time-major) to out [To, B, C]. */
export interface Pooling1DShape {
  /** T: input steps. */
  steps: number;
  /** B. */
  batch: number;
  /** C: channels (features per step). */
  channels: number;
  /** Steps of a window. */
  poolSize: number;
  /** Steps between two windows. */
  stride: number;
  /** Keras' padding. */
  padding: PoolPadding;
}

/** Whether a backward adds to what dx holds. */
export interface Pooling1DBackwardOptions {
  /** Add to dx (gradient that arrived there already) rather than overwrite it. */
  accumulate: boolean;
}

type Pooling1DDims = {
  steps: number; out_steps: number; batch: number; channels: number; pool_size: number; stride: number; pad_left: number;
  mode: number; flags: number; x_offset: number; out_offset: number; dx_offset: number; arg_offset: number;
};

/** pool1d_forward (shaders/pooling1d.wgsl). */
export const pool1dForwardSpec: KernelSpec = { files: ['pooling1d.wgsl'], entry: 'pool1d_forward' };
/** pool1d_backward (shaders/pooling1d.wgsl). */
export const pool1dBackwardSpec: KernelSpec = { files: ['pooling1d.wgsl'], entry: 'pool1d_backward' };

const WORKGROUP = 64;
const FLAG_ACCUMULATE = 1;
const PADDINGS: readonly PoolPadding[] = ['valid', 'same'];

/** Output steps and left padding of the pooling: what out's length is. */
export function pool1dGeometry(label: string, dims: Pooling1DShape): { outSteps: number; padLeft: number } {
  const shape = checkShape(label, dims);
  return { outSteps: shape.outSteps, padLeft: shape.padLeft };
}

/** Bytes of the max pooling's arg buffer [To, B, C] (u32: the step t of each maximum). */
export function pool1dArgBytes(label: string, dims: Pooling1DShape): number {
  return checkShape(label, dims).output * 4;
}

/**
 * The pooling: out[o, b, c] = the mean (mode 'avg') or the maximum (mode 'max') of x[t, b, c] over the
 * real steps t of window o ([o stride - P, o stride - P + poolSize) within [0, T)). Mode 'max' also
 * writes `arg` [To, B, C] (u32, at least {@link pool1dArgBytes} from its offset): the first t reaching
 * each maximum, which the backward reads; mode 'avg' takes no arg.
 */
export async function pool1dForwardStep(
  registry: KernelRegistry,
  label: string,
  mode: PoolMode,
  dims: Pooling1DShape,
  buffers: { x: Pooling1DRegion; out: Pooling1DRegion; arg?: Pooling1DRegion },
): Promise<Step> {
  const shape = checkShape(label, dims);
  checkMode(label, mode);
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be { x, out, arg? }, got ${describe(buffers)}`);
  const arg = checkArg(label, mode, buffers.arg, shape);
  const x = checkRegion(label, 'x', buffers.x, shape.input);
  const out = checkRegion(label, 'out', buffers.out, shape.output);
  keepApart(label, [['out', buffers.out], ...(buffers.arg ? [['arg', buffers.arg] as const] : [])], [['x', buffers.x]]);
  const values = dimsOf(shape, { mode: POOL_MODE_CODES[mode], x_offset: buffers.x.offset, out_offset: buffers.out.offset, arg_offset: buffers.arg?.offset ?? 0 });
  return (await registry.kernel<Pooling1DDims>(pool1dForwardSpec)).step(label,
    { x: x.range, out: out.range, arg: arg?.range ?? registry.context.placeholder('write') },
    grid1d(shape.output, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { x: x.bytes, out: out.bytes, arg: arg?.bytes ?? 4 } });
}

/**
 * The gradient of the pooling: dx[t, b, c] (+)= the sum over the windows o holding t of dout[o, b, c] /
 * (real steps of o) (mode 'avg'), or of dout[o, b, c] where `arg` [To, B, C] (what
 * {@link pool1dForwardStep} wrote) is t (mode 'max'); added to what dx holds with `accumulate`, written
 * otherwise.
 */
export async function pool1dBackwardStep(
  registry: KernelRegistry,
  label: string,
  mode: PoolMode,
  dims: Pooling1DShape,
  buffers: { dout: Pooling1DRegion; dx: Pooling1DRegion; arg?: Pooling1DRegion },
  options: Pooling1DBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  checkMode(label, mode);
  if (!options || typeof options.accumulate !== 'boolean') throw new ShapeError(`${label}: options must be { accumulate: boolean }, got ${describe(options)}`);
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be { dout, dx, arg? }, got ${describe(buffers)}`);
  const arg = checkArg(label, mode, buffers.arg, shape);
  const dout = checkRegion(label, 'dout', buffers.dout, shape.output);
  const dx = checkRegion(label, 'dx', buffers.dx, shape.input);
  keepApart(label, [['dx', buffers.dx]], [['dout', buffers.dout], ...(buffers.arg ? [['arg', buffers.arg] as const] : [])]);
  const values = dimsOf(shape, {
    mode: POOL_MODE_CODES[mode], flags: options.accumulate ? FLAG_ACCUMULATE : 0, out_offset: buffers.dout.offset,
    dx_offset: buffers.dx.offset, arg_offset: buffers.arg?.offset ?? 0,
  });
  return (await registry.kernel<Pooling1DDims>(pool1dBackwardSpec)).step(label,
    { dout: dout.range, dx: dx.range, arg_in: arg?.range ?? registry.context.placeholder('read') },
    grid1d(shape.input, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dout: dout.bytes, dx: dx.bytes, arg_in: arg?.bytes ?? 4 } });
}

interface CheckedShape extends Pooling1DShape {
  outSteps: number;
  padLeft: number;
  /** T B C: the whole of x. */
  input: number;
  /** To B C: the whole of out. */
  output: number;
}

function checkShape(label: string, dims: Pooling1DShape): CheckedShape {
  if (!dims || typeof dims !== 'object') throw new ShapeError(`${label}: dims must be { steps, batch, channels, poolSize, stride, padding }, got ${describe(dims)}`);
  for (const name of ['steps', 'batch', 'channels', 'poolSize', 'stride'] as const) {
    const value = dims[name];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  if (!PADDINGS.includes(dims.padding)) throw new ShapeError(`${label}: padding must be 'valid' or 'same', got ${describe(dims.padding)}`);
  const { steps, batch, channels, poolSize, stride, padding } = dims;
  const { outSteps, padLeft } = windowGeometry(steps, { size: poolSize, stride, dilation: 1, padding });
  if (outSteps < 1) throw new ShapeError(`${label}: ${steps} input steps are fewer than one window (pool size ${poolSize}), so padding 'valid' leaves no output step`);
  return { steps, batch, channels, poolSize, stride, padding, outSteps, padLeft, input: steps * batch * channels, output: outSteps * batch * channels };
}

function checkMode(label: string, mode: PoolMode): void {
  if (typeof mode !== 'string' || !Object.hasOwn(POOL_MODE_CODES, mode)) {
    throw new ShapeError(`${label}: mode must be one of ${Object.keys(POOL_MODE_CODES).map((m) => `'${m}'`).join(', ')}, got ${describe(mode)}`);
  }
}

/** The arg region: required by mode 'max' (To B C u32 from its offset), refused by 'avg'. */
function checkArg(label: string, mode: PoolMode, arg: Pooling1DRegion | undefined, shape: CheckedShape): { range: GPUBuffer | Tensor; bytes: number } | undefined {
  if (mode === 'avg') {
    if (arg !== undefined) throw new ShapeError(`${label}: mode 'avg' takes no arg (only 'max' records where each maximum was)`);
    return undefined;
  }
  if (arg === undefined) throw new ShapeError(`${label}: mode 'max' needs arg (a [${shape.outSteps}, ${shape.batch}, ${shape.channels}] u32 region: the step of each maximum)`);
  return checkRegion(label, 'arg', arg, shape.output);
}

function dimsOf(shape: CheckedShape, rest: Partial<Pooling1DDims>): Pooling1DDims {
  return {
    steps: shape.steps, out_steps: shape.outSteps, batch: shape.batch, channels: shape.channels, pool_size: shape.poolSize,
    stride: shape.stride, pad_left: shape.padLeft, mode: 0, flags: 0, x_offset: 0, out_offset: 0, dx_offset: 0, arg_offset: 0, ...rest,
  };
}
