// The interface both matmul kernels share (matmul.wgsl and matmul-subgroups.wgsl): the math, the dims,
// the bindings, and the store of a result element. Every option is a runtime value, so one pipeline
// serves every layer, shape and gradient:
//
//   C[z] (+)= op(A[z]) . op(B[z]) (+ bias)      and, with FLAG_COLSUM, colsum (+)= sum over k of op(B)[k, :]
//
//   a: op(A)[i, k] = a[a_offset + z batch_a + (TRANS_A ? k lda + i : i lda + k)]   (A stored [M, K] or [K, M])
//   b: op(B)[k, j] = b[b_offset + z batch_b + (TRANS_B ? j ldb + k : k ldb + j)]   (B stored [K, N] or [N, K])
//   c: C[i, j]     = c[c_offset + z batch_c + i ldc + j]
//   bias: [N] from bias_offset + z batch_bias (FLAG_BIAS);  colsum: [N] from colsum_offset + z batch_colsum
//         (FLAG_COLSUM, needs !TRANS_B:
//         a layer's weight gradient x^T . dz with its bias gradient, the column sums of dz, in one dispatch)
//   FLAG_ACCUMULATE: C += ... and colsum += ... instead of =.
// Bind a placeholder for bias / colsum when their flag is off. z is the batch index (grid z).
//
// Edges: a kernel clamps its row and column indices once, before the K loop, so the inner loop has no
// bounds checks (clamped rows and columns compute duplicates that are simply not stored); the stores
// below are bounds-checked. Runtime sizes cost nothing measurable against override constants on
// lavapipe, and each pipeline is compiled once instead of once per shape.

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  flags: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  a_offset: u32,
  b_offset: u32,
  c_offset: u32,
  bias_offset: u32,
  colsum_offset: u32,
  batch_a: u32,
  batch_b: u32,
  batch_c: u32,
  batch_bias: u32,
  batch_colsum: u32,
}

const FLAG_TRANS_A: u32 = 1u;
const FLAG_TRANS_B: u32 = 2u;
const FLAG_ACCUMULATE: u32 = 4u;
const FLAG_BIAS: u32 = 8u;
const FLAG_COLSUM: u32 = 16u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> colsum: array<f32>;

fn has(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

// Where op(A)[i, 0] is, for product z (i already clamped into range); its k stride is a_step().
fn a_start(i: u32, z: u32) -> u32 {
  return dims.a_offset + z * dims.batch_a + select(i * dims.lda, i, has(FLAG_TRANS_A));
}
fn a_step() -> u32 { return select(1u, dims.lda, has(FLAG_TRANS_A)); }

// Where op(B)[0, j] is, for product z (j already clamped into range); its k stride is b_step().
fn b_start(j: u32, z: u32) -> u32 {
  return dims.b_offset + z * dims.batch_b + select(j, j * dims.ldb, has(FLAG_TRANS_B));
}
fn b_step() -> u32 { return select(dims.ldb, 1u, has(FLAG_TRANS_B)); }

// Both kernels give an invocation 8 consecutive columns j0 .. j0+7 of op(B): their offsets (columns
// clamped into range), and row k of them as two vec4s (columns j0 .. j0+3, then j0+4 .. j0+7).
fn b_columns(j0: u32, z: u32) -> array<u32, 8> {
  var pb: array<u32, 8>;
  for (var q = 0u; q < 8u; q++) { pb[q] = b_start(min(j0 + q, dims.N - 1u), z); }
  return pb;
}

fn b_row(pb: array<u32, 8>, kb: u32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(
    vec4<f32>(b[pb[0] + kb], b[pb[1] + kb], b[pb[2] + kb], b[pb[3] + kb]),
    vec4<f32>(b[pb[4] + kb], b[pb[5] + kb], b[pb[6] + kb], b[pb[7] + kb]),
  );
}

// Row i of C, columns j0 .. j0+7 (lo, then hi), those within N; i must be in range.
fn store_row(i: u32, j0: u32, z: u32, lo: vec4<f32>, hi: vec4<f32>) {
  for (var q = 0u; q < 8u; q++) {
    if (j0 + q < dims.N) { store_c(i, j0 + q, z, select(lo[q % 4u], hi[q % 4u], q >= 4u)); }
  }
}

// The column sums of columns j0 .. j0+7 (lo, then hi), those within N.
fn store_colsums(j0: u32, z: u32, lo: vec4<f32>, hi: vec4<f32>) {
  for (var q = 0u; q < 8u; q++) {
    if (j0 + q < dims.N) { store_colsum(j0 + q, z, select(lo[q % 4u], hi[q % 4u], q >= 4u)); }
  }
}

// C[i, j] of product z = v (+ bias[j]) (+ what is there): i and j must be in range.
fn store_c(i: u32, j: u32, z: u32, v: f32) {
  var out = v;
  if (has(FLAG_BIAS)) { out += bias[dims.bias_offset + z * dims.batch_bias + j]; }
  let at = dims.c_offset + z * dims.batch_c + i * dims.ldc + j;
  if (has(FLAG_ACCUMULATE)) { out += c[at]; }
  c[at] = out;
}

// colsum[j] of product z = v (+ what is there): j must be in range.
fn store_colsum(j: u32, z: u32, v: f32) {
  let at = dims.colsum_offset + z * dims.batch_colsum + j;
  colsum[at] = select(v, v + colsum[at], has(FLAG_ACCUMULATE));
}
