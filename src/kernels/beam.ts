// Beam search on the GPU (shaders/beam.wgsl): the choice of each step's beams among their candidates,
// the reordering of decoder states to follow them, and the backtrack that reads each beam's tokens.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

const FILES = ['beam.wgsl'];

/** The widest beam the selection kernel keeps (its candidate list lives in registers). */
export const MAX_BEAM_WIDTH = 16;
/** Bytes of one beam's state: score (f32), length, status (0 alive, 1 finished, 2 empty), padding. */
export const BEAM_BYTES = 16;

type BeamDims = {
  questions: number; width: number; vocab: number; step: number; steps: number; end_token: number; length_penalty: number;
  slot_stride: number; states: number; rows_in: number; units: number;
};

const spec = (entry: string): KernelSpec => ({ files: FILES, entry });

/** What a beam search searches: Q questions of K beams over a vocabulary of V tokens, T steps. */
export interface BeamShape {
  questions: number;
  width: number;
  vocab: number;
  steps: number;
  endToken: number;
  /** GNMT's alpha: candidates rank by score / ((5 + length) / 6)^alpha. */
  lengthPenalty: number;
  /** Elements between token slots (slot t + 1 holds step t's tokens). */
  slotStride: number;
}

function dims(shape: BeamShape, step: number, extra: Partial<BeamDims> = {}): BeamDims {
  return {
    questions: shape.questions, width: shape.width, vocab: shape.vocab, step, steps: shape.steps, end_token: shape.endToken,
    length_penalty: shape.lengthPenalty, slot_stride: shape.slotStride, states: 0, rows_in: 0, units: 0, ...extra,
  };
}

/** Step `step`'s beams from the head's logits: scores, parents and tokens of every question's K best candidates. */
export async function beamSelectStep(
  registry: KernelRegistry, label: string, shape: BeamShape, step: number,
  buffers: { logits: BufferRange; beams: BufferRange; parents: BufferRange; tokens: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<BeamDims>(spec('beam_select'));
  const rows = shape.questions * shape.width;
  return kernel.step(label, buffers, [Math.ceil(shape.questions / 64)], {
    dims: dims(shape, step),
    bytes: { logits: rows * shape.vocab * 4, beams: rows * BEAM_BYTES, parents: shape.steps * rows * 4, tokens: ((shape.steps + 1) * shape.slotStride) * 4 },
  });
}

/**
 * out[s, r, :] = in[s, sources[step rows + r], :] for states [S, rows, U]: a layer's states reordered after
 * their beams (sources: the parents, at `step`), or the encoder's `rowsIn` states spread over the beams.
 */
export async function gatherRowsStep(
  registry: KernelRegistry, label: string, shape: BeamShape, step: number, layout: { states: number; rowsIn: number; units: number },
  buffers: { state_in: BufferRange; state_out: BufferRange; sources: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<BeamDims>(spec('gather_rows'));
  const rows = shape.questions * shape.width;
  const n = layout.states * rows * layout.units;
  return kernel.step(label, buffers, grid1d(n, 64, registry.limits.maxComputeWorkgroupsPerDimension), {
    dims: dims(shape, step, { states: layout.states, rows_in: layout.rowsIn, units: layout.units }),
    bytes: { state_in: layout.states * layout.rowsIn * layout.units * 4, state_out: n * 4, sources: (step + 1) * rows * 4 },
  });
}

/** Each beam's tokens followed back through the parents, then its score, length and status: u32 [B T + 3 B]. */
export async function backtrackStep(
  registry: KernelRegistry, label: string, shape: BeamShape,
  buffers: { beams: BufferRange; parents: BufferRange; tokens: BufferRange; result: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel<BeamDims>(spec('backtrack'));
  const rows = shape.questions * shape.width;
  return kernel.step(label, buffers, [Math.ceil(rows / 64)], {
    dims: dims(shape, 0),
    bytes: { beams: rows * BEAM_BYTES, parents: shape.steps * rows * 4, tokens: (shape.steps + 1) * shape.slotStride * 4, result: (rows * shape.steps + 3 * rows) * 4 },
  });
}
