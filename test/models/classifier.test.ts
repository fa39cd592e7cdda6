// Many-to-one classifiers trained on the GPU with Keras' losses and metrics: 'accuracy' in the history
// as Keras reports it (binary / sparse categorical from the loss), evaluate's accuracy equal to the one
// computed on the host from predict's outputs (exactly: the same f32 outputs and thresholds), and
// predictClasses (argmax on the GPU) equal to the host's argmax / threshold of predict.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, Sequential, ShapeError, type ArrayResult, type ClassResult } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32 } from '../reference/random.js';

/** Sequences of `steps` tokens in [1, vocab); label 1 when token 1 occurs (binary), or the first token mod 3. */
function tokenTask(count: number, steps: number, vocab: number, seed: number) {
  const random = mulberry32(seed);
  const x = new Float32Array(count * steps);
  const binary = new Float32Array(count);
  const classes = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < steps; t++) x[n * steps + t] = 1 + Math.floor(random() * (vocab - 1));
    binary[n] = x.subarray(n * steps, (n + 1) * steps).includes(1) ? 1 : 0;
    classes[n] = x[n * steps] % 3;
  }
  return { x: { data: x, shape: [count, steps] }, binary: { data: binary, shape: [count, 1] }, classes: { data: classes, shape: [count] } };
}

describe('classifiers: losses, accuracy, class predictions', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: { dispose(): void }[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('binary: Embedding -> GRU -> Dense(1, sigmoid) learns, history has accuracy, evaluate and predictClasses agree with predict', async () => {
    const { x, binary } = tokenTask(256, 7, 9, 1);
    const model = new Sequential(env.ctx, [
      layers.input({ shape: [7] }), layers.embedding({ inputDim: 9, outputDim: 8 }), layers.gru({ units: 16 }), layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    models.push(model);
    model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', learningRate: 0.01, metrics: ['accuracy'] });
    const history = await model.fit(x, binary, { epochs: 12, batchSize: 32, validationSplit: 0.25 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.history.accuracy!.every((a) => a >= 0 && a <= 1)).toBe(true);
    expect(history.history.accuracy!.at(-1)).toBeGreaterThan(0.9);
    const probabilities = (await model.predict(x)) as ArrayResult;
    const host = Array.from(probabilities.data, (p) => (p > 0.5 ? 1 : 0));
    const hostAccuracy = host.filter((c, i) => c === binary.data[i]).length / host.length;
    const evaluated = await model.evaluateWithMetrics(x, binary);
    expect(evaluated.accuracy).toBeCloseTo(hostAccuracy, 6);
    const classes = (await model.predictClasses(x)) as ClassResult;
    expect(classes.shape).toEqual([256]);
    expect(Array.from(classes.data)).toEqual(host);
  });

  it('categorical: LSTM -> Dense(3, softmax), sparse targets: accuracy and GPU argmax agree with the host', async () => {
    const { x, classes } = tokenTask(200, 5, 7, 2);
    const model = new Sequential(env.ctx, [
      layers.input({ shape: [5] }), layers.embedding({ inputDim: 7, outputDim: 6 }), layers.lstm({ units: 12 }), layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    models.push(model);
    model.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'adam', learningRate: 0.02, metrics: ['accuracy'] });
    const history = await model.fit(x, classes, { epochs: 10, batchSize: 25 });
    expect(history.history.accuracy!.at(-1)).toBeGreaterThan(0.9);
    const probabilities = (await model.predict(x)) as ArrayResult;
    const host = Array.from({ length: 200 }, (_, n) => {
      const row = Array.from(probabilities.data.subarray(n * 3, n * 3 + 3));
      return row.indexOf(Math.max(...row));
    });
    const evaluated = await model.evaluateWithMetrics(x, classes, { batchSize: 64 });
    expect(evaluated.accuracy).toBeCloseTo(host.filter((c, i) => c === classes.data[i]).length / 200, 6);
    expect(Array.from(((await model.predictClasses(x)) as ClassResult).data)).toEqual(host);
  });

  it('metrics that do not fit the loss, unknown losses and metrics are clear errors', () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [4, 2] }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })]);
    models.push(model);
    expect(() => model.compile({ loss: 'mse', metrics: ['accuracy'] })).toThrow(/metric 'accuracy' on output 'dense(_\d+)?' needs a classification loss, not 'mse'/);
    expect(() => model.compile({ loss: 'hinge' as 'mse' })).toThrow(ShapeError);
    expect(() => model.compile({ loss: 'mse', metrics: ['auc'] })).toThrow(/unknown metric 'auc'/);
    expect(() => model.compile({ loss: 'sparse_categorical_crossentropy' })).toThrow(/1 value per row; use binary_crossentropy/);
  });
});
