// Optimizer updates with Keras' formulas, over a model's whole parameter buffer in one dispatch, and the
// squared global gradient norm, for Keras' global_clipnorm and for the non-finite guard.
//
// Non-finite guard: a step whose squared global norm is not finite (a NaN or an Infinity in any
// gradient, or squares past the f32 range) changes nothing (parameters and optimizer state stay), and
// invocation 0 counts it: non_finite[0] += 1, non_finite[1] = step_params.step of the first such step
// since the host cleared the pair. With FLAG_HALT_ON_NON_FINITE every later step changes nothing either
// (training stops at the last finite step; the host reads the pair once per epoch). Finiteness is read
// from the exponent bits, since WGSL lets compilers assume float comparisons never meet a NaN.
//
// g is gradients[i] after clipping (at most one kind, as Keras allows one):
//   CLIP_BY_NORM:  g *= CLIP_NORM / max(sqrt(norm_squared[0]), CLIP_NORM)   (global norm over all
//                  parameters; 1 when within bounds, and never 0/0 since CLIP_NORM > 0). Should the
//                  f32 sum of squares overflow (norm > ~1.8e19), the scale is 0 and finite gradients
//                  become 0, where Keras would make them NaN.
//   CLIP_BY_VALUE: g = clamp(g, -CLIP_VALUE, CLIP_VALUE)
// lr below is step_params.learning_rate, written by the host before every step:
//   adam:    m = BETA1 m + (1 - BETA1) g;  v = BETA2 v + (1 - BETA2) g^2
//            p -= lr m / (sqrt(v) + EPSILON)
//            with lr = learning_rate * sqrt(1 - BETA2^t) / (1 - BETA1^t): the bias correction for step
//            t is folded into the rate on the host, in float64 (epsilon is not bias-corrected, as Keras).
//   sgd:     MOMENTUM == 0: p -= lr g
//            else: velocity = MOMENTUM velocity - lr g; p += velocity
//                  (NESTEROV: p += MOMENTUM velocity - lr g)
//   rmsprop: ms = RHO ms + (1 - RHO) g^2;  increment = lr g / sqrt(ms + EPSILON)  (epsilon inside the root)
//            MOMENTUM == 0: p -= increment; else momentum = MOMENTUM momentum + increment; p -= momentum
//   gradient_norm_squared: norm_squared[0] = sum_i gradients[i]^2
//
// Buffers (N = dims.n, the floats of the parameter buffer, alignment padding included: padding gradients are 0, and
// every update maps p = 0, g = 0, zero state to p = 0, so padding stays 0):
//   params: [N] (updated in place); gradients: [N]; norm_squared: [1]; non_finite: [2] u32
//   adam_m, adam_v: [N]; sgd_velocity: [N]; rms_mean_square: [N]; rms_momentum: [N]
//   sgd_velocity and rms_momentum are only touched when MOMENTUM > 0; otherwise the host binds a 4-byte
//   placeholder (the binding exists either way, since the entry point names it).
//   step_params: uniform, see StepParams (written by the host before every step); the hyperparameters
//   (BETA1 ... CLIP_VALUE above) are dims, fixed when the plan is built.
// Dispatch:
//   adam / sgd / rmsprop: ceil(N / 64) workgroups of 64 (2-D when over the per-dimension limit,
//     index = id.x + id.y * groups.x * 64).
//   gradient_norm_squared: a single workgroup of 256: each invocation sums every 256th square, then a tree
//     reduction in workgroup memory. One workgroup reads the whole gradient buffer: fine for recurrent
//     models of up to a few million parameters, and the sum stays deterministic.

struct Dims {
  n: u32,
  flags: u32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  momentum: f32,
  rho: f32,
  clip_norm: f32,
  clip_value: f32,
}

const FLAG_CLIP_BY_NORM: u32 = 1u;
const FLAG_CLIP_BY_VALUE: u32 = 2u;
const FLAG_NESTEROV: u32 = 4u;
const FLAG_HALT_ON_NON_FINITE: u32 = 8u;
const F32_EXPONENT: u32 = 0x7f800000u;
const WG: u32 = 64u;
const SUM_WG: u32 = 256u;

struct StepParams {
  // SGD, RMSprop: the learning rate. Adam: the bias-corrected rate of this step (see above).
  learning_rate: f32,
  // The host's count of optimizer steps, this one included (recorded by the non-finite guard).
  step: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> gradients: array<f32>;
@group(0) @binding(3) var<uniform> step_params: StepParams;
// Written by gradient_norm_squared, read by the updates: one declaration, so read_write for both.
@group(0) @binding(4) var<storage, read_write> norm_squared: array<f32>;
@group(0) @binding(5) var<storage, read_write> adam_m: array<f32>;
@group(0) @binding(6) var<storage, read_write> adam_v: array<f32>;
@group(0) @binding(7) var<storage, read_write> sgd_velocity: array<f32>;
@group(0) @binding(8) var<storage, read_write> rms_mean_square: array<f32>;
@group(0) @binding(9) var<storage, read_write> rms_momentum: array<f32>;
@group(0) @binding(10) var<storage, read_write> non_finite: array<u32>;

var<workgroup> sum_scratch: array<f32, SUM_WG>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WG;
}

// Whether this step updates anything (see the non-finite guard above); invocation 0 records a skip.
fn step_applies(i: u32) -> bool {
  let finite = (bitcast<u32>(norm_squared[0]) & F32_EXPONENT) != F32_EXPONENT;
  let halted = (dims.flags & FLAG_HALT_ON_NON_FINITE) != 0u && non_finite[0] > 0u;
  if (!finite && i == 0u) {
    if (non_finite[0] == 0u) { non_finite[1] = step_params.step; }
    non_finite[0] += 1u;
  }
  return finite && !halted;
}

fn clipped_gradient(i: u32) -> f32 {
  var g = gradients[i];
  if ((dims.flags & FLAG_CLIP_BY_NORM) != 0u) {
    g *= dims.clip_norm / max(sqrt(norm_squared[0]), dims.clip_norm);
  }
  if ((dims.flags & FLAG_CLIP_BY_VALUE) != 0u) {
    g = clamp(g, -dims.clip_value, dims.clip_value);
  }
  return g;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.n || !step_applies(i)) { return; }
  let g = clipped_gradient(i);
  let m = dims.beta1 * adam_m[i] + (1.0 - dims.beta1) * g;
  let v = dims.beta2 * adam_v[i] + (1.0 - dims.beta2) * g * g;
  adam_m[i] = m;
  adam_v[i] = v;
  params[i] -= step_params.learning_rate * m / (sqrt(v) + dims.epsilon);
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.n || !step_applies(i)) { return; }
  let g = clipped_gradient(i);
  let lr = step_params.learning_rate;
  if (dims.momentum == 0.0) {
    params[i] -= lr * g;
    return;
  }
  let velocity = dims.momentum * sgd_velocity[i] - lr * g;
  sgd_velocity[i] = velocity;
  if ((dims.flags & FLAG_NESTEROV) != 0u) {
    params[i] += dims.momentum * velocity - lr * g;
  } else {
    params[i] += velocity;
  }
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.n || !step_applies(i)) { return; }
  let g = clipped_gradient(i);
  let mean_square = dims.rho * rms_mean_square[i] + (1.0 - dims.rho) * g * g;
  rms_mean_square[i] = mean_square;
  let increment = step_params.learning_rate * g / sqrt(mean_square + dims.epsilon);
  if (dims.momentum == 0.0) {
    params[i] -= increment;
    return;
  }
  let momentum = dims.momentum * rms_momentum[i] + increment;
  rms_momentum[i] = momentum;
  params[i] -= momentum;
}

@compute @workgroup_size(SUM_WG)
fn gradient_norm_squared(@builtin(local_invocation_index) lane: u32) {
  var local_sum = 0.0;
  for (var i = lane; i < dims.n; i += SUM_WG) {
    let g = gradients[i];
    local_sum += g * g;
  }
  sum_scratch[lane] = local_sum;
  for (var stride = SUM_WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) { sum_scratch[lane] += sum_scratch[lane + stride]; }
  }
  if (lane == 0u) {
    norm_squared[0] = sum_scratch[0];
  }
}
