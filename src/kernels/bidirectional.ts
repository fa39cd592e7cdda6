// The merge of a Bidirectional layer's two directions (shaders/bidirectional.wgsl), forward and backward:
// Keras' merge_mode over the recurrence's hseq (sequences) or sT (final states), with the backward
// direction put back in time order.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';
import { checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';

/** How the two directions are combined: Keras' merge_mode, with 'none' for merge_mode None (two outputs). */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | 'none';

/** The merge modes by name, with the mode code the shader takes. */
export const MERGE_MODE_CODES: Readonly<Record<MergeMode, number>> = { concat: 0, sum: 1, mul: 2, ave: 3, none: 4 };

/** A region of a buffer from an element offset (4-byte elements: a dim, so any offset works). */
export type MergeRegion = ElementRegion;

/**
 * Shape of what is merged: T steps of B rows of U units per direction, and S states per direction in
 * the source region [2, S, T, B, U] (only state 0, h, is merged).
 */
export interface MergeShape {
  /** T: the sequence's steps, or 1 for the final states. */
  steps: number;
  /** B. */
  batch: number;
  /** U. */
  units: number;
}

type MergeDims = {
  steps: number; batch: number; units: number; states: number; mode: number; flags: number; keep: number;
  src_offset: number; out_offset: number; dsrc_offset: number;
};

/** merge_forward (shaders/bidirectional.wgsl). */
export const mergeForwardSpec: KernelSpec = { files: ['bidirectional.wgsl'], entry: 'merge_forward' };
/** merge_backward (shaders/bidirectional.wgsl). */
export const mergeBackwardSpec: KernelSpec = { files: ['bidirectional.wgsl'], entry: 'merge_backward' };

const WORKGROUP = 64;
const FLAG_GRAD_0 = 1;
const FLAG_GRAD_1 = 2;
/** States per direction the keep mask (2 S bits of a u32) has room for. */
const MAX_STATES = 16;

/** Width of each merged output's last axis: 2U for concat, U otherwise (for 'none', each of its two outputs). */
export function mergedWidth(mode: MergeMode, units: number): number {
  checkMode('mergedWidth', mode);
  return mode === 'concat' ? 2 * units : units;
}

/**
 * The merged output(s) [T, B, mergedWidth] (mode 'none': both directions' outputs, [2, T, B, U]) of the
 * source region [2, S, T, B, U] (`dims.states` S, default 1; the final states sT [2, S, B, U] with T = 1):
 * the forward direction's h at time t with the backward direction's h at its step T-1-t.
 */
export async function mergeForwardStep(
  registry: KernelRegistry,
  label: string,
  mode: MergeMode,
  dims: MergeShape & {
    /** S: states per direction in the source region (sT of an LSTM: 2). Default 1. */
    states?: number;
  },
  buffers: { src: MergeRegion; out: MergeRegion },
): Promise<Step> {
  const shape = checkShape(label, mode, { ...dims, states: dims.states ?? 1 });
  const { block } = shape;
  const src = checkRegion(label, 'src', buffers.src, sourceFloats(shape));
  const out = checkRegion(label, 'out', buffers.out, outputFloats(mode, block));
  keepApart(label, [['out', buffers.out]], [['src', buffers.src]]);
  const values = dimsOf(shape, MERGE_MODE_CODES[mode], { src_offset: buffers.src.offset, out_offset: buffers.out.offset });
  return (await registry.kernel<MergeDims>(mergeForwardSpec)).step(label, { src: src.range, out: out.range },
    grid1d(block, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { src: src.bytes, out: out.bytes } });
}

/** What a merge backward adds to, and which outputs have a gradient. */
export interface MergeBackwardOptions {
  /**
   * Per (direction d, state s), at index d S + s (the target's own order): whether to add to what the
   * target holds there (gradient that arrived there already) rather than overwrite it. Length 2 S.
   */
  keep: readonly boolean[];
  /**
   * Whether gradient arrives at each merged output: mode 'none', its two outputs (a half without is
   * neither read nor added); the other modes have one output, so both entries must agree. Default both.
   */
  outputGradients?: readonly [boolean, boolean];
}

/**
 * The gradient of the merge: writes the whole target region [2, S, T, B, U] (the recurrence's dhseq with
 * S = 1, or its dsT [2, S, B, U] with T = 1): at (d, s) what it held (where `keep` says) plus, for h
 * (s = 0), the gradient of the merged output(s) `dout` (laid out as mergeForwardStep's out) with respect
 * to direction d's h, direction 1's in its own (reversed) order. `src` (the forward's source region) is
 * read in mode 'mul' only.
 */
export async function mergeBackwardStep(
  registry: KernelRegistry,
  label: string,
  mode: MergeMode,
  dims: MergeShape & {
    /** S: states per direction in the target (and source) region. */
    states: number;
  },
  buffers: { dout: MergeRegion; src?: MergeRegion; target: MergeRegion },
  options: MergeBackwardOptions,
): Promise<Step> {
  const shape = checkShape(label, mode, dims);
  const { block, states } = shape;
  const { keep, outputGradients = [true, true] } = options;
  if (!Array.isArray(keep) || keep.length !== 2 * states || keep.some((k) => typeof k !== 'boolean')) {
    throw new ShapeError(`${label}: keep must be ${2 * states} booleans (per direction d and state s, at d * ${states} + s), got ${describe(keep)}`);
  }
  if (!Array.isArray(outputGradients) || outputGradients.length !== 2 || outputGradients.some((g) => typeof g !== 'boolean')) {
    throw new ShapeError(`${label}: outputGradients must be two booleans, got ${describe(outputGradients)}`);
  }
  if (mode !== 'none' && outputGradients[0] !== outputGradients[1]) {
    throw new ShapeError(`${label}: mode '${mode}' has one merged output, so outputGradients must agree, got [${outputGradients.join(', ')}]`);
  }
  const [grad0, grad1] = outputGradients;
  // The floats of dout read: none when no gradient arrives; in mode none up to the last half with one.
  const doutFloats = !grad0 && !grad1 ? 0 : mode === 'none' ? (grad1 ? 2 : 1) * block : outputFloats(mode, block);
  const readsSource = mode === 'mul' && grad0;
  if (readsSource && !buffers.src) throw new ShapeError(`${label}: mode 'mul' needs src (the merged values: its gradient is the other direction's value)`);
  const dout = checkRegion(label, 'dout', buffers.dout, doutFloats);
  const target = checkRegion(label, 'target', buffers.target, 2 * states * block);
  const src = buffers.src ? checkRegion(label, 'src', buffers.src, readsSource ? sourceFloats(shape) : 0) : undefined;
  keepApart(label, [['target', buffers.target]], [['dout', buffers.dout], ...(buffers.src ? [['src', buffers.src] as const] : [])]);
  const values = dimsOf(shape, MERGE_MODE_CODES[mode], {
    flags: (grad0 ? FLAG_GRAD_0 : 0) | (grad1 ? FLAG_GRAD_1 : 0),
    keep: keep.reduce((mask, k, i) => mask | (k ? 1 << i : 0), 0) >>> 0,
    src_offset: buffers.src?.offset ?? 0, out_offset: buffers.dout.offset, dsrc_offset: buffers.target.offset,
  });
  return (await registry.kernel<MergeDims>(mergeBackwardSpec)).step(label,
    { src: src?.range ?? registry.context.placeholder('read'), dout: dout.range, dsrc: target.range },
    grid1d(2 * states * block, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims: values, bytes: { src: src?.bytes ?? 4, dout: dout.bytes, dsrc: target.bytes } });
}

interface CheckedShape {
  steps: number;
  batch: number;
  units: number;
  states: number;
  /** T B U: one direction's h. */
  block: number;
}

function checkMode(label: string, mode: MergeMode): void {
  if (typeof mode !== 'string' || !Object.hasOwn(MERGE_MODE_CODES, mode)) {
    throw new ShapeError(`${label}: mode must be one of ${Object.keys(MERGE_MODE_CODES).map((m) => `'${m}'`).join(', ')}, got ${describe(mode)}`);
  }
}

function checkShape(label: string, mode: MergeMode, dims: { steps: number; batch: number; units: number; states: number }): CheckedShape {
  checkMode(label, mode);
  for (const name of ['steps', 'batch', 'units', 'states'] as const) {
    const value = dims[name];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  if (dims.states > MAX_STATES) throw new ShapeError(`${label}: states must be at most ${MAX_STATES}, got ${dims.states}`);
  const { steps, batch, units, states } = dims;
  return { steps, batch, units, states, block: steps * batch * units };
}

/** Floats of the source region that are read: to the end of direction 1's h, (S + 1) T B U. */
function sourceFloats(shape: CheckedShape): number {
  return (shape.states + 1) * shape.block;
}

/** Floats of the merged output(s). */
function outputFloats(mode: MergeMode, block: number): number {
  return mode === 'concat' || mode === 'none' ? 2 * block : block;
}

/** Checks that `floats` elements from the region's offset fit its buffer; the binding (the whole buffer) and its bytes. */

/** A dispatch may not bind one buffer writably and again: the merge never works in place. */

function dimsOf(shape: CheckedShape, mode: number, rest: Partial<MergeDims>): MergeDims {
  const { steps, batch, units, states } = shape;
  return { steps, batch, units, states, mode, flags: 0, keep: 0, src_offset: 0, out_offset: 0, dsrc_offset: 0, ...rest };
}


