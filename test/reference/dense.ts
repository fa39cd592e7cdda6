// Keras Dense on rows: y = act(x W + b), x [N, in], W [in, out], b [out]. A [B, T, in] sequence
// is simply N = B*T rows. Softmax is taken over the last axis (each row).

import { sigmoid, softmaxRows } from './activations.js';
import { exactDiv, expectLength } from './shapes.js';

export type DenseActivation = 'linear' | 'tanh' | 'sigmoid' | 'relu' | 'softmax';

export interface DenseParams {
  /** [in, out] */
  kernel: Float64Array;
  /** [out] */
  bias: Float64Array;
}

export interface DenseForwardResult {
  /** Activated output [N, out]. */
  output: Float64Array;
  N: number;
  inputSize: number;
  units: number;
  activation: DenseActivation;
}

export interface DenseGradients {
  /** [in, out] */
  dKernel: Float64Array;
  /** [out] */
  dBias: Float64Array;
  /** [N, in] */
  dx: Float64Array;
}

/** Forward pass over x [N, in]. */
export function denseForward(
  params: DenseParams,
  x: Float64Array,
  N: number,
  activation: DenseActivation = 'linear',
): DenseForwardResult {
  const out = params.bias.length;
  const F = exactDiv(params.kernel.length, out, 'dense kernel');
  expectLength(x, N * F, 'dense x');
  const { kernel: W, bias } = params;
  const z = new Float64Array(N * out);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < out; j++) {
      let acc = bias[j];
      for (let k = 0; k < F; k++) acc += x[n * F + k] * W[k * out + j];
      z[n * out + j] = acc;
    }
  }
  let y: Float64Array;
  switch (activation) {
    case 'linear':
      y = z;
      break;
    case 'tanh':
      y = z.map(Math.tanh);
      break;
    case 'sigmoid':
      y = z.map(sigmoid);
      break;
    case 'relu':
      y = z.map((v) => (v > 0 ? v : 0));
      break;
    case 'softmax':
      y = softmaxRows(z, N, out);
      break;
    default:
      throw new Error(`dense: unknown activation ${String(activation)}`);
  }
  return { output: y, N, inputSize: F, units: out, activation };
}

/** Backward pass; dOutput [N, out] is the gradient w.r.t. the activated output. */
export function denseBackward(
  params: DenseParams,
  x: Float64Array,
  cache: DenseForwardResult,
  dOutput: Float64Array,
): DenseGradients {
  const { N, inputSize: F, units: out, activation, output: y } = cache;
  expectLength(x, N * F, 'dense x');
  expectLength(dOutput, N * out, 'dense dOutput');

  // Gradient w.r.t. the pre-activation z, written in terms of the output y.
  const dz = new Float64Array(N * out);
  for (let n = 0; n < N; n++) {
    const o = n * out;
    if (activation === 'softmax') {
      // Jacobian of softmax: dz_j = y_j (dy_j - sum_k dy_k y_k)
      let dot = 0;
      for (let j = 0; j < out; j++) dot += dOutput[o + j] * y[o + j];
      for (let j = 0; j < out; j++) dz[o + j] = y[o + j] * (dOutput[o + j] - dot);
      continue;
    }
    for (let j = 0; j < out; j++) {
      const v = y[o + j];
      const g = dOutput[o + j];
      if (activation === 'linear') dz[o + j] = g;
      else if (activation === 'tanh') dz[o + j] = g * (1 - v * v);
      else if (activation === 'sigmoid') dz[o + j] = g * v * (1 - v);
      else dz[o + j] = v > 0 ? g : 0; // relu
    }
  }

  const dKernel = new Float64Array(F * out);
  const dBias = new Float64Array(out);
  const dx = new Float64Array(N * F);
  const W = params.kernel;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < out; j++) {
      const d = dz[n * out + j];
      dBias[j] += d;
      for (let k = 0; k < F; k++) {
        dKernel[k * out + j] += x[n * F + k] * d;
        dx[n * F + k] += d * W[k * out + j];
      }
    }
  }
  return { dKernel, dBias, dx };
}
