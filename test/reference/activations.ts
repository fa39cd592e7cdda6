// Scalar activations and their derivatives, written so that huge pre-activations (|x| of 300
// and beyond) give finite values and finite gradients: no exp of a large positive number.

/** Logistic sigmoid; branches on sign so exp() only ever sees a non-positive argument. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** d sigmoid / dx at pre-activation x. Written as s(1-s); both factors are finite in [0, 1]. */
export function sigmoidGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

/** tanh; Math.tanh already saturates to +-1 without overflow. */
export function tanh(x: number): number {
  return Math.tanh(x);
}

/** d tanh / dx at pre-activation x, as 1 - tanh(x)^2. */
export function tanhGrad(x: number): number {
  const t = Math.tanh(x);
  return 1 - t * t;
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** ReLU derivative; 0 at x = 0, matching TensorFlow's ReluGrad. */
export function reluGrad(x: number): number {
  return x > 0 ? 1 : 0;
}

/**
 * Row-wise softmax of x [rows, cols] into a new array, with the row max subtracted first so
 * exp() never overflows.
 */
export function softmaxRows(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - max);
      out[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) out[o + j] /= sum;
  }
  return out;
}
