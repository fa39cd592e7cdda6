// Reductions of a sequence over time and its flattening, forward and backward: Keras'
// GlobalAveragePooling1D / GlobalMaxPooling1D (channels_last) and Flatten of a sequence [T, F].
// Values are time-major: x[t, b, f] at row t B + b.
//
//   pool_forward, by mode (out from out_offset, arg from arg_offset):
//     0 avg  out[b, f] = (1/T) sum_t x[t, b, f]        (summed in f32 in t order, then divided by T)
//     1 max  out[b, f] = max_t x[t, b, f];  arg[b, f] = the first t reaching it (the smallest t with
//            x[t, b, f] = out[b, f]); NaN inputs: unspecified (WGSL lets an implementation assume none)
//   pool_backward, by mode (dx from dx_offset, dout from out_offset, arg_in from arg_offset):
//     avg  dx[t, b, f] (+)= dout[b, f] / T
//     max  dx[t, b, f] (+)= (t == arg_in[b, f]) ? dout[b, f] : 0
//   flatten_sequence:          out[b, t F + f] = x[t, b, f]       (batch-major [B, T F])
//   flatten_sequence_backward: dx[t, b, f] (+)= dout[b, t F + f]
//   (+)=: added to what dx holds with FLAG_ACCUMULATE, written otherwise.
//
// Regions (in elements from an element offset, so no binding alignment applies):
//   x:      [T, B, F] f32 from x_offset, element (t, b, f) at x_offset + (t B + b) F + f
//   out:    pool_forward: [B, F] from out_offset; flatten_sequence: [B, T F] from out_offset
//   dout:   the gradient of out, laid out as out, from out_offset
//   dx:     the gradient of x, [T, B, F] from dx_offset
//   arg:    [B, F] u32 from arg_offset, written by pool_forward in mode max (bound, unused, in avg);
//   arg_in: the same region read by pool_backward in mode max (bound, unused, in avg)
// Dispatch: pool_forward: ceil(B F / 64) workgroups of 64 (element i = b F + f, a loop over t);
//   pool_backward, flatten_sequence_backward: ceil(T B F / 64) (element i = (t B + b) F + f, dx's);
//   flatten_sequence: ceil(T B F / 64) (element i = b T F + t F + f, out's); all 2-D past the
//   per-dimension limit (index = id.x + id.y * groups.x * 64).

struct Dims {
  steps: u32,
  batch: u32,
  features: u32,
  mode: u32,
  // pool_backward, flatten_sequence_backward: FLAG_ACCUMULATE.
  flags: u32,
  x_offset: u32,
  // Where out (the forwards) or dout (the backwards) starts.
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

// dx[i] (+)= v.
fn add_dx(i: u32, v: f32) {
  let at = dims.dx_offset + i;
  var value = v;
  if ((dims.flags & FLAG_ACCUMULATE) != 0u) { value += dx[at]; }
  dx[at] = value;
}

@compute @workgroup_size(WG)
fn pool_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let row = dims.batch * dims.features; // floats of one time step
  if (i >= row) { return; }
  let base = dims.x_offset + i;
  if (dims.mode == MODE_MAX) {
    var best = x[base];
    var at = 0u;
    for (var t = 1u; t < dims.steps; t++) {
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
    for (var t = 0u; t < dims.steps; t++) { sum += x[base + t * row]; }
    out[dims.out_offset + i] = sum / f32(dims.steps);
  }
}

@compute @workgroup_size(WG)
fn pool_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let row = dims.batch * dims.features;
  if (i >= dims.steps * row) { return; }
  let t = i / row;
  let bf = i % row; // b F + f
  let g = dout[dims.out_offset + bf];
  var v = 0.0;
  if (dims.mode == MODE_MAX) {
    v = select(0.0, g, arg_in[dims.arg_offset + bf] == t);
  } else {
    v = g / f32(dims.steps);
  }
  add_dx(i, v);
}

@compute @workgroup_size(WG)
fn flatten_sequence(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let F = dims.features;
  let width = dims.steps * F; // T F: one batch row of out
  if (i >= dims.batch * width) { return; }
  let b = i / width;
  let t = (i % width) / F;
  let f = i % F;
  out[dims.out_offset + i] = x[dims.x_offset + (t * dims.batch + b) * F + f];
}

@compute @workgroup_size(WG)
fn flatten_sequence_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let F = dims.features;
  if (i >= dims.steps * dims.batch * F) { return; }
  let f = i % F;
  let row = i / F; // t B + b
  let b = row % dims.batch;
  let t = row / dims.batch;
  add_dx(i, dout[dims.out_offset + b * dims.steps * F + t * F + f]);
}
