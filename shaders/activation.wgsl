//! joined after: common/activations.wgsl
// Pointwise activations of a layer's output (Dense, Activation) and row softmax, forward and backward
// side by side. The activation functions themselves are in common/activations.wgsl (joined before).
//
//   activate:          y = activation(kind, pre)
//   activate_backward: dpre (+)= dy * activation_grad(kind, pre, y)
//   softmax:           y[r, :] = exp(pre[r, :] - max) / sum(exp(pre[r, :] - max))        (log_softmax with
//                      FLAG_LOG: y = pre - max - log(sum))
//   softmax_backward:  dpre[r, i] (+)= y[r, i] (dy[r, i] - sum_k dy[r, k] y[r, k])
//                      (log_softmax: dpre = dy - exp(y) sum_k dy[r, k])
//   (+)=: accumulated into dpre with FLAG_ACCUMULATE.
//
// Buffers: pre, y, dy, y_saved, dpre: [rows, cols] (flat n = rows * cols for the pointwise entries)
// Dispatch: activate*: ceil(n / 64) workgroups of 64 (2-D past the per-dimension limit, index = id.x +
//   id.y * groups.x * 64); softmax*: ceil(rows / 64) workgroups (2-D likewise), one invocation per row.

struct Dims {
  rows: u32,
  cols: u32,
  kind: u32,
  flags: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const FLAG_LOG: u32 = 2u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> pre: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> y_saved: array<f32>;
@group(0) @binding(5) var<storage, read_write> dpre: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * WG; }

fn write_dpre(i: u32, value: f32) {
  dpre[i] = select(0.0, dpre[i], (dims.flags & FLAG_ACCUMULATE) != 0u) + value;
}

@compute @workgroup_size(WG)
fn activate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.rows * dims.cols) { return; }
  y[i] = activation(dims.kind, pre[i]);
}

@compute @workgroup_size(WG)
fn activate_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= dims.rows * dims.cols) { return; }
  write_dpre(i, dy[i] * activation_grad(dims.kind, pre[i], y_saved[i]));
}

@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = flat_index(id, groups);
  if (r >= dims.rows) { return; }
  let cols = dims.cols;
  let base = r * cols;
  var m = pre[base];
  for (var k = 1u; k < cols; k++) { m = max(m, pre[base + k]); }
  var total = 0.0;
  for (var k = 0u; k < cols; k++) { total += exp(pre[base + k] - m); }
  if ((dims.flags & FLAG_LOG) != 0u) {
    let log_total = log(total);
    for (var k = 0u; k < cols; k++) { y[base + k] = pre[base + k] - m - log_total; }
    return;
  }
  let inv = 1.0 / total;
  for (var k = 0u; k < cols; k++) { y[base + k] = exp(pre[base + k] - m) * inv; }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = flat_index(id, groups);
  if (r >= dims.rows) { return; }
  let cols = dims.cols;
  let base = r * cols;
  if ((dims.flags & FLAG_LOG) != 0u) {
    var total = 0.0;
    for (var k = 0u; k < cols; k++) { total += dy[base + k]; }
    for (var k = 0u; k < cols; k++) { write_dpre(base + k, dy[base + k] - exp(y_saved[base + k]) * total); }
    return;
  }
  var s = 0.0;
  for (var k = 0u; k < cols; k++) { s += dy[base + k] * y_saved[base + k]; }
  for (var k = 0u; k < cols; k++) { write_dpre(base + k, y_saved[base + k] * (dy[base + k] - s)); }
}
