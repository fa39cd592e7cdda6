// Keras Dense on rows: y = act(x W + b), x [N, in], W [in, out], b [out]. A [B, T, in] sequence
// is simply N = B*T rows. Softmax is taken over the last axis (each row).

import { activate, activationDerivative, softmaxRows } from './activations.js';
import { exactDiv, expectLength } from './shapes.js';

/** Any Keras activation by name (activations.ts), or 'softmax' / 'log_softmax' over each row. */
export type DenseActivation = string;

export interface DenseParams {
  /** [in, out] */
  kernel: Float64Array;
  /** [out] */
  bias: Float64Array;
}

export interface DenseForwardResult {
  /** Activated output [N, out]. */
  output: Float64Array;
  /** Pre-activation [N, out]. */
  pre: Float64Array;
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
  if (activation === 'softmax') y = softmaxRows(z, N, out);
  else if (activation === 'log_softmax') y = softmaxRows(z, N, out).map(Math.log);
  else y = z.map((v) => activate(activation, v));
  return { output: y, pre: z, N, inputSize: F, units: out, activation };
}

/** Backward pass; dOutput [N, out] is the gradient w.r.t. the activated output. */
export function denseBackward(
  params: DenseParams,
  x: Float64Array,
  cache: DenseForwardResult,
  dOutput: Float64Array,
): DenseGradients {
  const { N, inputSize: F, units: out, activation, output: y, pre } = cache;
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
    if (activation === 'log_softmax') {
      // d log_softmax: dz_j = dy_j - softmax_j sum_k dy_k
      let total = 0;
      for (let j = 0; j < out; j++) total += dOutput[o + j];
      for (let j = 0; j < out; j++) dz[o + j] = dOutput[o + j] - Math.exp(y[o + j]) * total;
      continue;
    }
    for (let j = 0; j < out; j++) dz[o + j] = dOutput[o + j] * activationDerivative(activation, pre[o + j]);
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
