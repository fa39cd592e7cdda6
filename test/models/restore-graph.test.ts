// restore() of the Keras-style models: a Sequential or functional Model is rebuilt from its own config
// (toConfig, then fromConfig) and its last checkpoint, on the same context here: the weights come back
// bit for bit, predict gives what the original gives, the copy trains on, and disposing both leaves no
// buffer behind. A model read from a config with training-only settings refuses training after
// restore() as before (even when the setting, a regularizer, is not in the config toConfig writes).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromConfig, layers, Model, Sequential, toConfig, type ArrayResult, type SymbolicTensor } from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

let env: Awaited<ReturnType<typeof gpu>>;
beforeAll(async () => {
  env = await gpu();
});
const opened: Model[] = [];
afterAll(() => opened.forEach((m) => m.dispose()));

const tokens = (count: number, steps: number, vocab: number, seed: number) => {
  const random = mulberry32(seed);
  return { data: Float32Array.from({ length: count * steps }, () => Math.floor(random() * vocab)), shape: [count, steps] };
};
const uniform = (shape: number[], seed: number) =>
  ({ data: Float32Array.from(uniformArray(shape.reduce((a, b) => a * b, 1), 1, mulberry32(seed))), shape });

describe('restore() of Sequential and Model', () => {
  it('Sequential Embedding -> GRU -> Dense(sigmoid) with metrics: checkpoint weights, the same predictions, trains on', async () => {
    const buffersBefore = env.ctx.liveBuffers;
    const model = new Sequential(env.ctx, {
      name: 'sentiment', seed: 4,
      layers: [
        layers.input({ shape: [7] }),
        layers.embedding({ inputDim: 13, outputDim: 5 }),
        layers.gru({ units: 6 }),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const x = tokens(10, 7, 13, 1);
    const y = { data: Float32Array.from({ length: 10 }, (_, i) => i % 2), shape: [10, 1] };
    model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', learningRate: 0.02, metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 2, batchSize: 4 }); // 6 steps
    const checkpoint = await model.checkpoint();
    expect(checkpoint.iterations).toBe(6);

    const restored = await model.restore(env.ctx);
    expect(restored).toBeInstanceOf(Sequential);
    expect(restored).not.toBe(model);
    expect(restored.name).toBe('sentiment');
    expect(toConfig(restored)).toEqual(toConfig(model));
    expect(sameBits(await restored.getWeights(), checkpoint.weights)).toBe(true);
    expect(restored.optimizer).toMatchObject({ name: 'adam', learningRate: 0.02 });
    const expected = (await model.predict(x)) as ArrayResult;
    const actual = (await restored.predict(x)) as ArrayResult;
    expect(actual.shape).toEqual(expected.shape);
    expect(sameBits([actual.data], [expected.data])).toBe(true);

    const history = await restored.fit(x, y, { epochs: 2, batchSize: 4 });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(history.history.accuracy).toHaveLength(2);
    expect(sameBits(await restored.getWeights(), checkpoint.weights)).toBe(false);
    expect(sameBits(await model.getWeights(), checkpoint.weights)).toBe(true); // the original is left as it was

    model.dispose();
    restored.dispose();
    expect(env.ctx.liveBuffers).toBe(buffersBefore);
  });

  it('functional Model: two inputs, a shared Dense, Add', async () => {
    const a = layers.input({ shape: [null, 3], name: 'a' });
    const b = layers.input({ shape: [4], name: 'b' });
    const encoded = layers.lstm({ units: 4 }).apply(a) as SymbolicTensor;
    const shared = layers.dense({ units: 4, activation: 'tanh' });
    const sum = layers.add().apply([shared.apply(encoded), shared.apply(b)] as SymbolicTensor[]) as SymbolicTensor;
    const out = layers.dense({ units: 2 }).apply(sum) as SymbolicTensor;
    const model = new Model(env.ctx, { inputs: [a, b], outputs: out, name: 'two_inputs', seed: 8 });
    opened.push(model);
    const x = [uniform([5, 6, 3], 2), uniform([5, 4], 3)];
    model.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 0.1 });
    await model.fit(x, uniform([5, 2], 4), { epochs: 1, batchSize: 5 });
    const checkpoint = await model.checkpoint();
    const restored = await model.restore(env.ctx);
    opened.push(restored);
    expect(restored).toBeInstanceOf(Model);
    expect(restored).not.toBeInstanceOf(Sequential);
    expect(toConfig(restored)).toEqual(toConfig(model));
    expect(sameBits(await restored.getWeights(), checkpoint.weights)).toBe(true);
    const expected = (await model.predict(x)) as ArrayResult;
    const actual = (await restored.predict(x)) as ArrayResult;
    expect(sameBits([actual.data], [expected.data])).toBe(true);
  });

  it('a config with training-only settings refuses training after restore() as before; ignoreTrainingOnlySettings carries over', async () => {
    const config = {
      class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
      config: {
        name: 'regularized',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 2], dtype: 'float32', name: 'x' } },
          { class_name: 'LSTM', config: { name: 'lstm', units: 3, kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } } } },
          { class_name: 'Dropout', config: { name: 'dropout', rate: 0.5 } },
          { class_name: 'Dense', config: { name: 'dense', units: 1 } },
        ],
      },
    };
    const x = uniform([3, 4, 2], 5);
    const y = uniform([3, 1], 6);
    const refused = fromConfig(env.ctx, config);
    opened.push(refused);
    refused.compile({ loss: 'mse' });
    await refused.checkpoint();
    const restoredRefused = await refused.restore(env.ctx);
    opened.push(restoredRefused);
    await expect(restoredRefused.trainOnBatch(x, y)).rejects.toThrow(/layer 1 'lstm' \(LSTM\): kernel_regularizer L2\. It predicts/); // not the Dropout layer: webrnn trains it
    await expect(restoredRefused.warmUp({ batchSize: 3 })).rejects.toThrow(/^warmUp: model 'regularized' was read from a config/);
    expect(Number.isFinite(await restoredRefused.evaluate(x, y))).toBe(true);

    const allowed = fromConfig(env.ctx, config, { ignoreTrainingOnlySettings: true });
    opened.push(allowed);
    allowed.compile({ loss: 'mse' });
    await allowed.checkpoint();
    const restoredAllowed = await allowed.restore(env.ctx);
    opened.push(restoredAllowed);
    await restoredAllowed.trainOnBatch(x, y);
    expect(Number.isFinite(await restoredAllowed.readLoss())).toBe(true);
  });
});
