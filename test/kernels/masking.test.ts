// shaders/masking.wgsl (Keras' time-step masks) against the float64 reference (test/reference/masking.ts)
// on odd sizes: T 5, B 3, F 7 (sample 1 fully masked: its masked mean is 0); T 1, B 2, F 3; T 9, B 5,
// F 33 (several workgroups: 1485 elements); and R 700 rows for the row weights (one workgroup of 256
// summing several rows per invocation). Regions start at nonzero element offsets (one case at 0) in
// buffers with values around them, which must stay as they were; the backwards run assigned and
// accumulated.
//
// Tolerances: inputs are f32 in [-1, 1).
//   mask_from_values, mask_rows(_in_place): products by exactly 0 or 1 (and, accumulated, one f32 add
//     done in f32 on the host too): exact.
//   mask_row_weights: a sum of up to 700 values of 0 or 1 (exact in f32) and a division: rtol 1e-6.
//   masked mean forward and backward: atol 1e-6, as the unmasked mean (shaders/pooling.wgsl): T f32
//     adds of partial sums below 9 and one division; a misplaced element is off by O(0.1).

import { describe, expect, it } from 'vitest';
import { Plan, ShapeError } from '../../src/advanced.js';
import {
  maskedMeanBackwardStep, maskedMeanForwardStep, maskFromValuesStep, maskRowsInPlaceStep, maskRowsStep, maskRowWeightsStep,
} from '../../src/kernels/masking.js';
import type { Tolerance } from '../helpers/compare.js';
import { accumulated, expectRegion, filled, kernelTensors } from '../helpers/regions.js';
import { maskedMean, maskedMeanBackward, maskFromValues, maskRowWeights, maskRows } from '../reference/masking.js';
import { mulberry32 } from '../reference/random.js';

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ROUNDED: Tolerance = { atol: 1e-6, rtol: 0 };
const WEIGHTS: Tolerance = { atol: 0, rtol: 1e-6 };

const CASES = [
  { name: 'T 5 B 3 F 7', T: 5, B: 3, F: 7, offsets: { x: 3, out: 5, mask: 2 } },
  { name: 'T 1 B 2 F 3', T: 1, B: 2, F: 3, offsets: { x: 1, out: 6, mask: 4 } },
  { name: 'T 9 B 5 F 33', T: 9, B: 5, F: 33, offsets: { x: 0, out: 0, mask: 0 } },
];

/** A mask [T, B] with sample 1 fully masked (when B > 1) and others partly. */
function maskOf(T: number, B: number): Float64Array {
  return Float64Array.from({ length: T * B }, (_, i) => (i % B === 1 || (Math.floor(i / B) + (i % B)) % 3 === 2 ? 0 : 1));
}

/** `values` at `offset` among MARGIN-padded random values. */
function placed(rng: () => number, offset: number, values: ArrayLike<number>): Float32Array {
  const data = filled(rng, offset, values.length);
  data.set(values, offset);
  return data;
}

describe('masking kernels vs float64 reference', () => {
  const env = kernelTensors();
  const tensor = env.tensor;

  for (const { name, T, B, F, offsets } of CASES) {
    const rows = T * B;
    const mask = maskOf(T, B);

    it(`mask_from_values, ${name}`, async () => {
      const rng = mulberry32(11 + T);
      // Padded rows hold maskValue 0.5 everywhere; a real row may hold it in some features.
      const values = Float32Array.from(filled(rng, 0, rows * F).subarray(0, rows * F), (v, i) => (mask[Math.floor(i / F)] === 0 || i % 4 === 0 ? 0.5 : v));
      const xData = placed(rng, offsets.x, values);
      const outStart = filled(rng, offsets.out, rows * F);
      const maskStart = filled(rng, offsets.mask, rows);
      const [x, out, m] = [tensor(xData, 'x'), tensor(outStart, 'out'), tensor(maskStart, 'mask')];
      Plan.runOnce(env.ctx, 'mask_from_values', [await maskFromValuesStep(env.registry, 'mask_from_values', { rows, features: F }, 0.5,
        { x: { buffer: x, offset: offsets.x }, out: { buffer: out, offset: offsets.out }, mask: { buffer: m, offset: offsets.mask } })]);
      const expected = maskFromValues(Float64Array.from(values), rows, F, 0.5);
      expect(Array.from(expected.mask)).toEqual(Array.from(mask));
      expectRegion(await m.read(), maskStart, offsets.mask, expected.mask, EXACT, 'mask');
      expectRegion(await out.read(), outStart, offsets.out, expected.out, EXACT, 'out');
    });

    for (const accumulate of [false, true]) {
      it(`mask_rows${accumulate ? ', accumulated' : ''}, and mask_rows_in_place, ${name}`, async () => {
        const rng = mulberry32(23 + T + (accumulate ? 1 : 0));
        const xData = filled(rng, offsets.x, rows * F);
        const outStart = filled(rng, offsets.out, rows * F);
        const maskData = placed(rng, offsets.mask, mask);
        const [x, out, m] = [tensor(xData, 'x'), tensor(outStart, 'out'), tensor(maskData, 'mask')];
        Plan.runOnce(env.ctx, 'mask_rows', [await maskRowsStep(env.registry, 'mask_rows', { rows, features: F },
          { x: { buffer: x, offset: offsets.x }, mask: { buffer: m, offset: offsets.mask }, out: { buffer: out, offset: offsets.out } }, { accumulate })]);
        const product = maskRows(Float64Array.from(xData.subarray(offsets.x, offsets.x + rows * F)), mask, F);
        expectRegion(await out.read(), outStart, offsets.out, accumulated(outStart, offsets.out, product, accumulate, true), EXACT, 'out');
        Plan.runOnce(env.ctx, 'mask_rows_in_place', [await maskRowsInPlaceStep(env.registry, 'mask_rows_in_place', { rows, features: F },
          { values: { buffer: x, offset: offsets.x }, mask: { buffer: m, offset: offsets.mask } })]);
        expectRegion(await x.read(), xData, offsets.x, product, EXACT, 'in place');
      });

      it(`masked mean backward${accumulate ? ', accumulated' : ''}, ${name}`, async () => {
        const rng = mulberry32(37 + T + (accumulate ? 1 : 0));
        const doutData = filled(rng, offsets.out, B * F);
        const dxStart = filled(rng, offsets.x, rows * F);
        const maskData = placed(rng, offsets.mask, mask);
        const [dout, dx, m] = [tensor(doutData, 'dout'), tensor(dxStart, 'dx'), tensor(maskData, 'mask')];
        Plan.runOnce(env.ctx, 'masked_mean_backward', [await maskedMeanBackwardStep(env.registry, 'masked_mean_backward', { steps: T, batch: B, features: F },
          { dout: { buffer: dout, offset: offsets.out }, mask: { buffer: m, offset: offsets.mask }, dx: { buffer: dx, offset: offsets.x } }, { accumulate })]);
        const gradient = maskedMeanBackward(Float64Array.from(doutData.subarray(offsets.out, offsets.out + B * F)), mask, T, B, F);
        expectRegion(await dx.read(), dxStart, offsets.x, accumulated(dxStart, offsets.x, gradient, accumulate), ROUNDED, 'dx');
      });
    }

    it(`masked mean forward, ${name}`, async () => {
      const rng = mulberry32(53 + T);
      const xData = filled(rng, offsets.x, rows * F);
      const outStart = filled(rng, offsets.out, B * F);
      const maskData = placed(rng, offsets.mask, mask);
      const [x, out, m] = [tensor(xData, 'x'), tensor(outStart, 'out'), tensor(maskData, 'mask')];
      Plan.runOnce(env.ctx, 'masked_mean', [await maskedMeanForwardStep(env.registry, 'masked_mean', { steps: T, batch: B, features: F },
        { x: { buffer: x, offset: offsets.x }, mask: { buffer: m, offset: offsets.mask }, out: { buffer: out, offset: offsets.out } })]);
      const expected = maskedMean(Float64Array.from(xData.subarray(offsets.x, offsets.x + rows * F)), mask, T, B, F);
      expectRegion(await out.read(), outStart, offsets.out, expected, ROUNDED, 'out');
    });
  }

  for (const { rows, withBase, empty } of [{ rows: 15, withBase: false, empty: false }, { rows: 700, withBase: true, empty: false }, { rows: 9, withBase: true, empty: true }]) {
    it(`mask_row_weights, ${rows} rows${withBase ? ', with a base mask' : ''}${empty ? ', nothing real: all 0' : ''}`, async () => {
      const rng = mulberry32(71 + rows);
      const mask = Float64Array.from({ length: rows }, (_, r) => (empty || r % 3 === 1 ? 0 : 1));
      const base = Float64Array.from({ length: rows }, (_, r) => (r % 5 === 0 ? 0 : 1));
      const outStart = filled(rng, 4, rows);
      const [m, b, out] = [tensor(placed(rng, 2, mask), 'mask'), tensor(placed(rng, 3, base), 'base'), tensor(outStart, 'out')];
      Plan.runOnce(env.ctx, 'row_weights', [await maskRowWeightsStep(env.registry, 'row_weights', rows,
        { mask: { buffer: m, offset: 2 }, out: { buffer: out, offset: 4 }, ...(withBase ? { base: { buffer: b, offset: 3 } } : {}) })]);
      expectRegion(await out.read(), outStart, 4, maskRowWeights(mask, withBase ? base : undefined), WEIGHTS, 'weights');
    });
  }

  it('bad shapes, regions and options are errors naming the step', async () => {
    const t = tensor(new Float32Array(8), 'small');
    await expect(maskRowsStep(env.registry, 'bad', { rows: 3, features: 0 }, { x: { buffer: t, offset: 0 }, mask: { buffer: t, offset: 0 }, out: { buffer: t, offset: 0 } }, { accumulate: false }))
      .rejects.toThrow(/^bad: features must be a positive integer/);
    const big = tensor(new Float32Array(64), 'big');
    await expect(maskRowsStep(env.registry, 'bad', { rows: 3, features: 4 }, { x: { buffer: big, offset: 0 }, mask: { buffer: big, offset: 50 }, out: { buffer: t, offset: 0 } }, { accumulate: false }))
      .rejects.toThrow(ShapeError);
    await expect(maskFromValuesStep(env.registry, 'bad', { rows: 2, features: 2 }, Number.NaN, { x: { buffer: big, offset: 0 }, out: { buffer: big, offset: 8 }, mask: { buffer: big, offset: 16 } }))
      .rejects.toThrow(/^bad: maskValue must be a number/);
  });
});
