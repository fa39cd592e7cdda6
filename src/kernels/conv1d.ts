// Keras' Conv1D (shaders/conv1d.wgsl), forward and backward, over a time-major sequence x [T, B, C] to
// y [To, B, F] with kernel [K, C, F] (Keras' layout) and bias [F]; padding 'valid', 'same' or 'causal'
// as TensorFlow pads (src/kernels/window1d.ts). kernel and bias are element regions of a model's
// parameter buffer, their gradients element regions of its gradient buffer.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { Tensor } from '../gpu/tensor.js';
import { grid1d } from './grid.js';
import { bufferLabel, checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';
import { PADDINGS_1D, windowGeometry, type Padding1D } from './window1d.js';

/** A region of a buffer from an element offset (4-byte elements: a dim, so any offset works). */
export type Conv1DRegion = ElementRegion;

/** Shape and options of a 1-D convolution of x [T, B, C] (time-major) to y [To, B, F]. */
export interface Conv1DShape {
  /** T: input steps. */
  steps: number;
  /** B. */
  batch: number;
  /** C: input channels (features per step). */
  channels: number;
  /** F: output channels. */
  filters: number;
  /** K: taps of the kernel. */
  kernelSize: number;
  /** Steps between two outputs. */
  stride: number;
  /** Steps between two taps. */
  dilation: number;
  /** Keras' padding. */
  padding: Padding1D;
  /** Whether a bias [F] is added. */
  bias: boolean;
}

/** Whether a backward adds to what its destination holds. */
export interface Conv1DBackwardOptions {
  /** Add to dx (or to dkernel and dbias) rather than overwrite them. */
  accumulate: boolean;
}

type Conv1DDims = {
  steps: number; out_steps: number; batch: number; channels: number; filters: number; kernel_size: number;
  stride: number; dilation: number; pad_left: number; flags: number;
  x_offset: number; kernel_offset: number; bias_offset: number; y_offset: number; dy_offset: number;
  dx_offset: number; dkernel_offset: number; dbias_offset: number;
};

/** conv1d_forward (shaders/conv1d.wgsl). */
export const conv1dForwardSpec: KernelSpec = { files: ['conv1d.wgsl'], entry: 'conv1d_forward' };
/** conv1d_backward_input (shaders/conv1d.wgsl). */
export const conv1dBackwardInputSpec: KernelSpec = { files: ['conv1d.wgsl'], entry: 'conv1d_backward_input' };
/** conv1d_weight_gradient (shaders/conv1d.wgsl). */
export const conv1dWeightGradientSpec: KernelSpec = { files: ['conv1d.wgsl'], entry: 'conv1d_weight_gradient' };

const WORKGROUP = 64;
const FLAG_BIAS = 1;
const FLAG_ACCUMULATE = 2;

/** Output steps and left padding of the convolution: what y's length is. */
export function conv1dGeometry(label: string, dims: Conv1DShape): { outSteps: number; padLeft: number } {
  const shape = checkShape(label, dims);
  return { outSteps: shape.outSteps, padLeft: shape.padLeft };
}

/**
 * The convolution: y[o, b, f] = (bias ? bias[f] : 0) + sum_j sum_c x[o stride + j dilation - P, b, c]
 * kernel[j, c, f], x [T, B, C], y [To, B, F] ({@link conv1dGeometry}), x read as 0 outside [0, T).
 * bias [F] is given exactly when `dims.bias` (it may share kernel's buffer: the parameter buffer).
 */
export async function conv1dForwardStep(
  registry: KernelRegistry,
  label: string,
  dims: Conv1DShape,
  buffers: { x: Conv1DRegion; kernel: Conv1DRegion; bias?: Conv1DRegion; y: Conv1DRegion },
): Promise<Step> {
  const shape = checkShape(label, dims);
  checkBuffers(label, buffers, '{ x, kernel, bias?, y }');
  const bias = optional(label, 'bias', shape.bias, buffers.bias, shape.filters);
  const x = checkRegion(label, 'x', buffers.x, shape.input);
  const kernel = checkRegion(label, 'kernel', buffers.kernel, shape.weights);
  const y = checkRegion(label, 'y', buffers.y, shape.output);
  keepApart(label, [['y', buffers.y]], [['x', buffers.x], ['kernel', buffers.kernel], ...(buffers.bias ? [['bias', buffers.bias] as const] : [])]);
  const values = dimsOf(shape, {
    flags: shape.bias ? FLAG_BIAS : 0, x_offset: buffers.x.offset, kernel_offset: buffers.kernel.offset,
    bias_offset: buffers.bias?.offset ?? 0, y_offset: buffers.y.offset,
  });
  return (await registry.kernel<Conv1DDims>(conv1dForwardSpec)).step(label,
    { x: x.range, kernel: kernel.range, bias: bias?.range ?? registry.context.placeholder('read'), y: y.range },
    grid1d(shape.output, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { x: x.bytes, kernel: kernel.bytes, bias: bias?.bytes ?? 4, y: y.bytes } });
}

/**
 * The gradient of x: dx[t, b, c] (+)= sum over the taps j and outputs o with o stride + j dilation - P
 * = t of sum_f dy[o, b, f] kernel[j, c, f]; dy [To, B, F] (the gradient of the convolution's output,
 * before any activation), dx [T, B, C]. Added to what dx holds with `accumulate`, written otherwise.
 */
export async function conv1dBackwardInputStep(
  registry: KernelRegistry,
  label: string,
  dims: Conv1DShape,
  buffers: { dy: Conv1DRegion; kernel: Conv1DRegion; dx: Conv1DRegion },
  options: Conv1DBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  const flags = accumulateFlag(label, options);
  checkBuffers(label, buffers, '{ dy, kernel, dx }');
  const dy = checkRegion(label, 'dy', buffers.dy, shape.output);
  const kernel = checkRegion(label, 'kernel', buffers.kernel, shape.weights);
  const dx = checkRegion(label, 'dx', buffers.dx, shape.input);
  keepApart(label, [['dx', buffers.dx]], [['dy', buffers.dy], ['kernel', buffers.kernel]]);
  const values = dimsOf(shape, { flags, dy_offset: buffers.dy.offset, kernel_offset: buffers.kernel.offset, dx_offset: buffers.dx.offset });
  return (await registry.kernel<Conv1DDims>(conv1dBackwardInputSpec)).step(label,
    { dy: dy.range, kernel: kernel.range, dx: dx.range },
    grid1d(shape.input, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dy: dy.bytes, kernel: kernel.bytes, dx: dx.bytes } });
}

/**
 * The gradients of the weights: dkernel[j, c, f] (+)= sum_o sum_b dy[o, b, f] x[o stride + j dilation
 * - P, b, c] and, given exactly when `dims.bias`, dbias[f] (+)= sum_o sum_b dy[o, b, f]; added to what
 * they hold with `accumulate`, written otherwise. dkernel and dbias are regions of one buffer (the
 * gradient buffer, bound once), apart from each other.
 */
export async function conv1dWeightGradientStep(
  registry: KernelRegistry,
  label: string,
  dims: Conv1DShape,
  buffers: { dy: Conv1DRegion; x: Conv1DRegion; dkernel: Conv1DRegion; dbias?: Conv1DRegion },
  options: Conv1DBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  const flags = accumulateFlag(label, options) | (shape.bias ? FLAG_BIAS : 0);
  checkBuffers(label, buffers, '{ dy, x, dkernel, dbias? }');
  const dbias = optional(label, 'dbias', shape.bias, buffers.dbias, shape.filters);
  const dy = checkRegion(label, 'dy', buffers.dy, shape.output);
  const x = checkRegion(label, 'x', buffers.x, shape.input);
  const dkernel = checkRegion(label, 'dkernel', buffers.dkernel, shape.weights);
  if (buffers.dbias) {
    if (gpuBuffer(buffers.dkernel) !== gpuBuffer(buffers.dbias)) {
      throw new ShapeError(`${label}: dkernel and dbias must be regions of one buffer (the gradient buffer, bound once), got '${bufferLabel(buffers.dkernel.buffer)}' and '${bufferLabel(buffers.dbias.buffer)}'`);
    }
    const [k, b] = [buffers.dkernel.offset, buffers.dbias.offset];
    if (k < b + shape.filters && b < k + shape.weights) {
      throw new ShapeError(`${label}: dkernel (${shape.weights} elements from element ${k}) and dbias (${shape.filters} from element ${b}) overlap`);
    }
  }
  keepApart(label, [['dkernel', buffers.dkernel]], [['dy', buffers.dy], ['x', buffers.x]]);
  const values = dimsOf(shape, {
    flags, dy_offset: buffers.dy.offset, x_offset: buffers.x.offset, dkernel_offset: buffers.dkernel.offset, dbias_offset: buffers.dbias?.offset ?? 0,
  });
  return (await registry.kernel<Conv1DDims>(conv1dWeightGradientSpec)).step(label,
    { dy: dy.range, x: x.range, dparams: dkernel.range },
    grid1d(shape.weights + (shape.bias ? shape.filters : 0), WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dy: dy.bytes, x: x.bytes, dparams: Math.max(dkernel.bytes, dbias?.bytes ?? 0) } });
}

interface CheckedShape extends Conv1DShape {
  outSteps: number;
  padLeft: number;
  /** T B C: the whole of x. */
  input: number;
  /** To B F: the whole of y. */
  output: number;
  /** K C F: the kernel. */
  weights: number;
}

function checkShape(label: string, dims: Conv1DShape): CheckedShape {
  if (!dims || typeof dims !== 'object') {
    throw new ShapeError(`${label}: dims must be { steps, batch, channels, filters, kernelSize, stride, dilation, padding, bias }, got ${describe(dims)}`);
  }
  for (const name of ['steps', 'batch', 'channels', 'filters', 'kernelSize', 'stride', 'dilation'] as const) {
    const value = dims[name];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  if (!PADDINGS_1D.includes(dims.padding)) throw new ShapeError(`${label}: padding must be one of ${PADDINGS_1D.map((p) => `'${p}'`).join(', ')}, got ${describe(dims.padding)}`);
  if (typeof dims.bias !== 'boolean') throw new ShapeError(`${label}: bias must be a boolean, got ${describe(dims.bias)}`);
  const { steps, batch, channels, filters, kernelSize, stride, dilation, padding, bias } = dims;
  const { outSteps, padLeft, span } = windowGeometry(steps, { size: kernelSize, stride, dilation, padding });
  if (outSteps < 1) {
    throw new ShapeError(`${label}: ${steps} input steps are fewer than one window covers (${span}: kernel size ${kernelSize}, dilation ${dilation}), so padding 'valid' leaves no output step`);
  }
  return {
    steps, batch, channels, filters, kernelSize, stride, dilation, padding, bias, outSteps, padLeft,
    input: steps * batch * channels, output: outSteps * batch * filters, weights: kernelSize * channels * filters,
  };
}

function checkBuffers(label: string, buffers: object, expected: string): void {
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be ${expected}, got ${describe(buffers)}`);
}

/** The bias region (F elements) or its gradient's: required with a bias, refused without. */
function optional(label: string, name: string, on: boolean, region: Conv1DRegion | undefined, filters: number): { range: GPUBuffer | Tensor; bytes: number } | undefined {
  if (!on) {
    if (region !== undefined) throw new ShapeError(`${label}: bias is false: takes no ${name}`);
    return undefined;
  }
  if (region === undefined) throw new ShapeError(`${label}: bias is true: needs ${name} (a [${filters}] region)`);
  return checkRegion(label, name, region, filters);
}

function gpuBuffer(region: Conv1DRegion): GPUBuffer {
  return region.buffer instanceof Tensor ? region.buffer.buffer : region.buffer;
}

function accumulateFlag(label: string, options: Conv1DBackwardOptions): number {
  if (!options || typeof options.accumulate !== 'boolean') throw new ShapeError(`${label}: options must be { accumulate: boolean }, got ${describe(options)}`);
  return options.accumulate ? FLAG_ACCUMULATE : 0;
}

function dimsOf(shape: CheckedShape, rest: Partial<Conv1DDims>): Conv1DDims {
  return {
    steps: shape.steps, out_steps: shape.outSteps, batch: shape.batch, channels: shape.channels, filters: shape.filters,
    kernel_size: shape.kernelSize, stride: shape.stride, dilation: shape.dilation, pad_left: shape.padLeft, flags: 0,
    x_offset: 0, kernel_offset: 0, bias_offset: 0, y_offset: 0, dy_offset: 0, dx_offset: 0, dkernel_offset: 0, dbias_offset: 0, ...rest,
  };
}
