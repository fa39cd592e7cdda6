//! joined after: common/matmul-interface.wgsl
// f32 matmul for any WebGPU device (the interface, dims and bindings: common/matmul-interface.wgsl).
// matmul-subgroups.wgsl is faster where the device has subgroups of at least 8 lanes (lavapipe); this
// kernel is the one everywhere else (SwiftShader, devices without the feature).
//
// Dispatch: workgroups = [ceil(N / 64), ceil(M / 8), batches]  (workgroup = 8 invocations, tile 8 x 64).
//
// Design (measured on lavapipe):
// - llvmpipe runs 8 invocations as one 8-wide SIMD batch, and every storage-buffer load costs about the
//   same whatever its address pattern (uniform across the lanes, contiguous or scattered), so loads per
//   FMA set the speed. Each invocation computes an 8x8 register block: per k it loads 8 values of op(A)
//   and 8 of op(B) and does 64 FMAs (16 vec4 FMAs).
// - No workgroup memory: on llvmpipe shared-memory loads are also per-lane and barriers are coroutine
//   switches; a 64x64 shared-tile kernel measured slower.

@compute @workgroup_size(8)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let i0 = wg.y * 8u;
  let j0 = (wg.x * 8u + lane) * 8u;
  // Offsets of op(A)[i, 0] (rows clamped into range) and of this invocation's columns of op(B).
  var pa: array<u32, 8>;
  for (var r = 0u; r < 8u; r++) { pa[r] = a_start(min(i0 + r, dims.M - 1u), wg.z); }
  let pb = b_columns(j0, wg.z);
  let astep = a_step();
  let bstep = b_step();
  let sums = has(FLAG_COLSUM);
  var acc: array<vec4<f32>, 16>;
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
    for (var r = 0u; r < 8u; r++) {
      let av = vec4<f32>(a[pa[r] + ka]);
      acc[2u * r] = fma(av, b_lo, acc[2u * r]);
      acc[2u * r + 1u] = fma(av, b_hi, acc[2u * r + 1u]);
    }
    ka += astep;
    kb += bstep;
  }
  for (var r = 0u; r < 8u; r++) {
    if (i0 + r < dims.M) { store_row(i0 + r, j0, wg.z, acc[2u * r], acc[2u * r + 1u]); }
  }
  // The first row of tiles writes the column sums (every row of tiles computes them).
  if (sums && wg.y == 0u) { store_colsums(j0, wg.z, bsum0, bsum1); }
}
