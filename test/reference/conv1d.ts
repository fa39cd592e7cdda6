// Keras' Conv1D (channels_last, groups 1, no activation) and its vector-Jacobian products, in float64,
// on time-major sequences: x [T, B, C], element (t, b, c) at (t B + b) C + c; kernel [K, C, F] as Keras
// stores it; bias [F]; y [To, B, F].
//
// Computed as Keras / TensorFlow define it, by padding first: x is copied into a zero sequence of
// T + left + right steps, then a 'valid' convolution runs over it,
//   y[o, b, f] = bias[f] + sum_j sum_c xp[o s + j d, b, c] kernel[j, c, f],  To = floor((Tp - span) / s) + 1,
// span = d (K - 1) + 1, with
//   valid:  left = right = 0
//   same:   To = ceil(T / s), total = max((To - 1) s + span - T, 0), left = floor(total / 2), right = total - left
//   causal: left = span - 1, right = 0 (Keras' Conv1D pads the left, then runs 'valid')
// The backward accumulates into the padded gradient, then drops the padding.

import { exactDiv, expectLength } from './shapes.js';

export type Conv1DPadding = 'valid' | 'same' | 'causal';

export const CONV1D_PADDINGS: readonly Conv1DPadding[] = ['valid', 'same', 'causal'];

export interface Conv1DOptions {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: Conv1DPadding;
}

/** The padding around x and the output length. */
export function conv1dPadding(T: number, o: Conv1DOptions): { left: number; right: number; outSteps: number } {
  const span = o.dilation * (o.kernelSize - 1) + 1;
  let left = 0;
  let right = 0;
  if (o.padding === 'same') {
    const total = Math.max((Math.ceil(T / o.stride) - 1) * o.stride + span - T, 0);
    left = Math.floor(total / 2);
    right = total - left;
  } else if (o.padding === 'causal') {
    left = span - 1;
  } else if (o.padding !== 'valid') throw new Error(`unknown padding '${o.padding as string}'`);
  const padded = T + left + right;
  const outSteps = padded < span ? 0 : Math.floor((padded - span) / o.stride) + 1;
  if (o.padding !== 'valid' && outSteps !== Math.ceil(T / o.stride)) throw new Error(`conv1d: ${o.padding} gave ${outSteps} steps, not ceil(T / s)`);
  return { left, right, outSteps };
}

/** x [T, B, C] padded with zero steps: [T + left + right, B, C]. */
function pad(x: Float64Array, T: number, B: number, C: number, left: number, right: number): Float64Array {
  const xp = new Float64Array((T + left + right) * B * C);
  xp.set(x, left * B * C);
  return xp;
}

/** y [To, B, F]; bias may be omitted (use_bias false). */
export function conv1dForward(
  x: Float64Array, kernel: Float64Array, bias: Float64Array | undefined, T: number, B: number, C: number, o: Conv1DOptions,
): { y: Float64Array; outSteps: number; filters: number } {
  expectLength(x, T * B * C, 'conv1d x');
  const F = exactDiv(kernel.length, o.kernelSize * C, 'conv1d kernel');
  if (bias) expectLength(bias, F, 'conv1d bias');
  const { left, right, outSteps } = conv1dPadding(T, o);
  if (outSteps < 1) throw new Error(`conv1d: no output step (T ${T})`);
  const xp = pad(x, T, B, C, left, right);
  const y = new Float64Array(outSteps * B * F);
  for (let t = 0; t < outSteps; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        let acc = bias ? bias[f] : 0;
        for (let j = 0; j < o.kernelSize; j++) {
          const tp = t * o.stride + j * o.dilation;
          for (let c = 0; c < C; c++) acc += xp[(tp * B + b) * C + c] * kernel[(j * C + c) * F + f];
        }
        y[(t * B + b) * F + f] = acc;
      }
    }
  }
  return { y, outSteps, filters: F };
}

/** Gradients of x [T, B, C], kernel [K, C, F] and bias [F] given dy [To, B, F]. */
export function conv1dBackward(
  dy: Float64Array, x: Float64Array, kernel: Float64Array, T: number, B: number, C: number, o: Conv1DOptions,
): { dx: Float64Array; dKernel: Float64Array; dBias: Float64Array } {
  expectLength(x, T * B * C, 'conv1d x');
  const F = exactDiv(kernel.length, o.kernelSize * C, 'conv1d kernel');
  const { left, right, outSteps } = conv1dPadding(T, o);
  expectLength(dy, outSteps * B * F, 'conv1d dy');
  const xp = pad(x, T, B, C, left, right);
  const dxp = new Float64Array(xp.length);
  const dKernel = new Float64Array(kernel.length);
  const dBias = new Float64Array(F);
  for (let t = 0; t < outSteps; t++) {
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) {
        const g = dy[(t * B + b) * F + f];
        dBias[f] += g;
        for (let j = 0; j < o.kernelSize; j++) {
          const tp = t * o.stride + j * o.dilation;
          for (let c = 0; c < C; c++) {
            dKernel[(j * C + c) * F + f] += g * xp[(tp * B + b) * C + c];
            dxp[(tp * B + b) * C + c] += g * kernel[(j * C + c) * F + f];
          }
        }
      }
    }
  }
  return { dx: dxp.slice(left * B * C, (left + T) * B * C), dKernel, dBias };
}
