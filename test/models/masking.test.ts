// Keras' masks of padded steps through whole models, against TensorFlow.js (tfjs-layers on its CPU
// backend) with the same weights: Embedding(maskZero) and Masking feeding LSTM, GRU and SimpleRNN on
// right-padded batches of mixed lengths (a sample of length 0 and one of full length included).
//   - predict within 1e-5 (absolute), and one trainOnBatch with SGD (learning rate 0.5) gives the same
//     weights within 1e-5, so masked steps pass the state and its gradient on and train nothing;
//   - where Keras and tfjs-layers differ, the reference is tfjs' output put into Keras' terms: Keras'
//     Bidirectional zeroes its output at masked steps (it sets zero_output_for_mask, tfjs repeats the
//     forward direction's h there), and Keras' GlobalAveragePooling1D is the mean over the real steps
//     (tfjs' ignores the mask);
//   - a masked output sequence weighs only its real steps in the loss (Keras 3: sum(l m) / sum(m)): the
//     SGD step against tfjs with that loss written with tf ops;
//   - a padded batch predicts what each sequence predicts alone.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { KernelRegistry } from '../../src/advanced.js';
import { fromConfig, layers, Model, ShapeError, toConfig, type ModelData, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { modelsForParity, PREDICT_TOLERANCE } from '../helpers/tfjs-parity.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const LEARNING_RATE = 0.5;
const VOCAB = 11;
const STEPS = 7;
/** Real steps of each sample, right-padded to STEPS: 0 and STEPS included. */
const LENGTHS = [3, STEPS, 1, 0, 5];
const BATCH = LENGTHS.length;

const { env, open } = modelsForParity();

/** Right-padded token ids [B, T] (0 is padding) of the given lengths. */
function paddedIds(lengths: readonly number[], seed: number): { data: Float32Array; shape: number[] } {
  const random = mulberry32(seed);
  const data = new Float32Array(lengths.length * STEPS);
  lengths.forEach((n, b) => {
    for (let t = 0; t < n; t++) data[b * STEPS + t] = 1 + Math.floor(random() * (VOCAB - 1));
  });
  return { data, shape: [lengths.length, STEPS] };
}

/** Right-padded features [B, T, F], padding steps all `padValue`. */
function paddedFeatures(lengths: readonly number[], features: number, padValue: number, seed: number): { data: Float32Array; shape: number[] } {
  const random = mulberry32(seed);
  const data = new Float32Array(lengths.length * STEPS * features).fill(padValue);
  lengths.forEach((n, b) => {
    const values = uniformArray(n * features, 1, random);
    data.set(values, b * STEPS * features);
  });
  return { data, shape: [lengths.length, STEPS, features] };
}

/** mask[b, t] = 1 at the real steps. */
function stepMask(lengths: readonly number[]): Float64Array {
  const mask = new Float64Array(lengths.length * STEPS);
  lengths.forEach((n, b) => mask.fill(1, b * STEPS, b * STEPS + n));
  return mask;
}

function targets(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  return { data: Float32Array.from(uniformArray(shape.reduce((a, b) => a * b, 1), 1, mulberry32(seed))), shape };
}

/** webrnn's model takes tfjs' initial weights (get_weights order; shapes checked). */
function sameWeights(model: Model, tfModel: tf.LayersModel): void {
  const weights = tfModel.getWeights();
  expect(model.weightSpecs.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
  model.setWeights(weights.map((w) => w.dataSync() as Float32Array));
}

async function predictOne(model: Model, x: ModelData): Promise<Float32Array> {
  const out = await model.predict(x);
  return (Array.isArray(out) ? out[0] : out).data as Float32Array;
}

/** predict, then one SGD step on mse, in both libraries; the weights after it compared. */
async function expectSameModel(model: Model, tfModel: tf.LayersModel, x: { data: Float32Array; shape: number[] }, what: string): Promise<void> {
  sameWeights(model, tfModel);
  const tfX = tf.tensor(x.data, x.shape);
  const expected = tfModel.predict(tfX) as tf.Tensor;
  expectClose(await predictOne(model, x), expected.dataSync(), PREDICT_TOLERANCE, `${what}: predict`);
  const y = targets(expected.shape, 17);
  tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError' });
  await tfModel.trainOnBatch(tfX, tf.tensor(y.data, y.shape));
  model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
  await model.trainOnBatch(x, y);
  const trained = await model.getWeights();
  tfModel.getWeights().forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `${what}: weight ${i} (${model.weightSpecs[i].name}) after one SGD step`));
}

function build(output: (x: SymbolicTensor) => SymbolicTensor, shape: (number | null)[]): Model {
  const input = layers.input({ shape });
  return open(new Model(env().ctx, { inputs: input, outputs: output(input) }));
}

const sigmoid = { recurrentActivation: 'sigmoid' as const };

describe('masks of padded steps against TensorFlow.js', () => {
  it('Embedding(maskZero) -> LSTM -> Dense: predict and one SGD step', async () => {
    const tfIn = tf.input({ shape: [STEPS] });
    const tfOut = tf.layers.dense({ units: 3 }).apply(tf.layers.lstm({ units: 9, ...sigmoid }).apply(
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true }).apply(tfIn))) as tf.SymbolicTensor;
    const model = build((x) => layers.dense({ units: 3 }).apply(layers.lstm({ units: 9 }).apply(
      layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true }).apply(x) as SymbolicTensor) as SymbolicTensor) as SymbolicTensor, [STEPS]);
    await expectSameModel(model, tf.model({ inputs: tfIn, outputs: tfOut }), paddedIds(LENGTHS, 1), 'embedding -> lstm');
  });

  it('Embedding(maskZero) -> GRU(returnSequences, resetAfter false) -> SimpleRNN(goBackwards) -> Dense: the mask flows through a sequence', async () => {
    const tfIn = tf.input({ shape: [STEPS] });
    let t = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(tfIn) as tf.SymbolicTensor;
    t = tf.layers.gru({ units: 6, returnSequences: true, ...sigmoid }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.simpleRNN({ units: 5, goBackwards: true }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 2 }).apply(t) as tf.SymbolicTensor;
    const model = build((x) => {
      let w = layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(x) as SymbolicTensor;
      w = layers.gru({ units: 6, returnSequences: true, resetAfter: false }).apply(w) as SymbolicTensor;
      w = layers.simpleRNN({ units: 5, goBackwards: true }).apply(w) as SymbolicTensor;
      return layers.dense({ units: 2 }).apply(w) as SymbolicTensor;
    }, [STEPS]);
    await expectSameModel(model, tf.model({ inputs: tfIn, outputs: t }), paddedIds(LENGTHS, 2), 'embedding -> gru -> simple_rnn');
  });

  it('Masking(maskValue -1) -> LSTM(returnSequences) -> Dense per step -> LSTM -> Dense: predict and one SGD step', async () => {
    const tfIn = tf.input({ shape: [STEPS, 3] });
    let t = tf.layers.masking({ maskValue: -1 }).apply(tfIn) as tf.SymbolicTensor;
    t = tf.layers.lstm({ units: 7, returnSequences: true, ...sigmoid }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 4, activation: 'tanh' }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.lstm({ units: 5, ...sigmoid }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 2 }).apply(t) as tf.SymbolicTensor;
    const model = build((x) => {
      let w = layers.masking({ maskValue: -1 }).apply(x) as SymbolicTensor;
      w = layers.lstm({ units: 7, returnSequences: true }).apply(w) as SymbolicTensor;
      w = layers.dense({ units: 4, activation: 'tanh' }).apply(w) as SymbolicTensor;
      w = layers.lstm({ units: 5 }).apply(w) as SymbolicTensor;
      return layers.dense({ units: 2 }).apply(w) as SymbolicTensor;
    }, [STEPS, 3]);
    await expectSameModel(model, tf.model({ inputs: tfIn, outputs: t }), paddedFeatures(LENGTHS, 3, -1, 3), 'masking -> lstm -> dense -> lstm');
  });

  it('Embedding(maskZero) -> Bidirectional(GRU): the backward direction starts at each real end', async () => {
    const tfIn = tf.input({ shape: [STEPS] });
    let t = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(tfIn) as tf.SymbolicTensor;
    t = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 5, ...sigmoid }) as tf.layers.RNN, mergeMode: 'concat' }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 3 }).apply(t) as tf.SymbolicTensor;
    const model = build((x) => {
      let w = layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(x) as SymbolicTensor;
      w = layers.bidirectional({ layer: layers.gru({ units: 5, resetAfter: false }) }).apply(w) as SymbolicTensor;
      return layers.dense({ units: 3 }).apply(w) as SymbolicTensor;
    }, [STEPS]);
    await expectSameModel(model, tf.model({ inputs: tfIn, outputs: t }), paddedIds(LENGTHS, 4), 'embedding -> bidirectional(gru)');
  });

  it("Bidirectional(LSTM, returnSequences) is 0 at masked steps (Keras' zero_output_for_mask), and GlobalAveragePooling1D is the mean over the real steps", async () => {
    const lengths = LENGTHS.filter((n) => n > 0); // Keras' masked mean of no step is 0 / 0
    const tfIn = tf.input({ shape: [STEPS] });
    const tfEmbedded = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(tfIn) as tf.SymbolicTensor;
    const tfSequence = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, ...sigmoid }) as tf.layers.RNN, mergeMode: 'concat' }).apply(tfEmbedded) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: tfIn, outputs: tfSequence });
    const input = layers.input({ shape: [STEPS] });
    const sequence = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) })
      .apply(layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(input) as SymbolicTensor) as SymbolicTensor;
    const pooled = layers.globalAveragePooling1d().apply(sequence) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: input, outputs: [sequence, pooled] }));
    sameWeights(model, tfModel);
    const x = paddedIds(lengths, 5);
    const reference = tfModel.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
    const mask = stepMask(lengths);
    const width = 6;
    const keras = Float64Array.from(reference.dataSync(), (v, i) => v * mask[Math.floor(i / width)]);
    const mean = new Float64Array(lengths.length * width);
    lengths.forEach((n, b) => {
      for (let t = 0; t < n; t++) for (let f = 0; f < width; f++) mean[b * width + f] += keras[(b * STEPS + t) * width + f] / n;
    });
    const [sequenceOut, pooledOut] = (await model.predict(x)) as { data: Float32Array }[];
    expectClose(sequenceOut.data, keras, PREDICT_TOLERANCE, 'bidirectional output, zero at masked steps');
    expectClose(pooledOut.data, mean, PREDICT_TOLERANCE, 'masked mean over time');
  });

  it('a masked output sequence weighs only its real steps in the loss: evaluate and one SGD step', async () => {
    const tfIn = tf.input({ shape: [STEPS] });
    let t = tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(tfIn) as tf.SymbolicTensor;
    t = tf.layers.lstm({ units: 6, returnSequences: true, ...sigmoid }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 2 }).apply(t) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: tfIn, outputs: t });
    const model = build((x) => {
      let w = layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(x) as SymbolicTensor;
      w = layers.lstm({ units: 6, returnSequences: true }).apply(w) as SymbolicTensor;
      return layers.dense({ units: 2 }).apply(w) as SymbolicTensor;
    }, [STEPS]);
    sameWeights(model, tfModel);
    const x = paddedIds(LENGTHS, 6);
    const y = targets([BATCH, STEPS, 2], 7);
    const mask = stepMask(LENGTHS);
    const real = mask.reduce((a, b) => a + b, 0);
    // Keras 3's masked mse: the mean over the real steps of each step's mean over the features.
    const predicted = (tfModel.predict(tf.tensor(x.data, x.shape)) as tf.Tensor).dataSync() as Float32Array;
    let expectedLoss = 0;
    for (let r = 0; r < BATCH * STEPS; r++) {
      for (let f = 0; f < 2; f++) expectedLoss += (mask[r] * (predicted[r * 2 + f] - y.data[r * 2 + f]) ** 2) / 2 / real;
    }
    model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
    expect(Math.abs((await model.evaluate(x, y)) - expectedLoss)).toBeLessThan(1e-6);
    const weights = tf.tensor(Float32Array.from(mask, (m) => m / real), [BATCH, STEPS]);
    tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: (truth: tf.Tensor, prediction: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.square(tf.sub(prediction, truth)), -1), weights)) });
    await tfModel.trainOnBatch(tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape));
    await model.trainOnBatch(x, y);
    const trained = await model.getWeights();
    tfModel.getWeights().forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `masked loss: weight ${i} (${model.weightSpecs[i].name}) after one SGD step`));
  });
});

describe('masks of padded steps', () => {
  it('a right-padded batch gives each sequence the output, loss and gradient it has alone at its own length', async () => {
    const make = (steps: number) => {
      const input = layers.input({ shape: [steps] });
      const embedded = layers.embedding({ name: 'embedding', inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(input) as SymbolicTensor;
      const encoded = layers.bidirectional({ name: 'encoder', layer: layers.lstm({ units: 5 }), mergeMode: 'sum' }).apply(embedded) as SymbolicTensor;
      const model = open(new Model(env().ctx, { inputs: input, outputs: layers.dense({ name: 'head', units: 3 }).apply(encoded) as SymbolicTensor, seed: 3 }));
      model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
      return model;
    };
    const padded = make(STEPS);
    const lengths = LENGTHS.filter((n) => n > 0);
    const x = paddedIds(lengths, 8);
    const y = targets([lengths.length, 3], 9);
    const together = await predictOne(padded, x);
    const start = await padded.getWeights();
    const batchLoss = await padded.evaluate(x, y);
    await padded.trainOnBatch(x, y);
    // SGD: the batch's step is the mean of each sequence's own step (the loss is the batch mean).
    const batchStep = (await padded.getWeights()).map((w, i) => w.map((v, k) => v - start[i][k]));
    const meanStep = start.map((w) => new Float64Array(w.length));
    let meanLoss = 0;
    for (const [b, n] of lengths.entries()) {
      const alone = make(n);
      alone.setWeights(start);
      const own = { data: x.data.slice(b * STEPS, b * STEPS + n), shape: [1, n] };
      expectClose(together.slice(b * 3, b * 3 + 3), await predictOne(alone, own), PREDICT_TOLERANCE, `sample ${b} (length ${n}) in the padded batch vs alone`);
      const target = { data: y.data.slice(b * 3, b * 3 + 3), shape: [1, 3] };
      meanLoss += (await alone.evaluate(own, target)) / lengths.length;
      await alone.trainOnBatch(own, target);
      (await alone.getWeights()).forEach((w, i) => w.forEach((v, k) => (meanStep[i][k] += (v - start[i][k]) / lengths.length)));
    }
    expect(Math.abs(batchLoss - meanLoss)).toBeLessThan(1e-6);
    batchStep.forEach((step, i) => expectClose(step, meanStep[i], WEIGHT_TOLERANCE, `weight ${i}: the batch's step vs the mean of each sequence's`));
  });

  it('the mask reaches a merge (AND of two masks), and a config round trip keeps mask_zero and Masking', async () => {
    const a = layers.input({ shape: [STEPS] });
    const b = layers.input({ shape: [STEPS, 2] });
    const left = layers.embedding({ inputDim: VOCAB, outputDim: 2, maskZero: true }).apply(a) as SymbolicTensor;
    const right = layers.masking({ maskValue: 0 }).apply(b) as SymbolicTensor;
    const merged = layers.add().apply([left, right]) as SymbolicTensor;
    const pooled = layers.globalAveragePooling1d().apply(merged) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: [a, b], outputs: pooled }));
    const ids = paddedIds([4, 6], 9);
    const features = paddedFeatures([6, 2], 2, 0, 10);
    const embeddings = (await model.getWeights())[0];
    const out = await predictOne(model, [ids, features]);
    // Expected: the mean of embedding + features over the steps real in both (the first min(la, lb)).
    const expected = new Float64Array(4);
    [[4, 6], [6, 2]].forEach(([la, lb], s) => {
      const n = Math.min(la, lb);
      for (let t = 0; t < n; t++) {
        const id = ids.data[s * STEPS + t];
        for (let f = 0; f < 2; f++) expected[s * 2 + f] += (embeddings[id * 2 + f] + features.data[(s * STEPS + t) * 2 + f]) / n;
      }
    });
    expectClose(out, expected, PREDICT_TOLERANCE, 'masked mean of a merge of two masks');
    const config = toConfig(model) as unknown as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const byClass = (name: string) => config.config.layers.find((l) => l.class_name === name)!.config;
    expect(byClass('Embedding').mask_zero).toBe(true);
    expect(byClass('Masking').mask_value).toBe(0);
  });

  describe('sequences of different lengths in fit and evaluate', () => {
    const raggedIds = (lengths: readonly number[], seed: number): number[][] => {
      const random = mulberry32(seed);
      return lengths.map((n) => Array.from({ length: n }, () => 1 + Math.floor(random() * (VOCAB - 1))));
    };
    const padTo = (sequences: number[][], steps: number) => sequences.map((s) => [...s, ...Array(steps - s.length).fill(0)]);
    const tagger = (seed: number, outputs: 'sequence' | 'vector') => {
      const input = layers.input({ shape: [null] });
      let x = layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }).apply(input) as SymbolicTensor;
      x = layers.gru({ units: 5, returnSequences: outputs === 'sequence' }).apply(x) as SymbolicTensor;
      const model = open(new Model(env().ctx, { inputs: input, outputs: layers.dense({ units: 2 }).apply(x) as SymbolicTensor, seed }));
      model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
      return model;
    };
    const lengths = [3, 6, 1, 4, 2, 5, 6];

    it('a ragged batch trains as the same batch padded by hand to a longer length (each batch runs as long as its longest)', async () => {
      const ids = raggedIds(lengths, 12);
      const y = lengths.map((_, b) => [b % 3 - 1, (b * 0.3) % 1]);
      const ragged = tagger(5, 'vector');
      const padded = tagger(5, 'vector');
      await ragged.fit(ids, y, { epochs: 2, batchSize: 3, seed: 1 });
      await padded.fit(padTo(ids, STEPS + 2), y, { epochs: 2, batchSize: 3, seed: 1 });
      const [a, b] = [await ragged.getWeights(), await padded.getWeights()];
      a.forEach((w, i) => expectClose(w, b[i], WEIGHT_TOLERANCE, `weight ${i}`));
      expect(Math.abs((await ragged.evaluate(ids, y)) - (await padded.evaluate(padTo(ids, STEPS + 2), y)))).toBeLessThan(1e-6);
    });

    it('ragged per-step targets of a masked output sequence: the padding weighs nothing', async () => {
      const ids = raggedIds(lengths, 13);
      const y = lengths.map((n, b) => Array.from({ length: n }, (_, t) => [Math.sin(b + t), Math.cos(b * t)]));
      const model = tagger(6, 'sequence');
      const longest = Math.max(...lengths);
      const paddedY = y.map((s) => [...s, ...Array.from({ length: longest - s.length }, () => [9, -9])]);
      const loss = await model.evaluate(ids, y, { batchSize: 4 });
      expect(Math.abs(loss - (await model.evaluate(padTo(ids, longest), paddedY, { batchSize: 4 })))).toBeLessThan(1e-6);
      await model.fit(ids, y, { epochs: 1, batchSize: 4 });
      expect(Number.isFinite(await model.evaluate(ids, y))).toBe(true);
    });

    it("bucketBy 'length' trains on batches of similar lengths: unshuffled, as the samples sorted by length", async () => {
      const ids = raggedIds(lengths, 14);
      const y = lengths.map((n) => [n / 6, 1 - n / 6]);
      const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
      const bucketed = tagger(7, 'vector');
      const sorted = tagger(7, 'vector');
      await bucketed.fit(ids, y, { epochs: 1, batchSize: 2, shuffle: false, bucketBy: 'length' });
      await sorted.fit(order.map((i) => ids[i]), order.map((i) => y[i]), { epochs: 1, batchSize: 2, shuffle: false });
      const [a, b] = [await bucketed.getWeights(), await sorted.getWeights()];
      a.forEach((w, i) => expectClose(w, b[i], WEIGHT_TOLERANCE, `weight ${i}`));
      // Every batch length reuses the pipelines the first ones compiled: lengths are run-time values.
      const registry = KernelRegistry.of(env().ctx);
      const compiled = registry.pipelineCount;
      const longer = [9, 2, 8, 7, 3, 1];
      await bucketed.fit(raggedIds(longer, 15), longer.map(() => [0.5, 0.5]), { epochs: 2, batchSize: 2, bucketBy: 'length', seed: 3 });
      expect(registry.pipelineCount, 'pipelines compiled for new lengths').toBe(compiled);
      expect(Number.isFinite(await bucketed.evaluate(ids, y))).toBe(true);
    });

    it('training on many lengths keeps the plans of at most 8 batch shapes (their buffers released)', async () => {
      const model = tagger(9, 'vector');
      const live = () => env().ctx.liveBuffers;
      await model.fit([[1, 2, 3, 4]], [[0, 1]], { batchSize: 1 });
      const oneShape = live();
      await model.fit([[1, 2, 3, 4, 5, 6, 7, 8]], [[0, 1]], { batchSize: 1 });
      const perShape = live() - oneShape;
      expect(perShape, 'a new length makes buffers of its own').toBeGreaterThan(0);
      const many = Array.from({ length: 120 }, (_, i) => i + 1); // 30 shapes after rounding to multiples of 4
      await model.fit(raggedIds(many, 17), many.map(() => [0.5, 0.5]), { batchSize: 1 });
      expect(live() - oneShape).toBeLessThanOrEqual(7 * perShape);
    });

    it('sequences of different lengths without a mask, ragged targets of an unmasked output, and a bad bucketBy are errors', async () => {
      const input = layers.input({ shape: [null, 2], name: 'features' });
      const plain = open(new Model(env().ctx, { inputs: input, outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 3 }).apply(input) as SymbolicTensor) as SymbolicTensor }));
      plain.compile({ optimizer: 'sgd', loss: 'mse' });
      await expect(plain.fit([[[1, 2], [3, 4]], [[5, 6]]], [[1], [0]])).rejects.toThrow(/input 'features': sequences of different lengths \(sample 0: 2 steps, sample 1: 1\) need a mask of their padding/);
      const ids = layers.input({ shape: [null] });
      const sequence = layers.lstm({ units: 3, returnSequences: true }).apply(layers.embedding({ inputDim: 5, outputDim: 2 }).apply(ids) as SymbolicTensor) as SymbolicTensor;
      const unmasked = open(new Model(env().ctx, { inputs: ids, outputs: layers.dense({ name: 'per_step', units: 1 }).apply(sequence) as SymbolicTensor }));
      unmasked.compile({ optimizer: 'sgd', loss: 'mse' });
      await expect(unmasked.fit([[1, 2, 3], [4, 1, 2]], [[[1], [0], [1]], [[0], [1]]])).rejects.toThrow(/the targets of output 'per_step' have different lengths, but the output has no mask/);
      const model = tagger(8, 'vector');
      await expect(model.fit(raggedIds(lengths, 1), lengths.map(() => [0, 0]), { bucketBy: 'size' as never })).rejects.toThrow(/fit: bucketBy must be 'length'/);
    });
  });

  it('an input of a fixed length takes shorter sequences padded to it; a longer one, and an explicit mask tensor in a config, are errors', async () => {
    const input = layers.input({ shape: [STEPS], name: 'ids' });
    const pooled = layers.lstm({ units: 3 }).apply(layers.embedding({ inputDim: VOCAB, outputDim: 2, maskZero: true }).apply(input) as SymbolicTensor) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: input, outputs: pooled }));
    const ragged = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 1], [2]];
    const padded = ragged.map((s) => [...s, ...Array<number>(STEPS - s.length).fill(0)]);
    expectClose(await predictOne(model, ragged), await predictOne(model, padded), { atol: 0, rtol: 0 }, 'ragged vs padded by hand');
    await expect(model.predict([[1, 2], [1, 2, 3, 4, 5, 6, 7, 8]])).rejects.toThrow(/predict input 'ids': sample 1 has 8 steps, past the input's length 7/);
    const config = {
      class_name: 'Functional', keras_version: '3.3.3', backend: 'tensorflow',
      config: {
        name: 'explicit', input_layers: [['ids', 0, 0]], output_layers: [['lstm', 0, 0]],
        layers: [
          { class_name: 'InputLayer', name: 'ids', config: { name: 'ids', batch_shape: [null, 4], dtype: 'int32' }, inbound_nodes: [] },
          { class_name: 'Embedding', name: 'embedding', config: { name: 'embedding', input_dim: 5, output_dim: 2 },
            inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'int32', keras_history: ['ids', 0, 0] } }], kwargs: {} }] },
          { class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 2 },
            inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4, 2], dtype: 'float32', keras_history: ['embedding', 0, 0] } }],
              kwargs: { mask: { class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'bool', keras_history: ['ids', 0, 0] } } } }] },
        ],
      },
    };
    expect(() => fromConfig(env().ctx, config)).toThrow(/an explicit mask tensor \(mask=\.\.\.\) is not supported/);
  });

  it("a Keras 3 config that passes Embedding's mask to the LSTM (kwargs.mask from a NotEqual op) loads as the masked model", async () => {
    const tensor = (history: [string, number, number], shape: (number | null)[], dtype = 'float32') =>
      ({ class_name: '__keras_tensor__', config: { shape, dtype, keras_history: history } });
    const config = {
      class_name: 'Functional', keras_version: '3.3.3', backend: 'tensorflow',
      config: {
        name: 'masked', input_layers: [['ids', 0, 0]], output_layers: [['lstm', 0, 0]],
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', name: 'ids', config: { name: 'ids', batch_shape: [null, STEPS], dtype: 'int32' }, inbound_nodes: [] },
          { module: 'keras.layers', class_name: 'Embedding', name: 'embedding', config: { name: 'embedding', input_dim: VOCAB, output_dim: 3, mask_zero: true },
            inbound_nodes: [{ args: [tensor(['ids', 0, 0], [null, STEPS], 'int32')], kwargs: {} }] },
          { module: 'keras.src.ops.numpy', class_name: 'NotEqual', name: 'not_equal', config: { name: 'not_equal' },
            inbound_nodes: [{ args: [tensor(['ids', 0, 0], [null, STEPS], 'int32'), 0], kwargs: {} }] },
          { module: 'keras.layers', class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 4 },
            inbound_nodes: [{ args: [tensor(['embedding', 0, 0], [null, STEPS, 3])], kwargs: { training: false, mask: tensor(['not_equal', 0, 0], [null, STEPS], 'bool') } }] },
        ],
      },
    };
    const loaded = open(fromConfig(env().ctx, config) as Model);
    expect(loaded.layers.map((l) => l.className)).toEqual(['InputLayer', 'Embedding', 'LSTM']);
    const masked = (maskZero: boolean) => {
      const input = layers.input({ shape: [STEPS] });
      const embedded = layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero }).apply(input) as SymbolicTensor;
      const model = open(new Model(env().ctx, { inputs: input, outputs: layers.lstm({ units: 4 }).apply(embedded) as SymbolicTensor }));
      return model;
    };
    const [reference, unmasked] = [masked(true), masked(false)];
    const weights = await loaded.getWeights();
    reference.setWeights(weights);
    unmasked.setWeights(weights);
    const x = paddedIds(LENGTHS, 21);
    expect(Array.from(await predictOne(unmasked, x))).not.toEqual(Array.from(await predictOne(loaded, x)));
    expectClose(await predictOne(loaded, x), await predictOne(reference, x), { atol: 0, rtol: 0 }, 'the loaded model is the masked one');
  });

  it('a recurrent layer with zero_output_for_mask true is an error naming it (it is honoured inside a Bidirectional)', () => {
    const config = (layer: Record<string, unknown>) => ({
      class_name: 'Sequential', keras_version: '3.3.3', backend: 'tensorflow',
      config: { name: 's', layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_shape: [null, 4, 2] } }, layer] },
    });
    const lstm = { class_name: 'LSTM', config: { name: 'lstm', units: 3, return_sequences: true, zero_output_for_mask: true } };
    expect(() => fromConfig(env().ctx, config(lstm))).toThrow(/layer 1 'lstm' \(LSTM\) of model 's': zero_output_for_mask true .* not supported yet/);
    open(fromConfig(env().ctx, config({ class_name: 'Bidirectional', config: { name: 'bi', layer: lstm } })) as Model);
  });

  it('bad input is an error naming the layer', () => {
    expect(() => layers.masking({ maskValue: Number.NaN })).toThrow(ShapeError);
    expect(() => layers.masking({ maskValue: Number.NaN })).toThrow(/Masking 'masking(_\d+)?': maskValue must be a number/);
    expect(() => layers.embedding({ inputDim: 3, outputDim: 2, maskZero: 'yes' as never })).toThrow(/maskZero must be a boolean/);
    const vector = layers.input({ shape: [4] });
    expect(() => layers.masking({ name: 'pad' }).apply(vector)).toThrow(/Masking 'pad': takes sequences of shape \[steps, features\], got \[4\]/);
  });
});
