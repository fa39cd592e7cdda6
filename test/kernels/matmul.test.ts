// Both matmul kernels (shaders/matmul.wgsl everywhere, shaders/matmul-subgroups.wgsl where the device has
// subgroups of >= 8 lanes, as lavapipe does) against the float64 reference: every transpose variant,
// bias, accumulate, the fused column sum, strides, offsets and batches, on shapes that are not multiples
// of the tiles (8 x 64, 32 x 64); and one pipeline per kernel for all of them.

import { describe, expect, it } from 'vitest';
import { Plan, Tensor, matmulKernels, matmulStep as runOn, type MatmulShape, type MatmulBuffers } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { matmul } from '../reference/matmul.js';
import { mulberry32, uniformArray } from '../reference/random.js';

// Inputs in [-1, 1]: each output is a sum of K products rounded to f32; the error of an f32 dot product
// grows like sqrt(K) * 2^-24 * |terms| in practice (K * 2^-24 at worst), so allow 2e-6 * sqrt(K)
// absolute plus 1e-5 relative.
const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5 });

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [1, 300, 1],
  [9, 1, 65],
  [240, 76, 300],
  [300, 240, 75],
];
const isSwiftShader = process.env.WEBRNN_ADAPTER === 'swiftshader';

const env = await gpu();

describe.each(matmulKernels(env.ctx))('the %s matmul kernel', (kernel) => {
  const matmulStep = (registry: typeof env.registry, label: string, shape: MatmulShape, buffers: MatmulBuffers) => runOn(registry, label, shape, buffers, kernel);

  for (const [M, K, N] of SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${M}x${K}x${N}${transA ? ' transA' : ''}${transB ? ' transB' : ''}`, async () => {
          const rng = mulberry32(M * 31 + K * 7 + N + (transA ? 1 : 0) + (transB ? 2 : 0));
          const as = Float32Array.from(uniformArray(M * K, 1, rng));
          const bs = Float32Array.from(uniformArray(K * N, 1, rng));
          const a = Tensor.from(env.ctx, as, transA ? [K, M] : [M, K], { label: 'a' });
          const b = Tensor.from(env.ctx, bs, transB ? [N, K] : [K, N], { label: 'b' });
          const c = Tensor.zeros(env.ctx, [M, N], { label: 'c' });
          Plan.runOnce(env.ctx, 'matmul', [await matmulStep(env.registry, 'matmul', { M, K, N, transA, transB }, { a, b, c })]);
          const expected = matmul(Float64Array.from(as), Float64Array.from(bs), M, K, N, { transA, transB });
          expectClose(await c.read(), expected, tolerance(K), `matmul ${M}x${K}x${N} transA=${transA} transB=${transB}`);
          for (const t of [a, b, c]) t.dispose();
        });
      }
    }
  }

  for (const [M, K, N] of isSwiftShader ? SHAPES.slice(0, 4) : SHAPES) {
    it(`${M}x${K}x${N} with bias, then accumulate`, async () => {
      const rng = mulberry32(M + K + N);
      const as = Float32Array.from(uniformArray(M * K, 1, rng));
      const bs = Float32Array.from(uniformArray(K * N, 1, rng));
      const biases = Float32Array.from(uniformArray(N, 1, rng));
      const start = Float32Array.from(uniformArray(M * N, 1, rng));
      const [a, b, bias] = [Tensor.from(env.ctx, as, [M, K]), Tensor.from(env.ctx, bs, [K, N]), Tensor.from(env.ctx, biases, [N])];
      const withBias = Tensor.zeros(env.ctx, [M, N]);
      const accumulated = Tensor.from(env.ctx, start, [M, N]);
      Plan.runOnce(env.ctx, 'matmul', [
        await matmulStep(env.registry, 'matmul.bias', { M, K, N }, { a, b, c: withBias, bias }),
        await matmulStep(env.registry, 'matmul.acc', { M, K, N, accumulate: true }, { a, b, c: accumulated }),
      ]);
      const product = matmul(Float64Array.from(as), Float64Array.from(bs), M, K, N);
      expectClose(await withBias.read(), product.map((v, i) => v + biases[i % N]), tolerance(K), 'matmul + bias');
      expectClose(await accumulated.read(), product.map((v, i) => v + start[i]), tolerance(K), 'matmul accumulate');
      for (const t of [a, b, bias, withBias, accumulated]) t.dispose();
    });
  }

  // A layer's weight and bias gradients: c = op(a) . b and colsum = sum over k of b, written into two
  // ranges of one buffer (as into the gradient store), then accumulated onto.
  for (const [M, K, N] of isSwiftShader ? SHAPES.slice(0, 4) : SHAPES) {
    for (const transA of [true, false]) {
      it(`${M}x${K}x${N}${transA ? ' transA' : ''} with the column sums of b, then accumulate`, async () => {
        const rng = mulberry32(M * 3 + K * 5 + N * 7 + (transA ? 1 : 0));
        const as = Float32Array.from(uniformArray(M * K, 1, rng));
        const bs = Float32Array.from(uniformArray(K * N, 1, rng));
        const a = Tensor.from(env.ctx, as, transA ? [K, M] : [M, K], { label: 'a' });
        const b = Tensor.from(env.ctx, bs, [K, N], { label: 'b' });
        const align = env.ctx.limits.minStorageBufferOffsetAlignment;
        const sumsAt = Math.ceil((M * N * 4) / align) * align;
        const store = env.ctx.createStorageBuffer('gradients', sumsAt + N * 4);
        const c = { buffer: store, offset: 0, size: M * N * 4 };
        const colsum = { buffer: store, offset: sumsAt, size: N * 4 };
        const step = (accumulate: boolean) => matmulStep(env.registry, 'matmul.colsum', { M, K, N, transA, accumulate }, { a, b, c, colsum });
        Plan.runOnce(env.ctx, 'matmul.colsum', [await step(false)]);
        const once = new Float32Array(await env.ctx.read(store, sumsAt + N * 4));
        Plan.runOnce(env.ctx, 'matmul.colsum.acc', [await step(true)]);
        const twice = new Float32Array(await env.ctx.read(store, sumsAt + N * 4));

        const product = matmul(Float64Array.from(as), Float64Array.from(bs), M, K, N, { transA });
        const sums = new Float64Array(N);
        for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) sums[j] += bs[k * N + j];
        const what = `${M}x${K}x${N} transA=${transA}`;
        expectClose(once.subarray(0, M * N), product, tolerance(K), `${what}: product`);
        expectClose(once.subarray(sumsAt / 4, sumsAt / 4 + N), sums, tolerance(K), `${what}: column sums`);
        expectClose(twice.subarray(0, M * N), product.map((v) => 2 * v), tolerance(2 * K), `${what}: accumulated product`);
        expectClose(twice.subarray(sumsAt / 4, sumsAt / 4 + N), sums.map((v) => 2 * v), tolerance(2 * K), `${what}: accumulated column sums`);
        a.dispose();
        b.dispose();
        env.ctx.destroyBuffer(store);
      });
    }
  }

  // Sub-blocks of larger matrices: row strides, element offsets, and batches (grid z) with their strides,
  // as the per-step recurrence and the per-direction weight gradients use them.
  it('strided, offset and batched products (z = 3, a shared left factor, bias and column sums per batch)', async () => {
    const [M, K, N, Z] = [5, 7, 9, 3];
    const rng = mulberry32(77);
    const lda = K + 2;
    const aOffset = 3;
    const ldc = N + 1;
    const cOffset = 5;
    const as = Float32Array.from(uniformArray(aOffset + M * lda, 1, rng));
    const bs = Float32Array.from(uniformArray(Z * K * N, 1, rng));
    const biases = Float32Array.from(uniformArray(Z * N, 1, rng));
    const a = Tensor.from(env.ctx, as, [as.length]);
    const b = Tensor.from(env.ctx, bs, [bs.length]);
    const bias = Tensor.from(env.ctx, biases, [biases.length]);
    const c = Tensor.zeros(env.ctx, [cOffset + Z * M * ldc]);
    const sums = Tensor.zeros(env.ctx, [Z * N]);
    Plan.runOnce(env.ctx, 'batched', [await matmulStep(env.registry, 'batched', {
      M, K, N, lda, ldc, aOffset, cOffset, batches: Z, batchA: 0, batchB: K * N, batchC: M * ldc, batchBias: N, batchColsum: N,
    }, { a, b, c, bias, colsum: sums })]);
    const out = await c.read();
    const colsums = await sums.read();
    for (let z = 0; z < Z; z++) {
      const denseA = new Float64Array(M * K);
      for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) denseA[i * K + k] = as[aOffset + i * lda + k];
      const expected = matmul(denseA, Float64Array.from(bs.subarray(z * K * N, (z + 1) * K * N)), M, K, N);
      const actual = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) actual[i * N + j] = out[cOffset + z * M * ldc + i * ldc + j];
      expectClose(actual, expected.map((v, i) => v + biases[z * N + (i % N)]), tolerance(K), `batch ${z}`);
      const expectedSums = new Float64Array(N);
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) expectedSums[j] += bs[z * K * N + k * N + j];
      expectClose(colsums.subarray(z * N, (z + 1) * N), expectedSums, tolerance(K), `column sums ${z}`);
    }
    // Elements outside the strided block are untouched.
    for (let z = 0; z < Z; z++) for (let i = 0; i < M; i++) expect(out[cOffset + z * M * ldc + i * ldc + N]).toBe(0);
    expect(out[0]).toBe(0);
    for (const t of [a, b, bias, c, sums]) t.dispose();
  });

  it('every shape, transpose and option runs on one pipeline', async () => {
    const before = env.ctx.stats().pipelinesCreated;
    const t = Tensor.zeros(env.ctx, [64 * 64]);
    const out = Tensor.zeros(env.ctx, [64 * 64]);
    for (const [M, K, N] of [[3, 5, 7], [64, 1, 2], [9, 9, 9]]) {
      for (const transA of [false, true]) {
        await matmulStep(env.registry, 'any', { M, K, N, transA, transB: !transA, accumulate: transA }, { a: t, b: t, c: out, ...(transA ? {} : { bias: t }) });
      }
    }
    expect(env.ctx.stats().pipelinesCreated - before).toBeLessThanOrEqual(1);
    t.dispose();
    out.dispose();
  });
});

describe('the matmul kernel a device gets', () => {
  it('is the subgroup kernel exactly where the device has subgroups of at least 8 lanes; naming one it lacks is an error', async () => {
    const withSubgroups = env.ctx.features.has('subgroups') && (env.ctx.subgroupMinSize ?? 0) >= 8;
    expect(matmulKernels(env.ctx)).toEqual(withSubgroups ? ['subgroups', 'portable'] : ['portable']);
    if (/llvmpipe/.test(env.ctx.adapterInfo.description)) expect(withSubgroups, 'lavapipe has 8-lane subgroups').toBe(true);
    if (!withSubgroups) {
      const t = Tensor.zeros(env.ctx, [4]);
      await expect(runOn(env.registry, 'm', { M: 1, K: 1, N: 1 }, { a: t, b: t, c: t }, 'subgroups')).rejects.toThrow(/'subgroups' matmul kernel needs subgroups of at least 8 lanes/);
      t.dispose();
    }
  });
});
