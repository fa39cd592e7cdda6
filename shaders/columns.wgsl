// Column blocks of row-major matrices: the copy that concatenates along the last axis (Keras'
// Concatenate) and, with the strides swapped, its backward (each input's slice of the output gradient).
//
//   copy_columns: out[r, out_col + c] (+)= x[r, x_col + c]   for r < rows, c < cols
//   (+)=: added to what out holds with FLAG_ACCUMULATE.
//
// Buffers: x: [rows, x_stride]; out: [rows, out_stride] (x_col + cols <= x_stride, out_col + cols <= out_stride)
// Dispatch: ceil(rows cols / 64) workgroups of 64, 2-D past the per-dimension limit (index = id.x +
//   id.y * groups.x * 64; element index = r * cols + c).

struct Dims {
  rows: u32,
  cols: u32,
  flags: u32,
  x_stride: u32,
  x_col: u32,
  out_stride: u32,
  out_col: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn copy_columns(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WG;
  if (i >= dims.rows * dims.cols) { return; }
  let r = i / dims.cols;
  let c = i % dims.cols;
  let at = r * dims.out_stride + dims.out_col + c;
  var v = x[r * dims.x_stride + dims.x_col + c];
  if ((dims.flags & FLAG_ACCUMULATE) != 0u) { v += out[at]; }
  out[at] = v;
}
