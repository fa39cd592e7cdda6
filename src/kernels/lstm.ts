// LSTM recurrence dispatches (shaders/lstm.wgsl): forward and backward through time, either as one
// dispatch with the time loop inside or one dispatch per step. Buffers are described in the shader.

import type { BufferRange, KernelRegistry, Step } from '../gpu/kernel-registry.js';
import {
  recurrenceBackwardSteps,
  recurrenceSpecs,
  recurrenceConstants,
  recurrenceForwardSteps,
  type RecurrenceConstants,
  type RecurrentDims,
  type RecurrentLaunch,
  type StepIndexBuffer,
} from './recurrence.js';

type LstmConstants = RecurrenceConstants & { UNITS_PER_INVOCATION: number };

const state = (c: LstmConstants) => c.B * c.U * 4;
const sequence = (c: LstmConstants) => c.T * c.B * c.U * 4;

const forwardBytes = (c: LstmConstants) => ({
  xw: sequence(c) * 4,
  rk: c.U * c.U * 16,
  h0: state(c),
  c0: state(c),
  hseq: sequence(c),
  hprev: sequence(c),
  cseq: sequence(c),
  gates: sequence(c) * 4,
  hT: state(c),
  cT: state(c),
});
const backwardBytes = (c: LstmConstants) => ({
  rk: c.U * c.U * 16,
  c0: state(c),
  saved_gates: sequence(c) * 4,
  saved_cseq: sequence(c),
  dhseq: c.HAS_DHSEQ ? sequence(c) : 4,
  dhT: state(c),
  dcT: state(c),
  dz: sequence(c) * 4,
  dh0: state(c),
  dc0: state(c),
});

/** The five entry points of shaders/lstm.wgsl. */
export const lstmSpecs = recurrenceSpecs<LstmConstants>('lstm.wgsl', forwardBytes, backwardBytes, (c) => ({ rk: c.U * c.U * 16, dz: sequence(c) * 4, dh0: state(c) }));

export type LstmDims = RecurrentDims;

export interface LstmForwardBuffers {
  xw: BufferRange;
  rk: BufferRange;
  h0: BufferRange;
  c0: BufferRange;
  hseq: BufferRange;
  hprev: BufferRange;
  cseq: BufferRange;
  gates: BufferRange;
  hT: BufferRange;
  cT: BufferRange;
}

export interface LstmBackwardBuffers {
  rk: BufferRange;
  c0: BufferRange;
  gates: BufferRange;
  cseq: BufferRange;
  /** Gradient into the output sequence; absent when only the final state receives gradient. */
  dhseq?: BufferRange;
  dhT: BufferRange;
  dcT: BufferRange;
  dz: BufferRange;
  dh0: BufferRange;
  dc0: BufferRange;
}

/** The forward recurrence: 1 dispatch ('sequence') or one per step ('step', needs `stepIndex`). */
export async function lstmForwardSteps(
  registry: KernelRegistry,
  label: string,
  dims: LstmDims,
  launch: RecurrentLaunch,
  buffers: LstmForwardBuffers,
  stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  const c = { ...recurrenceConstants(dims, launch, false), UNITS_PER_INVOCATION: launch.unitsPerInvocation };
  return recurrenceForwardSteps(registry, label, lstmSpecs, c, dims, launch, { ...buffers }, stepIndex);
}

/** The backward recurrence: 1 dispatch ('sequence') or steps + 1 ('step', needs `stepIndex`). */
export async function lstmBackwardSteps(
  registry: KernelRegistry,
  label: string,
  dims: LstmDims,
  launch: RecurrentLaunch,
  buffers: LstmBackwardBuffers,
  stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  const c = { ...recurrenceConstants(dims, launch, buffers.dhseq !== undefined), UNITS_PER_INVOCATION: launch.unitsPerInvocation };
  const bindings: Record<string, BufferRange> = {
    rk: buffers.rk,
    c0: buffers.c0,
    saved_gates: buffers.gates,
    saved_cseq: buffers.cseq,
    dhseq: buffers.dhseq ?? buffers.dhT, // unread when HAS_DHSEQ is false, but must be bound
    dhT: buffers.dhT,
    dcT: buffers.dcT,
    dz: buffers.dz,
    dh0: buffers.dh0,
    dc0: buffers.dc0,
  };
  return recurrenceBackwardSteps(registry, label, lstmSpecs, c, dims, launch, bindings, stepIndex);
}
