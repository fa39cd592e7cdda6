// webrnn f32 matmul, tuned for CPU Vulkan drivers (Mesa lavapipe / llvmpipe), works on any WebGPU device.
//
//   C = op(A) . op(B)            (entry point `matmul`)
//   C = op(A) . op(B) + bias     (entry point `matmul_bias`, bias broadcast over rows)
//   C = op(A) . B  and  colsum[j] = sum_k B[k, j]   (entry point `matmul_colsum`, TRANS_B = false: a
//                                 layer's weight gradient x^T . dz and its bias gradient in one dispatch)
//   with ACCUMULATE = true:  C += ...  (and colsum += ...)  instead of  C = ...
//
//   a    : [M, K] row-major       ([K, M] when TRANS_A, i.e. op(A) = A^T)
//   b    : [K, N] row-major       ([N, K] when TRANS_B, i.e. op(B) = B^T)
//   c    : [M, N] row-major
//   bias : [N]                    (only bound/used by `matmul_bias`)
//   colsum : [N]                  (only bound/used by `matmul_colsum`)
//
// Overrides: M, N, K (u32, required, >= 1), TRANS_A, TRANS_B, ACCUMULATE (bool, default false).
// Dispatch:  workgroups = [ceil(N / 64), ceil(M / 8), 1]   (workgroup = 8 invocations, tile 8 rows x 64 cols).
//
// Design (measured on lavapipe, see RESULTS.md):
// - llvmpipe runs 8 invocations as one 8-wide SIMD batch, but every storage-buffer load is emitted as
//   8 scalar, bounds-checked loads (one per lane). Loads dominate the cost, so each invocation computes an
//   8x8 register block: per k it loads 8 values of op(A) and 8 of op(B) and does 64 FMAs (16 vec4 FMAs).
// - No workgroup memory: on llvmpipe shared-memory loads are also per-lane and barriers are coroutine
//   switches; a 64x64 shared-tile kernel measured slower.
// - Workgroup of 8 = exactly one SIMD batch. All 8 lanes share the same 8 rows (A loads hit the same
//   addresses), and each lane owns 8 consecutive columns.
// - Edges: row/column indices are clamped once, before the K loop, so the inner loop has no bounds checks
//   (clamped rows/columns compute duplicates that are simply not stored). K needs no padding since the
//   K loop is exact. The store is bounds-checked.
// - The K loop is not unrolled: manual unrolling by 4 measured slower (more register spills).
// - matmul_colsum sums the B values the K loop loads anyway (two vec4 adds per k, compiled out of the
//   other entry points by the COLSUM override), so the bias gradient costs no extra loads or dispatch.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
override COLSUM: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> colsum: array<f32>;

// Column sums of the B columns j0 .. j0+7 over k, gathered by compute() when COLSUM.
var<private> b_sums: array<vec4<f32>, 2>;

// Offset of op(A)[i, 0] in `a` (row clamped into range); consecutive k are ASTEP apart.
fn a_base(i: u32) -> u32 { let ic = min(i, M - 1u); return select(ic * K, ic, TRANS_A); }
// Offset of op(B)[0, j] in `b` (column clamped into range); consecutive k are BSTEP apart.
fn b_base(j: u32) -> u32 { let jc = min(j, N - 1u); return select(jc, jc * K, TRANS_B); }

// Tile origin of this invocation: 8 rows from i0, 8 columns from j0.
fn tile_origin(wg: vec3<u32>, lane: u32) -> vec2<u32> { return vec2<u32>(wg.y * 8u, (wg.x * 8u + lane) * 8u); }

// Returns the 8x8 block: acc[2r] = C[i0 + r, j0 .. j0+3], acc[2r+1] = C[i0 + r, j0+4 .. j0+7].
fn compute(o: vec2<u32>) -> array<vec4<f32>, 16> {
  let astep = select(1u, M, TRANS_A);
  let bstep = select(N, 1u, TRANS_B);
  var pa: array<u32, 8>;
  var pb: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) {
    pa[r] = a_base(o.x + r);
    pb[r] = b_base(o.y + r);
  }
  var acc: array<vec4<f32>, 16>;
  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < K; k++) {
    let b0 = vec4<f32>(b[pb[0] + kb], b[pb[1] + kb], b[pb[2] + kb], b[pb[3] + kb]);
    let b1 = vec4<f32>(b[pb[4] + kb], b[pb[5] + kb], b[pb[6] + kb], b[pb[7] + kb]);
    if (COLSUM) {
      b_sums[0] += b0;
      b_sums[1] += b1;
    }
    for (var r = 0u; r < 8u; r++) {
      let av = vec4<f32>(a[pa[r] + ka]);
      acc[2u * r] = fma(av, b0, acc[2u * r]);
      acc[2u * r + 1u] = fma(av, b1, acc[2u * r + 1u]);
    }
    ka += astep;
    kb += bstep;
  }
  return acc;
}

// Writes the in-range part of the block; bv0/bv1 = bias for columns j0..j0+3 / j0+4..j0+7 (zero for `matmul`).
fn store(o: vec2<u32>, acc: array<vec4<f32>, 16>, bv0: vec4<f32>, bv1: vec4<f32>) {
  for (var r = 0u; r < 8u; r++) {
    let i = o.x + r;
    if (i < M) {
      for (var q = 0u; q < 8u; q++) {
        let j = o.y + q;
        if (j < N) {
          var v = select(acc[2u * r][q % 4u], acc[2u * r + 1u][q % 4u], q >= 4u) + select(bv0[q % 4u], bv1[q % 4u], q >= 4u);
          if (ACCUMULATE) { v += c[i * N + j]; }
          c[i * N + j] = v;
        }
      }
    }
  }
}

@compute @workgroup_size(8)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let o = tile_origin(wg, lane);
  store(o, compute(o), vec4<f32>(), vec4<f32>());
}

// Separate entry point so that `matmul` does not reference `bias` (its 'auto' layout has 3 bindings).
@compute @workgroup_size(8)
fn matmul_bias(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let o = tile_origin(wg, lane);
  let acc = compute(o);
  let n1 = N - 1u;
  let j = o.y;
  let bv0 = vec4<f32>(bias[min(j, n1)], bias[min(j + 1u, n1)], bias[min(j + 2u, n1)], bias[min(j + 3u, n1)]);
  let bv1 = vec4<f32>(bias[min(j + 4u, n1)], bias[min(j + 5u, n1)], bias[min(j + 6u, n1)], bias[min(j + 7u, n1)]);
  store(o, acc, bv0, bv1);
}

// The first row of tiles also writes the column sums of its 8 columns (every row of tiles computes them).
@compute @workgroup_size(8)
fn matmul_colsum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let o = tile_origin(wg, lane);
  store(o, compute(o), vec4<f32>(), vec4<f32>());
  if (wg.y != 0u) { return; }
  for (var q = 0u; q < 8u; q++) {
    let j = o.y + q;
    if (j < N) {
      var v = b_sums[q / 4u][q % 4u];
      if (ACCUMULATE) { v += colsum[j]; }
      colsum[j] = v;
    }
  }
}
