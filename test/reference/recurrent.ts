// The float64 recurrent layer of any cell (Keras semantics), written once: the time loop, goBackwards,
// returnSequences, initial states, and backpropagation through time. A cell (cells/*.ts) supplies one
// step for one row and its backward. Weights in Keras layout (gate blocks), data batch-major [B, T, F].
// Step s processes time t = s, or t = T-1-s with goBackwards; the output sequence is in processed order,
// as Keras returns it. A mask (Keras' mask of time steps, [B, T] by input time) makes a masked step keep
// every state: h and the cell's others pass through, the output repeats h (zero_output_for_mask false),
// and backward passes their gradients on, with no gradient for that step's input or weights.
// A recurrent dropout mask ([B, u], the same at every step) multiplies the previous h the cell reads at
// every real step (TF.js' cells: h_tm1 = h_tm1 * mask, in every use); a masked step passes h on undropped.

import { expectLength } from './shapes.js';

export interface RecurrentWeights {
  /** [in, G u] */
  kernel: Float64Array;
  /** [u, G u] */
  recurrentKernel: Float64Array;
  /** [G u], or [2, G u] (GRU resetAfter: input bias, then recurrent bias); absent without bias. */
  bias?: Float64Array;
}

export interface CellSettings {
  units: number;
  activation: string;
  recurrentActivation: string;
  resetAfter: boolean;
}

/** One step of a cell for one row. */
export interface ReferenceCell {
  readonly name: string;
  /** Keras gates per unit. */
  readonly gates: number;
  /** States besides h (LSTM: 1, c). */
  readonly extraStates: number;
  /**
   * zx: x_t . kernel + input bias [G u] (gate blocks); hPrev [u]; extra [extraStates][u].
   * Returns the new h, the new extra states and whatever backward needs.
   */
  step(zx: Float64Array, hPrev: Float64Array, extra: Float64Array[], w: RecurrentWeights, c: CellSettings): { h: Float64Array; extra: Float64Array[]; cache: unknown };
  /**
   * dh, dExtra: gradients arriving at this step's h and extra states. Adds to dRecurrentKernel (and the
   * recurrent half of dBias); returns the gradient of zx and of the previous states.
   */
  stepBackward(
    dh: Float64Array, dExtra: Float64Array[], cache: unknown, w: RecurrentWeights, c: CellSettings,
    grads: { dRecurrentKernel: Float64Array; dBias?: Float64Array },
  ): { dzx: Float64Array; dhPrev: Float64Array; dExtraPrev: Float64Array[] };
}

export interface RecurrentOptions {
  activation?: string;
  recurrentActivation?: string;
  resetAfter?: boolean;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** Initial states [B, u] each (h, then the extra states); zeros when absent. */
  initialState?: Float64Array[];
  /** [B, T] by input time: 0 masks the step (it keeps every state), anything else is a real step. */
  mask?: Float64Array;
  /** [B, u]: recurrent dropout's factor of each unit of h (0, or 1 / (1 - rate)), the same at every step. */
  recurrentMask?: Float64Array;
}

export interface RecurrentForward {
  /** [B, T, u] with returnSequences, else [B, u] (= hT). */
  output: Float64Array;
  /** h after every step [B, T, u], processed order. */
  hSeq: Float64Array;
  /** Final states [B, u] each: h, then the extra states. */
  states: Float64Array[];
  cache: { caches: unknown[][]; settings: CellSettings; B: number; T: number; F: number; opts: RecurrentOptions };
}

export interface RecurrentGradients {
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  /** Absent without bias. */
  dBias?: Float64Array;
  /** [B, T, in] by real time (the layout of x). */
  dx: Float64Array;
  /** Per state [B, u]. */
  dInitialState: Float64Array[];
}

export function settingsOf(cell: ReferenceCell, units: number, opts: RecurrentOptions): CellSettings {
  return {
    units,
    activation: opts.activation ?? 'tanh',
    recurrentActivation: opts.recurrentActivation ?? 'sigmoid',
    resetAfter: opts.resetAfter ?? true,
  };
}

function dims(cell: ReferenceCell, w: RecurrentWeights): { units: number; F: number; G: number } {
  const units = Math.round(Math.sqrt(w.recurrentKernel.length / cell.gates));
  const G = cell.gates * units;
  expectLength(w.recurrentKernel, units * G, `${cell.name} recurrentKernel`);
  const F = w.kernel.length / G;
  if (!Number.isInteger(F)) throw new Error(`${cell.name} kernel: length ${w.kernel.length} is not a multiple of ${G}`);
  return { units, F, G };
}

export function recurrentForward(cell: ReferenceCell, w: RecurrentWeights, x: Float64Array, B: number, T: number, opts: RecurrentOptions = {}): RecurrentForward {
  const { units: u, F, G } = dims(cell, w);
  expectLength(x, B * T * F, `${cell.name} x`);
  if (opts.mask) expectLength(opts.mask, B * T, `${cell.name} mask`);
  if (opts.recurrentMask) expectLength(opts.recurrentMask, B * u, `${cell.name} recurrentMask`);
  const settings = settingsOf(cell, u, opts);
  const stateCount = 1 + cell.extraStates;
  const initial = opts.initialState ?? Array.from({ length: stateCount }, () => new Float64Array(B * u));
  if (initial.length !== stateCount) throw new Error(`${cell.name}: ${stateCount} initial states expected`);
  const hSeq = new Float64Array(B * T * u);
  const finals = Array.from({ length: stateCount }, () => new Float64Array(B * u));
  const caches: unknown[][] = [];
  for (let b = 0; b < B; b++) {
    let h: Float64Array = initial[0].slice(b * u, (b + 1) * u);
    let extra: Float64Array[] = initial.slice(1).map((s) => s.slice(b * u, (b + 1) * u));
    const rowCaches: unknown[] = [];
    for (let s = 0; s < T; s++) {
      const t = opts.goBackwards ? T - 1 - s : s;
      if (opts.mask && opts.mask[b * T + t] === 0) {
        rowCaches.push(null);
        hSeq.set(h, (b * T + s) * u);
        continue;
      }
      const zx = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        let acc = w.bias ? w.bias[j] : 0;
        for (let k = 0; k < F; k++) acc += x[(b * T + t) * F + k] * w.kernel[k * G + j];
        zx[j] = acc;
      }
      const keep = opts.recurrentMask?.subarray(b * u, (b + 1) * u);
      const out = cell.step(zx, keep ? h.map((v, k) => v * keep[k]) : h, extra, w, settings);
      h = out.h;
      extra = out.extra;
      rowCaches.push(out.cache);
      hSeq.set(h, (b * T + s) * u);
    }
    caches.push(rowCaches);
    finals[0].set(h, b * u);
    extra.forEach((e, i) => finals[i + 1].set(e, b * u));
  }
  const output = opts.returnSequences ? hSeq.slice() : finals[0].slice();
  return { output, hSeq, states: finals, cache: { caches, settings, B, T, F, opts } };
}

/**
 * Backpropagation through time. dOutput: gradient w.r.t. `output`; dStates: gradients w.r.t. the final
 * states (one [B, u] array per state), e.g. sent back by a decoder that used them as its initial state.
 */
export function recurrentBackward(
  cell: ReferenceCell, w: RecurrentWeights, x: Float64Array, fwd: RecurrentForward, dOutput: Float64Array, dStates?: Float64Array[],
): RecurrentGradients {
  const { units: u, F, G } = dims(cell, w);
  const { caches, settings, B, T, opts } = fwd.cache;
  expectLength(dOutput, opts.returnSequences ? B * T * u : B * u, `${cell.name} dOutput`);
  const stateCount = 1 + cell.extraStates;
  const dKernel = new Float64Array(F * G);
  const dRecurrentKernel = new Float64Array(u * G);
  const dBias = w.bias ? new Float64Array(w.bias.length) : undefined;
  const dx = new Float64Array(B * T * F);
  const dInitialState = Array.from({ length: stateCount }, () => new Float64Array(B * u));
  for (let b = 0; b < B; b++) {
    let dh: Float64Array = dStates ? dStates[0].slice(b * u, (b + 1) * u) : new Float64Array(u);
    let dExtra: Float64Array[] = Array.from({ length: cell.extraStates }, (_, i) => (dStates ? dStates[i + 1].slice(b * u, (b + 1) * u) : new Float64Array(u)));
    if (!opts.returnSequences) for (let k = 0; k < u; k++) dh[k] += dOutput[b * u + k];
    for (let s = T - 1; s >= 0; s--) {
      const t = opts.goBackwards ? T - 1 - s : s;
      if (opts.returnSequences) for (let k = 0; k < u; k++) dh[k] += dOutput[(b * T + s) * u + k];
      if (caches[b][s] === null) continue; // a masked step: dh and dExtra pass on, dx[t] stays 0
      const back = cell.stepBackward(dh, dExtra, caches[b][s], w, settings, { dRecurrentKernel, dBias });
      for (let j = 0; j < G; j++) {
        const d = back.dzx[j];
        if (dBias) dBias[j] += d;
        for (let k = 0; k < F; k++) dKernel[k * G + j] += x[(b * T + t) * F + k] * d;
      }
      for (let k = 0; k < F; k++) {
        let acc = 0;
        for (let j = 0; j < G; j++) acc += back.dzx[j] * w.kernel[k * G + j];
        dx[(b * T + t) * F + k] = acc;
      }
      const keep = opts.recurrentMask?.subarray(b * u, (b + 1) * u);
      dh = keep ? back.dhPrev.map((v, k) => v * keep[k]) : back.dhPrev;
      dExtra = back.dExtraPrev;
    }
    dInitialState[0].set(dh, b * u);
    dExtra.forEach((d, i) => dInitialState[i + 1].set(d, b * u));
  }
  return { dKernel, dRecurrentKernel, ...(dBias ? { dBias } : {}), dx, dInitialState };
}

/** h . recurrentKernel (+ bias row `biasRow` of a [2, G u] bias) for one row: [G u]. */
export function recurrentProduct(h: Float64Array, w: RecurrentWeights, G: number, recurrentBias = false): Float64Array {
  const u = h.length;
  const out = new Float64Array(G);
  for (let j = 0; j < G; j++) {
    let acc = recurrentBias && w.bias ? w.bias[G + j] : 0;
    for (let k = 0; k < u; k++) acc += h[k] * w.recurrentKernel[k * G + j];
    out[j] = acc;
  }
  return out;
}

/** Adds outer(h, d) to dRecurrentKernel and returns d . recurrentKernel^T (the gradient w.r.t. h). */
export function recurrentProductBackward(h: Float64Array, d: Float64Array, w: RecurrentWeights, dRecurrentKernel: Float64Array): Float64Array {
  const u = h.length;
  const G = d.length;
  const dh = new Float64Array(u);
  for (let k = 0; k < u; k++) {
    let acc = 0;
    for (let j = 0; j < G; j++) {
      dRecurrentKernel[k * G + j] += h[k] * d[j];
      acc += d[j] * w.recurrentKernel[k * G + j];
    }
    dh[k] = acc;
  }
  return dh;
}
