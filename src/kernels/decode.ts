// Decoding helpers on the GPU (shaders/decode.wgsl): greedy token choice, sampled token choice
// (temperature, top-k, top-p: shaders/common/sampling.wgsl) and the sliding window of re-primed
// closed-loop generation. (The fused decode loop is a recurrence entry point: kernels/recurrence.ts.)

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';
export { samplingWords, type SamplingOptions } from './sampling-options.js';

const FILES = ['common/random.wgsl', 'common/sampling.wgsl', 'decode.wgsl'];

type DecodeDims = { batch: number; vocab: number; features: number; steps: number; end_token: number };

/** The greedy token choice entry point (shaders/decode.wgsl). */
export const argmaxSpec: KernelSpec = { files: FILES, entry: 'argmax' };
/** The sampled token choice entry point (shaders/decode.wgsl). */
export const sampleSpec: KernelSpec = { files: FILES, entry: 'sample_ids' };
/** The sliding window entry point of re-primed closed-loop generation (shaders/decode.wgsl). */
export const slideWindowSpec: KernelSpec = { files: FILES, entry: 'slide_window' };

/** ids = argmax(logits) per row; rows that emitted `endToken` keep emitting it (endToken < 0: never). */
export async function argmaxStep(
  registry: KernelRegistry, label: string, batch: number, vocab: number, endToken: number,
  buffers: { logits: BufferRange; ids: BufferRange; finished: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<DecodeDims>(argmaxSpec);
  return kernel.step(label, buffers, [Math.ceil(batch / 64)], {
    dims: { batch, vocab, features: 0, steps: 0, end_token: endToken },
    bytes: { logits: batch * vocab * 4, ids: batch * 4, finished: batch * 4 },
  });
}

/** window_out = window_in without its first step, with `next_value` [batch, features] appended (time-major). */
export async function slideWindowStep(
  registry: KernelRegistry, label: string, steps: number, batch: number, features: number,
  buffers: { window_in: BufferRange; next_value: BufferRange; window_out: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<DecodeDims>(slideWindowSpec);
  const n = steps * batch * features;
  return kernel.step(label, buffers, grid1d(n, 64, registry.limits.maxComputeWorkgroupsPerDimension), {
    dims: { batch, vocab: 0, features, steps, end_token: -1 },
    bytes: { window_in: n * 4, next_value: batch * features * 4, window_out: n * 4 },
  });
}

/** ids = a token drawn from each row's logits with the numbers of (row, `position`) and `sampling`'s words; rows that emitted `endToken` keep emitting it. */
export async function sampleStep(
  registry: KernelRegistry, label: string, batch: number, vocab: number, endToken: number, position: number,
  buffers: { logits: BufferRange; ids: BufferRange; finished: BufferRange; sampling: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<DecodeDims>(sampleSpec);
  return kernel.step(label, buffers, [Math.ceil(batch / 64)], {
    dims: { batch, vocab, features: 0, steps: position, end_token: endToken },
    bytes: { logits: batch * vocab * 4, ids: batch * 4, finished: batch * 4, sampling: 20 },
  });
}
