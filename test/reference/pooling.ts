// Keras' GlobalAveragePooling1D / GlobalMaxPooling1D over time and Flatten of a sequence, and their
// vector-Jacobian products, in float64. Sequences are time-major: x [T, B, F], element (t, b, f) at
// (t B + b) F + f.
//   avg:     out[b, f] = (1/T) sum_t x[t, b, f]                            out [B, F]
//   max:     out[b, f] = max_t x[t, b, f], arg[b, f] = the first t reaching it   out, arg [B, F]
//   flatten: out[b, t F + f] = x[t, b, f]                                  out [B, T F] (batch-major)
// The max's gradient goes to the first t reaching the maximum (where a tie puts it; Keras' own
// tf.reduce_max gradient splits it among ties instead, which random inputs never have).

import { expectLength } from './shapes.js';

export type PoolMode = 'avg' | 'max';

export const POOL_MODES: readonly PoolMode[] = ['avg', 'max'];

/** The pooled output [B, F]; for 'max' also arg [B, F], the first t reaching each maximum. */
export function globalPool(mode: PoolMode, x: Float64Array, T: number, B: number, F: number): { out: Float64Array; arg?: Int32Array } {
  expectLength(x, T * B * F, 'pool x');
  const out = new Float64Array(B * F);
  if (mode === 'avg') {
    for (let i = 0; i < B * F; i++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += x[t * B * F + i];
      out[i] = sum / T;
    }
    return { out };
  }
  if (mode !== 'max') throw new Error(`unknown pool mode '${mode as string}'`);
  const arg = new Int32Array(B * F);
  for (let i = 0; i < B * F; i++) {
    let best = x[i];
    let at = 0;
    for (let t = 1; t < T; t++) {
      if (x[t * B * F + i] > best) {
        best = x[t * B * F + i];
        at = t;
      }
    }
    out[i] = best;
    arg[i] = at;
  }
  return { out, arg };
}

/**
 * The gradient of x [T, B, F] given dout [B, F]: dout / T at every t ('avg'), or dout at t = arg and 0
 * elsewhere ('max', with the arg globalPool returned).
 */
export function globalPoolBackward(mode: PoolMode, dout: Float64Array, T: number, B: number, F: number, arg?: ArrayLike<number>): Float64Array {
  expectLength(dout, B * F, 'pool dout');
  const dx = new Float64Array(T * B * F);
  if (mode === 'max') {
    if (!arg) throw new Error("pool max: the backward needs arg");
    expectLength(arg, B * F, 'pool arg');
  } else if (mode !== 'avg') throw new Error(`unknown pool mode '${mode as string}'`);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < B * F; i++) dx[t * B * F + i] = mode === 'avg' ? dout[i] / T : arg![i] === t ? dout[i] : 0;
  }
  return dx;
}

/** Flatten of a sequence: out [B, T F], out[b, t F + f] = x[t, b, f]. */
export function flattenSequence(x: Float64Array, T: number, B: number, F: number): Float64Array {
  expectLength(x, T * B * F, 'flatten x');
  const out = new Float64Array(T * B * F);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) out[b * T * F + t * F + f] = x[(t * B + b) * F + f];
    }
  }
  return out;
}

/** The gradient of x [T, B, F] given dout [B, T F]: dx[t, b, f] = dout[b, t F + f]. */
export function flattenSequenceBackward(dout: Float64Array, T: number, B: number, F: number): Float64Array {
  expectLength(dout, T * B * F, 'flatten dout');
  const dx = new Float64Array(T * B * F);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) dx[(t * B + b) * F + f] = dout[b * T * F + t * F + f];
    }
  }
  return dx;
}
