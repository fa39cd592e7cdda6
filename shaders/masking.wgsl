// Keras' masks of time steps: made (Masking), applied (a Bidirectional's zero output at masked steps,
// gradients), turned into a loss's row weights, and used by the masked mean over time
// (GlobalAveragePooling1D). A mask is f32 [T, B] (time-major, like the sequences: step t of sample b at
// row r = t B + b), 1 where the step is real and 0 where it is masked (padding).
//
//   mask_from_values (Keras' Masking):  mask[r] = 1 if some x[r, f] != mask_value, else 0;
//                                       out[r, f] = x[r, f] mask[r]
//   mask_rows:           out[r, f] (+)= x[r, f] mask[r]        (Masking's backward: dx = dy mask)
//   mask_rows_in_place:  values[r, f] = values[r, f] mask[r]   (zero output at masked steps, and its gradient)
//   mask_row_weights:    out[r] = mask[r] base[r] / sum_r' mask[r'] base[r']   (0 everywhere when the sum
//                        is 0); base = 1 without FLAG_BASE. The weights of a loss's rows: the mean over
//                        the real steps, as Keras weighs a masked output's loss. One workgroup.
//   masked_mean_forward:  out[b, f] = sum_t x[t, b, f] mask[t, b] / n_b,  n_b = sum_t mask[t, b]
//                         (0 when a sample has no real step; Keras divides 0 by 0 there)
//   masked_mean_backward: dx[t, b, f] (+)= dout[b, f] mask[t, b] / n_b
//   (+)=: added to what the output holds with FLAG_ACCUMULATE, written otherwise.
//
// Regions (elements from element offsets, so no binding alignment applies):
//   x:    [R, F] f32 from x_offset (mask_from_values, mask_rows; masked_mean_*: [T, B, F], R = T B)
//   out:  [R, F] from out_offset (mask_row_weights: [R]; masked_mean_forward: [B, F]; masked_mean_backward: dx [T, B, F])
//   mask: [R] from mask_offset (written by mask_from_values, read by the others: mask_in)
//   base: [R] from base_offset (mask_row_weights with FLAG_BASE; bound, unused, otherwise)
//   dout: [B, F] from dout_offset (masked_mean_backward)
//   values: [R, F] from out_offset (mask_rows_in_place)
// Dispatch: mask_from_values ceil(R / 64) (a row each); mask_rows, mask_rows_in_place,
//   masked_mean_backward ceil(R F / 64) (an element each); masked_mean_forward ceil(B F / 64);
//   mask_row_weights 1 workgroup; 2-D past the per-dimension limit (index = id.x + id.y groups.x 64).

struct Dims {
  // R (mask_from_values, mask_rows*, mask_row_weights) or B (masked_mean_*).
  rows: u32,
  features: u32,
  // masked_mean_*: T.
  steps: u32,
  flags: u32,
  mask_value: f32,
  x_offset: u32,
  out_offset: u32,
  mask_offset: u32,
  base_offset: u32,
  dout_offset: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const FLAG_BASE: u32 = 2u;
const WG: u32 = 64u;
const REDUCE_WG: u32 = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;
@group(0) @binding(4) var<storage, read> mask_in: array<f32>;
@group(0) @binding(5) var<storage, read> base: array<f32>;
@group(0) @binding(6) var<storage, read> dout: array<f32>;
@group(0) @binding(7) var<storage, read_write> values: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * WG; }
fn has_flag(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

// out[i] (+)= v.
fn put(i: u32, v: f32) {
  let at = dims.out_offset + i;
  out[at] = select(v, out[at] + v, has_flag(FLAG_ACCUMULATE));
}

@compute @workgroup_size(WG)
fn mask_from_values(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = flat_index(id, groups);
  if (r >= dims.rows) { return; }
  let F = dims.features;
  var keep = 0.0;
  for (var f = 0u; f < F; f++) {
    if (x[dims.x_offset + r * F + f] != dims.mask_value) { keep = 1.0; }
  }
  mask[dims.mask_offset + r] = keep;
  for (var f = 0u; f < F; f++) { out[dims.out_offset + r * F + f] = x[dims.x_offset + r * F + f] * keep; }
}

@compute @workgroup_size(WG)
fn mask_rows(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.rows * dims.features) { return; }
  put(i, x[dims.x_offset + i] * mask_in[dims.mask_offset + i / dims.features]);
}

@compute @workgroup_size(WG)
fn mask_rows_in_place(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.rows * dims.features) { return; }
  let at = dims.out_offset + i;
  values[at] = values[at] * mask_in[dims.mask_offset + i / dims.features];
}

var<workgroup> partial_sums: array<f32, REDUCE_WG>;

fn row_weight(r: u32) -> f32 {
  var w = mask_in[dims.mask_offset + r];
  if (has_flag(FLAG_BASE)) { w *= base[dims.base_offset + r]; }
  return w;
}

@compute @workgroup_size(REDUCE_WG)
fn mask_row_weights(@builtin(local_invocation_index) lane: u32) {
  var sum = 0.0;
  for (var r = lane; r < dims.rows; r += REDUCE_WG) { sum += row_weight(r); }
  partial_sums[lane] = sum;
  workgroupBarrier();
  for (var width = REDUCE_WG / 2u; width > 0u; width /= 2u) {
    if (lane < width) { partial_sums[lane] += partial_sums[lane + width]; }
    workgroupBarrier();
  }
  let total = partial_sums[0];
  let scale = select(0.0, 1.0 / total, total > 0.0);
  for (var r = lane; r < dims.rows; r += REDUCE_WG) { out[dims.out_offset + r] = row_weight(r) * scale; }
}

// n_b: the real steps of sample b.
fn real_steps(b: u32) -> f32 {
  var n = 0.0;
  for (var t = 0u; t < dims.steps; t++) { n += mask_in[dims.mask_offset + t * dims.rows + b]; }
  return n;
}

@compute @workgroup_size(WG)
fn masked_mean_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let B = dims.rows;
  let F = dims.features;
  if (i >= B * F) { return; }
  let b = i / F;
  let f = i % F;
  var sum = 0.0;
  for (var t = 0u; t < dims.steps; t++) { sum += x[dims.x_offset + (t * B + b) * F + f] * mask_in[dims.mask_offset + t * B + b]; }
  let n = real_steps(b);
  out[dims.out_offset + i] = select(0.0, sum / n, n > 0.0);
}

@compute @workgroup_size(WG)
fn masked_mean_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let B = dims.rows;
  let F = dims.features;
  if (i >= dims.steps * B * F) { return; }
  let row = i / F; // t B + b
  let b = row % B;
  let n = real_steps(b);
  let g = select(0.0, dout[dims.dout_offset + b * F + i % F] * mask_in[dims.mask_offset + row] / n, n > 0.0);
  put(i, g);
}
