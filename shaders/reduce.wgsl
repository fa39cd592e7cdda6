// Column sum of a row-major matrix (the bias gradient: dBias = colsum(dGates)).
//
//   colsum: out[j] = sum_i x[i, j]            (ACCUMULATE: out[j] += sum_i x[i, j])
//
// Buffers: x: [ROWS, COLS], out: [COLS]
// Dispatch: ceil(COLS / 16) workgroups. A workgroup is 16 columns x 16 row lanes: each lane sums every
// 16th row of its column, then the 16 partial sums are added in workgroup memory. Many rows and few
// columns (or the reverse) both keep every invocation busy.

override ROWS: u32;
override COLS: u32;
override ACCUMULATE: bool = false;
const COLS_PER_GROUP: u32 = 16u;
const ROW_LANES: u32 = 16u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>; // [ROW_LANES, COLS_PER_GROUP]

@compute @workgroup_size(16, 16)
fn colsum(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let col = group.x * COLS_PER_GROUP + local.x;
  var s = 0.0;
  if (col < COLS) {
    for (var row = local.y; row < ROWS; row += ROW_LANES) {
      s += x[row * COLS + col];
    }
  }
  partial[local.y * COLS_PER_GROUP + local.x] = s;
  workgroupBarrier();
  if (local.y == 0u && col < COLS) {
    var total = 0.0;
    for (var lane = 0u; lane < ROW_LANES; lane++) {
      total += partial[lane * COLS_PER_GROUP + local.x];
    }
    if (ACCUMULATE) {
      out[col] = out[col] + total;
    } else {
      out[col] = total;
    }
  }
}
