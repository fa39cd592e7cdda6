// The whole decode loop of a one-layer decoder in one dispatch (decode_loop in shaders/recurrence.wgsl):
// each step's cell, head, token choice (argmax or a draw) and embedding lookup inside the kernel. Apart
// from the core recurrence kernels because only the decoder uses it (it loads with the decode plan).

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, Step } from '../gpu/kernel-registry.js';
import {
  baseDims, bytesOf, constants, FLAGS, recurrenceSizes, ROWS_PER_WORKGROUP, spec, unitsBucket, usedBy, weightFloats,
  type RecurrenceDims, type RecurrenceLaunch, type RecurrenceShape, type ResolvedCell, type WeightOffsets,
} from './recurrence.js';

/** What the one-dispatch decode loop decodes. */
export interface DecodeLoopConfig {
  /** Sequences decoded together. */
  batch: number;
  /** Decoder input features (the embedding width for tokens). */
  inputs: number;
  /** Head outputs (the vocabulary for tokens). */
  outputs: number;
  /** Steps to decode. */
  steps: number;
  /** Whether it decodes tokens (argmax fed back through the embedding) rather than numbers. */
  tokens: boolean;
  /** The primed state's head output is output 0. */
  continuePrimed: boolean;
  /** Token decoding: the token that starts every sequence. */
  startToken: number;
  /** Token decoding: the token that ends a sequence (-1: none). */
  endToken: number;
  /** Token decoding: draw the tokens (the settings in the `sampling` buffer) instead of their argmax. */
  sampling?: boolean;
}

/** Whether decode_loop can run a decoder of this size on the device (one workgroup per 4 sequences). */
export function decodeLoopFits(limits: GPUSupportedLimits, cell: ResolvedCell, inputs: number, outputs: number): boolean {
  const units = unitsBucket(cell.config.units);
  const workgroup = Math.ceil(Math.max(units, outputs, inputs, ROWS_PER_WORKGROUP) / 8) * 8;
  const phases = cell.descriptor.phases(cell.config);
  const memory = (2 * units + units * (phases - 1) + 1 + 2 * Math.max(inputs, outputs, 1)) * 16 + 16;
  return workgroup <= limits.maxComputeInvocationsPerWorkgroup && memory <= limits.maxComputeWorkgroupStorageSize;
}

/** The buffers of the decode loop. */
export interface DecodeLoopBuffers {
  /** The decoder layer's parameters and where they are. */
  weights: BufferRange;
  /** Where each part of the parameters is in `weights`. */
  offsets: WeightOffsets;
  /** The primed states [1, S, B, U]. */
  s0: BufferRange;
  /** The head's parameters (kernel [U, O], then its bias at `headBiasOffset` floats when it has one). */
  head: BufferRange;
  /** Floats from the head's kernel to its bias. */
  headBiasOffset?: number;
  /** Token decoding: the decoder's embedding table [V, F]. */
  table?: BufferRange;
  /** [B, steps, O] values, or [B, steps] token ids as f32. */
  out: BufferRange;
  /** With sampling: the settings' words (samplingWords), u32 [5]. */
  sampling?: BufferRange;
}

/** The whole decode loop of a one-layer decoder in one dispatch (decode_loop in shaders/recurrence.wgsl). */
export async function decodeLoopStep(
  registry: KernelRegistry, label: string, cell: ResolvedCell, config: DecodeLoopConfig, buffers: DecodeLoopBuffers,
): Promise<Step> {
  const units = cell.config.units;
  const workgroupSize = Math.ceil(Math.max(unitsBucket(units), config.outputs, config.inputs, ROWS_PER_WORKGROUP) / 8) * 8;
  const launch: RecurrenceLaunch = { strategy: 'sequence', unitsPerInvocation: 1, rowGroups: 1, workgroupSize };
  const kernel = await registry.kernel(spec(cell, 'decode_loop'), { ...constants(cell, launch), MAX_IO: Math.max(config.inputs, config.outputs, 1) });
  const shape: RecurrenceShape = { batch: config.batch, steps: config.steps, directions: 1, backwards: [false] };
  const { offsets } = buffers;
  const flags = (config.tokens ? FLAGS.tokens : 0) | (config.continuePrimed ? FLAGS.continuePrimed : 0)
    | (offsets.bias !== undefined ? FLAGS.hasBias : 0) | (buffers.headBiasOffset !== undefined ? FLAGS.headBias : 0)
    | (config.sampling ? FLAGS.sample : 0);
  if (config.sampling && (!config.tokens || !buffers.sampling)) throw new ShapeError(`${label}: sampling draws tokens, from the settings in a sampling buffer`);
  const dims: RecurrenceDims = {
    ...baseDims(cell, shape, launch, flags, offsets),
    head_bias_offset: buffers.headBiasOffset ?? 0,
    inputs: config.inputs, outputs: config.outputs, start_token: config.startToken, end_token: config.endToken,
  };
  const S = cell.descriptor.slots;
  const { batch: B, steps, inputs: F, outputs: O } = config;
  const ctx = registry.context;
  const floats: Record<string, number> = {
    ...recurrenceSizes(cell, shape),
    weights: Math.max(weightFloats(cell, shape, offsets), (offsets.kernel + F * units) * S, offsets.bias !== undefined ? (offsets.bias + units) * S : 0),
    head: Math.max(units * O, buffers.headBiasOffset !== undefined ? buffers.headBiasOffset + O : 0),
    table: config.tokens ? O * F : 1,
    out: B * steps * (config.tokens ? 1 : O),
    sampling: 5,
  };
  const all: Record<string, BufferRange | undefined> = {
    weights: buffers.weights, s0: buffers.s0, head: buffers.head, table: buffers.table ?? ctx.placeholder('read'), out: buffers.out,
    sampling: buffers.sampling ?? ctx.placeholder('read'),
    // cell_resume names the cell's saved buffer, which decode_loop never reaches.
    saved: ctx.placeholder('write'),
  };
  const used = await usedBy(registry, cell, 'decode_loop', all);
  return kernel.step(label, used, [Math.ceil(B / ROWS_PER_WORKGROUP)], { dims, bytes: bytesOf(registry, floats, used) });
}
