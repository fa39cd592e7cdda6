// Stateful recurrent layers (Keras' stateful = True) against TensorFlow.js' stateful layers with the same
// weights: the final states of one batch are the initial states of the next, in predict and in training,
// for chunks of any length (one step at a time: streaming); resetStates() starts afresh. Predictions
// within 1e-5 (absolute); weights after one SGD step (learning rate 0.5) within 1e-5: the gradient stops
// at the batch (truncated backpropagation through time), as in Keras.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromConfig, layers, Model, Sequential, toConfig, type ArrayResult, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { modelsForParity, PREDICT_TOLERANCE, samples } from '../helpers/tfjs-parity.js';

const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const LEARNING_RATE = 0.5;
const BATCH = 3;
const FEATURES = 2;

const { env, open } = modelsForParity();

type Cell = 'lstm' | 'gru' | 'simpleRNN';

/** Stateful cell(units 5, returnSequences) -> Dense(2), in both libraries, with tfjs' weights in webrnn. */
function models(cell: Cell): { model: Model; tfModel: tf.LayersModel } {
  const gates = cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' as const };
  const tfModel = tf.sequential({
    layers: [
      tf.layers[cell]({ units: 5, stateful: true, returnSequences: true, batchInputShape: [BATCH, null, FEATURES], ...gates }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const options = { units: 5, stateful: true, returnSequences: true, ...(cell === 'gru' ? { resetAfter: false } : {}) };
  const model = open(new Sequential(env().ctx, { layers: [layers.input({ shape: [null, FEATURES] }), layers[cell](options), layers.dense({ units: 2 })] }));
  model.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
  return { model, tfModel };
}

async function expectSamePredict(model: Model, tfModel: tf.LayersModel, steps: number, seed: number, what: string): Promise<void> {
  const [x] = samples([{ shape: [BATCH, steps, FEATURES] }], seed);
  const expected = (tfModel.predict(tf.tensor(x.data, x.shape), { batchSize: BATCH }) as tf.Tensor).dataSync();
  expectClose(((await model.predict(x, { batchSize: BATCH })) as ArrayResult).data, expected, PREDICT_TOLERANCE, what);
}

describe('stateful recurrent layers against TensorFlow.js', () => {
  for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
    it(`${cell}: chunks of 4, 1 (a step at a time), 1 and 6 steps continue one sequence; resetStates starts afresh`, async () => {
      const { model, tfModel } = models(cell);
      await expectSamePredict(model, tfModel, 4, 1, 'first chunk');
      await expectSamePredict(model, tfModel, 1, 2, 'a step');
      await expectSamePredict(model, tfModel, 1, 3, 'another step');
      await expectSamePredict(model, tfModel, 6, 4, 'a longer chunk');
      model.resetStates();
      tfModel.resetStates();
      await expectSamePredict(model, tfModel, 4, 1, 'first chunk after resetStates');
    });
  }

  it('training continues from the carried states, and the gradient stops at the batch', async () => {
    const { model, tfModel } = models('lstm');
    await expectSamePredict(model, tfModel, 3, 5, 'before training');
    const [x, y] = samples([{ shape: [BATCH, 4, FEATURES] }, { shape: [BATCH, 4, 2] }], 6);
    tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError' });
    await tfModel.trainOnBatch(tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape));
    model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
    await model.trainOnBatch(x, y);
    const trained = await model.getWeights();
    tfModel.getWeights().forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `weight ${i} after one SGD step`));
    await expectSamePredict(model, tfModel, 2, 7, 'after training');
  });
});

describe('stateful recurrent layers', () => {
  it('a warm-up leaves the carried states as they are; a model without stateful layers ignores resetStates', async () => {
    const { model, tfModel } = models('gru');
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await expectSamePredict(model, tfModel, 3, 8, 'first chunk');
    await model.warmUp({ batchSize: BATCH });
    await expectSamePredict(model, tfModel, 2, 9, 'after a warm-up');
    const plain = open(new Sequential(env().ctx, { layers: [layers.input({ shape: [null, FEATURES] }), layers.lstm({ units: 2 })] }));
    plain.resetStates();
  });

  it('Bidirectional: each direction carries its own states, as a stateful LSTM and a stateful goBackwards LSTM side by side do', async () => {
    const input = layers.input({ shape: [null, FEATURES] });
    const wrapped = open(new Model(env().ctx, {
      inputs: input, outputs: layers.bidirectional({ layer: layers.lstm({ units: 4, stateful: true, batchSize: BATCH }) }).apply(input) as SymbolicTensor,
    }));
    const twoInput = layers.input({ shape: [null, FEATURES] });
    const sideBySide = open(new Model(env().ctx, {
      inputs: twoInput,
      outputs: layers.concatenate().apply([
        layers.lstm({ units: 4, stateful: true }).apply(twoInput) as SymbolicTensor,
        layers.lstm({ units: 4, stateful: true, goBackwards: true }).apply(twoInput) as SymbolicTensor,
      ]) as SymbolicTensor,
    }));
    sideBySide.setWeights(await wrapped.getWeights());
    const chunk = async (steps: number, seed: number, what: string) => {
      const [x] = samples([{ shape: [BATCH, steps, FEATURES] }], seed);
      const [a, b] = [await wrapped.predict(x), await sideBySide.predict(x)] as ArrayResult[];
      expectClose(a.data, b.data, { atol: 1e-6, rtol: 0 }, what);
      return a.data;
    };
    const first = await chunk(3, 20, 'first chunk');
    const second = await chunk(1, 21, 'a step');
    await chunk(4, 22, 'a longer chunk');
    expect(Array.from(second)).not.toEqual(Array.from(first));
    wrapped.resetStates();
    sideBySide.resetStates();
    expectClose(await chunk(3, 20, 'after resetStates'), first, { atol: 0, rtol: 0 }, 'resetStates starts afresh');
  });

  it('another batch size, initialState and batchSize without stateful are errors naming the layer; configs keep stateful', async () => {
    const { model } = models('lstm');
    const [x] = samples([{ shape: [BATCH + 1, 2, FEATURES] }], 10);
    await model.predict(samples([{ shape: [BATCH, 2, FEATURES] }], 11)[0], { batchSize: BATCH });
    await expect(model.predict(x, { batchSize: BATCH + 1 })).rejects.toThrow(/stateful LSTM '\w+': keeps the states of 3 sequences, got a batch of 4/);
    expect(() => layers.lstm({ units: 2, batchSize: 4, name: 'plain' })).toThrow(/LSTM 'plain': batchSize is for stateful layers/);
    const input = layers.input({ shape: [null, 2] });
    const [, h, c] = layers.lstm({ units: 2, returnState: true }).apply(input) as SymbolicTensor[];
    const stateful = layers.lstm({ units: 2, stateful: true, name: 'carrier' }).apply(input, { initialState: [h, c] }) as SymbolicTensor;
    const withStates = open(new Model(env().ctx, { inputs: input, outputs: stateful }));
    await expect(withStates.predict(samples([{ shape: [2, 3, 2] }], 12)[0])).rejects.toThrow(/stateful LSTM 'carrier': takes no initialState/);

    const config = toConfig(model) as unknown as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    expect(config.config.layers.find((l) => l.class_name === 'LSTM')!.config.stateful).toBe(true);
    // A Keras 2 config: the batch from batch_input_shape.
    const keras = open(fromConfig(env().ctx, {
      class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
      config: { name: 's', layers: [{ class_name: 'GRU', config: { name: 'gru', units: 3, stateful: true, batch_input_shape: [2, null, 2] } }] },
    }));
    await expect(keras.predict(samples([{ shape: [3, 2, 2] }], 13)[0])).rejects.toThrow(/stateful GRU 'gru': keeps the states of 2 sequences, got a batch of 3/);
  });
});
