// shaders/loss.wgsl (MSE, sparse softmax cross-entropy, loss accumulation) against the float64 reference:
// gradients of each batch, and the accumulator after two batches (start + sum of batch x mean loss).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan, ShapeError, Tensor } from '../../src/index.js';
import { mseLossSteps, rowWeightsFromMask, softmaxCrossEntropySteps } from '../../src/kernels/loss.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from '../reference/losses.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

// MSE gradient 2 (p - t) / COUNT: one rounding for the difference, one for the division (<= 2.5 ulp on
// Vulkan): 4 ulp relative; the absolute term only matters where p == t.
const MSE_GRAD_TOL: Tolerance = { atol: 1e-12, rtol: 5e-7 };
// Accumulated loss: f32 sums of up to 1000 squares in 256 lanes plus an 8-level tree (~12 roundings deep,
// ~1e-6 relative) and the LOSS_SCALE rounding.
const MSE_LOSS_TOL: Tolerance = { atol: 1e-6, rtol: 2e-6 };
// Cross-entropy: WGSL exp is accurate to 3 + 2|x| ulp (|x| <= 8 for logits in [-4, 4]: ~1.2e-6 relative)
// and log to 2^-21 absolute near 1 / 3 ulp elsewhere: a row loss is off by < 2e-6, so the loss sum
// (batch x mean) by < 2e-6 x batch relative to ~1 per row; probabilities by ~1.5e-6 relative, times the
// row weight. The gradient tolerance is scaled by the largest row weight below.
const CE_LOSS_TOL: Tolerance = { atol: 1e-5, rtol: 4e-6 };
const CE_GRAD_RTOL = 2e-6;

const f32 = (values: ArrayLike<number>) => Float32Array.from(values);
const f64 = (values: ArrayLike<number>) => Float64Array.from(values);

describe('loss kernels', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const tensors: Tensor[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => tensors.forEach((t) => t.dispose()));

  function zeros(size: number, label: string): Tensor {
    const t = Tensor.zeros(env.ctx, [size], { label });
    tensors.push(t);
    return t;
  }

  // [COUNT, batch]: the host passes LOSS_SCALE = batch / COUNT.
  const MSE_CASES: [number, number][] = [[1, 1], [7, 7], [1000, 8], [24 * 10, 24]];
  for (const [count, batch] of MSE_CASES) {
    it(`mse COUNT ${count} (batch ${batch}): gradient of each batch, loss over two batches`, async () => {
      const rng = mulberry32(count * 31 + batch);
      const pred = zeros(count, 'pred');
      const target = zeros(count, 'target');
      const grad = zeros(count, 'grad');
      const partial = zeros(count, 'partial');
      const accumulator = zeros(1, 'accumulator');
      const start = 0.75;
      env.ctx.write(accumulator.buffer, f32([start]));
      const plan = new Plan(env.ctx, 'mse', await mseLossSteps(env.registry, 'mse', { count, lossScale: batch / count }, {
        pred: pred.buffer, target: target.buffer, grad: grad.buffer, partial: partial.buffer, accumulator: accumulator.buffer,
      }));
      let expected = start;
      for (let b = 0; b < 2; b++) {
        const p = f32(uniformArray(count, 2, rng));
        const t = f32(uniformArray(count, 2, rng));
        env.ctx.write(pred.buffer, p);
        env.ctx.write(target.buffer, t);
        plan.run();
        const reference = meanSquaredError(f64(p), f64(t));
        expectClose(await grad.read(), reference.grad, MSE_GRAD_TOL, `mse grad, batch ${b}`);
        expected += batch * reference.loss;
      }
      expectClose(await accumulator.read(), [expected], MSE_LOSS_TOL, 'mse accumulated loss');
    });
  }

  // Every third row is masked and holds an id out of range, which must never be used.
  const maskOf = (rows: number) => Float64Array.from({ length: rows }, (_, r) => (r % 3 === 1 ? 0 : 1));

  async function crossEntropyCase(rows: number, vocab: number, batch: number, batches: { logits: Float32Array; targets: Int32Array; mask: Float64Array }[]) {
    const logits = zeros(rows * vocab, 'logits');
    const targets = Tensor.zeros(env.ctx, [rows], { label: 'targets', dtype: 'i32' });
    tensors.push(targets);
    const rowWeight = zeros(rows, 'row_weight');
    const grad = zeros(rows * vocab, 'grad');
    const partial = zeros(rows, 'partial');
    const accumulator = zeros(1, 'accumulator');
    const start = -0.5;
    env.ctx.write(accumulator.buffer, f32([start]));
    const plan = new Plan(env.ctx, 'ce', await softmaxCrossEntropySteps(env.registry, 'ce', { rows, vocab, lossScale: batch }, {
      logits: logits.buffer, targets: targets.buffer, rowWeight: rowWeight.buffer, grad: grad.buffer, partial: partial.buffer,
      accumulator: accumulator.buffer,
    }));
    let expected = start;
    for (const [b, data] of batches.entries()) {
      const weights = rowWeightsFromMask(data.mask);
      env.ctx.write(logits.buffer, data.logits);
      env.ctx.write(targets.buffer, data.targets);
      env.ctx.write(rowWeight.buffer, weights);
      plan.run();
      const reference = sparseSoftmaxCrossEntropy(f64(data.logits), data.targets, rows, vocab, data.mask);
      const gpuGrad = await grad.read();
      expect(Array.from(gpuGrad).every(Number.isFinite), 'finite gradient').toBe(true);
      const maxWeight = Math.max(...weights);
      expectClose(gpuGrad, reference.grad, { atol: CE_GRAD_RTOL * maxWeight, rtol: CE_GRAD_RTOL }, `ce grad, batch ${b}`);
      expected += batch * reference.loss;
    }
    const total = await accumulator.read();
    expect(Number.isFinite(total[0]), 'finite loss').toBe(true);
    expectClose(total, [expected], CE_LOSS_TOL, 'ce accumulated loss');
  }

  for (const rows of [1, 13, 224]) {
    for (const vocab of [1, 12, 100]) {
      it(`softmax cross-entropy ROWS ${rows} V ${vocab}, masked rows`, async () => {
        const rng = mulberry32(rows * 101 + vocab);
        const batch = rows === 224 ? 32 : rows;
        const batches = [0, 1].map(() => {
          const mask = maskOf(rows);
          const targets = randomInts(rows, vocab, rng);
          mask.forEach((m, r) => {
            if (m === 0) targets[r] = r % 2 === 0 ? -7 : vocab + 5;
          });
          return { logits: f32(uniformArray(rows * vocab, 4, rng)), targets, mask };
        });
        await crossEntropyCase(rows, vocab, batch, batches);
      });
    }
  }

  it('softmax cross-entropy with an all-zero mask adds 0 and has a zero gradient', async () => {
    const rng = mulberry32(5);
    const rows = 13;
    const vocab = 12;
    const targets = Int32Array.from({ length: rows }, () => 1_000_000);
    const batches = [0, 1].map(() => ({ logits: f32(uniformArray(rows * vocab, 4, rng)), targets, mask: new Float64Array(rows) }));
    await crossEntropyCase(rows, vocab, rows, batches);
  });

  it('softmax cross-entropy stays finite for logits of +-1000', async () => {
    const vocab = 4;
    const logits = f32([
      1000, -1000, 0, 999,
      -1000, -1000, -1000, -1000,
      1000, 1000, -1000, 0,
      -1000, 1000, 1000, 1000,
    ]);
    const rows = logits.length / vocab;
    // Row 3 picks a -1000 logit under a +1000 maximum: a row loss of 2000 + log 3.
    const targets = Int32Array.from([3, 2, 1, 0]);
    await crossEntropyCase(rows, vocab, rows, [{ logits, targets, mask: f64([1, 1, 1, 1]) }, { logits, targets, mask: f64([1, 0, 1, 1]) }]);
  });

  it('rowWeightsFromMask: mask / sum(mask), zeros for an all-zero mask, rejects bad values', () => {
    expect(Array.from(rowWeightsFromMask([1, 0, 1, 1]))).toEqual(Array.from(f32([1 / 3, 0, 1 / 3, 1 / 3])));
    expect(Array.from(rowWeightsFromMask([0, 0, 0]))).toEqual([0, 0, 0]);
    expect(rowWeightsFromMask([]).length).toBe(0);
    expect(() => rowWeightsFromMask([1, -1])).toThrow(/mask\[1\] is -1/);
    expect(() => rowWeightsFromMask([NaN])).toThrow(ShapeError);
  });

  it('rejects bad sizes with the argument named', async () => {
    const b = zeros(4, 'any');
    const buffers = { pred: b.buffer, target: b.buffer, grad: b.buffer, partial: b.buffer, accumulator: b.buffer };
    await expect(mseLossSteps(env.registry, 'loss.mse', { count: 0, lossScale: 1 }, buffers)).rejects.toThrow(/loss.mse: count must be a positive integer, got 0/);
    await expect(mseLossSteps(env.registry, 'loss.mse', { count: 4, lossScale: NaN }, buffers)).rejects.toThrow(/lossScale must be a finite number/);
    const ce = { logits: b.buffer, targets: b.buffer, rowWeight: b.buffer, grad: b.buffer, partial: b.buffer, accumulator: b.buffer };
    await expect(softmaxCrossEntropySteps(env.registry, 'loss.ce', { rows: 2, vocab: 1.5, lossScale: 1 }, ce)).rejects.toThrow(/loss.ce: vocab must be a positive integer/);
    // Buffers too small for the shape: the registry names the binding.
    await expect(softmaxCrossEntropySteps(env.registry, 'loss.ce', { rows: 2, vocab: 3, lossScale: 1 }, ce)).rejects.toThrow(/binding 'logits' needs 24 bytes/);
  });
});
