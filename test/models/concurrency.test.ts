// Cancellation and concurrency: fit / predict / generate take an AbortSignal; a second fit on a model
// that is fitting is a clear error; two models on one device, trained and decoded in interleaved async
// calls, give bit for bit the numbers each gives alone.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq, SequenceModel, WebRnnError, type Seq2SeqConfig } from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const CONFIG: Seq2SeqConfig = {
  encoder: { inputSize: 1, layers: [{ cell: 'gru', units: 6 }] },
  decoder: { inputSize: 1, layers: [{ cell: 'gru', units: 6 }] },
  head: { units: 1 },
  seed: 5,
};

function data(count: number, steps: number, seed: number) {
  const rng = mulberry32(seed);
  const seq = () => ({ data: Float32Array.from(uniformArray(count * steps, 1, rng)), shape: [count, steps, 1] as [number, number, number] });
  return { x: [seq(), seq()], y: seq() };
}


describe('cancellation and concurrency', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const made: { dispose(): void }[] = [];
  const track = <T extends { dispose(): void }>(m: T) => (made.push(m), m);
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => made.forEach((m) => m.dispose()));

  it('fit stops at the step after its signal aborts, rejects with the reason, and the model trains on', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const { x, y } = data(12, 5, 1);
    const controller = new AbortController();
    const batches: number[] = [];
    const run = model.fit(x, y, { epochs: 5, batchSize: 3, callbacks: { onBatchEnd: (b) => void (batches.push(b), b === 1 && controller.abort()) }, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(batches).toEqual([0, 1]);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 3 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);

    const before = await model.getWeights();
    const reason = new Error('user left the page');
    await expect(model.fit(x, y, { epochs: 1, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(sameBits(await model.getWeights(), before), 'an already-aborted fit changed the weights').toBe(true);
  });

  it('predict and generate reject with an aborted signal', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    const { x } = data(2, 4, 2);
    await expect(model.predict(x[0], { steps: 3, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const call = model.predict(x[0], { steps: 3, signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect((await model.predict(x[0], { steps: 3 })).data.every(Number.isFinite)).toBe(true);
    const lm = track(new SequenceModel(env.ctx, { inputSize: 1, layers: [{ units: 4 }], head: { units: 1 } }));
    await expect(lm.generate(x[0], { steps: 2, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a second fit (or trainOnBatch) while fitting is a clear error, and the first fit is unharmed', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    const twin = track(new Seq2Seq(env.ctx, CONFIG));
    for (const m of [model, twin]) m.compile({ loss: 'mse', optimizer: 'adam' });
    const { x, y } = data(9, 4, 3);
    const first = model.fit(x, y, { epochs: 2, batchSize: 3 });
    await expect(model.fit(x, y, { epochs: 1 })).rejects.toThrow(WebRnnError);
    await expect(model.fit(x, y, { epochs: 1 })).rejects.toThrow(/fit: the model is already training/);
    await expect(model.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch: the model is already training/);
    const history = await first;
    expect(history.history.loss).toEqual((await twin.fit(x, y, { epochs: 2, batchSize: 3 })).history.loss);
    expect(sameBits(await model.getWeights(), await twin.getWeights())).toBe(true);
  });

  it('two models on one device, fitted and decoded in interleaved calls, match each run alone', async () => {
    const configB: Seq2SeqConfig = { ...CONFIG, encoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 5 }] }, decoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 5 }] }, seed: 9 };
    const a = data(10, 6, 4);
    const b = data(8, 5, 5);
    const run = async (model: Seq2Seq, d: ReturnType<typeof data>) => {
      model.compile({ loss: 'mse', optimizer: 'adam' });
      const history = await model.fit(d.x, d.y, { epochs: 3, batchSize: 4 });
      const predicted = await model.predict(d.x[0], { steps: 4 });
      return { loss: history.history.loss, predicted: predicted.data, weights: await model.getWeights() };
    };
    const aloneA = await run(track(new Seq2Seq(env.ctx, CONFIG)), a);
    const aloneB = await run(track(new Seq2Seq(env.ctx, configB)), b);
    const [togetherA, togetherB] = await Promise.all([run(track(new Seq2Seq(env.ctx, CONFIG)), a), run(track(new Seq2Seq(env.ctx, configB)), b)]);
    for (const [alone, together] of [[aloneA, togetherA], [aloneB, togetherB]] as const) {
      expect(together.loss).toEqual(alone.loss);
      expect(Buffer.from(together.predicted.buffer).equals(Buffer.from(alone.predicted.buffer))).toBe(true);
      expect(sameBits(together.weights, alone.weights)).toBe(true);
    }
  });
});
