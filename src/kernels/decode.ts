// Decoding on the GPU (shaders/decode.wgsl): greedy token choice, the one-dispatch decode loop, and the
// sliding window of re-primed closed-loop generation.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

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

type DecodeLoopConstants = {
  B: number; U: number; G: number; F: number; O: number; STEPS: number; ROWS: number; DWG: number;
  IS_LSTM: boolean; ACTIVATION: number; TOKENS: boolean; CONTINUE: boolean; START_TOKEN: number; END_TOKEN: number;
};

export const decodeLoopSpec: KernelSpec<DecodeLoopConstants> = {
  shader: 'decode.wgsl',
  entry: 'decode_loop',
  bindingBytes: (c) => ({
    kernel: c.F * c.U * c.G * 4,
    rk: c.U * c.U * c.G * 4,
    bias: c.U * c.G * 4,
    head_kernel: c.U * c.O * 4,
    head_bias: c.O * 4,
    table: c.TOKENS ? c.O * c.F * 4 : 4,
    h_in: c.B * c.U * 4,
    c_in: c.IS_LSTM ? c.B * c.U * 4 : 4,
    out_values: c.TOKENS ? 4 : c.B * c.STEPS * c.O * 4,
    out_ids: c.TOKENS ? c.B * c.STEPS * 4 : 4,
  }),
};

export interface DecodeLoopConfig {
  batch: number;
  units: number;
  /** 4 for LSTM, 1 for SimpleRNN. */
  gates: number;
  /** SimpleRNN activation: 0 tanh, 1 relu. */
  activation: number;
  /** Decoder input features (the embedding width for tokens). */
  inputSize: number;
  /** Head outputs (the vocabulary for tokens). */
  outputs: number;
  steps: number;
  rows: number;
  tokens: boolean;
  continuePrimed: boolean;
  startToken: number;
  endToken: number;
}

/** The whole decode loop of a one-layer decoder in one dispatch (see decode_loop in shaders/decode.wgsl). */
export async function decodeLoopStep(
  registry: KernelRegistry, label: string, config: DecodeLoopConfig, buffers: Record<string, BufferRange>,
): Promise<Step> {
  const c = config;
  const workgroup = Math.ceil(Math.max(c.units, c.outputs, c.rows) / 8) * 8;
  const kernel = await registry.kernel(decodeLoopSpec, {
    B: c.batch, U: c.units, G: c.gates, F: c.inputSize, O: c.outputs, STEPS: c.steps, ROWS: c.rows, DWG: workgroup,
    IS_LSTM: c.gates === 4, ACTIVATION: c.activation, TOKENS: c.tokens, CONTINUE: c.continuePrimed,
    START_TOKEN: c.startToken, END_TOKEN: c.endToken,
  });
  return kernel.step(label, buffers, [Math.ceil(c.batch / c.rows)]);
}

/** Whether decode_loop can run a decoder of this size on the device (one workgroup per ROWS sequences). */
export function decodeLoopFits(limits: GPUSupportedLimits, units: number, inputSize: number, outputs: number, rows: number): boolean {
  const workgroup = Math.ceil(Math.max(units, outputs, rows) / 8) * 8;
  const memory = rows * (units + inputSize + outputs) * 4;
  return workgroup <= limits.maxComputeInvocationsPerWorkgroup && memory <= limits.maxComputeWorkgroupStorageSize;
}

type SlideWindowConstants = { B: number; F: number; STEPS: number };

export const slideWindowSpec: KernelSpec<SlideWindowConstants> = {
  shader: 'decode.wgsl',
  entry: 'slide_window',
  bindingBytes: (c) => ({ window_in: c.STEPS * c.B * c.F * 4, next_value: c.B * c.F * 4, window_out: c.STEPS * c.B * c.F * 4 }),
};

/** window_out = window_in without its first step, with `next_value` [batch, features] appended (time-major). */
export async function slideWindowStep(
  registry: KernelRegistry, label: string, steps: number, batch: number, features: number,
  buffers: { window_in: BufferRange; next_value: BufferRange; window_out: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel(slideWindowSpec, { B: batch, F: features, STEPS: steps });
  return kernel.step(label, buffers, grid1d(steps * batch * features, 64, registry.limits.maxComputeWorkgroupsPerDimension));
}
