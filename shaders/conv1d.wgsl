// Keras' Conv1D (channels_last, groups 1) over a time-major sequence, forward and backward: x [T, B, C]
// (row t B + b), kernel [K, C, F] as Keras stores it, bias [F], output [To, B, F]. To and the left
// padding P come from the padding mode (src/kernels/window1d.ts: valid P = 0; same P = floor(pad_total
// / 2); causal P = d (K - 1)); x reads as 0 outside [0, T). s: stride, d: dilation.
//
//   conv1d_forward:
//     y[o, b, f] = (FLAG_BIAS ? bias[f] : 0) + sum_j sum_c x[o s + j d - P, b, c] kernel[j, c, f]
//     (summed in f32, j then c in order, onto the bias)
//   conv1d_backward_input (dy: the gradient of y):
//     dx[t, b, c] (+)= sum_j sum_f dy[o, b, f] kernel[j, c, f], over the j for which
//     o = (t + P - j d) / s is an integer in [0, To)
//   conv1d_weight_gradient:
//     dkernel[j, c, f] (+)= sum_o sum_b dy[o, b, f] x[o s + j d - P, b, c]
//     FLAG_BIAS: dbias[f] (+)= sum_o sum_b dy[o, b, f]
//     (each a loop in o then b order, in f32)
//   (+)=: added to what the destination holds with FLAG_ACCUMULATE, written otherwise.
//
// Regions (in elements from an element offset, so no binding alignment applies):
//   x:       [T, B, C] f32 from x_offset, element (t, b, c) at x_offset + (t B + b) C + c
//   kernel:  [K, C, F] from kernel_offset, element (j, c, f) at kernel_offset + (j C + c) F + f
//   bias:    [F] from bias_offset (read with FLAG_BIAS; bound, unused, otherwise); may share kernel's
//            buffer (both are regions of a model's parameter buffer)
//   y:       [To, B, F] from y_offset, element (o, b, f) at y_offset + (o B + b) F + f
//   dy:      the gradient of y, laid out as y, from dy_offset
//   dx:      the gradient of x, [T, B, C] from dx_offset
//   dparams: the parameter gradients' buffer, one binding for both (regions of one gradient buffer):
//            dkernel [K, C, F] from dkernel_offset, dbias [F] from dbias_offset (FLAG_BIAS)
// Dispatch: ceil(n / 64) workgroups of 64, one invocation per element written, 2-D past the
//   per-dimension limit (index = id.x + id.y * groups.x * 64): conv1d_forward n = To B F (y's order);
//   conv1d_backward_input n = T B C (dx's order); conv1d_weight_gradient n = K C F (+ F with FLAG_BIAS:
//   index K C F + f is dbias[f]).

struct Dims {
  steps: u32,
  out_steps: u32,
  batch: u32,
  channels: u32,
  filters: u32,
  kernel_size: u32,
  stride: u32,
  dilation: u32,
  pad_left: u32,
  // FLAG_BIAS; the backwards also FLAG_ACCUMULATE.
  flags: u32,
  x_offset: u32,
  kernel_offset: u32,
  bias_offset: u32,
  y_offset: u32,
  dy_offset: u32,
  dx_offset: u32,
  dkernel_offset: u32,
  dbias_offset: u32,
}

const FLAG_BIAS: u32 = 1u;
const FLAG_ACCUMULATE: u32 = 2u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> kernel: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dparams: array<f32>;

fn has(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * WG; }

@compute @workgroup_size(WG)
fn conv1d_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let F = dims.filters;
  let C = dims.channels;
  let B = dims.batch;
  if (i >= dims.out_steps * B * F) { return; }
  let f = i % F;
  let row = i / F; // o B + b
  let b = row % B;
  let o = row / B;
  var acc = 0.0;
  if (has(FLAG_BIAS)) { acc = bias[dims.bias_offset + f]; }
  for (var j = 0u; j < dims.kernel_size; j++) {
    let padded = o * dims.stride + j * dims.dilation; // t + P
    if (padded < dims.pad_left) { continue; }
    let t = padded - dims.pad_left;
    // t grows with j: every later tap is past the end too.
    if (t >= dims.steps) { break; }
    let xs = dims.x_offset + (t * B + b) * C;
    let ws = dims.kernel_offset + j * C * F + f;
    for (var c = 0u; c < C; c++) { acc += x[xs + c] * kernel[ws + c * F]; }
  }
  y[dims.y_offset + i] = acc;
}

@compute @workgroup_size(WG)
fn conv1d_backward_input(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let F = dims.filters;
  let C = dims.channels;
  let B = dims.batch;
  if (i >= dims.steps * B * C) { return; }
  let c = i % C;
  let row = i / C; // t B + b
  let b = row % B;
  let t = row / B;
  let padded = t + dims.pad_left;
  var acc = 0.0;
  for (var j = 0u; j < dims.kernel_size; j++) {
    let tap = j * dims.dilation;
    // tap grows with j: no later tap reaches an output either.
    if (tap > padded) { break; }
    let reach = padded - tap; // o s
    if (reach % dims.stride != 0u) { continue; }
    let o = reach / dims.stride;
    if (o >= dims.out_steps) { continue; }
    let gs = dims.dy_offset + (o * B + b) * F;
    let ws = dims.kernel_offset + (j * C + c) * F;
    for (var f = 0u; f < F; f++) { acc += dy[gs + f] * kernel[ws + f]; }
  }
  let at = dims.dx_offset + i;
  if (has(FLAG_ACCUMULATE)) { acc += dx[at]; }
  dx[at] = acc;
}

@compute @workgroup_size(WG)
fn conv1d_weight_gradient(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let F = dims.filters;
  let C = dims.channels;
  let B = dims.batch;
  let weights = dims.kernel_size * C * F;
  var acc = 0.0;
  var at = 0u;
  if (i < weights) {
    let f = i % F;
    let jc = i / F; // j C + c
    let c = jc % C;
    let j = jc / C;
    for (var o = 0u; o < dims.out_steps; o++) {
      let padded = o * dims.stride + j * dims.dilation;
      if (padded < dims.pad_left) { continue; }
      let t = padded - dims.pad_left;
      // t grows with o.
      if (t >= dims.steps) { break; }
      for (var b = 0u; b < B; b++) {
        acc += dy[dims.dy_offset + (o * B + b) * F + f] * x[dims.x_offset + (t * B + b) * C + c];
      }
    }
    at = dims.dkernel_offset + i;
  } else if (has(FLAG_BIAS) && i < weights + F) {
    let f = i - weights;
    for (var r = 0u; r < dims.out_steps * B; r++) { acc += dy[dims.dy_offset + r * F + f]; }
    at = dims.dbias_offset + f;
  } else {
    return;
  }
  if (has(FLAG_ACCUMULATE)) { acc += dparams[at]; }
  dparams[at] = acc;
}
