// Keras' recurrent_dropout (and dropout) of LSTM, GRU and SimpleRNN in training, against TensorFlow.js
// fed the same masks: webrnn draws them on the GPU (Philox, the layer's seed, the step count, a stream
// per use), the reference generator (test/reference/philox.ts) redraws them on the host, and TF.js'
// cells take them through their dropoutFunc. One SGD step then gives the same loss and weights (1e-5,
// as the other one-step parity tests); predict stays the identity of dropout.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, Model, Sequential, type ArrayResult, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { modelsForParity, PREDICT_TOLERANCE, samples } from '../helpers/tfjs-parity.js';
import { philox4x32, seedKey, uniform01 } from '../reference/philox.js';

const { env, open } = modelsForParity();
const [B, T, F, U] = [6, 5, 4, 7];
const SEED = 9;
const LEARNING_RATE = 0.3;
const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
/** The stream a recurrent layer's recurrent masks draw from: its input masks' plus 2^31 (src/kernels/dropout.ts). */
const RECURRENT_STREAM = 0x80000000;

/**
 * The mask of training step 1 over [B, width] for a stream: element (b, i) kept when its uniform is at
 * least the rate, then scaled by 1 / (1 - rate) in f32, as the GPU draws it.
 */
function hostMask(width: number, rate: number, stream: number): Float32Array {
  const scale = Math.fround(1 / (1 - rate));
  return Float32Array.from({ length: B * width }, (_, e) => (uniform01(philox4x32([e, 1, stream, 0], seedKey(SEED))[0]) >= rate ? scale : 0));
}

/** A dropoutFunc for TF.js' cells: the input mask for [B, F] ones, the recurrent one for [B, U]; `stream` is the layer's call (0 for its first). */
function masksFor(stream: number, rates: { input: number; recurrent: number }) {
  const input = hostMask(F, rates.input, stream);
  const recurrent = hostMask(U, rates.recurrent, RECURRENT_STREAM + stream);
  return (ones: tf.Tensor) => {
    const width = ones.shape[1];
    if (width !== F && width !== U) throw new Error(`unexpected dropout shape ${ones.shape}`);
    return tf.tensor(width === F ? input : recurrent, ones.shape);
  };
}

type Cell = 'lstm' | 'gru' | 'simpleRNN';
const gateOptions = (cell: Cell) => (cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' as const });

async function expectOneStepParity(model: Model, tfModel: tf.LayersModel, x: ReturnType<typeof samples>[number] | ReturnType<typeof samples>, y: ReturnType<typeof samples>[number]) {
  const xs = [x].flat();
  const tfX = xs.map((a) => tf.tensor(a.data, a.shape));
  const expectedPredict = (tfModel.predict(tfX.length === 1 ? tfX[0] : tfX) as tf.Tensor).dataSync();
  expectClose(((await model.predict(xs.length === 1 ? xs[0] : xs)) as ArrayResult).data, expectedPredict, PREDICT_TOLERANCE, 'predict: no dropout');
  tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError' });
  const tfLoss = (await tfModel.trainOnBatch(tfX.length === 1 ? tfX[0] : tfX, tf.tensor(y.data, y.shape))) as number;
  model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
  await model.trainOnBatch(xs.length === 1 ? xs[0] : xs, y);
  expect(await model.readLoss()).toBeCloseTo(tfLoss, 5);
  const trained = await model.getWeights();
  const expected = tfModel.getWeights();
  expect(trained.length).toBe(expected.length);
  expected.forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `weight ${i} after one SGD step`));
}

describe('recurrent dropout against TensorFlow.js with the same masks', () => {
  const variants = [
    { title: 'recurrent dropout', rates: { input: 0, recurrent: 0.4 } },
    { title: 'dropout and recurrent dropout', rates: { input: 0.3, recurrent: 0.4 } },
  ];
  for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
    for (const { title, rates } of variants) {
      it(`${cell} (returnSequences), ${title}: one SGD step`, async () => {
        const [x, y] = samples([{ shape: [B, T, F] }, { shape: [B, T, 1] }], 21);
        const tfModel = tf.sequential({
          layers: [
            tf.layers[cell]({ units: U, inputShape: [T, F], returnSequences: true, dropout: rates.input, recurrentDropout: rates.recurrent, dropoutFunc: masksFor(0, rates), ...gateOptions(cell) }),
            tf.layers.dense({ units: 1 }),
          ],
        });
        const options = { units: U, returnSequences: true, dropout: rates.input, recurrentDropout: rates.recurrent, seed: SEED, ...(cell === 'gru' ? { resetAfter: false } : {}) };
        const model = open(new Sequential(env().ctx, { layers: [layers.input({ shape: [T, F] }), layers[cell](options), layers.dense({ units: 1 })] }));
        model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
        await expectOneStepParity(model, tfModel, x, y);
      });
    }
  }

  it('Bidirectional(LSTM): each direction draws its own masks (streams 0 and 1), as a forward and a goBackwards LSTM fed them', async () => {
    const rates = { input: 0.3, recurrent: 0.4 };
    const [x, y] = samples([{ shape: [B, T, F] }, { shape: [B, 1] }], 22);
    const input = tf.input({ shape: [T, F] });
    const lstm = (stream: number, goBackwards: boolean) =>
      tf.layers.lstm({ units: U, goBackwards, dropout: rates.input, recurrentDropout: rates.recurrent, dropoutFunc: masksFor(stream, rates), recurrentActivation: 'sigmoid' });
    const merged = tf.layers.concatenate().apply([lstm(0, false).apply(input), lstm(1, true).apply(input)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(merged) as tf.SymbolicTensor });
    const model = open(new Sequential(env().ctx, {
      layers: [layers.input({ shape: [T, F] }), layers.bidirectional({ layer: layers.lstm({ units: U, dropout: rates.input, recurrentDropout: rates.recurrent, seed: SEED }) }), layers.dense({ units: 1 })],
    }));
    model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    await expectOneStepParity(model, tfModel, x, y);
  });

  it('a masked (right-padded) batch: masked steps keep the undropped state, as in TF.js', async () => {
    const rates = { input: 0, recurrent: 0.5 };
    const vocab = 9;
    const ids = Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (Math.floor(i / T) % 3) ? 1 + ((i * 7) % (vocab - 1)) : 0));
    const x = { data: ids, shape: [B, T] };
    const [y] = samples([{ shape: [B, 1] }], 23);
    const tfModel = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: vocab, outputDim: F, maskZero: true, inputLength: T }),
        tf.layers.gru({ units: U, recurrentDropout: rates.recurrent, dropoutFunc: masksFor(0, rates), recurrentActivation: 'sigmoid' }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const model = open(new Sequential(env().ctx, {
      layers: [layers.input({ shape: [T], dtype: 'int32' }), layers.embedding({ inputDim: vocab, outputDim: F, maskZero: true }),
        layers.gru({ units: U, recurrentDropout: rates.recurrent, seed: SEED, resetAfter: false }), layers.dense({ units: 1 })],
    }));
    model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    await expectOneStepParity(model, tfModel, x, y);
  });
});

describe('recurrent dropout', () => {
  it('bad rates are errors naming the layer; the config keeps the rate', () => {
    expect(() => layers.gru({ units: 2, recurrentDropout: 1, name: 'g1' })).toThrow(/GRU 'g1' recurrentDropout: rate must be a number in \[0, 1\)/);
    expect(() => layers.lstm({ units: 2, recurrentDropout: -0.1, name: 'l1' })).toThrow(/LSTM 'l1' recurrentDropout: rate must be a number in \[0, 1\)/);
    const model = open(new Sequential(env().ctx, { layers: [layers.input({ shape: [T, F] }), layers.simpleRNN({ units: 3, recurrentDropout: 0.25, name: 'rnn' })] }));
    expect(model.getLayer('rnn').getConfig().recurrent_dropout).toBe(0.25);
  });

  it('two layers of one seed draw the same masks, as in Keras; layers without a seed draw their own', async () => {
    for (const seeded of [true, false]) {
      const input = layers.input({ shape: [T, F] });
      const lstm = () => layers.lstm({ units: U, recurrentDropout: 0.5, ...(seeded ? { seed: SEED } : {}) }).apply(input) as SymbolicTensor;
      const model = open(new Model(env().ctx, { inputs: input, outputs: layers.concatenate().apply([lstm(), lstm()]) as SymbolicTensor }));
      const weights = await model.getWeights();
      model.setWeights([...weights.slice(0, 3), ...weights.slice(0, 3)]);
      // The same target for both halves: equal masks give equal updates.
      const [x, half] = samples([{ shape: [B, T, F] }, { shape: [B, U] }], 24);
      const y = { data: Float32Array.from({ length: B * 2 * U }, (_, i) => half.data[Math.floor(i / (2 * U)) * U + (i % U)]), shape: [B, 2 * U] };
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      await model.trainOnBatch(x, y);
      const after = await model.getWeights();
      const same = after.slice(0, 3).every((w, i) => w.every((v, k) => v === after[3 + i][k]));
      expect(same, seeded ? 'one seed: the same masks' : 'no seeds: masks of their own').toBe(seeded);
    }
  });
});
