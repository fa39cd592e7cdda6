// Keras LSTM (TF2 defaults): gate order i, f, c(g), o; recurrent activation sigmoid, activation tanh.
//   z = x_t W + h_{t-1} U + b            (z: [B, 4u])
//   i = sig(z_i), f = sig(z_f), g = tanh(z_g), o = sig(z_o)
//   c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)
// Step s processes time t = s, or t = T-1-s with goBackwards. Every per-step array (hSeq, cSeq,
// gates, and the returned sequence) is stored by step s, i.e. in processed order, as Keras returns it.

import { sigmoid } from './activations.js';
import { exactDiv, expectLength } from './shapes.js';

export interface LstmParams {
  /** [in, 4u] */
  kernel: Float64Array;
  /** [u, 4u] */
  recurrentKernel: Float64Array;
  /** [4u] */
  bias: Float64Array;
}

export interface LstmOptions {
  /** Output every step [B, T, u] instead of only the last [B, u]. */
  returnSequences?: boolean;
  /** Process time reversed; the sequence output stays in processed (reversed) order. */
  goBackwards?: boolean;
  /** Initial hidden state [B, u]; zeros when absent. */
  h0?: Float64Array;
  /** Initial cell state [B, u]; zeros when absent. */
  c0?: Float64Array;
}

export interface LstmForwardResult {
  /** [B, T, u] when returnSequences, else [B, u] (= hT). */
  output: Float64Array;
  /** Hidden state after each step [B, T, u], processed order. */
  hSeq: Float64Array;
  /** Cell state after each step [B, T, u], processed order. */
  cSeq: Float64Array;
  /** Activated gates [B, T, 4u] (i, f, g, o blocks of u each), processed order. */
  gates: Float64Array;
  /** Final hidden state [B, u]. */
  hT: Float64Array;
  /** Final cell state [B, u]. */
  cT: Float64Array;
  // What backward needs to replay the computation:
  B: number;
  T: number;
  inputSize: number;
  units: number;
  returnSequences: boolean;
  goBackwards: boolean;
  /** Initial states actually used [B, u] (zeros when not given). */
  h0: Float64Array;
  c0: Float64Array;
}

export interface LstmGradients {
  /** [in, 4u] */
  dKernel: Float64Array;
  /** [u, 4u] */
  dRecurrentKernel: Float64Array;
  /** [4u] */
  dBias: Float64Array;
  /** [B, T, in], indexed by real time t (same layout as x). */
  dx: Float64Array;
  /** [B, u] */
  dh0: Float64Array;
  /** [B, u] */
  dc0: Float64Array;
}

/** Read (inputSize, units) off the weights and check they agree. */
export function lstmDims(params: LstmParams): { inputSize: number; units: number } {
  const units = exactDiv(params.bias.length, 4, 'lstm bias');
  const inputSize = exactDiv(params.kernel.length, 4 * units, 'lstm kernel');
  expectLength(params.recurrentKernel, units * 4 * units, 'lstm recurrentKernel');
  return { inputSize, units };
}

/** Forward pass over x [B, T, in]. */
export function lstmForward(
  params: LstmParams,
  x: Float64Array,
  B: number,
  T: number,
  opts: LstmOptions = {},
): LstmForwardResult {
  const { inputSize: F, units: u } = lstmDims(params);
  const G = 4 * u;
  expectLength(x, B * T * F, 'lstm x');
  const h0 = opts.h0 ? Float64Array.from(opts.h0) : new Float64Array(B * u);
  const c0 = opts.c0 ? Float64Array.from(opts.c0) : new Float64Array(B * u);
  expectLength(h0, B * u, 'lstm h0');
  expectLength(c0, B * u, 'lstm c0');
  const { kernel: W, recurrentKernel: U, bias } = params;
  const goBackwards = opts.goBackwards ?? false;
  const returnSequences = opts.returnSequences ?? false;

  const hSeq = new Float64Array(B * T * u);
  const cSeq = new Float64Array(B * T * u);
  const gates = new Float64Array(B * T * G);
  const z = new Float64Array(G);

  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const t = goBackwards ? T - 1 - s : s;
      const xOff = (b * T + t) * F;
      // Previous states: the initial state at step 0, else the previous step's output.
      const hPrev = s === 0 ? h0 : hSeq;
      const cPrev = s === 0 ? c0 : cSeq;
      const pOff = s === 0 ? b * u : (b * T + s - 1) * u;

      for (let j = 0; j < G; j++) {
        let acc = bias[j];
        for (let k = 0; k < F; k++) acc += x[xOff + k] * W[k * G + j];
        for (let k = 0; k < u; k++) acc += hPrev[pOff + k] * U[k * G + j];
        z[j] = acc;
      }

      const gOff = (b * T + s) * G;
      const sOff = (b * T + s) * u;
      for (let k = 0; k < u; k++) {
        const ig = sigmoid(z[k]);
        const fg = sigmoid(z[u + k]);
        const gg = Math.tanh(z[2 * u + k]);
        const og = sigmoid(z[3 * u + k]);
        gates[gOff + k] = ig;
        gates[gOff + u + k] = fg;
        gates[gOff + 2 * u + k] = gg;
        gates[gOff + 3 * u + k] = og;
        const c = fg * cPrev[pOff + k] + ig * gg;
        cSeq[sOff + k] = c;
        hSeq[sOff + k] = og * Math.tanh(c);
      }
    }
  }

  const hT = lastStep(hSeq, B, T, u, h0);
  const cT = lastStep(cSeq, B, T, u, c0);
  return {
    output: returnSequences ? hSeq.slice() : hT.slice(),
    hSeq,
    cSeq,
    gates,
    hT,
    cT,
    B,
    T,
    inputSize: F,
    units: u,
    returnSequences,
    goBackwards,
    h0,
    c0,
  };
}

/** The state after the last processed step [B, u]; the initial state when T = 0. */
function lastStep(seq: Float64Array, B: number, T: number, u: number, init: Float64Array): Float64Array {
  if (T === 0) return init.slice();
  const out = new Float64Array(B * u);
  for (let b = 0; b < B; b++) out.set(seq.subarray((b * T + T - 1) * u, (b * T + T) * u), b * u);
  return out;
}

/**
 * Backpropagation through time.
 * dOutput: gradient of the loss w.r.t. `output` ([B, T, u] in processed order when
 * returnSequences, else [B, u]). dhT / dcT: gradients w.r.t. the returned final states
 * (returnState), e.g. sent back by a decoder that used them as its initial state.
 */
export function lstmBackward(
  params: LstmParams,
  x: Float64Array,
  cache: LstmForwardResult,
  dOutput: Float64Array,
  dhT?: Float64Array,
  dcT?: Float64Array,
): LstmGradients {
  const { B, T, inputSize: F, units: u, returnSequences, goBackwards, hSeq, cSeq, gates, h0, c0 } = cache;
  const G = 4 * u;
  const { kernel: W, recurrentKernel: U } = params;
  expectLength(x, B * T * F, 'lstm x');
  expectLength(dOutput, returnSequences ? B * T * u : B * u, 'lstm dOutput');

  const dKernel = new Float64Array(F * G);
  const dRecurrentKernel = new Float64Array(u * G);
  const dBias = new Float64Array(G);
  const dx = new Float64Array(B * T * F);
  const dh0 = new Float64Array(B * u);
  const dc0 = new Float64Array(B * u);
  const dz = new Float64Array(G);

  for (let b = 0; b < B; b++) {
    // Running gradients w.r.t. the state leaving the current step; start from the final state.
    const dh = new Float64Array(u);
    const dc = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      dh[k] = dhT ? dhT[b * u + k] : 0;
      dc[k] = dcT ? dcT[b * u + k] : 0;
      if (!returnSequences) dh[k] += dOutput[b * u + k]; // output is hT itself
    }

    for (let s = T - 1; s >= 0; s--) {
      const t = goBackwards ? T - 1 - s : s;
      const xOff = (b * T + t) * F;
      const sOff = (b * T + s) * u;
      const gOff = (b * T + s) * G;
      const hPrev = s === 0 ? h0 : hSeq;
      const cPrev = s === 0 ? c0 : cSeq;
      const pOff = s === 0 ? b * u : (b * T + s - 1) * u;

      for (let k = 0; k < u; k++) {
        if (returnSequences) dh[k] += dOutput[sOff + k];
        const ig = gates[gOff + k];
        const fg = gates[gOff + u + k];
        const gg = gates[gOff + 2 * u + k];
        const og = gates[gOff + 3 * u + k];
        const tc = Math.tanh(cSeq[sOff + k]);
        // h = o * tanh(c): gradient reaches o directly and c through tanh.
        const dO = dh[k] * tc;
        const dC = dc[k] + dh[k] * og * (1 - tc * tc);
        // c = f * cPrev + i * g
        const dI = dC * gg;
        const dF = dC * cPrev[pOff + k];
        const dG = dC * ig;
        dc[k] = dC * fg; // now the gradient w.r.t. cPrev
        // Through the activations to the pre-activations z.
        dz[k] = dI * ig * (1 - ig);
        dz[u + k] = dF * fg * (1 - fg);
        dz[2 * u + k] = dG * (1 - gg * gg);
        dz[3 * u + k] = dO * og * (1 - og);
      }

      // z = x_t W + hPrev U + b
      for (let j = 0; j < G; j++) {
        const d = dz[j];
        dBias[j] += d;
        for (let k = 0; k < F; k++) dKernel[k * G + j] += x[xOff + k] * d;
        for (let k = 0; k < u; k++) dRecurrentKernel[k * G + j] += hPrev[pOff + k] * d;
      }
      for (let k = 0; k < F; k++) {
        let acc = 0;
        for (let j = 0; j < G; j++) acc += dz[j] * W[k * G + j];
        dx[xOff + k] = acc;
      }
      for (let k = 0; k < u; k++) {
        let acc = 0;
        for (let j = 0; j < G; j++) acc += dz[j] * U[k * G + j];
        dh[k] = acc; // gradient w.r.t. hPrev, before the previous step's own output term is added
      }
    }

    dh0.set(dh, b * u);
    dc0.set(dc, b * u);
  }

  return { dKernel, dRecurrentKernel, dBias, dx, dh0, dc0 };
}
