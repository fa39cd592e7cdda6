// Greedy token choice (shaders/decode.wgsl) for decoding on the GPU.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';

type ArgmaxConstants = { B: number; V: number; END_TOKEN: number };

export const argmaxSpec: KernelSpec<ArgmaxConstants> = {
  shader: 'decode.wgsl',
  entry: 'argmax',
  bindingBytes: (c) => ({ logits: c.B * c.V * 4, ids: c.B * 4, finished: c.B * 4 }),
};

/** ids = argmax(logits) per row; rows that emitted `endToken` keep emitting it (endToken < 0: never). */
export async function argmaxStep(
  registry: KernelRegistry, label: string, batch: number, vocab: number, endToken: number,
  buffers: { logits: BufferRange; ids: BufferRange; finished: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel(argmaxSpec, { B: batch, V: vocab, END_TOKEN: endToken });
  return kernel.step(label, buffers, [Math.ceil(batch / 64)]);
}
