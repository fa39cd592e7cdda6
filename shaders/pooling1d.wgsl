// Keras' MaxPooling1D / AveragePooling1D (channels_last) over a time-major sequence, forward and
// backward: x [T, B, C] (row t B + b) to out [To, B, C], windows of p steps moved s at a time. To and
// the left padding P come from the padding mode (src/kernels/window1d.ts: valid P = 0; same P =
// floor(pad_total / 2)). Window o covers the steps t in [o s - P, o s - P + p) that lie in [0, T): its
// real steps (at least one, for both paddings); padding is ignored, as TensorFlow does.
//
//   pool1d_forward, by mode (out from out_offset, arg from arg_offset):
//     0 avg  out[o, b, c] = (sum of x[t, b, c] over the window's real steps, in t order, in f32) / n_o,
//            n_o the count of its real steps
//     1 max  out[o, b, c] = the maximum of x[t, b, c] over the window's real steps; arg[o, b, c] = the
//            first t reaching it; NaN inputs: unspecified (WGSL lets an implementation assume none)
//   pool1d_backward, by mode (dx from dx_offset, dout from out_offset, arg_in from arg_offset):
//     avg  dx[t, b, c] (+)= sum over the windows o holding t of dout[o, b, c] / n_o
//     max  dx[t, b, c] (+)= sum over the windows o holding t with arg_in[o, b, c] == t of dout[o, b, c]
//     (windows overlap when s < p; the sum runs in o order)
//   (+)=: added to what dx holds with FLAG_ACCUMULATE, written otherwise.
//
// Regions (in elements from an element offset, so no binding alignment applies):
//   x:      [T, B, C] f32 from x_offset, element (t, b, c) at x_offset + (t B + b) C + c
//   out:    [To, B, C] from out_offset, element (o, b, c) at out_offset + (o B + b) C + c
//   dout:   the gradient of out, laid out as out, from out_offset
//   dx:     the gradient of x, [T, B, C] from dx_offset
//   arg:    [To, B, C] u32 from arg_offset, written by pool1d_forward in mode max (bound, unused, in avg);
//   arg_in: the same region read by pool1d_backward in mode max (bound, unused, in avg)
// Dispatch: ceil(n / 64) workgroups of 64, one invocation per element written, 2-D past the
//   per-dimension limit (index = id.x + id.y * groups.x * 64): pool1d_forward n = To B C (out's order);
//   pool1d_backward n = T B C (dx's order).

struct Dims {
  steps: u32,
  out_steps: u32,
  batch: u32,
  channels: u32,
  pool_size: u32,
  stride: u32,
  pad_left: u32,
  mode: u32,
  // pool1d_backward: FLAG_ACCUMULATE.
  flags: u32,
  x_offset: u32,
  // Where out (the forward) or dout (the backward) starts.
  out_offset: u32,
  dx_offset: u32,
  arg_offset: u32,
}

const MODE_AVG: u32 = 0u;
const MODE_MAX: u32 = 1u;
const FLAG_ACCUMULATE: u32 = 1u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> arg: array<u32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read> arg_in: array<u32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * WG; }

// The real steps [begin, end) of window o, as (begin, end).
fn real_steps(o: u32) -> vec2<u32> {
  let start = o * dims.stride; // the window's first step, counted from the padding's start
  let begin = max(start, dims.pad_left) - dims.pad_left;
  let end = min(start + dims.pool_size, dims.pad_left + dims.steps) - dims.pad_left;
  return vec2<u32>(begin, end);
}

@compute @workgroup_size(WG)
fn pool1d_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let row = dims.batch * dims.channels; // floats of one time step
  if (i >= dims.out_steps * row) { return; }
  let o = i / row;
  let bc = i % row; // b C + c
  let real = real_steps(o);
  let base = dims.x_offset + bc;
  if (dims.mode == MODE_MAX) {
    var best = x[base + real.x * row];
    var at = real.x;
    for (var t = real.x + 1u; t < real.y; t++) {
      let v = x[base + t * row];
      // Strictly greater: a tie keeps the earlier t.
      if (v > best) {
        best = v;
        at = t;
      }
    }
    out[dims.out_offset + i] = best;
    arg[dims.arg_offset + i] = at;
  } else {
    var sum = 0.0;
    for (var t = real.x; t < real.y; t++) { sum += x[base + t * row]; }
    out[dims.out_offset + i] = sum / f32(real.y - real.x);
  }
}

@compute @workgroup_size(WG)
fn pool1d_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let row = dims.batch * dims.channels;
  if (i >= dims.steps * row) { return; }
  let t = i / row;
  let bc = i % row;
  let padded = t + dims.pad_left;
  // The windows holding t: o s <= t + P < o s + p.
  var o_begin = 0u;
  if (padded + 1u > dims.pool_size) { o_begin = (padded + 1u - dims.pool_size + dims.stride - 1u) / dims.stride; }
  let o_end = min(padded / dims.stride + 1u, dims.out_steps);
  var v = 0.0;
  for (var o = o_begin; o < o_end; o++) {
    let k = o * row + bc; // element (o, b, c) of out
    let g = dout[dims.out_offset + k];
    if (dims.mode == MODE_MAX) {
      if (arg_in[dims.arg_offset + k] == t) { v += g; }
    } else {
      let real = real_steps(o);
      v += g / f32(real.y - real.x);
    }
  }
  let at = dims.dx_offset + i;
  if ((dims.flags & FLAG_ACCUMULATE) != 0u) { v += dx[at]; }
  dx[at] = v;
}
