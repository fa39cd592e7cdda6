// shaders/layer-norm.wgsl (Keras' LayerNormalization over the last axis: forward, the gradient of x, the
// gradients of gamma and beta) against the float64 reference (test/reference/layer-norm.ts), on odd
// sizes: R 7, F 5 (F below one workgroup); R 3, F 257 (each lane loops over F, 4 64 + 1: one lane one
// element more; 5 workgroups for the parameter gradient); R 1, F 1 (degenerate: var 0, so xhat 0, y =
// beta, dx 0, dgamma 0). Every combination of center and scale; the backwards assigned and accumulated.
// Every region starts at a nonzero element offset in a buffer with values around it, which must stay as
// they were; gamma and beta are regions of one parameter buffer, dgamma and dbeta of one gradient buffer
// (raw GPUBuffers, as a model's are). The backwards read the reference's stats (rounded to f32), so each
// entry point is checked on its own; one test chains the three through the stats the forward wrote.
//
// Tolerances: x, dy, beta and what the destinations held are f32 values in [-1, 1), gamma in [0.5, 1.5);
// the reference computes on exactly those values in float64. Below, u = 2^-24 (6e-8).
//   stats: mean atol 1e-6: a sum of F values of size < 1 (each lane's strided partial, then a tree of
//     6 adds: at most F/64 + 6 roundings of partial sums below F, divided by F: < 1e-6 for F <= 257,
//     ~2e-7 for F 5). inv rtol 1e-5: the variance is a sum of squares (relative error ~(F/64 + 8) u, the
//     mean's error enters only at second order), then inverseSqrt (2 ulp), halved by the square root:
//     ~1e-6 relative.
//   y: atol 1e-5: y = gamma xhat + beta, |xhat| <= sqrt(F - 1) but ~1.7 here, gamma < 1.5: xhat's
//     relative error ~1e-6 (inv's) plus (x - mean)'s absolute 1e-6 times inv (< 5 on these rows), so a few
//     1e-6 on |y| < 5; the F 1 rows are exact (x - mean is 0 exactly, y = beta).
//   dx: atol 1e-5, rtol 1e-5: dx = inv (g - mean g - xhat mean(g xhat)) cancels terms of size ~3 (g <=
//     1.5, xhat mean(g xhat) <= ~3): their absolute errors ~1e-6 times inv < 5; accumulated, one more f32
//     add (< u 3). A wrong term (a missing mean, gamma not applied, the wrong row) is off by O(0.1).
//   dgamma, dbeta: atol 1e-5, rtol 1e-5: sums over R <= 7 rows of dy xhat (< 3 each: partial sums < 20,
//     each add rounding by < 20 u = 1.2e-6, 7 of them) with xhat's own 1e-6 relative error; for R 3, F 257
//     3 terms. F 1: dgamma is exactly 0 (xhat 0).
// With WEBRNN_REPORT_ERRORS=1 each comparison prints how much of its tolerance it used.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan, ShapeError, Tensor } from '../../src/advanced.js';
import {
  layerNormBackwardStep, layerNormForwardStep, layerNormParameterGradientStep, layerNormStatsBytes, type LayerNormShape,
} from '../../src/kernels/layer-norm.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { accumulated, filled } from '../helpers/regions.js';
import { layerNorm, layerNormBackward } from '../reference/layer-norm.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const MEAN: Tolerance = { atol: 1e-6, rtol: 0 };
const INV: Tolerance = { atol: 0, rtol: 1e-5 };
const FORWARD: Tolerance = { atol: 1e-5, rtol: 0 };
const BACKWARD: Tolerance = { atol: 1e-5, rtol: 1e-5 };

interface NormCase {
  name: string;
  R: number;
  F: number;
  /** Element offsets of x, y (and dy), stats, dx; gamma and beta in the parameter buffer, dgamma and dbeta in the gradient buffer. */
  offsets: { x: number; y: number; stats: number; dx: number; gamma: number; beta: number; dgamma: number; dbeta: number };
}

const CASES: NormCase[] = [
  { name: 'R 7 F 5', R: 7, F: 5, offsets: { x: 3, y: 5, stats: 1, dx: 2, gamma: 4, beta: 11, dgamma: 3, dbeta: 9 } },
  { name: 'R 3 F 257', R: 3, F: 257, offsets: { x: 1, y: 6, stats: 3, dx: 9, gamma: 2, beta: 262, dgamma: 261, dbeta: 1 } },
  { name: 'R 1 F 1', R: 1, F: 1, offsets: { x: 2, y: 1, stats: 5, dx: 3, gamma: 1, beta: 3, dgamma: 2, dbeta: 4 } },
];

const FLAGS = [
  { center: true, scale: true },
  { center: true, scale: false },
  { center: false, scale: true },
  { center: false, scale: false },
];

const EPSILON = 1e-3;


/** [offset, offset + values.length) of a copy of `into` set to `values`. */
function placed(into: Float32Array, offset: number, values: ArrayLike<number>): Float32Array {
  const out = into.slice();
  out.set(values, offset);
  return out;
}

/** `actual` against `before` with regions [offset, offset + expected.length) replaced; everything else unchanged. */
function expectRegions(actual: ArrayLike<number>, before: ArrayLike<number>, regions: readonly { offset: number; expected: ArrayLike<number>; tol: Tolerance; what: string }[]): void {
  const inside = new Set<number>();
  for (const { offset, expected, tol, what } of regions) {
    expectClose(Array.from(actual).slice(offset, offset + expected.length), expected, tol, what);
    for (let i = 0; i < expected.length; i++) inside.add(offset + i);
  }
  const outside = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => !inside.has(i));
  expect(outside(actual), `${regions.map((r) => r.what).join(', ')}: outside the regions`).toEqual(outside(before));
}

/** What a backward leaves: the gradient, plus (accumulated) what the destination held. */

/** Every other element of stats [R, 2]: the means (0) or the inverse deviations (1). */
const column = (stats: ArrayLike<number>, which: 0 | 1) => Array.from(stats).filter((_, i) => i % 2 === which);

describe('layer normalization kernels vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const tensors: Tensor[] = [];
  const buffers: GPUBuffer[] = [];
  const tensor = (data: Float32Array, label: string) => {
    const t = Tensor.from(env.ctx, data, [data.length], { label });
    tensors.push(t);
    return t;
  };
  /** A raw buffer (a model's parameter or gradient buffer) holding `data`. */
  const raw = (data: Float32Array, label: string) => {
    const b = env.ctx.createStorageBuffer(label, data.byteLength, data);
    buffers.push(b);
    return b;
  };
  const readRaw = async (b: GPUBuffer) => new Float32Array(await env.ctx.read(b, b.size));
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => {
    tensors.forEach((t) => t.dispose());
    buffers.forEach((b) => b.destroy());
  });

  for (const c of CASES) {
    const { R, F, offsets } = c;
    const block = R * F;

    /** x, dy, gamma and beta of a case: the parameters in one buffer of max(gamma, beta) + F + MARGIN elements. */
    const inputs = (seed: number) => {
      const rng = mulberry32(seed);
      const x = filled(rng, offsets.x, block);
      const dy = filled(rng, offsets.y, block);
      const params = filled(rng, Math.max(offsets.gamma, offsets.beta), F);
      // gamma in [0.5, 1.5).
      for (let f = 0; f < F; f++) params[offsets.gamma + f] = Math.fround(params[offsets.gamma + f] / 2 + 1);
      const at = (data: Float32Array, offset: number, count: number) => Float64Array.from(data.subarray(offset, offset + count));
      return { rng, x, dy, params, x64: at(x, offsets.x, block), dy64: at(dy, offsets.y, block), gamma64: at(params, offsets.gamma, F), beta64: at(params, offsets.beta, F) };
    };

    for (const { center, scale } of FLAGS) {
      const dims: LayerNormShape = { rows: R, features: F, epsilon: EPSILON, center, scale };
      const flags = `center ${center}, scale ${scale}`;

      it(`layer_norm_forward, ${c.name}, ${flags}`, async () => {
        const { rng, x, params, x64, gamma64, beta64 } = inputs(17 + R + F + (center ? 1 : 0) + (scale ? 2 : 0));
        const yStart = filled(rng, offsets.y, block);
        const statsStart = filled(rng, offsets.stats, 2 * R);
        const xT = tensor(x, 'ln.x');
        const yT = tensor(yStart, 'ln.y');
        const statsT = tensor(statsStart, 'ln.stats');
        const paramBuffer = raw(params, 'ln.params');
        Plan.runOnce(env.ctx, 'ln', [await layerNormForwardStep(env.registry, 'ln', dims, {
          x: { buffer: xT, offset: offsets.x }, y: { buffer: yT, offset: offsets.y }, stats: { buffer: statsT, offset: offsets.stats },
          ...(scale ? { gamma: { buffer: paramBuffer, offset: offsets.gamma } } : {}), ...(center ? { beta: { buffer: paramBuffer, offset: offsets.beta } } : {}),
        })]);
        const expected = layerNorm(dims, x64, scale ? gamma64 : undefined, center ? beta64 : undefined);
        expectRegions(await yT.read(), yStart, [{ offset: offsets.y, expected: expected.y, tol: FORWARD, what: 'y' }]);
        const stats = await statsT.read();
        const written = stats.subarray(offsets.stats, offsets.stats + 2 * R);
        const outside = (a: Float32Array) => [...a.subarray(0, offsets.stats), ...a.subarray(offsets.stats + 2 * R)];
        expect(outside(stats), 'stats: outside the region').toEqual(outside(statsStart));
        expectClose(column(written, 0), column(expected.stats, 0), MEAN, 'stats mean');
        expectClose(column(written, 1), column(expected.stats, 1), INV, 'stats inv');
        if (F === 1) {
          // Degenerate: var 0, so inv = 1/sqrt(eps) and y = beta (or 0) exactly.
          expect(written[1]).toBeCloseTo(1 / Math.sqrt(EPSILON), 3);
          expect(Array.from((await yT.read()).subarray(offsets.y, offsets.y + R))).toEqual(Array.from({ length: R }, () => (center ? params[offsets.beta] : 0)));
        }
        expect(Array.from(await readRaw(paramBuffer)), 'the parameters are only read').toEqual(Array.from(params));
      });

      for (const accumulate of [false, true]) {
        const how = accumulate ? ', accumulated' : '';
        it(`layer_norm_backward, ${c.name}, ${flags}${how}`, async () => {
          const { rng, x, dy, params, x64, dy64, gamma64 } = inputs(29 + R + F + (center ? 1 : 0) + (scale ? 2 : 0) + (accumulate ? 4 : 0));
          const dxStart = filled(rng, offsets.dx, block);
          const { stats } = layerNorm({ ...dims, center: false, scale: false }, x64);
          const statsData = placed(filled(rng, offsets.stats, 2 * R), offsets.stats, stats);
          const dxT = tensor(dxStart, 'ln.dx');
          Plan.runOnce(env.ctx, 'ln.backward', [await layerNormBackwardStep(env.registry, 'ln.backward', dims, {
            dy: { buffer: tensor(dy, 'ln.dy'), offset: offsets.y }, x: { buffer: tensor(x, 'ln.x'), offset: offsets.x },
            stats: { buffer: tensor(statsData, 'ln.stats'), offset: offsets.stats }, dx: { buffer: dxT, offset: offsets.dx },
            ...(scale ? { gamma: { buffer: raw(params, 'ln.params'), offset: offsets.gamma } } : {}),
          }, { accumulate })]);
          const { dx } = layerNormBackward(dims, x64, dy64, scale ? gamma64 : undefined);
          expectRegions(await dxT.read(), dxStart, [{ offset: offsets.dx, expected: accumulated(dxStart, offsets.dx, dx, accumulate), tol: BACKWARD, what: 'dx' }]);
          if (F === 1 && !accumulate) expect(Array.from((await dxT.read()).subarray(offsets.dx, offsets.dx + R)).every((v) => v === 0), 'F 1: dx is 0').toBe(true);
        });

        if (!center && !scale) continue;
        it(`layer_norm_parameter_gradient, ${c.name}, ${flags}${how}`, async () => {
          const { rng, x, dy, x64, dy64, gamma64 } = inputs(41 + R + F + (center ? 1 : 0) + (scale ? 2 : 0) + (accumulate ? 4 : 0));
          const { stats } = layerNorm({ ...dims, center: false, scale: false }, x64);
          const statsData = placed(filled(rng, offsets.stats, 2 * R), offsets.stats, stats);
          const gradStart = filled(rng, Math.max(offsets.dgamma, offsets.dbeta), F);
          const gradBuffer = raw(gradStart, 'ln.gradients');
          Plan.runOnce(env.ctx, 'ln.parameters', [await layerNormParameterGradientStep(env.registry, 'ln.parameters', dims, {
            dy: { buffer: tensor(dy, 'ln.dy'), offset: offsets.y }, x: { buffer: tensor(x, 'ln.x'), offset: offsets.x },
            stats: { buffer: tensor(statsData, 'ln.stats'), offset: offsets.stats },
            ...(scale ? { dgamma: { buffer: gradBuffer, offset: offsets.dgamma } } : {}), ...(center ? { dbeta: { buffer: gradBuffer, offset: offsets.dbeta } } : {}),
          }, { accumulate })]);
          const expected = layerNormBackward(dims, x64, dy64, scale ? gamma64 : undefined);
          const grads = await readRaw(gradBuffer);
          // Only the regions of the flags on change: the other one (when off) stays as it was.
          expectRegions(grads, gradStart, [
            ...(scale ? [{ offset: offsets.dgamma, expected: accumulated(gradStart, offsets.dgamma, expected.dgamma!, accumulate), tol: BACKWARD, what: 'dgamma' }] : []),
            ...(center ? [{ offset: offsets.dbeta, expected: accumulated(gradStart, offsets.dbeta, expected.dbeta!, accumulate), tol: BACKWARD, what: 'dbeta' }] : []),
          ]);
          if (F === 1 && scale && !accumulate) expect(grads[offsets.dgamma] === 0, 'F 1: dgamma is 0').toBe(true);
        });
      }
    }
  }

  it('forward, backward and parameter gradient chained through the stats the forward wrote (R 5, F 70, accumulated weights)', async () => {
    const [R, F] = [5, 70];
    const dims: LayerNormShape = { rows: R, features: F, epsilon: EPSILON, center: true, scale: true };
    const rng = mulberry32(97);
    const x = Float32Array.from(uniformArray(R * F, 1, rng));
    const dy = Float32Array.from(uniformArray(R * F, 1, rng));
    const params = Float32Array.from([...uniformArray(F, 0.5, rng).map((v) => v + 1), ...uniformArray(F, 1, rng)]);
    const gradStart = Float32Array.from(uniformArray(2 * F, 1, rng));
    const [xT, yT, dyT, dxT] = [tensor(x, 'ln.x'), tensor(new Float32Array(R * F), 'ln.y'), tensor(dy, 'ln.dy'), tensor(new Float32Array(R * F), 'ln.dx')];
    const statsT = Tensor.zeros(env.ctx, [layerNormStatsBytes(R) / 4], { label: 'ln.stats' });
    tensors.push(statsT);
    const paramBuffer = raw(params, 'ln.params');
    const gradBuffer = raw(gradStart, 'ln.gradients');
    const at = (buffer: Tensor | GPUBuffer, offset = 0) => ({ buffer, offset });
    Plan.runOnce(env.ctx, 'ln.chain', [
      await layerNormForwardStep(env.registry, 'ln', dims, { x: at(xT), y: at(yT), stats: at(statsT), gamma: at(paramBuffer), beta: at(paramBuffer, F) }),
      await layerNormBackwardStep(env.registry, 'ln.backward', dims, { dy: at(dyT), x: at(xT), stats: at(statsT), gamma: at(paramBuffer), dx: at(dxT) }, { accumulate: false }),
      await layerNormParameterGradientStep(env.registry, 'ln.parameters', dims, { dy: at(dyT), x: at(xT), stats: at(statsT), dgamma: at(gradBuffer), dbeta: at(gradBuffer, F) }, { accumulate: true }),
    ]);
    const gamma64 = Float64Array.from(params.subarray(0, F));
    const ref = layerNorm(dims, Float64Array.from(x), gamma64, Float64Array.from(params.subarray(F)));
    const grads = layerNormBackward(dims, Float64Array.from(x), Float64Array.from(dy), gamma64);
    expectClose(await yT.read(), ref.y, FORWARD, 'y');
    expectClose(await dxT.read(), grads.dx, BACKWARD, 'dx');
    const g = await readRaw(gradBuffer);
    expectClose(g.subarray(0, F), accumulated(gradStart, 0, grads.dgamma!, true), BACKWARD, 'dgamma');
    expectClose(g.subarray(F), accumulated(gradStart, F, grads.dbeta!, true), BACKWARD, 'dbeta');
  });

  it('layerNormStatsBytes: 8 bytes per row', () => {
    expect(layerNormStatsBytes(7)).toBe(56);
    expect(() => layerNormStatsBytes(0)).toThrow(ShapeError);
    expect(() => layerNormStatsBytes(2.5)).toThrow(/layerNormStatsBytes: rows must be a positive integer, got 2.5/);
  });

  it('rejects bad dims, missing or extra parameters, regions that do not fit, shared buffers and bad options', async () => {
    const r = env.registry;
    const big = tensor(new Float32Array(400), 'ln.big');
    const small = tensor(new Float32Array(104), 'ln.small');
    const other = tensor(new Float32Array(400), 'ln.other');
    const stats = tensor(new Float32Array(30), 'ln.stats');
    const params = raw(new Float32Array(20), 'ln.params');
    const grads = raw(new Float32Array(20), 'ln.gradients');
    const elsewhere = raw(new Float32Array(20), 'ln.elsewhere');
    const shape: LayerNormShape = { rows: 15, features: 7, epsilon: 1e-3, center: true, scale: true }; // x: 105 elements, stats 30
    const region = (buffer: Tensor | GPUBuffer, offset = 0) => ({ buffer, offset });
    type ForwardBuffers = Parameters<typeof layerNormForwardStep>[3];
    const forward = (dims: LayerNormShape, buffers: Partial<ForwardBuffers> = {}) =>
      layerNormForwardStep(r, 'bad', dims, { x: region(big), y: region(other), stats: region(stats), gamma: region(params), beta: region(params, 7), ...buffers } as ForwardBuffers);
    await expect(forward({ ...shape, rows: 0 })).rejects.toThrow(ShapeError);
    await expect(forward({ ...shape, rows: 0 })).rejects.toThrow(/bad: rows must be a positive integer, got 0/);
    await expect(forward({ ...shape, features: 1.5 })).rejects.toThrow(/bad: features must be a positive integer, got 1.5/);
    await expect(forward({ ...shape, epsilon: 0 })).rejects.toThrow(/bad: epsilon must be a positive number, got 0/);
    await expect(forward({ ...shape, epsilon: Number.NaN })).rejects.toThrow(/bad: epsilon must be a positive number/);
    await expect(forward({ ...shape, center: 'yes' as never })).rejects.toThrow(/bad: center must be a boolean, got "yes"/);
    await expect(forward(undefined as never)).rejects.toThrow(/bad: dims must be \{ rows, features, epsilon, center, scale \}, got undefined/);
    await expect(forward(shape, { gamma: undefined })).rejects.toThrow(/bad: scale is true: needs gamma \(a \[7\] region\)/);
    await expect(forward(shape, { beta: undefined })).rejects.toThrow(/bad: center is true: needs beta \(a \[7\] region\)/);
    await expect(forward({ ...shape, scale: false })).rejects.toThrow(/bad: scale is false: takes no gamma/);
    await expect(forward({ ...shape, center: false })).rejects.toThrow(/bad: center is false: takes no beta/);
    await expect(forward(shape, { x: region(small) })).rejects.toThrow(/bad: x needs 105 elements from element 0 \(105 in all\), buffer 'ln.small' holds 104/);
    await expect(forward(shape, { y: region(other, 296) })).rejects.toThrow(/bad: y needs 105 elements from element 296 \(401 in all\), buffer 'ln.other' holds 400/);
    await expect(forward(shape, { stats: region(stats, 1) })).rejects.toThrow(/bad: stats needs 30 elements from element 1 \(31 in all\), buffer 'ln.stats' holds 30/);
    await expect(forward(shape, { beta: region(params, 14) })).rejects.toThrow(/bad: beta needs 7 elements from element 14 \(21 in all\), buffer 'ln.params' holds 20/);
    await expect(forward(shape, { y: region(other, -1) })).rejects.toThrow(/bad: y offset must be a non-negative integer \(elements\), got -1/);
    await expect(forward(shape, { y: region(big, 200) })).rejects.toThrow(/bad: y and x are the same buffer 'ln.big'; the kernel needs them apart/);
    await expect(forward(shape, { stats: region(other, 300) })).rejects.toThrow(/bad: y and stats are the same buffer 'ln.other'/);
    await expect(forward(shape, { gamma: region(other, 300) })).rejects.toThrow(/bad: y and gamma are the same buffer 'ln.other'/);
    await expect(forward(shape, { x: { buffer: undefined as never, offset: 0 } })).rejects.toThrow(/bad: x must be \{ buffer, offset \}/);
    // gamma and beta are only read: one parameter buffer, even with x in it; the largest offsets that fit are accepted.
    await expect(forward(shape, { x: region(big, 295), y: region(other, 295), stats: region(stats), gamma: region(big, 393), beta: region(big) })).resolves.toBeTruthy();
    await expect(forward({ ...shape, center: false, scale: false }, { gamma: undefined, beta: undefined })).resolves.toBeTruthy();

    type BackwardBuffers = Parameters<typeof layerNormBackwardStep>[3];
    const backward = (options: Parameters<typeof layerNormBackwardStep>[4], buffers: Partial<BackwardBuffers> = {}, dims = shape) =>
      layerNormBackwardStep(r, 'bad', dims, { dy: region(big), x: region(big, 200), stats: region(stats), gamma: region(params), dx: region(other), ...buffers } as BackwardBuffers, options);
    await expect(backward(undefined as never)).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got undefined/);
    await expect(backward({ accumulate: 1 as never })).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got \{"accumulate":1\}/);
    await expect(backward({ accumulate: false }, { gamma: undefined })).rejects.toThrow(/bad: scale is true: needs gamma/);
    await expect(backward({ accumulate: false }, {}, { ...shape, scale: false })).rejects.toThrow(/bad: scale is false: takes no gamma/);
    await expect(backward({ accumulate: false }, { dx: region(small) })).rejects.toThrow(/bad: dx needs 105 elements from element 0 \(105 in all\), buffer 'ln.small' holds 104/);
    await expect(backward({ accumulate: false }, { dy: region(big, 300) })).rejects.toThrow(/bad: dy needs 105 elements from element 300 \(405 in all\)/);
    await expect(backward({ accumulate: false }, { stats: region(small, 90) })).rejects.toThrow(/bad: stats needs 30 elements from element 90 \(120 in all\), buffer 'ln.small' holds 104/);
    await expect(backward({ accumulate: false }, { dx: region(big, 105) })).rejects.toThrow(/bad: dx and dy are the same buffer 'ln.big'/);
    await expect(backward({ accumulate: false }, { stats: region(other, 200) })).rejects.toThrow(/bad: dx and stats are the same buffer 'ln.other'/);
    // center does not enter the backward of x; beta is not asked for.
    await expect(backward({ accumulate: true }, {}, { ...shape, center: false })).resolves.toBeTruthy();

    type GradientBuffers = Parameters<typeof layerNormParameterGradientStep>[3];
    const gradient = (options: Parameters<typeof layerNormParameterGradientStep>[4], buffers: Partial<GradientBuffers> = {}, dims = shape) =>
      layerNormParameterGradientStep(r, 'bad', dims, { dy: region(big), x: region(big, 200), stats: region(stats), dgamma: region(grads), dbeta: region(grads, 7), ...buffers } as GradientBuffers, options);
    await expect(gradient({ accumulate: 'no' as never })).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}/);
    await expect(gradient({ accumulate: false }, { dgamma: undefined, dbeta: undefined }, { ...shape, center: false, scale: false }))
      .rejects.toThrow(/bad: center and scale are both false: the layer normalization has no parameters to take gradients of/);
    await expect(gradient({ accumulate: false }, { dgamma: undefined })).rejects.toThrow(/bad: scale is true: needs dgamma \(a \[7\] region\)/);
    await expect(gradient({ accumulate: false }, {}, { ...shape, center: false })).rejects.toThrow(/bad: center is false: takes no dbeta/);
    await expect(gradient({ accumulate: false }, { dbeta: region(grads, 14) })).rejects.toThrow(/bad: dbeta needs 7 elements from element 14 \(21 in all\), buffer 'ln.gradients' holds 20/);
    await expect(gradient({ accumulate: false }, { dbeta: region(elsewhere) }))
      .rejects.toThrow(/bad: dgamma and dbeta must be regions of one buffer \(the gradient buffer, bound once\), got 'ln.gradients' and 'ln.elsewhere'/);
    await expect(gradient({ accumulate: false }, { dbeta: region(grads, 6) })).rejects.toThrow(/bad: dgamma \(from element 0\) and dbeta \(from element 6\) overlap: each holds 7 elements/);
    await expect(gradient({ accumulate: false }, { dgamma: region(grads, 13), dbeta: region(grads, 7) })).rejects.toThrow(/overlap/);
    await expect(gradient({ accumulate: false }, { dgamma: region(big, 300), dbeta: region(big, 310) })).rejects.toThrow(/bad: dgamma and dy are the same buffer 'ln.big'/);
    await expect(gradient({ accumulate: false }, { dgamma: undefined, dbeta: region(stats, 20) }, { ...shape, scale: false })).rejects.toThrow(/bad: dbeta and stats are the same buffer 'ln.stats'/);
    // Adjacent regions (dbeta right after dgamma, or before it) are apart; one of them alone is enough.
    await expect(gradient({ accumulate: true }, { dgamma: region(grads, 13), dbeta: region(grads, 6) })).resolves.toBeTruthy();
    await expect(gradient({ accumulate: false }, { dgamma: undefined, dbeta: region(elsewhere, 13) }, { ...shape, scale: false })).resolves.toBeTruthy();
  });
});
