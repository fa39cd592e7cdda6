// Dense-layer activations (shaders/activation.wgsl): pointwise linear / tanh / sigmoid / relu and row
// softmax, forward and backward.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

export const ACTIVATIONS = { linear: 0, tanh: 1, sigmoid: 2, relu: 3, softmax: -1 } as const;
export type Activation = keyof typeof ACTIVATIONS;

type ActivationConstants = { ROWS: number; COLS: number; ACTIVATION?: number };
const n = (c: ActivationConstants) => c.ROWS * c.COLS * 4;

export const activateSpec: KernelSpec<ActivationConstants> = {
  shader: 'activation.wgsl', entry: 'activate', bindingBytes: (c) => ({ pre: n(c), y: n(c) }),
};
export const activateBackwardSpec: KernelSpec<ActivationConstants> = {
  shader: 'activation.wgsl', entry: 'activate_backward', bindingBytes: (c) => ({ pre: n(c), dy: n(c), y_saved: n(c), dpre: n(c) }),
};
export const softmaxSpec: KernelSpec<ActivationConstants> = {
  shader: 'activation.wgsl', entry: 'softmax', bindingBytes: (c) => ({ pre: n(c), y: n(c) }),
};
export const softmaxBackwardSpec: KernelSpec<ActivationConstants> = {
  shader: 'activation.wgsl', entry: 'softmax_backward', bindingBytes: (c) => ({ dy: n(c), y_saved: n(c), dpre: n(c) }),
};

const WORKGROUP = 64;

/** y = activation(pre) over [rows, cols]. */
export async function activationStep(
  registry: KernelRegistry, label: string, activation: Exclude<Activation, 'linear'>, rows: number, cols: number, pre: BufferRange, y: BufferRange,
): Promise<Step> {
  if (activation === 'softmax') {
    return (await registry.kernel(softmaxSpec, { ROWS: rows, COLS: cols })).step(label, { pre, y }, [Math.ceil(rows / WORKGROUP)]);
  }
  const kernel = await registry.kernel(activateSpec, { ROWS: rows, COLS: cols, ACTIVATION: ACTIVATIONS[activation] });
  return kernel.step(label, { pre, y }, grid1d(rows * cols, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension));
}

/** dpre = dy * activation'(pre), from the saved output y (and pre for relu). */
export async function activationBackwardStep(
  registry: KernelRegistry, label: string, activation: Exclude<Activation, 'linear'>, rows: number, cols: number,
  buffers: { pre: BufferRange; y: BufferRange; dy: BufferRange; dpre: BufferRange },
): Promise<Step> {
  if (activation === 'softmax') {
    const kernel = await registry.kernel(softmaxBackwardSpec, { ROWS: rows, COLS: cols });
    return kernel.step(label, { dy: buffers.dy, y_saved: buffers.y, dpre: buffers.dpre }, [Math.ceil(rows / WORKGROUP)]);
  }
  const kernel = await registry.kernel(activateBackwardSpec, { ROWS: rows, COLS: cols, ACTIVATION: ACTIVATIONS[activation] });
  return kernel.step(label, { pre: buffers.pre, dy: buffers.dy, y_saved: buffers.y, dpre: buffers.dpre },
    grid1d(rows * cols, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension));
}
