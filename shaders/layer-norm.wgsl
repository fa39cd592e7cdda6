// Keras' LayerNormalization over the last axis, forward and backward: x [R, F] (rows R of F features),
// each row normalized by its own mean and (biased) variance, then scaled by gamma [F] and shifted by
// beta [F] (Keras' scale and center).
//
//   layer_norm_forward (one workgroup per row r):
//     mean_r = (1/F) sum_f x[r, f];  var_r = (1/F) sum_f (x[r, f] - mean_r)^2  (two passes, biased);
//     inv_r = inverseSqrt(var_r + epsilon);  xhat[r, f] = (x[r, f] - mean_r) inv_r
//     y[r, f] = (FLAG_SCALE ? gamma[f] : 1) xhat[r, f] + (FLAG_CENTER ? beta[f] : 0)
//     stats[r, 0] = mean_r, stats[r, 1] = inv_r   (what the backwards read: xhat is recomputed from x)
//   layer_norm_backward (one workgroup per row r; dy: the gradient of y):
//     g[r, f] = dy[r, f] (FLAG_SCALE ? gamma[f] : 1)
//     dx[r, f] (+)= inv_r (g[r, f] - (1/F) sum_k g[r, k] - xhat[r, f] (1/F) sum_k g[r, k] xhat[r, k])
//   layer_norm_parameter_gradient (one invocation per feature f, a loop over r in order):
//     FLAG_SCALE:  dgamma[f] (+)= sum_r dy[r, f] xhat[r, f]
//     FLAG_CENTER: dbeta[f]  (+)= sum_r dy[r, f]
//   (+)=: added to what the destination holds with FLAG_ACCUMULATE, written otherwise. The row sums
//   are each invocation's strided partial sum (f = lane, lane + 64, ...) then a tree reduction in
//   workgroup memory: deterministic. F = 1: var 0, xhat 0, y = beta (or 0), dx 0, dgamma 0.
//
// Regions (in elements from an element offset, so no binding alignment applies):
//   x:       [R, F] f32 from x_offset, element (r, f) at x_offset + r F + f
//   y:       [R, F] from y_offset (written by the forward)
//   dy:      [R, F] from y_offset (the backwards' y_offset is dy's)
//   dx:      [R, F] from dx_offset
//   stats:   [R, 2] from stats_offset: (mean_r, inv_r) at stats_offset + 2 r; written by the forward
//            (stats), read by the backwards (stats_in: the same region)
//   gamma:   [F] from gamma_offset (read with FLAG_SCALE; bound, unused, otherwise)
//   beta:    [F] from beta_offset (read with FLAG_CENTER; bound, unused, otherwise)
//   dparams: the parameter gradients' buffer, one binding for both (they are regions of one gradient
//            buffer): dgamma [F] from dgamma_offset (FLAG_SCALE), dbeta [F] from dbeta_offset
//            (FLAG_CENTER)
// Dispatch: layer_norm_forward, layer_norm_backward: one workgroup of 64 per row (row = group.x +
//   group.y * groups.x, 2-D past the per-dimension limit); layer_norm_parameter_gradient:
//   ceil(F / 64) workgroups of 64 (f = id.x + id.y * groups.x * 64).

struct Dims {
  rows: u32,
  features: u32,
  epsilon: f32,
  // FLAG_CENTER, FLAG_SCALE; the backwards also FLAG_ACCUMULATE.
  flags: u32,
  x_offset: u32,
  // Where y (the forward) or dy (the backwards) starts.
  y_offset: u32,
  stats_offset: u32,
  gamma_offset: u32,
  beta_offset: u32,
  dx_offset: u32,
  dgamma_offset: u32,
  dbeta_offset: u32,
}

const FLAG_CENTER: u32 = 1u;
const FLAG_SCALE: u32 = 2u;
const FLAG_ACCUMULATE: u32 = 4u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;
@group(0) @binding(6) var<storage, read> dy: array<f32>;
@group(0) @binding(7) var<storage, read> stats_in: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;
@group(0) @binding(9) var<storage, read_write> dparams: array<f32>;

var<workgroup> scratch_a: array<f32, WG>;
var<workgroup> scratch_b: array<f32, WG>;

fn has(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

// The sums over the workgroup of a and b (every lane gets them). Called in uniform control flow.
fn reduce2(lane: u32, a: f32, b: f32) -> vec2<f32> {
  scratch_a[lane] = a;
  scratch_b[lane] = b;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lane < half) {
      scratch_a[lane] += scratch_a[lane + half];
      scratch_b[lane] += scratch_b[lane + half];
    }
    workgroupBarrier();
  }
  let sums = vec2<f32>(scratch_a[0], scratch_b[0]);
  // Every lane has read the sums before the scratch is written again.
  workgroupBarrier();
  return sums;
}

// gamma[f] with FLAG_SCALE, 1 otherwise (the placeholder bound then is never read).
fn scale_of(f: u32) -> f32 {
  if (has(FLAG_SCALE)) { return gamma[dims.gamma_offset + f]; }
  return 1.0;
}

@compute @workgroup_size(WG)
fn layer_norm_forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  // Uniform per workgroup (from workgroup_id), so returning here keeps the barriers below uniform.
  let row = group.x + group.y * groups.x;
  if (row >= dims.rows) { return; }
  let F = dims.features;
  let base = dims.x_offset + row * F;
  var sum = 0.0;
  for (var f = lane; f < F; f += WG) { sum += x[base + f]; }
  let mean = reduce2(lane, sum, 0.0).x / f32(F);
  var squares = 0.0;
  for (var f = lane; f < F; f += WG) {
    let d = x[base + f] - mean;
    squares += d * d;
  }
  let variance = reduce2(lane, squares, 0.0).x / f32(F);
  let inv = inverseSqrt(variance + dims.epsilon);
  let out = dims.y_offset + row * F;
  for (var f = lane; f < F; f += WG) {
    var v = (x[base + f] - mean) * inv * scale_of(f);
    if (has(FLAG_CENTER)) { v += beta[dims.beta_offset + f]; }
    y[out + f] = v;
  }
  if (lane == 0u) {
    stats[dims.stats_offset + 2u * row] = mean;
    stats[dims.stats_offset + 2u * row + 1u] = inv;
  }
}

@compute @workgroup_size(WG)
fn layer_norm_backward(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let row = group.x + group.y * groups.x;
  if (row >= dims.rows) { return; }
  let F = dims.features;
  let base = dims.x_offset + row * F;
  let grad = dims.y_offset + row * F;
  let mean = stats_in[dims.stats_offset + 2u * row];
  let inv = stats_in[dims.stats_offset + 2u * row + 1u];
  var sum_g = 0.0;
  var sum_gx = 0.0;
  for (var f = lane; f < F; f += WG) {
    let g = dy[grad + f] * scale_of(f);
    sum_g += g;
    sum_gx += g * (x[base + f] - mean) * inv;
  }
  let sums = reduce2(lane, sum_g, sum_gx) / f32(F);
  let at = dims.dx_offset + row * F;
  for (var f = lane; f < F; f += WG) {
    let g = dy[grad + f] * scale_of(f);
    let xhat = (x[base + f] - mean) * inv;
    var v = inv * (g - sums.x - xhat * sums.y);
    if (has(FLAG_ACCUMULATE)) { v += dx[at + f]; }
    dx[at + f] = v;
  }
}

@compute @workgroup_size(WG)
fn layer_norm_parameter_gradient(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let f = id.x + id.y * groups.x * WG;
  let F = dims.features;
  if (f >= F) { return; }
  var sum_gamma = 0.0;
  var sum_beta = 0.0;
  for (var r = 0u; r < dims.rows; r++) {
    let g = dy[dims.y_offset + r * F + f];
    let xhat = (x[dims.x_offset + r * F + f] - stats_in[dims.stats_offset + 2u * r]) * stats_in[dims.stats_offset + 2u * r + 1u];
    sum_gamma += g * xhat;
    sum_beta += g;
  }
  if (has(FLAG_SCALE)) {
    let at = dims.dgamma_offset + f;
    if (has(FLAG_ACCUMULATE)) { sum_gamma += dparams[at]; }
    dparams[at] = sum_gamma;
  }
  if (has(FLAG_CENTER)) {
    let at = dims.dbeta_offset + f;
    if (has(FLAG_ACCUMULATE)) { sum_beta += dparams[at]; }
    dparams[at] = sum_beta;
  }
}
