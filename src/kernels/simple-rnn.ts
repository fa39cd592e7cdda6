// SimpleRNN recurrence dispatches (shaders/simple_rnn.wgsl): forward and backward through time, either as
// one dispatch with the time loop inside or one dispatch per step. Buffers are described in the shader.

import { ShapeError } from '../gpu/errors.js';
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

/** The cell's activation (Keras' `activation` argument of SimpleRNN). */
export type SimpleRnnActivation = 'tanh' | 'relu';

/** ACTIVATION override values in shaders/simple_rnn.wgsl. */
export const SIMPLE_RNN_ACTIVATIONS: Readonly<Record<SimpleRnnActivation, number>> = { tanh: 0, relu: 1 };

type SimpleRnnConstants = RecurrenceConstants & { ACTIVATION: number };

const state = (c: SimpleRnnConstants) => c.B * c.U * 4;
const sequence = (c: SimpleRnnConstants) => c.T * c.B * c.U * 4;

const forwardBytes = (c: SimpleRnnConstants) => ({
  xw: sequence(c),
  rk: c.U * c.U * 4,
  h0: state(c),
  hseq: sequence(c),
  hprev: sequence(c),
  hT: state(c),
});
const backwardBytes = (c: SimpleRnnConstants) => ({
  rk: c.U * c.U * 4,
  saved_hseq: sequence(c),
  dhseq: c.HAS_DHSEQ ? sequence(c) : 4,
  dhT: state(c),
  dz: sequence(c),
  dh0: state(c),
});

/** The five entry points of shaders/simple_rnn.wgsl. */
export const simpleRnnSpecs = recurrenceSpecs<SimpleRnnConstants>('simple_rnn.wgsl', forwardBytes, backwardBytes, (c) => ({ rk: c.U * c.U * 4, dz: sequence(c), dh0: state(c) }));

export interface SimpleRnnDims extends RecurrentDims {
  activation: SimpleRnnActivation;
}

export interface SimpleRnnForwardBuffers {
  xw: BufferRange;
  rk: BufferRange;
  h0: BufferRange;
  hseq: BufferRange;
  hprev: BufferRange;
  hT: BufferRange;
}

export interface SimpleRnnBackwardBuffers {
  rk: BufferRange;
  /** The forward's hseq: the activation's derivative is read off h itself. */
  hseq: BufferRange;
  /** Gradient into the output sequence; absent when only the final state receives gradient. */
  dhseq?: BufferRange;
  dhT: BufferRange;
  dz: BufferRange;
  dh0: BufferRange;
}

function constants(dims: SimpleRnnDims, launch: RecurrentLaunch, hasDhseq: boolean): SimpleRnnConstants {
  const activation = SIMPLE_RNN_ACTIVATIONS[dims.activation];
  if (activation === undefined) throw new ShapeError(`SimpleRNN: unknown activation '${dims.activation}' (tanh or relu)`);
  return { ...recurrenceConstants(dims, launch, hasDhseq), ACTIVATION: activation };
}

/** The forward recurrence: 1 dispatch ('sequence') or one per step ('step', needs `stepIndex`). */
export async function simpleRnnForwardSteps(
  registry: KernelRegistry,
  label: string,
  dims: SimpleRnnDims,
  launch: RecurrentLaunch,
  buffers: SimpleRnnForwardBuffers,
  stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  const c = constants(dims, launch, false);
  return recurrenceForwardSteps(registry, label, simpleRnnSpecs, c, dims, launch, { ...buffers }, stepIndex);
}

/** The backward recurrence: 1 dispatch ('sequence') or steps + 1 ('step', needs `stepIndex`). */
export async function simpleRnnBackwardSteps(
  registry: KernelRegistry,
  label: string,
  dims: SimpleRnnDims,
  launch: RecurrentLaunch,
  buffers: SimpleRnnBackwardBuffers,
  stepIndex?: StepIndexBuffer,
): Promise<Step[]> {
  const c = constants(dims, launch, buffers.dhseq !== undefined);
  const bindings: Record<string, BufferRange> = {
    rk: buffers.rk,
    saved_hseq: buffers.hseq,
    dhseq: buffers.dhseq ?? buffers.dhT, // unread when HAS_DHSEQ is false, but must be bound
    dhT: buffers.dhT,
    dz: buffers.dz,
    dh0: buffers.dh0,
  };
  return recurrenceBackwardSteps(registry, label, simpleRnnSpecs, c, dims, launch, bindings, stepIndex);
}
