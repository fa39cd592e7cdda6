// f32 matmul, tuned for CPU Vulkan drivers (Mesa lavapipe / llvmpipe), works on any WebGPU device. One
// entry point whose shape and options are all runtime values (dims), so a single pipeline serves every
// layer, shape and gradient:
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
// Dispatch: workgroups = [ceil(N / 64), ceil(M / 8), batches]  (workgroup = 8 invocations, tile 8 x 64).
//
// Design (measured on lavapipe):
// - llvmpipe runs 8 invocations as one 8-wide SIMD batch, but every storage-buffer load is emitted as 8
//   scalar, bounds-checked loads (one per lane). Loads dominate the cost, so each invocation computes an
//   8x8 register block: per k it loads 8 values of op(A) and 8 of op(B) and does 64 FMAs (16 vec4 FMAs).
// - No workgroup memory: on llvmpipe shared-memory loads are also per-lane and barriers are coroutine
//   switches; a 64x64 shared-tile kernel measured slower.
// - Edges: row/column indices are clamped once, before the K loop, so the inner loop has no bounds checks
//   (clamped rows/columns compute duplicates that are simply not stored). The store is bounds-checked.
// - Runtime sizes cost nothing measurable against override constants (240x75x300: 3.6 vs 4.2 ms), and
//   the pipeline is compiled once (0.6 s on lavapipe) instead of once per shape.

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

@compute @workgroup_size(8)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let M = dims.M;
  let N = dims.N;
  let trans_a = has(FLAG_TRANS_A);
  let trans_b = has(FLAG_TRANS_B);
  let i0 = wg.y * 8u;
  let j0 = (wg.x * 8u + lane) * 8u;
  let a0 = dims.a_offset + wg.z * dims.batch_a;
  let b0 = dims.b_offset + wg.z * dims.batch_b;
  // Offsets of op(A)[i, 0] and op(B)[0, j] (rows and columns clamped into range) and the k strides.
  var pa: array<u32, 8>;
  var pb: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) {
    let i = min(i0 + r, M - 1u);
    let j = min(j0 + r, N - 1u);
    pa[r] = a0 + select(i * dims.lda, i, trans_a);
    pb[r] = b0 + select(j, j * dims.ldb, trans_b);
  }
  let astep = select(1u, dims.lda, trans_a);
  let bstep = select(dims.ldb, 1u, trans_b);
  let sums = has(FLAG_COLSUM);
  var acc: array<vec4<f32>, 16>;
  var bsum0 = vec4<f32>();
  var bsum1 = vec4<f32>();
  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < dims.K; k++) {
    let b_lo = vec4<f32>(b[pb[0] + kb], b[pb[1] + kb], b[pb[2] + kb], b[pb[3] + kb]);
    let b_hi = vec4<f32>(b[pb[4] + kb], b[pb[5] + kb], b[pb[6] + kb], b[pb[7] + kb]);
    if (sums) {
      bsum0 += b_lo;
      bsum1 += b_hi;
    }
    for (var r = 0u; r < 8u; r++) {
      let av = vec4<f32>(a[pa[r] + ka]);
      acc[2u * r] = fma(av, b_lo, acc[2u * r]);
      acc[2u * r + 1u] = fma(av, b_hi, acc[2u * r + 1u]);
    }
    ka += astep;
    kb += bstep;
  }
  let accumulate = has(FLAG_ACCUMULATE);
  let with_bias = has(FLAG_BIAS);
  let c0 = dims.c_offset + wg.z * dims.batch_c;
  for (var r = 0u; r < 8u; r++) {
    let i = i0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < 8u; q++) {
      let j = j0 + q;
      if (j < N) {
        var v = select(acc[2u * r][q % 4u], acc[2u * r + 1u][q % 4u], q >= 4u);
        if (with_bias) { v += bias[dims.bias_offset + wg.z * dims.batch_bias + j]; }
        let at = c0 + i * dims.ldc + j;
        if (accumulate) { v += c[at]; }
        c[at] = v;
      }
    }
  }
  // The first row of tiles writes the column sums (every row of tiles computes them).
  if (sums && wg.y == 0u) {
    for (var q = 0u; q < 8u; q++) {
      let j = j0 + q;
      if (j < N) {
        var v = select(bsum0[q % 4u], bsum1[q % 4u], q >= 4u);
        let at = dims.colsum_offset + wg.z * dims.batch_colsum + j;
        if (accumulate) { v += colsum[at]; }
        colsum[at] = v;
      }
    }
  }
}
