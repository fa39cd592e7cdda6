// Divergence during training, caught on the GPU with no readback per step: SGD at a learning rate of
// 1e30 makes the first step's weights huge, so the second step's loss overflows and its gradient norm
// is infinite. With onNonFinite 'stop' (default) fit throws a NonFiniteError naming that step and leaves
// the weights after the first step; with 'skip' it trains on, skipping (and counting) every such step.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteError, Seq2Seq, type Seq2SeqConfig } from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const CONFIG: Seq2SeqConfig = {
  encoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 5 }] },
  decoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 5 }] },
  head: { units: 1 },
  seed: 11,
};
const SAMPLES = 9;
const BATCH = 3; // 3 steps per epoch

function data() {
  const rng = mulberry32(12);
  const seq = () => ({ data: Float32Array.from(uniformArray(SAMPLES * 4, 1, rng)), shape: [SAMPLES, 4, 1] as [number, number, number] });
  return { x: [seq(), seq()], y: seq() };
}


describe('non-finite gradients during fit', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: Seq2Seq[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  async function diverging(onNonFinite?: 'stop' | 'skip') {
    const model = new Seq2Seq(env.ctx, CONFIG);
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 1e30, ...(onNonFinite ? { onNonFinite } : {}) });
    const snapshots: Float32Array[][] = [];
    const skipped: (number | undefined)[] = [];
    const { x, y } = data();
    const run = model.fit(x, y, {
      epochs: 3, batchSize: BATCH, shuffle: false,
      callbacks: { onBatchEnd: async () => void snapshots.push(await model.getWeights()), onEpochEnd: (_, logs) => void skipped.push(logs.skipped_steps) },
    });
    return { model, run, snapshots, skipped };
  }

  it("'stop' (default): fit throws NonFiniteError naming the step; the weights are those after the last finite step", async () => {
    const { model, run, snapshots } = await diverging();
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as Error).message).toMatch(/fit: the gradients of training step 2 \(epoch 1 of 3, batch 2 of 3\) hold a NaN or an Infinity; training stopped there/);
    const weights = await model.getWeights();
    expect(weights.every((w) => w.every(Number.isFinite)), 'no NaN weights').toBe(true);
    expect(sameBits(weights, snapshots[0]), 'the weights are those after step 1').toBe(true);
    expect(model.optimizer.iterations).toBe(1);
    // The guard was cleared and the step count set back: the next fit checks afresh from step 2 (which
    // overflows again: the weights after step 1 are still huge).
    const { x, y } = data();
    await expect(model.fit(x, y, { epochs: 1, batchSize: BATCH })).rejects.toThrow(/training step 2 \(epoch 1 of 1, batch 1 of 3\)/);
  });

  it("'skip': fit trains on, each epoch counts its skipped steps, the loss averages the finite ones", async () => {
    const { model, run, snapshots, skipped } = await diverging('skip');
    const history = await run;
    expect(skipped).toEqual([2, 3, 3]);
    expect(Number.isFinite(history.history.loss[0]), `epoch 1 loss ${history.history.loss[0]}`).toBe(true);
    expect(history.history.loss.slice(1).every(Number.isNaN), 'epochs with no finite step have no loss').toBe(true);
    expect(sameBits(await model.getWeights(), snapshots[0])).toBe(true);
  });

  it('a finite run is untouched by the guard: no error, nothing skipped', async () => {
    const model = new Seq2Seq(env.ctx, CONFIG);
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const { x, y } = data();
    const skipped: (number | undefined)[] = [];
    const history = await model.fit(x, y, { epochs: 2, batchSize: BATCH, callbacks: { onEpochEnd: (_, logs) => void skipped.push(logs.skipped_steps) } });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(skipped).toEqual([undefined, undefined]);
  });
});
