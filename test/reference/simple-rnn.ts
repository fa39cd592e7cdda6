// Keras SimpleRNN: h_t = act(x_t W + h_{t-1} U + b), act = tanh (default) or relu.
// Same time conventions as lstm.ts: step s processes t = s, or t = T-1-s with goBackwards, and
// every per-step array is stored by step s (processed order), as Keras returns it.

import { exactDiv, expectLength } from './shapes.js';

export type RnnActivation = 'tanh' | 'relu';

export interface SimpleRnnParams {
  /** [in, u] */
  kernel: Float64Array;
  /** [u, u] */
  recurrentKernel: Float64Array;
  /** [u] */
  bias: Float64Array;
}

export interface SimpleRnnOptions {
  /** Default 'tanh', as Keras. */
  activation?: RnnActivation;
  /** Output every step [B, T, u] instead of only the last [B, u]. */
  returnSequences?: boolean;
  /** Process time reversed; the sequence output stays in processed (reversed) order. */
  goBackwards?: boolean;
  /** Initial hidden state [B, u]; zeros when absent. */
  h0?: Float64Array;
}

export interface SimpleRnnForwardResult {
  /** [B, T, u] when returnSequences, else [B, u] (= hT). */
  output: Float64Array;
  /** Hidden state after each step [B, T, u], processed order. */
  hSeq: Float64Array;
  /** Final hidden state [B, u]. */
  hT: Float64Array;
  // What backward needs to replay the computation:
  B: number;
  T: number;
  inputSize: number;
  units: number;
  activation: RnnActivation;
  returnSequences: boolean;
  goBackwards: boolean;
  /** Initial state actually used [B, u]. */
  h0: Float64Array;
}

export interface SimpleRnnGradients {
  /** [in, u] */
  dKernel: Float64Array;
  /** [u, u] */
  dRecurrentKernel: Float64Array;
  /** [u] */
  dBias: Float64Array;
  /** [B, T, in], indexed by real time t (same layout as x). */
  dx: Float64Array;
  /** [B, u] */
  dh0: Float64Array;
}

/** Read (inputSize, units) off the weights and check they agree. */
export function simpleRnnDims(params: SimpleRnnParams): { inputSize: number; units: number } {
  const units = params.bias.length;
  const inputSize = exactDiv(params.kernel.length, units, 'simpleRnn kernel');
  expectLength(params.recurrentKernel, units * units, 'simpleRnn recurrentKernel');
  return { inputSize, units };
}

/** Forward pass over x [B, T, in]. */
export function simpleRnnForward(
  params: SimpleRnnParams,
  x: Float64Array,
  B: number,
  T: number,
  opts: SimpleRnnOptions = {},
): SimpleRnnForwardResult {
  const { inputSize: F, units: u } = simpleRnnDims(params);
  expectLength(x, B * T * F, 'simpleRnn x');
  const h0 = opts.h0 ? Float64Array.from(opts.h0) : new Float64Array(B * u);
  expectLength(h0, B * u, 'simpleRnn h0');
  const activation = opts.activation ?? 'tanh';
  const goBackwards = opts.goBackwards ?? false;
  const returnSequences = opts.returnSequences ?? false;
  const { kernel: W, recurrentKernel: U, bias } = params;

  const hSeq = new Float64Array(B * T * u);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const t = goBackwards ? T - 1 - s : s;
      const xOff = (b * T + t) * F;
      const hPrev = s === 0 ? h0 : hSeq;
      const pOff = s === 0 ? b * u : (b * T + s - 1) * u;
      for (let j = 0; j < u; j++) {
        let z = bias[j];
        for (let k = 0; k < F; k++) z += x[xOff + k] * W[k * u + j];
        for (let k = 0; k < u; k++) z += hPrev[pOff + k] * U[k * u + j];
        hSeq[(b * T + s) * u + j] = activation === 'tanh' ? Math.tanh(z) : z > 0 ? z : 0;
      }
    }
  }

  const hT = new Float64Array(B * u);
  for (let b = 0; b < B; b++) {
    if (T === 0) hT.set(h0.subarray(b * u, (b + 1) * u), b * u);
    else hT.set(hSeq.subarray((b * T + T - 1) * u, (b * T + T) * u), b * u);
  }
  return {
    output: returnSequences ? hSeq.slice() : hT.slice(),
    hSeq,
    hT,
    B,
    T,
    inputSize: F,
    units: u,
    activation,
    returnSequences,
    goBackwards,
    h0,
  };
}

/**
 * Backpropagation through time. dOutput: gradient w.r.t. `output` ([B, T, u] processed order
 * when returnSequences, else [B, u]). dhT: gradient w.r.t. the returned final state.
 */
export function simpleRnnBackward(
  params: SimpleRnnParams,
  x: Float64Array,
  cache: SimpleRnnForwardResult,
  dOutput: Float64Array,
  dhT?: Float64Array,
): SimpleRnnGradients {
  const { B, T, inputSize: F, units: u, activation, returnSequences, goBackwards, hSeq, h0 } = cache;
  const { kernel: W, recurrentKernel: U } = params;
  expectLength(x, B * T * F, 'simpleRnn x');
  expectLength(dOutput, returnSequences ? B * T * u : B * u, 'simpleRnn dOutput');

  const dKernel = new Float64Array(F * u);
  const dRecurrentKernel = new Float64Array(u * u);
  const dBias = new Float64Array(u);
  const dx = new Float64Array(B * T * F);
  const dh0 = new Float64Array(B * u);
  const dz = new Float64Array(u);

  for (let b = 0; b < B; b++) {
    const dh = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      dh[k] = dhT ? dhT[b * u + k] : 0;
      if (!returnSequences) dh[k] += dOutput[b * u + k]; // output is hT itself
    }

    for (let s = T - 1; s >= 0; s--) {
      const t = goBackwards ? T - 1 - s : s;
      const xOff = (b * T + t) * F;
      const sOff = (b * T + s) * u;
      const hPrev = s === 0 ? h0 : hSeq;
      const pOff = s === 0 ? b * u : (b * T + s - 1) * u;

      for (let j = 0; j < u; j++) {
        if (returnSequences) dh[j] += dOutput[sOff + j];
        // Derivative from the activated output: tanh' = 1 - h^2; relu' = [h > 0] (0 at z = 0, as TF).
        const h = hSeq[sOff + j];
        const dAct = activation === 'tanh' ? 1 - h * h : h > 0 ? 1 : 0;
        dz[j] = dh[j] * dAct;
        dBias[j] += dz[j];
      }
      for (let k = 0; k < F; k++) {
        let acc = 0;
        for (let j = 0; j < u; j++) {
          dKernel[k * u + j] += x[xOff + k] * dz[j];
          acc += dz[j] * W[k * u + j];
        }
        dx[xOff + k] = acc;
      }
      for (let k = 0; k < u; k++) {
        let acc = 0;
        for (let j = 0; j < u; j++) {
          dRecurrentKernel[k * u + j] += hPrev[pOff + k] * dz[j];
          acc += dz[j] * U[k * u + j];
        }
        dh[k] = acc; // gradient w.r.t. hPrev
      }
    }
    dh0.set(dh, b * u);
  }

  return { dKernel, dRecurrentKernel, dBias, dx, dh0 };
}
