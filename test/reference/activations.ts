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

// ---- Every Keras activation by name, in float64, with its derivative -------------------------------

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** erf to float64 precision (Abramowitz & Stegun 7.1.26 is not enough here): by its Taylor series / continued fraction. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // Maclaurin series, converges fast for |x| < 3.
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc (Lentz), accurate for |x| >= 3.
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = a + an * d;
    d = 1 / d;
    c = a + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Keras' pointwise activations (hard_sigmoid: Keras 2's clip(0.2 x + 0.5, 0, 1); hard_sigmoid_keras3: relu6(x + 3) / 6). */
export const ACTIVATION_FUNCTIONS: Record<string, (x: number) => number> = {
  linear: (x) => x,
  tanh: (x) => Math.tanh(x),
  sigmoid,
  relu,
  hard_sigmoid: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  hard_sigmoid_keras3: (x) => Math.min(6, Math.max(0, x + 3)) / 6,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  swish: (x) => x * sigmoid(x),
  silu: (x) => x * sigmoid(x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  exponential: (x) => Math.exp(x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  mish: (x) => x * Math.tanh(softplus(x)),
  hard_silu: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
};

/** d activation / dx at x, analytic (0 at the kinks, as TensorFlow). */
export const ACTIVATION_DERIVATIVES: Record<string, (x: number) => number> = {
  linear: () => 1,
  tanh: tanhGrad,
  sigmoid: sigmoidGrad,
  relu: reluGrad,
  hard_sigmoid: (x) => (x > -2.5 && x < 2.5 ? 0.2 : 0),
  hard_sigmoid_keras3: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  elu: (x) => (x > 0 ? 1 : Math.exp(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
  softplus: (x) => sigmoid(x),
  softsign: (x) => 1 / (1 + Math.abs(x)) ** 2,
  swish: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))),
  silu: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))),
  gelu: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  exponential: (x) => Math.exp(x),
  relu6: (x) => (x > 0 && x < 6 ? 1 : 0),
  leaky_relu: (x) => (x > 0 ? 1 : 0.2),
  mish: (x) => {
    const t = Math.tanh(softplus(x));
    return t + x * (1 - t * t) * sigmoid(x);
  },
  hard_silu: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6),
  hard_swish: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (2 * x + 3) / 6),
};

export function activate(name: string, x: number): number {
  const f = ACTIVATION_FUNCTIONS[name];
  if (!f) throw new Error(`reference: unknown activation '${name}'`);
  return f(x);
}

export function activationDerivative(name: string, x: number): number {
  const f = ACTIVATION_DERIVATIVES[name];
  if (!f) throw new Error(`reference: unknown activation '${name}'`);
  return f(x);
}
