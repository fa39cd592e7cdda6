//! joined after: common/subgroups.wgsl, common/matmul-interface.wgsl
// f32 matmul with subgroup shuffles, for devices whose subgroups hold at least 8 lanes (lavapipe: 8),
// so that the 8 invocations of a workgroup are one subgroup (the interface, dims and bindings:
// common/matmul-interface.wgsl; matmul.wgsl is the kernel for every other device).
//
// Dispatch: workgroups = [ceil(N / 64), ceil(M / 32), batches]  (workgroup = 8 invocations, tile 32 x 64).
// Invocation `lane` computes rows i0 .. i0+31 and columns j0 .. j0+7 of the tile, j0 = 8 (8 wg.x + lane).
//
// Design (measured on lavapipe, where a load costs about the same whatever its address pattern, so
// loads per FMA set the speed): every invocation needs the same 32 values of op(A) per k, so each loads
// 4 of them (rows i0 + 8g + lane) and takes the others from its neighbours with subgroupShuffle, a
// register permutation on llvmpipe; per k it then loads 4 + 8 values for 256 FMAs where matmul.wgsl
// loads 16 for 64. At 1024^3: 24 GFLOP/s against 10; 8 or 48 rows per tile measured slower than 32.

@compute @workgroup_size(8)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i0 = wg.y * 32u;
  let j0 = (wg.x * 8u + lane) * 8u;
  // This invocation's rows of op(A) (the ones it loads for the subgroup) and its columns of op(B).
  var pa: array<u32, 4>;
  for (var g = 0u; g < 4u; g++) { pa[g] = a_start(min(i0 + 8u * g + lane, dims.M - 1u), wg.z); }
  let pb = b_columns(j0, wg.z);
  let astep = a_step();
  let bstep = b_step();
  let sums = has(FLAG_COLSUM);
  // acc[2r], acc[2r + 1]: row i0 + r, columns j0 .. j0+3 and j0+4 .. j0+7.
  var acc: array<vec4<f32>, 64>;
  var bsum0 = vec4<f32>();
  var bsum1 = vec4<f32>();
  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < dims.K; k++) {
    let row = b_row(pb, kb);
    let b_lo = row[0];
    let b_hi = row[1];
    if (sums) {
      bsum0 += b_lo;
      bsum1 += b_hi;
    }
    for (var g = 0u; g < 4u; g++) {
      let mine = a[pa[g] + ka];
      for (var r = 0u; r < 8u; r++) {
        let av = vec4<f32>(subgroupShuffle(mine, r));
        let t = 2u * (8u * g + r);
        acc[t] = fma(av, b_lo, acc[t]);
        acc[t + 1u] = fma(av, b_hi, acc[t + 1u]);
      }
    }
    ka += astep;
    kb += bstep;
  }
  for (var r = 0u; r < 32u; r++) {
    if (i0 + r < dims.M) { store_row(i0 + r, j0, wg.z, acc[2u * r], acc[2u * r + 1u]); }
  }
  // The first row of tiles writes the column sums (every row of tiles computes them).
  if (sums && wg.y == 0u) { store_colsums(j0, wg.z, bsum0, bsum1); }
}
