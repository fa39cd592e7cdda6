// The model surface: fit / evaluate / history, no GPU object made per step, one submit per step,
// save / load round trips, bad input errors, dispose.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, Seq2Seq, SequenceModel, ShapeError, loadModel, modelChecksum, saveModel, type Seq2SeqConfig } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

const CONFIG: Seq2SeqConfig = {
  encoder: { inputSize: 1, layers: [{ units: 8 }] },
  decoder: { inputSize: 1, layers: [{ units: 8 }] },
  head: { units: 1 },
  seed: 1,
};

function windows(count: number, steps: number, seed: number) {
  const rng = mulberry32(seed);
  const source = uniformArray(count * steps, 1, rng);
  const target = uniformArray(count * steps, 1, rng);
  const decoderInput = new Float64Array(count * steps);
  for (let n = 0; n < count; n++) for (let t = 1; t < steps; t++) decoderInput[n * steps + t] = target[n * steps + t - 1];
  return {
    x: [{ data: source, shape: [count, steps, 1] as [number, number, number] }, { data: decoderInput, shape: [count, steps, 1] as [number, number, number] }],
    y: { data: target, shape: [count, steps, 1] as [number, number, number] },
  };
}

describe('model API', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: (Seq2Seq | SequenceModel)[] = [];
  const track = <M extends Seq2Seq | SequenceModel>(m: M) => (models.push(m), m);
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('creates no GPU object per step and submits once per step (100 steps)', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    model.compile({ loss: 'mse', optimizer: 'adam', clipNorm: 1 });
    const { x, y } = windows(4, 6, 1);
    await model.trainOnBatch(x, y); // builds the plan
    const before = env.ctx.stats();
    for (let i = 0; i < 100; i++) await model.trainOnBatch(x, y);
    const after = env.ctx.stats();
    expect(after.submits - before.submits).toBe(100);
    expect(after.buffersCreated).toBe(before.buffersCreated);
    expect(after.bindGroupsCreated).toBe(before.bindGroupsCreated);
    expect(after.pipelinesCreated).toBe(before.pipelinesCreated);
    expect(after.readbacks).toBe(before.readbacks);
    expect(await model.readLoss()).toBeGreaterThan(0);
  });

  it('warmUp compiles ahead without training: no pipeline is made by later batch sizes or lengths, weights and optimizer state untouched', async () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const layers = [{ cell, units: 8 }];
      const model = track(new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers }, decoder: { inputSize: 1, layers }, head: { units: 1 }, seed: 2 }));
      const twin = track(new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers }, decoder: { inputSize: 1, layers }, head: { units: 1 }, seed: 2 }));
      for (const m of [model, twin]) m.compile({ loss: 'mse', optimizer: 'adam', clipNorm: 1 });
      const buffers = env.ctx.liveBuffers;
      const weights = await model.getWeights();
      await model.warmUp({ batchSize: 6 });
      expect(env.ctx.liveBuffers).toBe(buffers);
      expect(await model.getWeights()).toEqual(weights);
      const pipelines = env.ctx.stats().pipelinesCreated;
      // Batches of 6 and 4, two lengths, and a validation batch of 1 (evaluation).
      for (const [count, steps] of [[11, 6], [10, 9]]) {
        const { x, y } = windows(count, steps, count);
        const a = await model.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, validationSplit: 0.1 });
        const b = await twin.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, validationSplit: 0.1 });
        // The warmed model trains exactly as one that was not warmed up (Adam's state and step count included).
        expect(a.history.loss).toEqual(b.history.loss);
      }
      expect(await model.getWeights()).toEqual(await twin.getWeights());
      // The twin compiled nothing new either: every pipeline was already in the shared cache.
      expect(env.ctx.stats().pipelinesCreated).toBe(pipelines);
    }
  });

  it('fit returns a history, keeps the last smaller batch, and reads the loss once per epoch', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    model.compile({ loss: 'mse' });
    const { x, y } = windows(23, 5, 2); // 23 = 2 batches of 10 + 3
    const seen: number[] = [];
    const readsBefore = env.ctx.stats().readbacks;
    const submitsBefore = env.ctx.stats().submits;
    const history = await model.fit(x, y, { epochs: 3, batchSize: 10, seed: 1, callbacks: { onEpochEnd: (e) => void seen.push(e) } });
    expect(env.ctx.stats().readbacks - readsBefore).toBe(3);
    expect(env.ctx.stats().submits - submitsBefore).toBe(3 * 3 + 3); // 3 batches per epoch, plus 3 readback copies
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(seen).toEqual([0, 1, 2]);
    expect(history.history.loss).toHaveLength(3);
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    const evaluated = await model.evaluate(x, y, { batchSize: 7 });
    expect(Number.isFinite(evaluated)).toBe(true);
  });

  it('validationSplit holds out the last samples and reports val_loss', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    model.compile({ loss: 'mse', optimizer: 'rmsprop' });
    const { x, y } = windows(20, 4, 3);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25 });
    expect(history.history.val_loss).toHaveLength(2);
    // val_loss after the last epoch equals evaluate() on the last 5 samples.
    const last = (v: { data: Float64Array; shape: number[] }) => ({ data: v.data.slice(15 * 4), shape: [5, 4, 1] as [number, number, number] });
    const val = await model.evaluate([last(x[0]), last(x[1])], last(y));
    expect(Math.abs(val - history.history.val_loss![1])).toBeLessThanOrEqual(1e-6 * Math.max(1, val));
  });

  it('onEpochEnd returning false stops training', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const { x, y } = windows(6, 3, 4);
    const history = await model.fit(x, y, { epochs: 10, batchSize: 3, callbacks: { onEpochEnd: (e) => e < 1 } });
    expect(history.epoch).toEqual([0, 1]);
  });

  it('names what is wrong with bad input, and still trains afterwards', async () => {
    const model = track(new Seq2Seq(env.ctx, CONFIG));
    await expect(model.fit(windows(4, 3, 5).x, windows(4, 3, 5).y)).rejects.toThrow(/call compile/);
    model.compile({ loss: 'mse' });
    const { x, y } = windows(4, 3, 5);
    const short = windows(3, 3, 5);
    await expect(model.fit([x[0], short.x[1]], y)).rejects.toThrow(/encoder input has 4 samples, decoder input 3/);
    await expect(model.fit(x, short.y)).rejects.toThrow(/x has 4 samples but y has 3/);
    await expect(model.fit([{ data: x[0].data, shape: [4, 1, 3] }, x[1]], y)).rejects.toThrow(/expected 1 features per step, got shape \[4, 1, 3\]/);
    const nan = { data: Float64Array.from(y.data), shape: y.shape };
    nan.data[5] = NaN;
    await expect(model.fit(x, nan)).rejects.toThrow(/fit y: value at \[1, 2, 0\] is NaN/);
    await expect(model.fit(x, y, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(model.fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit/);
    await expect(model.fit(x[0], y)).rejects.toThrow(/x must be \[encoderInput, decoderInput\]/);
    expect(() => model.compile({ loss: 'hinge' as 'mse' })).toThrow(/loss must be 'mse' or 'sparse_categorical_crossentropy'/);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 2 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
  });

  it('a batch over a device limit is a LimitError that leaves nothing allocated, and the model still trains', async () => {
    const model = track(new SequenceModel(env.ctx, { inputSize: 1, layers: [{ units: 64 }], head: { units: 1 } }));
    model.compile({ loss: 'mse' });
    // Gate pre-activations of 4,000 x 200 steps x 256 values: 819 MB, over any storage binding limit here:
    // found before anything is allocated.
    const [N, T] = [4000, 200];
    const big = { data: new Float32Array(N * T), shape: [N, T, 1] as [number, number, number] };
    const live = env.ctx.liveBuffers;
    await expect(model.fit(big, big, { batchSize: N })).rejects.toThrow(/training: a batch of 4000 at 200 steps needs buffer 'rnn\.lstm_0\.\w+' of \d+ MiB, [\d.]+x this device's max\w+ of \d+ MiB; at these lengths at most batch \d+ fits/);
    expect(env.ctx.liveBuffers).toBe(live);
    const small = { data: new Float32Array(2 * 5), shape: [2, 5, 1] as [number, number, number] };
    const history = await model.fit(small, small, { epochs: 1 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
  });

  it('rejects token ids out of range', async () => {
    const model = track(new SequenceModel(env.ctx, { vocabSize: 5, embeddingDim: 3, layers: [{ units: 4 }], head: { units: 5, activation: 'softmax' } }));
    model.compile({ loss: 'sparse_categorical_crossentropy' });
    await expect(model.fit([[0, 1, 5]], [[1, 2, 3]])).rejects.toThrow(/fit x: token id 5 at \[0, 2\] is out of range \[0, 5\)/);
    await expect(model.fit([[0, 1, 4]], [[1, 2, 7]])).rejects.toThrow(/fit y: token id 7 at \[0, 2\]/);
    const history = await model.fit([[0, 1, 4], [2, 2, 2]], [[1, 2, 3], [0, 0, 0]], { epochs: 2 });
    expect(history.history.loss[1]).toBeLessThan(history.history.loss[0]);
  });

  it('rejects configurations that cannot pass state from encoder to decoder', () => {
    expect(() => new Seq2Seq(env.ctx, { ...CONFIG, decoder: { inputSize: 1, layers: [{ units: 9 }] } })).toThrow(/must have the same cell and units/);
    expect(() => new Seq2Seq(env.ctx, { ...CONFIG, decoder: { inputSize: 1, layers: [{ units: 8, cell: 'simple_rnn' }] } })).toThrow(ShapeError);
    expect(() => new Seq2Seq(env.ctx, { ...CONFIG, encoder: { inputSize: 1, layers: [] } })).toThrow(/needs at least one recurrent layer/);
  });

  it('save / load round-trips bit-exactly; a truncated or corrupted file fails cleanly', async () => {
    const model = track(new Seq2Seq(env.ctx, { ...CONFIG, encoder: { vocabSize: 6, embeddingDim: 3, layers: [{ units: 5, cell: 'simple_rnn' }] },
      decoder: { vocabSize: 6, embeddingDim: 3, layers: [{ units: 5, cell: 'simple_rnn' }] }, head: { units: 6, activation: 'softmax' } }));
    model.compile({ loss: 'sparse_categorical_crossentropy' });
    const rng = mulberry32(7);
    const ids = (n: number) => Array.from({ length: 4 }, () => Array.from(randomInts(n, 6, rng)));
    await model.fit([ids(3), ids(4)], ids(4), { epochs: 2 });
    const saved = await saveModel(model);
    const loaded = track((await loadModel(env.ctx, saved)) as Seq2Seq);
    const a = await model.getWeights();
    const b = await loaded.getWeights();
    expect(b.length).toBe(a.length);
    a.forEach((w, i) => expect(Buffer.from(b[i].buffer).equals(Buffer.from(w.buffer))).toBe(true));
    expect(saved.manifest.weights.map((w) => w.name)).toContain('encoder.embedding/embeddings');

    const live = env.ctx.liveBuffers;
    await expect(loadModel(env.ctx, { manifest: saved.manifest, weights: saved.weights.slice(0, 100) })).rejects.toThrow(/truncated/);
    const corrupted = saved.weights.slice(0);
    new Uint8Array(corrupted)[17] ^= 0xff;
    await expect(loadModel(env.ctx, { manifest: saved.manifest, weights: corrupted })).rejects.toThrow(ModelFormatError);
    const wrongShape = structuredClone(saved.manifest);
    wrongShape.weights[0].shape = [7, 3];
    await expect(loadModel(env.ctx, { manifest: wrongShape, weights: saved.weights })).rejects.toThrow(/do not match the checksum/);
    wrongShape.weights[0].shape = [9, 2]; // same size: re-sealed, the tiling holds and the shape check speaks
    wrongShape.checksum = modelChecksum(wrongShape, saved.weights);
    await expect(loadModel(env.ctx, { manifest: wrongShape, weights: saved.weights })).rejects.toThrow(/weight 0 is 'encoder.embedding\/embeddings' \[9,2\]/);
    await expect(loadModel(env.ctx, { manifest: { ...saved.manifest, format: 'other' as 'webrnn-model' }, weights: saved.weights })).rejects.toThrow(/not a webrnn model/);
    expect(env.ctx.liveBuffers).toBe(live); // nothing half-loaded stays behind
  });

  it('dispose() leaves zero live GPU buffers', async () => {
    const live = env.ctx.liveBuffers;
    const model = new Seq2Seq(env.ctx, CONFIG);
    model.compile({ loss: 'mse', clipValue: 0.5 });
    const { x, y } = windows(5, 3, 8);
    await model.fit(x, y, { epochs: 1, batchSize: 2, validationSplit: 0.2 });
    expect(env.ctx.liveBuffers).toBeGreaterThan(live);
    model.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
    await expect(model.fit(x, y)).rejects.toThrow(/disposed/);
  });
});
