// Shared driver for the recurrent-layer tests: random weights, inputs and upstream gradients; the GPU
// layer's forward and backward against the float64 reference.

import type { RecurrentLayer } from '../../src/index.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { REFERENCE_CELLS } from '../reference/cells/index.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { recurrentBackward, recurrentForward, type RecurrentOptions } from '../reference/recurrent.js';

export interface RecurrentCase {
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  initialState?: boolean;
  /** Gradient also arrives at the final state. */
  stateGradient?: boolean;
  strategy?: 'auto' | 'sequence' | 'step';
  /** Tuning: units per invocation of the in-kernel loop. */
  unitsPerInvocation?: number;
  /** Cell options: activation, recurrentActivation, resetAfter. */
  cellOptions?: { activation?: string; recurrentActivation?: string; resetAfter?: boolean; useBias?: boolean };
  /** Scale of the random weights (1/sqrt(units) by default: unsaturated gates). */
  weightScale?: number;
}

export function caseName(c: RecurrentCase): string {
  const flags = [
    c.returnSequences && 'sequences',
    c.goBackwards && 'goBackwards',
    c.initialState && 'initialState',
    c.stateGradient && 'dState',
    c.strategy && c.strategy !== 'auto' && c.strategy,
    c.unitsPerInvocation && `${c.unitsPerInvocation} units per invocation`,
    ...Object.entries(c.cellOptions ?? {}).map(([k, v]) => `${k}=${v}`),
  ].filter(Boolean);
  return `B${c.batch} T${c.steps} in${c.inputSize} u${c.units}${flags.length ? ' ' + flags.join(' ') : ''}`;
}

/** What a reference run gives, in Keras layout / batch-major like the layer API. */
export interface ReferenceRun {
  output: Float64Array;
  states: Float64Array[];
  dWeights: Float64Array[];
  dInput: Float64Array;
  dInitialState: Float64Array[];
}

export interface CaseData {
  weights: Float64Array[];
  x: Float64Array;
  initialState?: Float64Array[];
  dOutput: Float64Array;
  dStates?: Float64Array[];
}

export function makeCaseData(c: RecurrentCase, gates: number, stateCount: number, seed: number, biasRows = 1): CaseData {
  const rng = mulberry32(seed);
  const G = gates * c.units;
  const scale = c.weightScale ?? 1 / Math.sqrt(c.units + c.inputSize);
  const weights = [uniformArray(c.inputSize * G, scale, rng), uniformArray(c.units * G, scale, rng)];
  if (c.cellOptions?.useBias !== false) weights.push(uniformArray(biasRows * G, 0.5, rng));
  const x = uniformArray(c.batch * c.steps * c.inputSize, 1, rng);
  const initialState = c.initialState ? Array.from({ length: stateCount }, () => uniformArray(c.batch * c.units, 0.8, rng)) : undefined;
  const dOutput = uniformArray(c.batch * c.units * (c.returnSequences ? c.steps : 1), 1, rng);
  const dStates = c.stateGradient ? Array.from({ length: stateCount }, () => uniformArray(c.batch * c.units, 1, rng)) : undefined;
  return { weights, x, initialState, dOutput, dStates };
}

/**
 * Tolerances. Forward: h and c are bounded by 1 and each step's pre-activation sums inputSize + units
 * f32 products of size <= 1/sqrt(n): rounding is ~1e-7 per step, and with these weights the steps are
 * contractive, so errors stay near 1e-7 over 24 steps (measured: <= 2.5e-7). Backward: a weight gradient
 * sums batch * steps products, so its error scales with the largest entry: 1e-5 of that (measured: <= 7e-7
 * of it), plus 1e-5 relative.
 */
export const FORWARD_TOLERANCE: Tolerance = { atol: 2e-6, rtol: 1e-5 };
export function gradientTolerance(reference: ArrayLike<number>): Tolerance {
  let largest = 0;
  for (let i = 0; i < reference.length; i++) largest = Math.max(largest, Math.abs(reference[i]));
  return { atol: 1e-5 * Math.max(largest, 1e-3), rtol: 1e-5 };
}

export async function checkAgainstReference(
  layer: RecurrentLayer,
  c: RecurrentCase,
  data: CaseData,
  reference: ReferenceRun,
): Promise<void> {
  layer.setWeights(data.weights.map((w) => Float32Array.from(w)));
  const f32 = (a?: Float64Array[]) => a?.map((s) => Float32Array.from(s));
  const result = await layer.forward(Float32Array.from(data.x), { batch: c.batch, steps: c.steps }, f32(data.initialState));
  expectClose(result.output, reference.output, FORWARD_TOLERANCE, 'output');
  result.states.forEach((s, i) => expectClose(s, reference.states[i], FORWARD_TOLERANCE, `final state ${i}`));

  const grads = await layer.backward(Float32Array.from(data.dOutput), f32(data.dStates));
  const names = ['dKernel', 'dRecurrentKernel', 'dBias'];
  if (grads.weights.length !== reference.dWeights.length) throw new Error(`${grads.weights.length} weight gradients, expected ${reference.dWeights.length}`);
  grads.weights.forEach((g, i) => expectClose(g, reference.dWeights[i], gradientTolerance(reference.dWeights[i]), names[i]));
  expectClose(grads.input, reference.dInput, gradientTolerance(reference.dInput), 'dInput');
  grads.initialState.forEach((g, i) =>
    expectClose(g, reference.dInitialState[i], gradientTolerance(reference.dInitialState[i]), `dInitialState ${i}`),
  );
}

/** The float64 reference run of a case for a cell. */
export function referenceRun(cell: string, c: RecurrentCase, data: CaseData): ReferenceRun {
  const reference = REFERENCE_CELLS[cell];
  const [kernel, recurrentKernel, bias] = data.weights;
  const w = { kernel, recurrentKernel, ...(bias ? { bias } : {}) };
  const opts: RecurrentOptions = { ...c.cellOptions, returnSequences: c.returnSequences, goBackwards: c.goBackwards, initialState: data.initialState };
  const forward = recurrentForward(reference, w, data.x, c.batch, c.steps, opts);
  const backward = recurrentBackward(reference, w, data.x, forward, data.dOutput, data.dStates);
  return {
    output: forward.output,
    states: forward.states,
    dWeights: [backward.dKernel, backward.dRecurrentKernel, ...(backward.dBias ? [backward.dBias] : [])],
    dInput: backward.dx,
    dInitialState: backward.dInitialState,
  };
}
