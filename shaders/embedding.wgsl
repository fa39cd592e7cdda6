// Embedding lookup and its gradient.
//
//   gather:          out[r, :] = table[ids[r], :]                       (ids clamped into [0, V); the host
//                                                                      rejects out-of-range ids before upload)
//   scatter_add:     dtable[v, :] = sum over rows r with ids[r] = v of dout[r, :]
//
// The gradient has no float atomics to lean on, so the host groups the rows by id when it uploads a
// batch (it has the ids anyway): rows_by_id lists row indices sorted by id, and row_start[v] ..
// row_start[v + 1] is the slice of rows with id v. One invocation per (v, d) then sums its own rows.
//
// Buffers: ids: [N] i32, table / dtable: [V, D], out / dout: [N, D], row_start: [V + 1] u32, rows_by_id: [N] u32
// Dispatch: gather: [ceil(D / 64), N]; scatter_add: [ceil(D / 64), V].

override N: u32;
override V: u32;
override D: u32;
const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read> row_start: array<u32>;
@group(0) @binding(5) var<storage, read> rows_by_id: array<u32>;
@group(0) @binding(6) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) id: vec3<u32>) {
  let d = id.x;
  let r = id.y;
  if (d >= D || r >= N) { return; }
  let v = u32(clamp(ids[r], 0, i32(V) - 1));
  out[r * D + d] = table[v * D + d];
}

@compute @workgroup_size(WG)
fn scatter_add(@builtin(global_invocation_id) id: vec3<u32>) {
  let d = id.x;
  let v = id.y;
  if (d >= D || v >= V) { return; }
  var s = 0.0;
  for (var i = row_start[v]; i < row_start[v + 1u]; i++) {
    s += dout[rows_by_id[i] * D + d];
  }
  dtable[v * D + d] = s;
}
