// Pointwise activations of a Dense layer, and softmax over rows, forward and backward side by side.
//
//   activate:          y = f(pre)                     f by ACTIVATION: 0 linear, 1 tanh, 2 sigmoid, 3 relu
//   activate_backward: dpre = dy * f'(pre)            (tanh: 1 - y^2; sigmoid: y (1 - y); relu: pre > 0)
//   softmax:           y[r, :] = exp(pre[r, :] - max) / sum(exp(pre[r, :] - max))
//   softmax_backward:  dpre[r, i] = y[r, i] * (dy[r, i] - sum_k dy[r, k] * y[r, k])
//
// Buffers: pre, y, dy, dpre: [ROWS, COLS] (activate and activate_backward treat them as flat [ROWS * COLS])
// Dispatch: activate*: ceil(ROWS * COLS / 64) workgroups of 64 (2-D when over the per-dimension limit,
//   index = id.x + id.y * groups.x * 64); softmax*: ceil(ROWS / 64) workgroups, one invocation per row.

override ROWS: u32;
override COLS: u32;
override ACTIVATION: u32 = 0u;
const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> pre: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpre: array<f32>;

// Sigmoid and tanh through exp(-|v|), so no intermediate overflows for pre-activations of hundreds.
fn stable_sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}
fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn activate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= ROWS * COLS) { return; }
  let v = pre[i];
  switch ACTIVATION {
    case 1u: { y[i] = stable_tanh(v); }
    case 2u: { y[i] = stable_sigmoid(v); }
    case 3u: { y[i] = max(v, 0.0); }
    default: { y[i] = v; }
  }
}

@compute @workgroup_size(WG)
fn activate_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= ROWS * COLS) { return; }
  let g = dy[i];
  let out = y_saved[i];
  switch ACTIVATION {
    case 1u: { dpre[i] = g * (1.0 - out * out); }
    case 2u: { dpre[i] = g * out * (1.0 - out); }
    case 3u: { dpre[i] = select(0.0, g, pre[i] > 0.0); }
    default: { dpre[i] = g; }
  }
}

@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) id: vec3<u32>) {
  let r = id.x;
  if (r >= ROWS) { return; }
  let base = r * COLS;
  var m = pre[base];
  for (var k = 1u; k < COLS; k++) { m = max(m, pre[base + k]); }
  var total = 0.0;
  for (var k = 0u; k < COLS; k++) {
    let e = exp(pre[base + k] - m);
    y[base + k] = e;
    total += e;
  }
  let inv = 1.0 / total;
  for (var k = 0u; k < COLS; k++) { y[base + k] *= inv; }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let r = id.x;
  if (r >= ROWS) { return; }
  let base = r * COLS;
  var s = 0.0;
  for (var k = 0u; k < COLS; k++) { s += dy[base + k] * y_saved[base + k]; }
  for (var k = 0u; k < COLS; k++) { dpre[base + k] = y_saved[base + k] * (dy[base + k] - s); }
}
