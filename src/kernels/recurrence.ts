// What the recurrent kernels (shaders/lstm.wgsl, shaders/simple_rnn.wgsl) share on the host side: the
// choice between the in-kernel time loop and one dispatch per step, the batch rows per workgroup, and
// the per-step index buffer the step entry points read.

import type { GpuContext } from '../gpu/context.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { LimitError } from '../gpu/errors.js';

/**
 * 'sequence': the whole time loop in one dispatch (state in workgroup memory, a barrier per step).
 * 'step': one dispatch per time step. 'auto': sequence whenever the layer fits one workgroup.
 */
export type RecurrentStrategy = 'auto' | 'sequence' | 'step';

/** The most batch rows one invocation keeps in registers (MAX_ROWS in the shaders). */
export const MAX_ROWS = 16;
/** Workgroup size of the per-step entry points (STEP_WG in the shaders). */
export const STEP_WORKGROUP = 64;

export interface RecurrentLaunch {
  strategy: 'sequence' | 'step';
  /** Batch rows per workgroup. */
  rows: number;
  /** Workgroup size of the sequence entry point (invocations needed, rounded up to 8). */
  workgroupSize: number;
  /** Units each invocation of a sequence kernel owns (cells whose shader supports it; else 1). */
  unitsPerInvocation: number;
}

/**
 * Picks the strategy and rows per workgroup for a layer of `units` over `batch` rows.
 * `bytesPerUnitRow` is the workgroup memory one (unit, row) needs (two ping-pong copies included).
 */
export function planRecurrence(
  ctx: GpuContext,
  batch: number,
  units: number,
  bytesPerUnitRow: number,
  requested: RecurrentStrategy,
  rowsOverride?: number,
  unitsPerInvocation = 1,
): RecurrentLaunch {
  // A sequence kernel's invocation owns `unitsPerInvocation` units (see forward_sequence in lstm.wgsl).
  const workgroupSize = Math.ceil(Math.ceil(units / unitsPerInvocation) / 8) * 8;
  const memoryRows = Math.floor(ctx.limits.maxComputeWorkgroupStorageSize / (units * bytesPerUnitRow));
  const fits = workgroupSize <= ctx.limits.maxComputeInvocationsPerWorkgroup && memoryRows >= 1;
  if (requested === 'sequence' && !fits) {
    throw new LimitError(
      `the in-kernel time loop needs ${units} units in one workgroup (this device allows ` +
        `${ctx.limits.maxComputeInvocationsPerWorkgroup} invocations, ${ctx.limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory); use strategy 'step'`,
    );
  }
  const strategy = requested === 'auto' ? (fits ? 'sequence' : 'step') : requested;
  const rows = Math.max(1, Math.min(rowsOverride ?? defaultRows(ctx, batch), MAX_ROWS, batch, strategy === 'sequence' ? memoryRows : MAX_ROWS));
  return { strategy, rows, workgroupSize, unitsPerInvocation };
}

/**
 * CPU drivers scalarize every load per lane, so a workgroup that shares each weight load over as many
 * batch rows as possible wins (measured on lavapipe, LSTM(75), batch 10: 10 rows in one workgroup 2.2 ms,
 * 5 rows in two 2.5 ms, 1 row in ten 5.5 ms). GPUs want many workgroups, so few rows each.
 */
export function defaultRows(ctx: GpuContext, batch: number): number {
  return ctx.adapterInfo.isFallbackAdapter ? MAX_ROWS : Math.ceil(batch / 64);
}

/** The shape of one recurrence: what both recurrent kernels take. */
export interface RecurrentDims {
  batch: number;
  steps: number;
  units: number;
  goBackwards: boolean;
}

/** The override constants both recurrent shaders declare. */
export type RecurrenceConstants = {
  B: number;
  T: number;
  U: number;
  ROWS: number;
  WG: number;
  GO_BACKWARDS: boolean;
  HAS_DHSEQ: boolean;
};

export function recurrenceConstants(dims: RecurrentDims, launch: RecurrentLaunch, hasDhseq: boolean): RecurrenceConstants {
  return {
    B: dims.batch,
    T: dims.steps,
    U: dims.units,
    ROWS: launch.rows,
    WG: launch.workgroupSize,
    GO_BACKWARDS: dims.goBackwards,
    HAS_DHSEQ: hasDhseq,
  };
}

/** Grid of the sequence entry points: one workgroup per `launch.rows` batch rows. */
export function sequenceGrid(dims: RecurrentDims, launch: RecurrentLaunch): [number] {
  return [Math.ceil(dims.batch / launch.rows)];
}

/** Grid of the per-step entry points: units across x (STEP_WORKGROUP each), row blocks across y. */
export function stepGrid(dims: RecurrentDims, launch: RecurrentLaunch): [number, number] {
  return [Math.ceil(dims.units / STEP_WORKGROUP), Math.ceil(dims.batch / launch.rows)];
}

/** The step index buffer the per-step strategy needs; throws when it is missing or too short. */
export function requireStepIndex(stepIndex: StepIndexBuffer | undefined, steps: number, label: string): StepIndexBuffer {
  if (!stepIndex || stepIndex.steps < steps) {
    throw new Error(`${label}: the per-step strategy needs a StepIndexBuffer of at least ${steps} steps`);
  }
  return stepIndex;
}

/**
 * A uniform buffer of `steps` slots, slot s holding the step index s, each slot at the device's uniform
 * offset alignment so that a per-step bind group can point at it. Made once per plan.
 */
export class StepIndexBuffer {
  readonly buffer: GPUBuffer;
  readonly stride: number;

  constructor(
    private readonly ctx: GpuContext,
    readonly steps: number,
    label: string,
  ) {
    this.stride = ctx.limits.minUniformBufferOffsetAlignment;
    const words = new Uint32Array((steps * this.stride) / 4);
    for (let s = 0; s < steps; s++) words[(s * this.stride) / 4] = s;
    this.buffer = ctx.createBuffer(label, words.byteLength, 0x0040 /* UNIFORM */, words);
  }

  /** The binding for step s. */
  slot(s: number): { buffer: GPUBuffer; offset: number; size: number } {
    return { buffer: this.buffer, offset: s * this.stride, size: 16 };
  }

  dispose(): void {
    this.ctx.destroyBuffer(this.buffer);
  }
}

/** The five entry points every recurrent cell's shader provides. */
export interface RecurrenceSpecs<C extends RecurrenceConstants> {
  forwardSequence: KernelSpec<C>;
  forwardStep: KernelSpec<C>;
  backwardSequence: KernelSpec<C>;
  backwardStep: KernelSpec<C>;
  backwardInitial: KernelSpec<C>;
}

/**
 * The five specs of a cell's shader from its binding sizes. backward_step writes no dh0 (the extra
 * backward_initial_state dispatch does), so its spec sizes everything backward does except dh0.
 */
export function recurrenceSpecs<C extends RecurrenceConstants>(
  shader: string,
  forwardBytes: (c: C) => Record<string, number>,
  backwardBytes: (c: C) => Record<string, number>,
  initialBytes: (c: C) => Record<string, number>,
): RecurrenceSpecs<C> {
  const spec = (entry: string, bindingBytes: (c: C) => Record<string, number>): KernelSpec<C> => ({ shader, entry, bindingBytes });
  return {
    forwardSequence: spec('forward_sequence', forwardBytes),
    forwardStep: spec('forward_step', forwardBytes),
    backwardSequence: spec('backward_sequence', backwardBytes),
    backwardStep: spec('backward_step', (c) => {
      const { dh0: _written, ...bytes } = backwardBytes(c);
      return bytes;
    }),
    backwardInitial: spec('backward_initial_state', initialBytes),
  };
}

/** The forward recurrence of any cell: 1 dispatch ('sequence') or one per step ('step', needs `stepIndex`). */
export async function recurrenceForwardSteps<C extends RecurrenceConstants>(
  registry: KernelRegistry, label: string, specs: RecurrenceSpecs<C>, constants: C, dims: RecurrentDims, launch: RecurrentLaunch,
  bindings: Record<string, BufferRange>, stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  if (launch.strategy === 'sequence') {
    return [(await registry.kernel(specs.forwardSequence, constants)).step(label, bindings, sequenceGrid(dims, launch))];
  }
  const kernel = await registry.kernel(specs.forwardStep, constants);
  const index = requireStepIndex(stepIndex, dims.steps, label);
  return Array.from({ length: dims.steps }, (_, s) => kernel.step(`${label}[${s}]`, { ...bindings, params: index.slot(s) }, stepGrid(dims, launch)));
}

/**
 * The backward recurrence of any cell: 1 dispatch ('sequence'), or one per step in reverse plus one that
 * computes dh0 from step 0's dz of every unit ('step'). `bindings` must include rk, dz and dh0.
 */
export async function recurrenceBackwardSteps<C extends RecurrenceConstants>(
  registry: KernelRegistry, label: string, specs: RecurrenceSpecs<C>, constants: C, dims: RecurrentDims, launch: RecurrentLaunch,
  bindings: Record<string, BufferRange>, stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  if (launch.strategy === 'sequence') {
    return [(await registry.kernel(specs.backwardSequence, constants)).step(label, bindings, sequenceGrid(dims, launch))];
  }
  const kernel = await registry.kernel(specs.backwardStep, constants);
  const index = requireStepIndex(stepIndex, dims.steps, label);
  const { dh0, ...stepBindings } = bindings; // dh0 is written by the extra dispatch below
  const steps = Array.from({ length: dims.steps }, (_, n) => {
    const s = dims.steps - 1 - n;
    return kernel.step(`${label}[${s}]`, { ...stepBindings, params: index.slot(s) }, stepGrid(dims, launch));
  });
  const initial = await registry.kernel(specs.backwardInitial, constants);
  steps.push(initial.step(`${label}.initial_state`, { rk: bindings.rk, dz: bindings.dz, dh0 }, stepGrid(dims, launch)));
  return steps;
}
