// Keras' MaxPooling1D / AveragePooling1D (channels_last) and their vector-Jacobian products, in float64,
// on time-major sequences: x [T, B, C], element (t, b, c) at (t B + b) C + c; out [To, B, C].
// Windows of p steps moved s at a time over x padded as TensorFlow pads:
//   valid: no padding, To = floor((T - p) / s) + 1
//   same:  To = ceil(T / s), total = max((To - 1) s + p - T, 0), left = floor(total / 2), right = the rest
// Padded steps take no part (TensorFlow's max and average pooling ignore them): window o holds the
// real steps of padded positions [o s, o s + p).
//   avg: out = the mean of those steps;  max: out = their maximum, arg = the first t reaching it
// The max's gradient goes to that first t (where TensorFlow's MaxPoolGrad puts it on a tie).

import { expectLength } from './shapes.js';
import type { PoolMode } from './pooling.js';

export type Pool1DPadding = 'valid' | 'same';

export interface Pool1DOptions {
  poolSize: number;
  stride: number;
  padding: Pool1DPadding;
}

/** Each window's real steps t, in order. */
export function pool1dWindows(T: number, o: Pool1DOptions): number[][] {
  let left = 0;
  let outSteps: number;
  if (o.padding === 'same') {
    outSteps = Math.ceil(T / o.stride);
    left = Math.floor(Math.max((outSteps - 1) * o.stride + o.poolSize - T, 0) / 2);
  } else if (o.padding === 'valid') {
    outSteps = T < o.poolSize ? 0 : Math.floor((T - o.poolSize) / o.stride) + 1;
  } else throw new Error(`unknown padding '${o.padding as string}'`);
  return Array.from({ length: outSteps }, (_, w) => {
    const steps: number[] = [];
    for (let p = w * o.stride; p < w * o.stride + o.poolSize; p++) if (p - left >= 0 && p - left < T) steps.push(p - left);
    if (steps.length === 0) throw new Error(`pool1d: window ${w} holds no real step`);
    return steps;
  });
}

/** out [To, B, C]; for 'max' also arg [To, B, C], the first t reaching each maximum. */
export function pool1d(mode: PoolMode, x: Float64Array, T: number, B: number, C: number, o: Pool1DOptions): { out: Float64Array; arg?: Int32Array; outSteps: number } {
  expectLength(x, T * B * C, 'pool1d x');
  const windows = pool1dWindows(T, o);
  const row = B * C;
  const out = new Float64Array(windows.length * row);
  const arg = mode === 'max' ? new Int32Array(windows.length * row) : undefined;
  windows.forEach((steps, w) => {
    for (let i = 0; i < row; i++) {
      if (mode === 'avg') {
        out[w * row + i] = steps.reduce((sum, t) => sum + x[t * row + i], 0) / steps.length;
      } else if (mode === 'max') {
        let at = steps[0];
        for (const t of steps) if (x[t * row + i] > x[at * row + i]) at = t;
        out[w * row + i] = x[at * row + i];
        arg![w * row + i] = at;
      } else throw new Error(`unknown pool mode '${mode as string}'`);
    }
  });
  return { out, arg, outSteps: windows.length };
}

/** The gradient of x [T, B, C] given dout [To, B, C] (and, for 'max', the arg pool1d returned). */
export function pool1dBackward(mode: PoolMode, dout: Float64Array, T: number, B: number, C: number, o: Pool1DOptions, arg?: ArrayLike<number>): Float64Array {
  const windows = pool1dWindows(T, o);
  const row = B * C;
  expectLength(dout, windows.length * row, 'pool1d dout');
  if (mode === 'max') {
    if (!arg) throw new Error('pool1d max: the backward needs arg');
    expectLength(arg, windows.length * row, 'pool1d arg');
  } else if (mode !== 'avg') throw new Error(`unknown pool mode '${mode as string}'`);
  const dx = new Float64Array(T * row);
  windows.forEach((steps, w) => {
    for (let i = 0; i < row; i++) {
      const g = dout[w * row + i];
      if (mode === 'max') dx[arg![w * row + i] * row + i] += g;
      else for (const t of steps) dx[t * row + i] += g / steps.length;
    }
  });
  return dx;
}
