// Activations (shaders/common/activations.wgsl, applied by shaders/activation.wgsl and the cells): the
// Keras names and the kind numbers the shaders use, and the pointwise / softmax dispatches.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

/** Pointwise activations by Keras name, with the kind number of shaders/common/activations.wgsl. */
export const POINTWISE_ACTIVATIONS = {
  /** x. */
  linear: 0,
  /** tanh(x). */
  tanh: 1,
  /** 1 / (1 + e^-x). */
  sigmoid: 2,
  /** max(x, 0). */
  relu: 3,
  /** Keras 2 / TensorFlow.js: clip(0.2 x + 0.5, 0, 1). */
  hard_sigmoid: 4,
  /** Keras 3: relu6(x + 3) / 6. */
  hard_sigmoid_keras3: 5,
  /** x > 0 ? x : e^x - 1. */
  elu: 6,
  /** Scaled elu (Keras' constants). */
  selu: 7,
  /** log(1 + e^x). */
  softplus: 8,
  /** x / (1 + |x|). */
  softsign: 9,
  /** x sigmoid(x). */
  swish: 10,
  /** The same as swish. */
  silu: 10,
  /** Exact gelu: x Phi(x). */
  gelu: 11,
  /** e^x. */
  exponential: 12,
  /** min(max(x, 0), 6). */
  relu6: 13,
  /** x > 0 ? x : 0.2 x (Keras 3's default slope). */
  leaky_relu: 14,
  /** x tanh(softplus(x)). */
  mish: 15,
  /** x relu6(x + 3) / 6. */
  hard_silu: 16,
  /** The same as hard_silu. */
  hard_swish: 16,
} as const;

/** Every elementwise Keras activation by name ('tanh', 'sigmoid', 'relu', 'linear', ...). */
export type PointwiseActivation = keyof typeof POINTWISE_ACTIVATIONS;
/** Every activation a layer takes: pointwise, or softmax / log_softmax over the last axis. */
export type Activation = PointwiseActivation | 'softmax' | 'log_softmax';

/** Activations whose derivative follows from the output alone: what a recurrent cell may use. */
export const OUTPUT_DIFFERENTIABLE: ReadonlySet<PointwiseActivation> = new Set([
  'linear', 'tanh', 'sigmoid', 'relu', 'hard_sigmoid', 'hard_sigmoid_keras3', 'elu', 'selu', 'softplus', 'softsign', 'exponential', 'relu6',
]);

/** Whether `name` is an activation a layer takes (pointwise, softmax or log_softmax). */
export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && (name === 'softmax' || name === 'log_softmax' || Object.hasOwn(POINTWISE_ACTIVATIONS, name));
}

/** The kind number of a pointwise activation; throws a ShapeError naming `who` otherwise. */
export function activationKind(name: unknown, who: string): number {
  if (typeof name !== 'string' || !Object.hasOwn(POINTWISE_ACTIVATIONS, name)) {
    throw new ShapeError(`${who}: unknown activation '${String(name)}' (known: ${Object.keys(POINTWISE_ACTIVATIONS).join(', ')}, softmax, log_softmax)`);
  }
  return POINTWISE_ACTIVATIONS[name as PointwiseActivation];
}

type ActivationDims = { rows: number; cols: number; kind: number; flags: number };
const FILES = ['common/activations.wgsl', 'activation.wgsl'];
const spec = (entry: string): KernelSpec => ({ files: FILES, entry });
/** The pointwise activation entry point. */
export const activateSpec = spec('activate');
/** Its backward: the gradient of the pre-activation. */
export const activateBackwardSpec = spec('activate_backward');
/** Softmax (and log_softmax) over each row. */
export const softmaxSpec = spec('softmax');
/** Its backward. */
export const softmaxBackwardSpec = spec('softmax_backward');

const WORKGROUP = 64;
const FLAG_ACCUMULATE = 1;
const FLAG_LOG = 2;

function dimsOf(activation: Activation, rows: number, cols: number, accumulate: boolean, who: string): ActivationDims {
  for (const [name, value] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new ShapeError(`${who}: ${name} must be a non-negative integer, got ${value}`);
  }
  const row = activation === 'softmax' || activation === 'log_softmax';
  return { rows, cols, kind: row ? 0 : activationKind(activation, who), flags: (accumulate ? FLAG_ACCUMULATE : 0) | (activation === 'log_softmax' ? FLAG_LOG : 0) };
}

/** y = activation(pre) over [rows, cols] (softmax over each row). */
export async function activationStep(
  registry: KernelRegistry, label: string, activation: Activation, rows: number, cols: number, pre: BufferRange, y: BufferRange,
): Promise<Step> {
  const dims = dimsOf(activation, rows, cols, false, label);
  const bytes = { pre: Math.max(4, rows * cols * 4), y: Math.max(4, rows * cols * 4) };
  const max = registry.limits.maxComputeWorkgroupsPerDimension;
  if (activation === 'softmax' || activation === 'log_softmax') {
    return (await registry.kernel<ActivationDims>(softmaxSpec)).step(label, { pre, y }, grid1d(rows, WORKGROUP, max), { dims, bytes });
  }
  return (await registry.kernel<ActivationDims>(activateSpec)).step(label, { pre, y }, grid1d(rows * cols, WORKGROUP, max), { dims, bytes });
}

/** dpre (+)= dy * activation'(pre), from the saved output y (softmax: the row Jacobian). */
export async function activationBackwardStep(
  registry: KernelRegistry, label: string, activation: Activation, rows: number, cols: number,
  buffers: { pre: BufferRange; y: BufferRange; dy: BufferRange; dpre: BufferRange }, accumulate = false,
): Promise<Step> {
  const dims = dimsOf(activation, rows, cols, accumulate, label);
  const n = Math.max(4, rows * cols * 4);
  const max = registry.limits.maxComputeWorkgroupsPerDimension;
  if (activation === 'softmax' || activation === 'log_softmax') {
    const kernel = await registry.kernel<ActivationDims>(softmaxBackwardSpec);
    return kernel.step(label, { dy: buffers.dy, y_saved: buffers.y, dpre: buffers.dpre }, grid1d(rows, WORKGROUP, max), { dims, bytes: { dy: n, y_saved: n, dpre: n } });
  }
  const kernel = await registry.kernel<ActivationDims>(activateBackwardSpec);
  return kernel.step(label, { pre: buffers.pre, dy: buffers.dy, y_saved: buffers.y, dpre: buffers.dpre }, grid1d(rows * cols, WORKGROUP, max),
    { dims, bytes: { pre: n, dy: n, y_saved: n, dpre: n } });
}
