// Activations shared by every kernel that applies one (Dense, Activation, the recurrent cells), in forms
// that never overflow for large pre-activations (tested with +-300), and their derivatives.
//
// Kinds (ACT_* below; src/kernels/activation-kinds.ts holds the same numbers):
//   linear x; tanh; sigmoid 1 / (1 + e^-x); relu max(x, 0);
//   hard_sigmoid (Keras 2) clip(0.2 x + 0.5, 0, 1); hard_sigmoid (Keras 3) relu6(x + 3) / 6;
//   elu x > 0 ? x : e^x - 1; selu 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 (e^x - 1));
//   softplus log(1 + e^x); softsign x / (1 + |x|); swish (silu) x sigmoid(x);
//   gelu (exact) x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); exponential e^x; relu6 min(max(x, 0), 6);
//   leaky_relu x > 0 ? x : 0.2 x (Keras 3's default slope); mish x tanh(softplus(x));
//   hard_silu (hard_swish) x relu6(x + 3) / 6.
//
//   activation(kind, v)          the value y = f(v)
//   activation_grad(kind, v, fv) dy/dv from the pre-activation v and the value fv = f(v)
//   activation_grad_from_output(kind, fv)  dy/dv from fv alone, for the kinds where it determines it
//     (linear, tanh, sigmoid, relu, both hard_sigmoids, elu, selu, softplus, softsign, exponential,
//     relu6): recurrent cells save activated values only. At the kinks (relu at 0) the derivative is 0,
//     as TensorFlow's.

const ACT_LINEAR: u32 = 0u;
const ACT_TANH: u32 = 1u;
const ACT_SIGMOID: u32 = 2u;
const ACT_RELU: u32 = 3u;
const ACT_HARD_SIGMOID: u32 = 4u;
const ACT_HARD_SIGMOID_V3: u32 = 5u;
const ACT_ELU: u32 = 6u;
const ACT_SELU: u32 = 7u;
const ACT_SOFTPLUS: u32 = 8u;
const ACT_SOFTSIGN: u32 = 9u;
const ACT_SWISH: u32 = 10u;
const ACT_GELU: u32 = 11u;
const ACT_EXPONENTIAL: u32 = 12u;
const ACT_RELU6: u32 = 13u;
const ACT_LEAKY_RELU: u32 = 14u;
const ACT_MISH: u32 = 15u;
const ACT_HARD_SILU: u32 = 16u;

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;
const LEAKY_SLOPE: f32 = 0.2;

fn stable_sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v)); // in (0, 1]: never overflows
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

fn stable_softplus(v: f32) -> f32 {
  return max(v, 0.0) + log(1.0 + exp(-abs(v)));
}

// erf by Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7, below f32 rounding of the result).
fn erf_approx(v: f32) -> f32 {
  let mag = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * mag);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - p * exp(-mag * mag));
}

fn activation(kind: u32, v: f32) -> f32 {
  switch kind {
    case ACT_TANH: { return stable_tanh(v); }
    case ACT_SIGMOID: { return stable_sigmoid(v); }
    case ACT_RELU: { return max(v, 0.0); }
    case ACT_HARD_SIGMOID: { return clamp(0.2 * v + 0.5, 0.0, 1.0); }
    case ACT_HARD_SIGMOID_V3: { return clamp(v + 3.0, 0.0, 6.0) / 6.0; }
    case ACT_ELU: { return select(exp(min(v, 0.0)) - 1.0, v, v > 0.0); }
    case ACT_SELU: { return SELU_SCALE * select(SELU_ALPHA * (exp(min(v, 0.0)) - 1.0), v, v > 0.0); }
    case ACT_SOFTPLUS: { return stable_softplus(v); }
    case ACT_SOFTSIGN: { return v / (1.0 + abs(v)); }
    case ACT_SWISH: { return v * stable_sigmoid(v); }
    case ACT_GELU: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); }
    case ACT_EXPONENTIAL: { return exp(v); }
    case ACT_RELU6: { return clamp(v, 0.0, 6.0); }
    case ACT_LEAKY_RELU: { return select(LEAKY_SLOPE * v, v, v > 0.0); }
    case ACT_MISH: { return v * stable_tanh(stable_softplus(v)); }
    case ACT_HARD_SILU: { return v * clamp(v + 3.0, 0.0, 6.0) / 6.0; }
    default: { return v; }
  }
}

fn activation_grad(kind: u32, v: f32, fv: f32) -> f32 {
  switch kind {
    case ACT_SWISH: {
      let s = stable_sigmoid(v);
      return s * (1.0 + v * (1.0 - s));
    }
    case ACT_GELU: {
      let pdf = 0.3989422804014327 * exp(-0.5 * v * v);
      return 0.5 * (1.0 + erf_approx(v * 0.7071067811865476)) + v * pdf;
    }
    case ACT_LEAKY_RELU: { return select(LEAKY_SLOPE, 1.0, v > 0.0); }
    case ACT_RELU: { return select(0.0, 1.0, v > 0.0); }
    case ACT_MISH: {
      let sp = stable_softplus(v);
      let t = stable_tanh(sp);
      return t + v * (1.0 - t * t) * stable_sigmoid(v);
    }
    case ACT_HARD_SILU: {
      return select(select((2.0 * v + 3.0) / 6.0, 1.0, v >= 3.0), 0.0, v <= -3.0);
    }
    case ACT_HARD_SIGMOID: { return select(0.0, 0.2, v > -2.5 && v < 2.5); }
    case ACT_HARD_SIGMOID_V3: { return select(0.0, 1.0 / 6.0, v > -3.0 && v < 3.0); }
    case ACT_RELU6: { return select(0.0, 1.0, v > 0.0 && v < 6.0); }
    default: { return activation_grad_from_output(kind, fv); }
  }
}

fn activation_grad_from_output(kind: u32, fv: f32) -> f32 {
  switch kind {
    case ACT_TANH: { return 1.0 - fv * fv; }
    case ACT_SIGMOID: { return fv * (1.0 - fv); }
    case ACT_RELU: { return select(0.0, 1.0, fv > 0.0); }
    case ACT_HARD_SIGMOID: { return select(0.0, 0.2, fv > 0.0 && fv < 1.0); }
    case ACT_HARD_SIGMOID_V3: { return select(0.0, 1.0 / 6.0, fv > 0.0 && fv < 1.0); }
    case ACT_ELU: { return select(fv + 1.0, 1.0, fv > 0.0); }
    case ACT_SELU: { return select(fv + SELU_SCALE * SELU_ALPHA, SELU_SCALE, fv > 0.0); }
    case ACT_SOFTPLUS: { return 1.0 - exp(-fv); }
    case ACT_SOFTSIGN: {
      let d = 1.0 - abs(fv);
      return d * d;
    }
    case ACT_EXPONENTIAL: { return fv; }
    case ACT_RELU6: { return select(0.0, 1.0, fv > 0.0 && fv < 6.0); }
    default: { return 1.0; }
  }
}
