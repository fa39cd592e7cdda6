// Elementwise ops over flat f32 arrays of N elements. All entry points share three bindings:
//
//   unary:  out[i] = f(x[i])             f by OP: 0 copy, 1 scale by ALPHA, 2 negate
//           (activations and their gradients live in activation.wgsl)
//   binary: out[i] = x[i] (op) y[i]      op by OP: 0 add, 1 subtract, 2 multiply, 3 divide
//   axpy:   out[i] = out[i] + ALPHA * x[i]
//   fill:   out[i] = ALPHA
//
// Buffers: x: [N], y: [N], out: [N]
// Dispatch: ceil(N / 64) workgroups of 64, folded into a 2-D grid when that exceeds the per-dimension
// limit; element index = global id x + global id y * (workgroups in x * 64).

override N: u32;
override OP: u32 = 0u;
override ALPHA: f32 = 1.0;
const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= N) { return; }
  let v = x[i];
  var r: f32;
  switch OP {
    case 1u: { r = ALPHA * v; }
    case 2u: { r = -v; }
    default: { r = v; }
  }
  out[i] = r;
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= N) { return; }
  let u = x[i];
  let v = y[i];
  var r: f32;
  switch OP {
    case 1u: { r = u - v; }
    case 2u: { r = u * v; }
    case 3u: { r = u / v; }
    default: { r = u + v; }
  }
  out[i] = r;
}

@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= N) { return; }
  out[i] = out[i] + ALPHA * x[i];
}

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= N) { return; }
  out[i] = ALPHA;
}
