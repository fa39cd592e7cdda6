// Elementwise ops over flat f32 arrays, one entry point, the op a runtime value:
//
//   out[i] = (FLAG_ACCUMULATE ? out[i] : 0) + r,  r by op:
//     0 copy x;  1 scale alpha x;  2 add x + y;  3 subtract x - y;  4 multiply x y;  5 divide x / y;
//     6 fill alpha;  7 multiply-add alpha x + y
//
// Element i reads x[x_offset + i] and y[y_offset + i] and writes out[out_offset + i] (unused inputs may
// be placeholders). Buffers: x, y, out: [>= offset + n]
// Dispatch: ceil(n / 64) workgroups of 64, folded into a 2-D grid past the per-dimension limit; element
// index = global id x + global id y * (workgroups in x * 64).

struct Dims {
  n: u32,
  op: u32,
  flags: u32,
  alpha: f32,
  x_offset: u32,
  y_offset: u32,
  out_offset: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn elementwise(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WG;
  if (i >= dims.n) { return; }
  let u = x[dims.x_offset + i];
  let v = y[dims.y_offset + i];
  var r: f32;
  switch dims.op {
    case 1u: { r = dims.alpha * u; }
    case 2u: { r = u + v; }
    case 3u: { r = u - v; }
    case 4u: { r = u * v; }
    case 5u: { r = u / v; }
    case 6u: { r = dims.alpha; }
    case 7u: { r = dims.alpha * u + v; }
    default: { r = u; }
  }
  let at = dims.out_offset + i;
  if ((dims.flags & FLAG_ACCUMULATE) != 0u) { r += out[at]; }
  out[at] = r;
}
