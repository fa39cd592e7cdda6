// Keras' Bidirectional merge of the two directions' outputs, and its vector-Jacobian product, in float64.
// The directions' outputs as the recurrent layer gives them: hseq [2, T, B, U] (time-major), each
// direction's h in the order it processed the steps, so direction 1 (which ran time backwards) holds
// the output for time t at its step T-1-t. With y_f[t] = hseq[0, t], y_b[t] = hseq[1, T-1-t]:
//   concat [T, B, 2U]: [y_f, y_b] along the last axis;  sum y_f + y_b;  mul y_f y_b;  ave (y_f + y_b) / 2
//   none: two outputs [T, B, U], y_f and y_b (Keras' merge_mode None).
// The final states (return_sequences false) are the same with T = 1.

import { expectLength } from './shapes.js';

/** Keras' merge_mode; 'none' for None. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | 'none';

export const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', 'none'];

/** The merged output(s): one array ([T, B, 2U] for concat, [T, B, U] otherwise), or two for 'none'. */
export function mergeDirections(mode: MergeMode, hseq: Float64Array, T: number, B: number, U: number): Float64Array[] {
  expectLength(hseq, 2 * T * B * U, 'merge hseq');
  const forward = (t: number, b: number, j: number) => hseq[(t * B + b) * U + j];
  const backward = (t: number, b: number, j: number) => hseq[((T + T - 1 - t) * B + b) * U + j];
  if (mode === 'none') {
    const yf = new Float64Array(T * B * U);
    const yb = new Float64Array(T * B * U);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < U; j++) {
          yf[(t * B + b) * U + j] = forward(t, b, j);
          yb[(t * B + b) * U + j] = backward(t, b, j);
        }
      }
    }
    return [yf, yb];
  }
  const width = mode === 'concat' ? 2 * U : U;
  const out = new Float64Array(T * B * width);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * width;
      for (let j = 0; j < U; j++) {
        const f = forward(t, b, j);
        const k = backward(t, b, j);
        if (mode === 'concat') {
          out[row + j] = f;
          out[row + U + j] = k;
        } else if (mode === 'sum') out[row + j] = f + k;
        else if (mode === 'mul') out[row + j] = f * k;
        else if (mode === 'ave') out[row + j] = (f + k) / 2;
        else throw new Error(`unknown merge mode '${mode as string}'`);
      }
    }
  }
  return [out];
}

/**
 * The gradient of hseq [2, T, B, U] given the gradient of each merged output (laid out as
 * mergeDirections returns them; an absent one, mode 'none' only, contributes nothing).
 */
export function mergeDirectionsBackward(
  mode: MergeMode, hseq: Float64Array, dOutputs: readonly (Float64Array | undefined)[], T: number, B: number, U: number,
): Float64Array {
  expectLength(hseq, 2 * T * B * U, 'merge hseq');
  const outputs = mode === 'none' ? 2 : 1;
  if (dOutputs.length !== outputs) throw new Error(`merge ${mode}: ${outputs} output gradients expected, got ${dOutputs.length}`);
  const width = mode === 'concat' ? 2 * U : U;
  dOutputs.forEach((d, i) => d && expectLength(d, T * B * width, `merge dOutput ${i}`));
  const dh = new Float64Array(2 * T * B * U);
  // Where direction d's value for time t sits in hseq.
  const at = (d: number, t: number, b: number, j: number) => ((d * T + (d === 0 ? t : T - 1 - t)) * B + b) * U + j;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < U; j++) {
        const f = at(0, t, b, j);
        const k = at(1, t, b, j);
        if (mode === 'none') {
          if (dOutputs[0]) dh[f] += dOutputs[0][(t * B + b) * U + j];
          if (dOutputs[1]) dh[k] += dOutputs[1][(t * B + b) * U + j];
          continue;
        }
        const dOut = dOutputs[0];
        if (!dOut) continue;
        const row = (t * B + b) * width;
        if (mode === 'concat') {
          dh[f] += dOut[row + j];
          dh[k] += dOut[row + U + j];
        } else if (mode === 'sum') {
          dh[f] += dOut[row + j];
          dh[k] += dOut[row + j];
        } else if (mode === 'mul') {
          dh[f] += dOut[row + j] * hseq[k];
          dh[k] += dOut[row + j] * hseq[f];
        } else if (mode === 'ave') {
          dh[f] += dOut[row + j] / 2;
          dh[k] += dOut[row + j] / 2;
        } else throw new Error(`unknown merge mode '${mode as string}'`);
      }
    }
  }
  return dh;
}
