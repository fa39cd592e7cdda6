// Embedding lookup and its gradient.
//
//   gather:          out[r, :] = table[ids[r], :]                       (ids clamped into [0, V); the host
//                                                                      rejects out-of-range ids before upload)
//   scatter_add:     dtable[v, :] (+)= sum over rows r with ids[r] = v of dout[r, :]   (+= with FLAG_ACCUMULATE)
//
// The gradient has no float atomics to lean on, so the host groups the rows by id when it uploads a
// batch (it has the ids anyway): rows_by_id lists row indices sorted by id, and row_start[v] ..
// row_start[v + 1] is the slice of rows with id v. One invocation per (v, d) then sums its own rows.
//
// Buffers: ids: [N] i32, table / dtable: [V, D], out / dout: [N, D], row_start: [V + 1] u32, rows_by_id: [N] u32
// Dispatch: gather: [ceil(D / 64), N]; scatter_add: [ceil(D / 64), V] (y folded past the per-dimension
// limit: row = id.y + id.z * groups.y).

struct Dims {
  rows: u32,
  vocab: u32,
  dim: u32,
  flags: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> row_start: array<u32>;
@group(0) @binding(6) var<storage, read> rows_by_id: array<u32>;
@group(0) @binding(7) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let d = id.x;
  let r = id.y + id.z * groups.y;
  if (d >= dims.dim || r >= dims.rows) { return; }
  let v = u32(clamp(ids[r], 0, i32(dims.vocab) - 1));
  out[r * dims.dim + d] = table[v * dims.dim + d];
}

@compute @workgroup_size(WG)
fn scatter_add(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let d = id.x;
  let v = id.y + id.z * groups.y;
  if (d >= dims.dim || v >= dims.vocab) { return; }
  var s = 0.0;
  for (var i = row_start[v]; i < row_start[v + 1u]; i++) {
    s += dout[rows_by_id[i] * dims.dim + d];
  }
  let at = v * dims.dim + d;
  if ((dims.flags & FLAG_ACCUMULATE) != 0u) { s += dtable[at]; }
  dtable[at] = s;
}
