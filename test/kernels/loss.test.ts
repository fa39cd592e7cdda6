// shaders/loss.wgsl (every loss kind, accuracy, loss accumulation) against the float64 reference:
// gradients of each batch, and the accumulator after two batches (start + sum of scale x batch loss).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan, ShapeError, Tensor, type Step } from '../../src/advanced.js';
import { accuracyStep, pointwiseLossStep, rowLossStep, rowWeightsFromMask, sumPartialsStep, type PointwiseLoss, type RowLoss } from '../../src/kernels/loss.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { kerasLoss, rowAccuracy, type LossKind } from '../reference/losses.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

// Gradients: a few f32 roundings of O(1) values times the row weight, plus WGSL exp / log (3 + 2|x| ulp,
// |x| <= 8 here: ~1.2e-6 relative; log 3 ulp): 3e-6 relative to the largest row weight.
const GRAD_RTOL = 3e-6;
// Accumulated loss: f32 sums of up to a few thousand partials in 256 lanes plus an 8-level tree
// (~12 roundings deep, ~1e-6 relative) and exp / log as above: 5e-6 relative, 1e-6 absolute.
const LOSS_TOL: Tolerance = { atol: 1e-6, rtol: 5e-6 };

const POINTWISE: PointwiseLoss[] = ['mse', 'mae', 'binary_crossentropy_logits', 'binary_crossentropy'];
const ROW: RowLoss[] = ['sparse_categorical_crossentropy_logits', 'sparse_categorical_crossentropy', 'categorical_crossentropy_logits', 'categorical_crossentropy'];

describe('loss kernels', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const tensors: Tensor[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => tensors.forEach((t) => t.dispose()));

  function zeros(size: number, label: string, dtype: 'f32' | 'i32' = 'f32'): Tensor {
    const t = Tensor.zeros(env.ctx, [size], { label, dtype });
    tensors.push(t);
    return t;
  }

  /** Predictions in the kind's domain (probabilities away from the clip), targets, and a mask with holes. */
  function batchOf(kind: LossKind, rows: number, cols: number, rng: () => number) {
    const probs = kind === 'binary_crossentropy' || kind === 'categorical_crossentropy' || kind === 'sparse_categorical_crossentropy';
    const pred = Float32Array.from(uniformArray(rows * cols, probs ? 0.45 : 4, rng).map((v) => (probs ? 0.5 + v : v)));
    const sparse = kind.startsWith('sparse');
    const mask = Float64Array.from({ length: rows }, (_, r) => (rows > 1 && r % 3 === 1 ? 0 : 1));
    let target: Float32Array | Int32Array;
    if (sparse) {
      const ids = randomInts(rows, cols, rng);
      // Masked rows hold ids out of range, which must never be used.
      mask.forEach((m, r) => { if (m === 0) ids[r] = r % 2 === 0 ? -7 : cols + 5; });
      target = ids;
    } else if (kind.startsWith('binary')) {
      target = Float32Array.from({ length: rows * cols }, () => (rng() > 0.5 ? 1 : 0));
    } else if (kind.startsWith('categorical')) {
      target = Float32Array.from({ length: rows * cols }, () => rng());
    } else {
      target = Float32Array.from(uniformArray(rows * cols, 2, rng));
    }
    return { pred, target, mask };
  }

  async function check(kind: LossKind, rows: number, cols: number, scale: number, seed: number) {
    const rng = mulberry32(seed);
    const pointwise = (POINTWISE as string[]).includes(kind);
    const sparse = kind.startsWith('sparse');
    const pred = zeros(rows * cols, 'pred');
    const target = zeros(sparse ? rows : rows * cols, 'target', sparse ? 'i32' : 'f32');
    const rowWeight = zeros(rows, 'row_weight');
    const grad = zeros(rows * cols, 'grad');
    const partials = pointwise ? rows * cols : rows;
    const partial = zeros(partials, 'partial');
    const accumulator = zeros(3, 'accumulator');
    const start = 0.75;
    env.ctx.write(accumulator.buffer, Float32Array.from([0, start, 0]));
    const buffers = { pred, target, rowWeight, grad, partial };
    const lossStep: Step = pointwise
      ? await pointwiseLossStep(env.registry, kind, kind as PointwiseLoss, rows, cols, buffers)
      : await rowLossStep(env.registry, kind, kind as RowLoss, rows, cols, buffers);
    const plan = new Plan(env.ctx, kind, [lossStep, await sumPartialsStep(env.registry, 'sum', partials, scale, 1, { partial, accumulator })]);
    let expected = start;
    for (let b = 0; b < 2; b++) {
      const data = batchOf(kind, rows, cols, rng);
      env.ctx.write(pred.buffer, data.pred);
      env.ctx.write(target.buffer, data.target);
      const weights = rowWeightsFromMask(data.mask);
      env.ctx.write(rowWeight.buffer, weights);
      plan.run();
      const reference = kerasLoss(kind, Float64Array.from(data.pred), Float64Array.from(data.target), rows, cols, data.mask);
      const gpuGrad = await grad.read();
      expect(Array.from(gpuGrad).every(Number.isFinite), 'finite gradient').toBe(true);
      const maxWeight = Math.max(...weights, 1e-30);
      expectClose(gpuGrad, reference.grad, { atol: GRAD_RTOL * maxWeight, rtol: GRAD_RTOL }, `${kind} grad, batch ${b}`);
      expected += scale * reference.loss;
    }
    plan.dispose();
    const total = await accumulator.read();
    expect(total[0], 'other accumulator slots untouched').toBe(0);
    expect(total[2], 'other accumulator slots untouched').toBe(0);
    expectClose(total.subarray(1, 2), [expected], LOSS_TOL, `${kind} accumulated loss`);
  }

  for (const kind of [...POINTWISE, ...ROW]) {
    for (const [rows, cols] of [[1, 1], [13, 12], [224, 5], [7, 100]]) {
      if (kind.startsWith('categorical') && cols === 1) continue; // a one-class softmax is constant
      it(`${kind} rows ${rows} cols ${cols}, masked rows`, async () => {
        await check(kind, rows, cols, rows === 224 ? 32 : rows, rows * 101 + cols + kind.length);
      });
    }
  }

  it('sparse cross-entropy on logits of +-1000 stays finite', async () => {
    const cols = 4;
    const logits = Float32Array.from([1000, -1000, 0, 999, -1000, -1000, -1000, -1000, 1000, 1000, -1000, 0, -1000, 1000, 1000, 1000]);
    const rows = logits.length / cols;
    const ids = Int32Array.from([3, 2, 1, 0]);
    const [pred, target, rowWeight, grad, partial, accumulator] = [zeros(16, 'p'), zeros(4, 't', 'i32'), zeros(4, 'w'), zeros(16, 'g'), zeros(4, 'q'), zeros(1, 'a')];
    env.ctx.write(pred.buffer, logits);
    env.ctx.write(target.buffer, ids);
    env.ctx.write(rowWeight.buffer, rowWeightsFromMask([1, 1, 1, 1]));
    Plan.runOnce(env.ctx, 'ce', [
      await rowLossStep(env.registry, 'ce', 'sparse_categorical_crossentropy_logits', rows, cols, { pred, target, rowWeight, grad, partial }),
      await sumPartialsStep(env.registry, 'sum', rows, rows, 0, { partial, accumulator }),
    ]);
    const reference = kerasLoss('sparse_categorical_crossentropy_logits', Float64Array.from(logits), Float64Array.from(ids), rows, cols);
    expectClose(await grad.read(), reference.grad, { atol: GRAD_RTOL, rtol: GRAD_RTOL }, 'grad');
    expectClose(await accumulator.read(), [rows * reference.loss], LOSS_TOL, 'loss');
  });

  it('an all-zero mask adds 0 and has a zero gradient', async () => {
    const [rows, cols] = [13, 12];
    const [pred, target, rowWeight, grad, partial, accumulator] = [zeros(rows * cols, 'p'), zeros(rows, 't', 'i32'), zeros(rows, 'w'), zeros(rows * cols, 'g'), zeros(rows, 'q'), zeros(1, 'a')];
    env.ctx.write(pred.buffer, Float32Array.from(uniformArray(rows * cols, 4, mulberry32(5))));
    env.ctx.write(target.buffer, new Int32Array(rows).fill(1_000_000));
    env.ctx.write(rowWeight.buffer, rowWeightsFromMask(new Float64Array(rows)));
    Plan.runOnce(env.ctx, 'ce', [
      await rowLossStep(env.registry, 'ce', 'sparse_categorical_crossentropy_logits', rows, cols, { pred, target, rowWeight, grad, partial }),
      await sumPartialsStep(env.registry, 'sum', rows, rows, 0, { partial, accumulator }),
    ]);
    expect(Array.from(await grad.read()).every((v) => v === 0)).toBe(true);
    expect((await accumulator.read())[0]).toBe(0);
  });

  for (const [kind, refKind] of [['binary', 'binary'], ['categorical', 'categorical'], ['sparse', 'sparse']] as const) {
    it(`${kind} accuracy, weighted rows, no gradient written`, async () => {
      const [rows, cols] = [37, kind === 'binary' ? 3 : 6];
      const rng = mulberry32(cols * 7);
      const p = Float32Array.from(uniformArray(rows * cols, 1, rng).map((v) => 0.5 + v / 2));
      const sparse = kind === 'sparse';
      const y = sparse ? randomInts(rows, cols, rng) : Float32Array.from({ length: rows * cols }, () => (rng() > 0.5 ? 1 : 0));
      const mask = Float64Array.from({ length: rows }, (_, r) => (r % 4 === 0 ? 0 : 1));
      const weights = rowWeightsFromMask(mask);
      const [pred, target, rowWeight, partial, accumulator] = [zeros(rows * cols, 'p'), zeros(sparse ? rows : rows * cols, 't', sparse ? 'i32' : 'f32'), zeros(rows, 'w'), zeros(rows, 'q'), zeros(1, 'a')];
      env.ctx.write(pred.buffer, p);
      env.ctx.write(target.buffer, y);
      env.ctx.write(rowWeight.buffer, weights);
      Plan.runOnce(env.ctx, 'accuracy', [
        await accuracyStep(env.registry, 'accuracy', kind, rows, cols, { pred, target, rowWeight, partial }),
        await sumPartialsStep(env.registry, 'sum', rows, 1, 0, { partial, accumulator }),
      ]);
      let expected = 0;
      for (let r = 0; r < rows; r++) {
        const yr = sparse ? Float64Array.from([y[r]]) : Float64Array.from(y.subarray(r * cols, (r + 1) * cols));
        expected += weights[r] * rowAccuracy(refKind, Float64Array.from(p.subarray(r * cols, (r + 1) * cols)), yr);
      }
      expectClose(await accumulator.read(), [expected], LOSS_TOL, `${kind} accuracy`);
    });
  }

  it('rowWeightsFromMask: mask / sum(mask), zeros for an all-zero mask, rejects bad values', () => {
    expect(Array.from(rowWeightsFromMask([1, 0, 1, 1]))).toEqual(Array.from(Float32Array.from([1 / 3, 0, 1 / 3, 1 / 3])));
    expect(Array.from(rowWeightsFromMask([0, 0, 0]))).toEqual([0, 0, 0]);
    expect(rowWeightsFromMask([]).length).toBe(0);
    expect(() => rowWeightsFromMask([1, -1])).toThrow(/mask\[1\] is -1/);
    expect(() => rowWeightsFromMask([NaN])).toThrow(ShapeError);
  });

  it('rejects bad sizes with the argument named', async () => {
    const b = zeros(4, 'any');
    const buffers = { pred: b, target: b, rowWeight: b, grad: b, partial: b };
    await expect(pointwiseLossStep(env.registry, 'loss.mse', 'mse', 0, 4, buffers)).rejects.toThrow(/loss.mse: rows must be a positive integer, got 0/);
    await expect(sumPartialsStep(env.registry, 'loss.sum', 4, NaN, 0, { partial: b, accumulator: b })).rejects.toThrow(/scale must be a finite number/);
    await expect(rowLossStep(env.registry, 'loss.ce', 'sparse_categorical_crossentropy_logits', 2, 1.5, buffers)).rejects.toThrow(/loss.ce: cols must be a positive integer/);
    // Buffers too small for the shape: the registry names the binding.
    await expect(rowLossStep(env.registry, 'loss.ce', 'sparse_categorical_crossentropy_logits', 2, 3, buffers)).rejects.toThrow(/binding 'pred' needs 24 bytes/);
  });
});
