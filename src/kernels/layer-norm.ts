// Keras' LayerNormalization over the last axis (shaders/layer-norm.wgsl), forward and backward: each row
// of x [R, F] normalized by its mean and biased variance, then scaled by gamma [F] (scale) and shifted by
// beta [F] (center). gamma and beta are element regions of a model's parameter buffer, their gradients
// element regions of its gradient buffer.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { Tensor } from '../gpu/tensor.js';
import { grid1d } from './grid.js';
import { bufferLabel, checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';

/** A region of a buffer from an element offset (4-byte elements: a dim, so any offset works). */
export type LayerNormRegion = ElementRegion;

/** Keras' default epsilon of LayerNormalization. */
export const LAYER_NORM_DEFAULT_EPSILON = 1e-3;

/** Shape and options of a layer normalization of x [R, F] over its last axis (F). */
export interface LayerNormShape {
  /** R: rows, each normalized on its own. */
  rows: number;
  /** F: features per row (the normalized axis). */
  features: number;
  /** Added to the variance before the square root (Keras' default {@link LAYER_NORM_DEFAULT_EPSILON}); a positive number. */
  epsilon: number;
  /** Add beta [F] (Keras' center). */
  center: boolean;
  /** Multiply by gamma [F] (Keras' scale). */
  scale: boolean;
}

/** Whether a backward adds to what its destinations hold. */
export interface LayerNormBackwardOptions {
  /** Add to dx (or to dgamma and dbeta) rather than overwrite them. */
  accumulate: boolean;
}

type LayerNormDims = {
  rows: number; features: number; epsilon: number; flags: number;
  x_offset: number; y_offset: number; stats_offset: number; gamma_offset: number; beta_offset: number;
  dx_offset: number; dgamma_offset: number; dbeta_offset: number;
};

/** layer_norm_forward (shaders/layer-norm.wgsl). */
export const layerNormForwardSpec: KernelSpec = { files: ['layer-norm.wgsl'], entry: 'layer_norm_forward' };
/** layer_norm_backward (shaders/layer-norm.wgsl). */
export const layerNormBackwardSpec: KernelSpec = { files: ['layer-norm.wgsl'], entry: 'layer_norm_backward' };
/** layer_norm_parameter_gradient (shaders/layer-norm.wgsl). */
export const layerNormParameterGradientSpec: KernelSpec = { files: ['layer-norm.wgsl'], entry: 'layer_norm_parameter_gradient' };

const WORKGROUP = 64;
const FLAG_CENTER = 1;
const FLAG_SCALE = 2;
const FLAG_ACCUMULATE = 4;

/** Bytes of the stats buffer [R, 2] (f32: each row's mean and 1/sqrt(var + epsilon)) for `rows` rows. */
export function layerNormStatsBytes(rows: number): number {
  if (!Number.isInteger(rows) || rows < 1) throw new ShapeError(`layerNormStatsBytes: rows must be a positive integer, got ${rows}`);
  return rows * 2 * 4;
}

/**
 * The layer normalization: y [R, F] = (scale ? gamma[f] : 1) (x - mean_r) / sqrt(var_r + epsilon) +
 * (center ? beta[f] : 0), mean_r and var_r (biased) over each row of x [R, F]. Also writes `stats`
 * [R, 2] (at least {@link layerNormStatsBytes} from its offset): each row's mean and 1/sqrt(var + epsilon),
 * which the backwards read. gamma [F] is given exactly when `scale`, beta [F] exactly when `center`
 * (they may share a buffer: the parameter buffer).
 */
export async function layerNormForwardStep(
  registry: KernelRegistry,
  label: string,
  dims: LayerNormShape,
  buffers: { x: LayerNormRegion; y: LayerNormRegion; stats: LayerNormRegion; gamma?: LayerNormRegion; beta?: LayerNormRegion },
): Promise<Step> {
  const shape = checkShape(label, dims);
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be { x, y, stats, gamma?, beta? }, got ${describe(buffers)}`);
  const gamma = optional(label, 'gamma', 'scale', shape.scale, buffers.gamma, shape.features);
  const beta = optional(label, 'beta', 'center', shape.center, buffers.beta, shape.features);
  const x = checkRegion(label, 'x', buffers.x, shape.block);
  const y = checkRegion(label, 'y', buffers.y, shape.block);
  const stats = checkRegion(label, 'stats', buffers.stats, 2 * shape.rows);
  keepApart(label, [['y', buffers.y], ['stats', buffers.stats]], [['x', buffers.x], ...present([['gamma', buffers.gamma], ['beta', buffers.beta]])]);
  const values = dimsOf(shape, {
    flags: parameterFlags(shape), x_offset: buffers.x.offset, y_offset: buffers.y.offset, stats_offset: buffers.stats.offset,
    gamma_offset: buffers.gamma?.offset ?? 0, beta_offset: buffers.beta?.offset ?? 0,
  });
  const read = registry.context.placeholder('read');
  return (await registry.kernel<LayerNormDims>(layerNormForwardSpec)).step(label,
    { x: x.range, y: y.range, stats: stats.range, gamma: gamma?.range ?? read, beta: beta?.range ?? read },
    grid1d(shape.rows, 1, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { x: x.bytes, y: y.bytes, stats: stats.bytes, gamma: gamma?.bytes ?? 4, beta: beta?.bytes ?? 4 } });
}

/**
 * The gradient of x through the layer normalization: with g = dy (scale ? gamma[f] : 1) and xhat =
 * (x - mean_r) inv_r (from the `stats` {@link layerNormForwardStep} wrote), dx[r, f] (+)= inv_r (g -
 * mean_f g - xhat mean_f(g xhat)); added to what dx holds with `accumulate`, written otherwise. gamma [F]
 * is given exactly when `scale` (`center` and `epsilon` do not enter: beta adds a constant, and inv_r is
 * in stats).
 */
export async function layerNormBackwardStep(
  registry: KernelRegistry,
  label: string,
  dims: LayerNormShape,
  buffers: { dy: LayerNormRegion; x: LayerNormRegion; stats: LayerNormRegion; gamma?: LayerNormRegion; dx: LayerNormRegion },
  options: LayerNormBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  const flags = accumulateFlag(label, options) | (shape.scale ? FLAG_SCALE : 0);
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be { dy, x, stats, gamma?, dx }, got ${describe(buffers)}`);
  const gamma = optional(label, 'gamma', 'scale', shape.scale, buffers.gamma, shape.features);
  const dy = checkRegion(label, 'dy', buffers.dy, shape.block);
  const x = checkRegion(label, 'x', buffers.x, shape.block);
  const stats = checkRegion(label, 'stats', buffers.stats, 2 * shape.rows);
  const dx = checkRegion(label, 'dx', buffers.dx, shape.block);
  keepApart(label, [['dx', buffers.dx]], [['dy', buffers.dy], ['x', buffers.x], ['stats', buffers.stats], ...present([['gamma', buffers.gamma]])]);
  const values = dimsOf(shape, {
    flags, x_offset: buffers.x.offset, y_offset: buffers.dy.offset, stats_offset: buffers.stats.offset,
    gamma_offset: buffers.gamma?.offset ?? 0, dx_offset: buffers.dx.offset,
  });
  return (await registry.kernel<LayerNormDims>(layerNormBackwardSpec)).step(label,
    { dy: dy.range, x: x.range, stats_in: stats.range, gamma: gamma?.range ?? registry.context.placeholder('read'), dx: dx.range },
    grid1d(shape.rows, 1, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dy: dy.bytes, x: x.bytes, stats_in: stats.bytes, gamma: gamma?.bytes ?? 4, dx: dx.bytes } });
}

/**
 * The gradients of gamma and beta: dgamma[f] (+)= sum_r dy[r, f] xhat[r, f] (given exactly when
 * `scale`), dbeta[f] (+)= sum_r dy[r, f] (given exactly when `center`), xhat from x and the `stats`
 * {@link layerNormForwardStep} wrote; added to what they hold with `accumulate`, written otherwise.
 * dgamma and dbeta are regions of one buffer (the gradient buffer, bound once), apart from each other;
 * a shape with neither center nor scale has no parameters and is refused.
 */
export async function layerNormParameterGradientStep(
  registry: KernelRegistry,
  label: string,
  dims: LayerNormShape,
  buffers: { dy: LayerNormRegion; x: LayerNormRegion; stats: LayerNormRegion; dgamma?: LayerNormRegion; dbeta?: LayerNormRegion },
  options: LayerNormBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, dims);
  const flags = accumulateFlag(label, options) | parameterFlags(shape);
  if (!shape.center && !shape.scale) throw new ShapeError(`${label}: center and scale are both false: the layer normalization has no parameters to take gradients of`);
  if (!buffers || typeof buffers !== 'object') throw new ShapeError(`${label}: buffers must be { dy, x, stats, dgamma?, dbeta? }, got ${describe(buffers)}`);
  const dgamma = optional(label, 'dgamma', 'scale', shape.scale, buffers.dgamma, shape.features);
  const dbeta = optional(label, 'dbeta', 'center', shape.center, buffers.dbeta, shape.features);
  const dy = checkRegion(label, 'dy', buffers.dy, shape.block);
  const x = checkRegion(label, 'x', buffers.x, shape.block);
  const stats = checkRegion(label, 'stats', buffers.stats, 2 * shape.rows);
  if (buffers.dgamma && buffers.dbeta) {
    if (gpuBuffer(buffers.dgamma) !== gpuBuffer(buffers.dbeta)) {
      throw new ShapeError(`${label}: dgamma and dbeta must be regions of one buffer (the gradient buffer, bound once), got '${bufferLabel(buffers.dgamma.buffer)}' and '${bufferLabel(buffers.dbeta.buffer)}'`);
    }
    const [a, b] = [buffers.dgamma.offset, buffers.dbeta.offset];
    if (a < b + shape.features && b < a + shape.features) {
      throw new ShapeError(`${label}: dgamma (from element ${a}) and dbeta (from element ${b}) overlap: each holds ${shape.features} elements`);
    }
  }
  const dparams = (buffers.dgamma ?? buffers.dbeta)!;
  keepApart(label, [[buffers.dgamma ? 'dgamma' : 'dbeta', dparams]], [['dy', buffers.dy], ['x', buffers.x], ['stats', buffers.stats]]);
  const values = dimsOf(shape, {
    flags, x_offset: buffers.x.offset, y_offset: buffers.dy.offset, stats_offset: buffers.stats.offset,
    dgamma_offset: buffers.dgamma?.offset ?? 0, dbeta_offset: buffers.dbeta?.offset ?? 0,
  });
  return (await registry.kernel<LayerNormDims>(layerNormParameterGradientSpec)).step(label,
    { dy: dy.range, x: x.range, stats_in: stats.range, dparams: dparams.buffer },
    grid1d(shape.features, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { dy: dy.bytes, x: x.bytes, stats_in: stats.bytes, dparams: Math.max(dgamma?.bytes ?? 0, dbeta?.bytes ?? 0) } });
}

interface CheckedShape extends LayerNormShape {
  /** R F: the whole of x. */
  block: number;
}

function checkShape(label: string, dims: LayerNormShape): CheckedShape {
  if (!dims || typeof dims !== 'object') throw new ShapeError(`${label}: dims must be { rows, features, epsilon, center, scale }, got ${describe(dims)}`);
  for (const name of ['rows', 'features'] as const) {
    const value = dims[name];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  const { rows, features, epsilon, center, scale } = dims;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) throw new ShapeError(`${label}: epsilon must be a positive number, got ${describe(epsilon)}`);
  for (const name of ['center', 'scale'] as const) {
    if (typeof dims[name] !== 'boolean') throw new ShapeError(`${label}: ${name} must be a boolean, got ${describe(dims[name])}`);
  }
  return { rows, features, epsilon, center, scale, block: rows * features };
}

/** A parameter region (F elements): required when its flag is on, refused when off. */
function optional(label: string, name: string, flag: 'center' | 'scale', on: boolean, region: LayerNormRegion | undefined, features: number): { range: GPUBuffer | Tensor; bytes: number } | undefined {
  if (!on) {
    if (region !== undefined) throw new ShapeError(`${label}: ${flag} is false: takes no ${name}`);
    return undefined;
  }
  if (region === undefined) throw new ShapeError(`${label}: ${flag} is true: needs ${name} (a [${features}] region)`);
  return checkRegion(label, name, region, features);
}

function present(regions: readonly (readonly [string, LayerNormRegion | undefined])[]): (readonly [string, LayerNormRegion])[] {
  return regions.filter((r): r is readonly [string, LayerNormRegion] => r[1] !== undefined);
}

function gpuBuffer(region: LayerNormRegion): GPUBuffer {
  return region.buffer instanceof Tensor ? region.buffer.buffer : region.buffer;
}

function parameterFlags(shape: CheckedShape): number {
  return (shape.center ? FLAG_CENTER : 0) | (shape.scale ? FLAG_SCALE : 0);
}

function accumulateFlag(label: string, options: LayerNormBackwardOptions): number {
  if (!options || typeof options.accumulate !== 'boolean') throw new ShapeError(`${label}: options must be { accumulate: boolean }, got ${describe(options)}`);
  return options.accumulate ? FLAG_ACCUMULATE : 0;
}

function dimsOf(shape: CheckedShape, rest: Partial<LayerNormDims>): LayerNormDims {
  const { rows, features, epsilon } = shape;
  return {
    rows, features, epsilon, flags: 0, x_offset: 0, y_offset: 0, stats_offset: 0, gamma_offset: 0, beta_offset: 0,
    dx_offset: 0, dgamma_offset: 0, dbeta_offset: 0, ...rest,
  };
}
