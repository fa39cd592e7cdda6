// The recurrence dispatches of any cell (shaders/recurrence.wgsl joined with the cell's file): forward
// and backward through time, as one dispatch with the time loop inside ('sequence') or one elementwise
// dispatch per step and phase with the recurrent products as matmuls between them ('step'). The fused
// decode loop of a one-layer decoder is in decode-loop.ts (loaded with the decoder). Buffers are described
// in the shader.

import type { CellConfig, CellDescriptor } from '../cells/descriptor.js';
import type { GpuContext } from '../gpu/context.js';
import { LimitError, ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { activationKind } from './activation.js';
import { matmulStep } from './matmul.js';

/**
 * 'sequence': the whole time loop in one dispatch (state in workgroup memory, a barrier per step and
 * phase). 'step': one dispatch per step and phase, the recurrent products as matmuls (any size).
 * 'auto': sequence whenever the layer fits one workgroup.
 */
export type RecurrentStrategy = 'auto' | 'sequence' | 'step';

/** Batch rows per workgroup of the sequence entry points (RB in the shader: one vec4 of rows). */
export const ROWS_PER_WORKGROUP = 4;
/** The most units one invocation of a sequence entry point owns (MAX_UPI in the shader). */
export const MAX_UNITS_PER_INVOCATION = 4;
/** The most groups of 4 batch rows one invocation of a sequence entry point owns (MAX_RG in the shader). */
export const MAX_ROW_GROUPS = 4;
/** Workgroup size of the per-step entry points (STEP_WG in the shader). */
export const STEP_WORKGROUP = 64;

/** How one recurrence runs on the device: its strategy and the sequence entry point's tuning. */
export interface RecurrenceLaunch {
  /** 'sequence' (the time loop in one dispatch) or 'step' (dispatches per step). */
  strategy: 'sequence' | 'step';
  /** Units each invocation of a sequence entry point owns. */
  unitsPerInvocation: number;
  /** Groups of 4 batch rows each invocation (and workgroup) of a sequence entry point owns. */
  rowGroups: number;
  /** Workgroup size of the sequence entry point (invocations needed, rounded up to 8). */
  workgroupSize: number;
}

/** A cell applied to its configuration: what the dispatch builders need. */
export interface ResolvedCell {
  /** The cell. */
  descriptor: CellDescriptor;
  /** Its options, every default filled in. */
  config: CellConfig;
}

/** The files of a cell's recurrence program: the activations, the decode loop's sampler, the cell, the shared time loop. */
export function recurrenceFiles(cell: CellDescriptor): string[] {
  return ['common/activations.wgsl', 'common/random.wgsl', 'common/sampling.wgsl', cell.file, 'recurrence.wgsl'];
}

/**
 * The unit count workgroup memory is sized for: the layer's, rounded up to a multiple of 8 (one SIMD row of a CPU driver), so layers of
 * different widths share their pipelines (the count itself is a runtime value).
 */
export function unitsBucket(units: number): number {
  return Math.ceil(units / UNITS_BUCKET) * UNITS_BUCKET;
}
const UNITS_BUCKET = 8;

/** Workgroup memory of a sequence entry point, in bytes (see the shader's header). */
export function sequenceWorkgroupBytes(cell: ResolvedCell, units: number, pass: 'forward' | 'backward', rowGroups: number): number {
  const phases = cell.descriptor.phases(cell.config);
  const capacity = unitsBucket(units);
  if (pass === 'forward') return (2 * rowGroups * capacity + rowGroups * capacity * (phases - 1) + 1) * 16;
  return ROWS_PER_WORKGROUP * rowGroups * capacity * cell.descriptor.slots * 4;
}

/**
 * CPU drivers: 2 units per invocation, so each weight loaded feeds 2 x 4 RG multiply-adds. Measured on
 * lavapipe, LSTM(75), batch 10, one process, 12th-percentile / median ms (forward; backward) and the
 * first run's compile time: 1 unit, 1 group 6.3/8.6; 9.1/12.9, 1.8 s; 2 units, 1 group 5.5/7.5;
 * 6.6/9.3, 2.1 s; 2 units, 2 groups 4.5/7.0; 5.9/9.0, 2.6 s; 4 units, 2 groups 4.5/6.8; 5.1/6.8, 3.9 s.
 * GPUs: 1, for parallelism.
 */
export function defaultUnitsPerInvocation(ctx: GpuContext): number {
  return ctx.adapterInfo.isFallbackAdapter ? 2 : 1;
}

/**
 * Row groups: CPU drivers 2 (8 rows share every weight load, and a batch of 10 still spreads over two
 * workgroups, so two cores; one group of 16 rows runs on one: backward 7.8 ms against 6.3), whatever the
 * batch: a workgroup skips its empty groups at run time, so a small batch (decoding, a last partial
 * batch, a validation split) costs what one group would, and a model compiles one pipeline per pass.
 * GPUs: 1, for parallelism.
 */
export function defaultRowGroups(ctx: GpuContext): number {
  return ctx.adapterInfo.isFallbackAdapter ? 2 : 1;
}

/** Picks the strategy of one pass of a layer: the time loop in one dispatch when it fits the device. */
export function planRecurrence(
  ctx: GpuContext, cell: ResolvedCell, pass: 'forward' | 'backward', requested: RecurrentStrategy,
  tuning: { unitsPerInvocation?: number; rowGroups?: number } = {},
): RecurrenceLaunch {
  const units = cell.config.units;
  const upi = Math.min(tuning.unitsPerInvocation ?? defaultUnitsPerInvocation(ctx), units);
  const workgroupSize = Math.ceil(Math.ceil(unitsBucket(units) / upi) / 8) * 8;
  const memory = ctx.limits.maxComputeWorkgroupStorageSize;
  let rowGroups = tuning.rowGroups ?? defaultRowGroups(ctx);
  // Fewer row groups until the pass fits workgroup memory (an explicit choice is kept, and may not fit).
  while (tuning.rowGroups === undefined && rowGroups > 1 && sequenceWorkgroupBytes(cell, units, pass, rowGroups) > memory) rowGroups--;
  const bytes = sequenceWorkgroupBytes(cell, units, pass, rowGroups);
  const fits = workgroupSize <= ctx.limits.maxComputeInvocationsPerWorkgroup && bytes <= memory;
  if (requested === 'sequence' && !fits) {
    throw new LimitError(
      `the in-kernel time loop (${pass}) of ${units} units needs ${workgroupSize} invocations and ${bytes} bytes of workgroup memory; ` +
        `this device allows ${ctx.limits.maxComputeInvocationsPerWorkgroup} and ${memory}: use strategy 'step'`,
    );
  }
  return { strategy: requested === 'auto' ? (fits ? 'sequence' : 'step') : requested, unitsPerInvocation: upi, rowGroups, workgroupSize };
}

/** The shape of one recurrence. */
export interface RecurrenceShape {
  /** Batch size. */
  batch: number;
  /** Time steps. */
  steps: number;
  /** 1, or 2 for both directions of a Bidirectional layer in one dispatch. */
  directions: number;
  /** Per direction: whether it runs time backwards. */
  backwards: readonly boolean[];
  /**
   * Whether a mask of time steps (Keras') applies: [T, B] f32 by input time (1 real, 0 masked), kept in
   * the saved buffer from {@link maskOffset}; masked steps keep every state.
   */
  masked?: boolean;
  /**
   * Whether recurrent dropout applies (Keras' recurrent_dropout, in training): a mask [D, B, U] f32 of
   * each sequence (0 or 1 / (1 - rate)) multiplies the h[s-1] the cell reads, kept in the saved buffer
   * from {@link recurrentDropoutOffset}.
   */
  recurrentDropout?: boolean;
}

/** The recurrence program's dims uniform (shared with decode-loop.ts). */
export type RecurrenceDims = {
  units: number; batch: number; steps: number; directions: number; states: number; step: number; phase: number; flags: number;
  activation: number; recurrent_activation: number; upi: number; row_groups: number; rk_offset: number; rbias_offset: number;
  w_in_offset: number; b_in_offset: number; head_bias_offset: number; inputs: number; outputs: number; start_token: number; end_token: number;
  mask_offset: number; rdrop_offset: number;
};

export const FLAGS = {
  backwards0: 1, backwards1: 2, hasDhseq: 4, hasDstate: 8, accumulateDstate0: 16, tokens: 32, continuePrimed: 64, hasBias: 128, headBias: 256, masked: 512, recurrentDropout: 1024, sample: 2048,
} as const;

/** Where a layer's parameters are in its `weights` range, in Gates elements (vec4 or f32 by the cell). */
export interface WeightOffsets {
  /** The recurrent kernel [D, U, U]. */
  rk: number;
  /** The input kernel [D, F, U] (the decode loop computes its own input projection). */
  kernel: number;
  /** The input bias [D, U], when the layer has one. */
  bias?: number;
  /** The recurrent bias [D, U] (GRU resetAfter), when the layer has one. */
  recurrentBias?: number;
}

function stateCount(cell: ResolvedCell): number {
  return 1 + cell.descriptor.extraStates.length;
}

export function baseDims(cell: ResolvedCell, shape: RecurrenceShape, launch: RecurrenceLaunch, flags: number, offsets: WeightOffsets): RecurrenceDims {
  const who = cell.descriptor.kerasClass;
  let direction = 0;
  shape.backwards.forEach((b, d) => {
    if (b) direction |= d === 0 ? FLAGS.backwards0 : FLAGS.backwards1;
  });
  return {
    units: cell.config.units, batch: shape.batch, steps: shape.steps, directions: shape.directions, states: stateCount(cell), step: 0, phase: 0,
    flags: flags | direction | (shape.masked ? FLAGS.masked : 0) | (shape.recurrentDropout ? FLAGS.recurrentDropout : 0),
    mask_offset: shape.masked ? maskOffset(cell, shape) : 0, rdrop_offset: shape.recurrentDropout ? recurrentDropoutOffset(cell, shape) : 0,
    activation: activationKind(cell.config.activation, who), recurrent_activation: activationKind(cell.config.recurrentActivation, who),
    upi: launch.unitsPerInvocation, row_groups: launch.rowGroups, rk_offset: offsets.rk, rbias_offset: offsets.recurrentBias ?? 0,
    w_in_offset: offsets.kernel, b_in_offset: offsets.bias ?? 0, head_bias_offset: 0, inputs: 0, outputs: 0, start_token: 0, end_token: -1,
  };
}

export function constants(cell: ResolvedCell, launch: RecurrenceLaunch): Record<string, number | boolean> {
  return {
    U_MAX: unitsBucket(cell.config.units), WG: launch.workgroupSize, UPI: launch.unitsPerInvocation, RG: launch.rowGroups,
    ...cell.descriptor.constants(cell.config),
  };
}

export function spec(cell: ResolvedCell, entry: string): KernelSpec {
  return { files: recurrenceFiles(cell.descriptor), entry };
}

/** Where a masked recurrence's mask [T, B] starts in the saved buffer, in floats: after the cell's own values. */
export function maskOffset(cell: ResolvedCell, shape: RecurrenceShape): number {
  return shape.directions * shape.steps * shape.batch * cell.config.units * cell.descriptor.savedFloats(cell.config);
}

/** Where the recurrent dropout mask [D, B, U] starts in the saved buffer, in floats: after the mask of time steps. */
export function recurrentDropoutOffset(cell: ResolvedCell, shape: RecurrenceShape): number {
  return maskOffset(cell, shape) + (shape.masked ? shape.steps * shape.batch : 0);
}

/** Floats of the saved buffer: the cell's values, the mask, the recurrent dropout mask (whole vec4s, at least one: every cell binds it). */
function savedSize(cell: ResolvedCell, shape: RecurrenceShape): number {
  const floats = recurrentDropoutOffset(cell, shape) + (shape.recurrentDropout ? shape.directions * shape.batch * cell.config.units : 0);
  return Math.max(4, Math.ceil(floats / 4) * 4);
}

/** Floats of the buffers of one recurrence shape, by binding name (what each binding must hold). */
export function recurrenceSizes(cell: ResolvedCell, shape: RecurrenceShape): Record<string, number> {
  const { batch: B, steps: T, directions: D } = shape;
  const U = cell.config.units;
  const S = cell.descriptor.slots;
  const P = cell.descriptor.phases(cell.config);
  const states = D * stateCount(cell) * B * U;
  const seq = D * T * B * U;
  const rec = cell.descriptor.recurrentGradient(cell.config) === 'dz_rec' ? P : 0;
  return {
    xw: seq * S, s0: states, sT: states, dsT: states, ds0: states, hseq: seq, dhseq: seq, saved_hseq: seq,
    ops: seq * P, saved_ops: seq * P, zr: D * B * U * S, drec: D * B * U, carry: (2 + cell.descriptor.carries) * D * B * U,
    dz: seq * S * (1 + rec), saved: savedSize(cell, shape), saved_r: savedSize(cell, shape),
  };
}

/** Where the recurrent gradient g starts in the dz buffer, in floats ([D, PHASES, T, B, U] Gates). */
export function recurrentGradientOffset(cell: ResolvedCell, shape: RecurrenceShape): number {
  return cell.descriptor.recurrentGradient(cell.config) === 'dz' ? 0 : shape.directions * shape.steps * shape.batch * cell.config.units * cell.descriptor.slots;
}

/**
 * The bindings of `all` that an entry point uses (reflection), so the skeleton's generic set can be
 * offered to every entry and every cell: each takes what its code reads or writes.
 */
export async function usedBy(registry: KernelRegistry, cell: ResolvedCell, entry: string, all: Record<string, BufferRange | undefined>): Promise<Record<string, BufferRange>> {
  return registry.usedBindings(spec(cell, entry), all);
}

/** Bytes each used binding must hold: its size for the shape, 4 for a placeholder. */
export function bytesOf(registry: KernelRegistry, floats: Record<string, number>, used: Record<string, BufferRange>): Record<string, number> {
  const ctx = registry.context;
  const placeholders = new Set<GPUBuffer>([ctx.placeholder('read'), ctx.placeholder('write')]);
  const out: Record<string, number> = {};
  for (const [name, range] of Object.entries(used)) {
    const buffer = range instanceof Object && 'buffer' in range ? (range as { buffer: GPUBuffer }).buffer : (range as GPUBuffer);
    out[name] = placeholders.has(buffer) ? 4 : Math.max(4, (floats[name] ?? 1) * 4);
  }
  return out;
}

/** The buffers of one recurrence shape (see shaders/recurrence.wgsl), and the layer's weights. */
export interface RecurrenceBuffers {
  /** The input projection [D, T, B, slots * U]. */
  xw: BufferRange;
  /** The layer's parameters, one range; `offsets` says where each part is. */
  weights: BufferRange;
  /** Where each part of the parameters is in `weights`. */
  offsets: WeightOffsets;
  /** Initial states. */
  s0: BufferRange;
  /** Final states. */
  sT: BufferRange;
  /** Output sequence h. */
  hseq: BufferRange;
  /** Every phase's recurrent operand. */
  ops: BufferRange;
  /** The cell's saved values. */
  saved: BufferRange;
  /** Gradients of the pre-activations (and the recurrent gradient). */
  dz: BufferRange;
  /** Gradient of the initial states. */
  ds0: BufferRange;
  /** The state gradient carried between steps. */
  carry: BufferRange;
  /** Absent when no gradient arrives at the output sequence (backward). */
  dhseq?: BufferRange;
  /** Absent when no gradient arrives at the final states (backward). */
  dsT?: BufferRange;
  /** Step strategy scratch: the recurrent product of a phase. */
  zr?: BufferRange;
  /** Step strategy scratch: the recurrent product of a gradient. */
  drec?: BufferRange;
}

function checkShape(label: string, shape: RecurrenceShape): void {
  for (const [name, value] of [['batch', shape.batch], ['steps', shape.steps]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  if (shape.directions !== 1 && shape.directions !== 2) throw new ShapeError(`${label}: directions must be 1 or 2`);
  if (shape.backwards.length !== shape.directions) throw new ShapeError(`${label}: one backwards flag per direction`);
}

/** The weight floats the recurrence needs to see in `weights` (the recurrent kernel and bias). */
export function weightFloats(cell: ResolvedCell, shape: RecurrenceShape, offsets: WeightOffsets): number {
  const U = cell.config.units;
  const S = cell.descriptor.slots;
  const ends = [(offsets.rk + shape.directions * U * U) * S];
  if (offsets.recurrentBias !== undefined) ends.push((offsets.recurrentBias + shape.directions * U) * S);
  return Math.max(...ends);
}

/** The forward recurrence: 1 dispatch ('sequence'), or per step and phase a matmul and a dispatch ('step'). */
export async function recurrenceForwardSteps(
  registry: KernelRegistry, label: string, cell: ResolvedCell, shape: RecurrenceShape, launch: RecurrenceLaunch, buffers: RecurrenceBuffers,
): Promise<Step[]> {
  checkShape(label, shape);
  const floats = { ...recurrenceSizes(cell, shape), weights: weightFloats(cell, shape, buffers.offsets) };
  const dims = baseDims(cell, shape, launch, 0, buffers.offsets);
  const all = { ...buffers, saved_r: undefined, offsets: undefined } as unknown as Record<string, BufferRange | undefined>;
  if (launch.strategy === 'sequence') {
    const kernel = await registry.kernel(spec(cell, 'forward_sequence'), constants(cell, launch));
    const used = await usedBy(registry, cell, 'forward_sequence', all);
    return [kernel.step(label, used, [Math.ceil(shape.batch / (ROWS_PER_WORKGROUP * launch.rowGroups)), shape.directions], { dims, bytes: bytesOf(registry, floats, used) })];
  }
  const zr = buffers.zr;
  if (!zr) throw new ShapeError(`${label}: the per-step strategy needs a zr buffer`);
  const kernel = await registry.kernel(spec(cell, 'forward_step'), constants(cell, launch));
  const { batch: B, steps: T, directions: D } = shape;
  const U = cell.config.units;
  const S = cell.descriptor.slots;
  const P = cell.descriptor.phases(cell.config);
  const states = stateCount(cell);
  const rk = buffers.offsets.rk * S;
  const used = await usedBy(registry, cell, 'forward_step', all);
  const bytes = bytesOf(registry, floats, used);
  const steps: Step[] = [];
  const grid: [number, number, number] = [Math.ceil(U / STEP_WORKGROUP), B, D];
  const dropping = shape.recurrentDropout ?? false;
  if (dropping) {
    const initial = await registry.kernel(spec(cell, 'forward_dropout_initial'), constants(cell, launch));
    const initialUsed = await usedBy(registry, cell, 'forward_dropout_initial', all);
    steps.push(initial.step(`${label}.dropout_initial`, initialUsed, grid, { dims, bytes: bytesOf(registry, floats, initialUsed) }));
  }
  for (let s = 0; s < T; s++) {
    for (let p = 0; p < P; p++) {
      // zr = op_p . rk for every direction: op_0 = h[s-1] (h0 at s = 0), the same processed step for
      // both directions (one batched matmul); op_p = phase p-1's output, and with recurrent dropout
      // op_0 = h[s-1] m, stored in ops at each direction's own input time (a matmul per direction).
      if (p === 0 && !dropping) {
        const [a, aOffset, batchA] = s === 0 ? [buffers.s0, 0, states * B * U] : [buffers.hseq, (s - 1) * B * U, T * B * U];
        steps.push(await matmulStep(registry, `${label}[${s}].product`, {
          M: B, K: U, N: U * S, aOffset, bOffset: rk, batches: D, batchA, batchB: U * U * S, batchC: B * U * S,
        }, { a, b: buffers.weights, c: zr }));
      } else {
        for (let d = 0; d < D; d++) {
          const t = shape.backwards[d] ? T - 1 - s : s;
          steps.push(await matmulStep(registry, `${label}[${s}].product${p}.d${d}`, {
            M: B, K: U, N: U * S, aOffset: ((d * P + p) * T + t) * B * U, bOffset: rk + d * U * U * S, cOffset: d * B * U * S,
          }, { a: buffers.ops, b: buffers.weights, c: zr }));
        }
      }
      steps.push(kernel.step(`${label}[${s}]${P > 1 ? `.phase${p}` : ''}`, used, grid, { dims: { ...dims, step: s, phase: p }, bytes }));
    }
  }
  return steps;
}

/** The flags of a backward pass. */
export interface RecurrenceBackwardOptions {
  /** ds0 += instead of =. */
  accumulateInitialState?: boolean;
}

/**
 * The backward recurrence: 1 dispatch ('sequence'), or per step and phase a matmul and a dispatch, then
 * the initial-state gradient ('step'). Writes dz (and the cell's recurrent gradient after it) and ds0.
 */
export async function recurrenceBackwardSteps(
  registry: KernelRegistry, label: string, cell: ResolvedCell, shape: RecurrenceShape, launch: RecurrenceLaunch,
  buffers: RecurrenceBuffers, options: RecurrenceBackwardOptions = {},
): Promise<Step[]> {
  checkShape(label, shape);
  const ctx = registry.context;
  const floats = { ...recurrenceSizes(cell, shape), weights: weightFloats(cell, shape, buffers.offsets) };
  const flags = (buffers.dhseq ? FLAGS.hasDhseq : 0) | (buffers.dsT ? FLAGS.hasDstate : 0) | (options.accumulateInitialState ? FLAGS.accumulateDstate0 : 0);
  const dims = baseDims(cell, shape, launch, flags, buffers.offsets);
  const all: Record<string, BufferRange | undefined> = {
    weights: buffers.weights, s0: buffers.s0, saved_ops: buffers.ops, saved_hseq: buffers.hseq, saved_r: buffers.saved,
    dhseq: buffers.dhseq ?? ctx.placeholder('read'), dsT: buffers.dsT ?? ctx.placeholder('read'),
    dz: buffers.dz, ds0: buffers.ds0, carry: buffers.carry, drec: buffers.drec,
  };
  if (launch.strategy === 'sequence') {
    const kernel = await registry.kernel(spec(cell, 'backward_sequence'), constants(cell, launch));
    const used = await usedBy(registry, cell, 'backward_sequence', all);
    return [kernel.step(label, used, [Math.ceil(shape.batch / (ROWS_PER_WORKGROUP * launch.rowGroups)), shape.directions], { dims, bytes: bytesOf(registry, floats, used) })];
  }
  const { drec } = buffers;
  if (!drec) throw new ShapeError(`${label}: the per-step strategy needs a drec buffer`);
  const kernel = await registry.kernel(spec(cell, 'backward_step'), constants(cell, launch));
  const initial = await registry.kernel(spec(cell, 'backward_initial'), constants(cell, launch));
  const used = await usedBy(registry, cell, 'backward_step', all);
  const bytes = bytesOf(registry, floats, used);
  const { batch: B, steps: T, directions: D } = shape;
  const U = cell.config.units;
  const S = cell.descriptor.slots;
  const P = cell.descriptor.phases(cell.config);
  const rk = buffers.offsets.rk * S;
  const g0 = recurrentGradientOffset(cell, shape);
  const grid: [number, number, number] = [Math.ceil(U / STEP_WORKGROUP), B, D];
  const steps: Step[] = [];
  // drec = g_q(time t) . rk^T for every direction: g in the recurrent gradient [D, P, T, B, U] Gates.
  const product = async (name: string, q: number, s: number) => {
    for (let d = 0; d < D; d++) {
      const t = shape.backwards[d] ? T - 1 - s : s;
      steps.push(await matmulStep(registry, `${name}.d${d}`, {
        M: B, K: U * S, N: U, transB: true,
        aOffset: g0 + ((d * P + q) * T + t) * B * U * S, bOffset: rk + d * U * U * S, cOffset: d * B * U,
      }, { a: buffers.dz, b: buffers.weights, c: drec }));
    }
  };
  for (let s = T - 1; s >= 0; s--) {
    for (let q = P - 1; q >= 0; q--) {
      if (q === P - 1 && s < T - 1) await product(`${label}[${s}].product`, 0, s + 1);
      if (q < P - 1) await product(`${label}[${s}].product${q + 1}`, q + 1, s);
      steps.push(kernel.step(`${label}[${s}]${P > 1 ? `.phase${q}` : ''}`, used, grid, { dims: { ...dims, step: s, phase: q }, bytes }));
    }
  }
  await product(`${label}.initial_product`, 0, 0);
  const initialUsed = await usedBy(registry, cell, 'backward_initial', all);
  steps.push(initial.step(`${label}.initial_state`, initialUsed, grid, { dims, bytes: bytesOf(registry, floats, initialUsed) }));
  return steps;
}
