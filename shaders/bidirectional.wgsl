// The merge of a Bidirectional layer's two directions (Keras' merge_mode), forward and backward. Both
// directions of the recurrent layer run in the same dispatches; direction 1 processed time backwards, so
// its step s is time step T-1-s. Keras merges the forward output with the backward one put back in
// time order:
//
//   a[t, b, j]  = src[(0, 0, t, b, j)]           the forward direction's h at time t
//   bk[t, b, j] = src[(1, 0, T-1-t, b, j)]       the backward direction's h for time t
//
//   merge_forward, by mode (out from out_offset):
//     0 concat  out[t, b, j] = a, out[t, b, U + j] = bk     out: [T, B, 2U]
//     1 sum     out[t, b, j] = a + bk                       out: [T, B, U]
//     2 mul     out[t, b, j] = a bk                         out: [T, B, U]
//     3 ave     out[t, b, j] = (a + bk) / 2                 out: [T, B, U]
//     4 none    out[0, t, b, j] = a, out[1, t, b, j] = bk   out: [2, T, B, U] (two outputs)
//
//   merge_backward: the whole dsrc region, every (d, s, p, b, j) (p: the place in direction d's order):
//     dsrc[(d, s, p, b, j)] = (keep bit (d S + s) ? dsrc[(d, s, p, b, j)] : 0) + (s == 0 ? g : 0)
//     g = d out / d (direction d's h at place p), at time t = p (d = 0) or T-1-p (d = 1), by mode (dout
//     laid out as out, from out_offset):
//       concat  dout[t, b, d U + j];   sum  dout[t, b, j];   ave  dout[t, b, j] / 2
//       mul     dout[t, b, j] times the other direction's value at time t, src[(1-d, 0, T-1-p, b, j)]
//       none    dout[d, t, b, j]
//     g is 0 where FLAG_GRAD_d is clear (mode none: half d of dout has no gradient; the other modes'
//     one output: the host sets both bits or neither).
//
// Regions (in f32 elements from an element offset, so no binding alignment applies; D = 2 directions,
// S states per direction, h first, then the cell's others (LSTM c)):
//   src:  [D, S, T, B, U] from src_offset, element (d, s, p, b, j) at
//         src_offset + (((d S + s) T + p) B + b) U + j; only s = 0 (h) is read. Read by merge_forward,
//         and by merge_backward in mode mul. Sequences: the recurrence's hseq [D, T, B, U] (S = 1);
//         final states: its sT [D, S, B, U] (T = 1).
//   dsrc: the same layout from dsrc_offset: the gradient of src's region (the recurrence's dhseq, or dsT)
//   out:  merge_forward's output, shaped by mode (above), from out_offset
//   dout: merge_backward's incoming gradient, laid out as out, from out_offset
// Dispatch: merge_forward: ceil(T B U / 64) workgroups of 64 (element i = (t B + b) U + j);
//   merge_backward: ceil(D S T B U / 64) (element i = its index in dsrc's region); both 2-D past the
//   per-dimension limit (index = id.x + id.y * groups.x * 64).

struct Dims {
  steps: u32,
  batch: u32,
  units: u32,
  states: u32,
  mode: u32,
  // merge_backward: FLAG_GRAD_0 / FLAG_GRAD_1.
  flags: u32,
  // merge_backward: bit d S + s keeps (adds to) what dsrc holds at (d, s).
  keep: u32,
  src_offset: u32,
  // Where out (merge_forward) or dout (merge_backward) starts.
  out_offset: u32,
  dsrc_offset: u32,
}

const MODE_CONCAT: u32 = 0u;
const MODE_SUM: u32 = 1u;
const MODE_MUL: u32 = 2u;
const MODE_AVE: u32 = 3u;
const MODE_NONE: u32 = 4u;
const FLAG_GRAD_0: u32 = 1u; // gradient arrives at half 0 of dout (FLAG_GRAD_0 << d: half d)
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dsrc: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * WG; }
// Elements of one [T, B, U] block: one direction's h, one half of out in mode none.
fn block_size() -> u32 { return dims.steps * dims.batch * dims.units; }
// Direction d's h (state 0) at place p, row b, unit j, in src's region (dsrc's, from its own offset).
fn h_at(d: u32, p: u32, b: u32, j: u32) -> u32 { return ((d * dims.states * dims.steps + p) * dims.batch + b) * dims.units + j; }

@compute @workgroup_size(WG)
fn merge_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  let n = block_size();
  if (i >= n) { return; }
  let U = dims.units;
  let j = i % U;
  let row = i / U;
  let b = row % dims.batch;
  let t = row / dims.batch;
  let a = src[dims.src_offset + h_at(0u, t, b, j)];
  let bk = src[dims.src_offset + h_at(1u, dims.steps - 1u - t, b, j)];
  let o = dims.out_offset;
  switch dims.mode {
    case MODE_CONCAT: {
      out[o + row * 2u * U + j] = a;
      out[o + row * 2u * U + U + j] = bk;
    }
    case MODE_SUM: { out[o + i] = a + bk; }
    case MODE_MUL: { out[o + i] = a * bk; }
    case MODE_AVE: { out[o + i] = (a + bk) * 0.5; }
    default: {
      out[o + i] = a;
      out[o + n + i] = bk;
    }
  }
}

// The gradient of the merged output(s) with respect to direction d's h at place p, row b, unit j.
fn merged_gradient(d: u32, p: u32, b: u32, j: u32) -> f32 {
  if ((dims.flags & (FLAG_GRAD_0 << d)) == 0u) { return 0.0; }
  let U = dims.units;
  let t = select(p, dims.steps - 1u - p, d == 1u);
  let row = t * dims.batch + b;
  let o = dims.out_offset;
  switch dims.mode {
    case MODE_CONCAT: { return dout[o + row * 2u * U + d * U + j]; }
    case MODE_SUM: { return dout[o + row * U + j]; }
    // The other direction's value at time t is at place T-1-p in its own order, whichever d is.
    case MODE_MUL: { return dout[o + row * U + j] * src[dims.src_offset + h_at(1u - d, dims.steps - 1u - p, b, j)]; }
    case MODE_AVE: { return dout[o + row * U + j] * 0.5; }
    default: { return dout[o + d * block_size() + row * U + j]; }
  }
}

@compute @workgroup_size(WG)
fn merge_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= 2u * dims.states * block_size()) { return; }
  let U = dims.units;
  let j = i % U;
  let b = (i / U) % dims.batch;
  let p = (i / (U * dims.batch)) % dims.steps;
  let slot = i / block_size(); // d S + s
  let d = slot / dims.states;
  let s = slot % dims.states;
  let at = dims.dsrc_offset + i;
  var value = select(0.0, dsrc[at], (dims.keep & (1u << slot)) != 0u);
  if (s == 0u) { value += merged_gradient(d, p, b, j); }
  dsrc[at] = value;
}
