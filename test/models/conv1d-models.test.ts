// Conv1D, MaxPooling1D and AveragePooling1D inside models, against TensorFlow.js (tfjs on its CPU
// backend, an independent implementation of Keras): each model is described once over a small builder
// and built in both, webrnn takes TensorFlow.js' initial weights in get_weights() order (which checks
// that order and every shape), then
//   - predict agrees within 1e-5 (absolute);
//   - one trainOnBatch with SGD (learning rate 0.5, so the update is large next to the tolerance) gives
//     the same weights within 1e-5: the whole backward pass, the convolution's input and weight
//     gradients and the poolings' included.
// Where TensorFlow.js cannot stand in as it is, its model computes the same function another way:
//   - its Conv1D has no 'causal' padding (conv1dWithBias throws): it pads the left of the sequence (a
//     weightless layer of tf.pad) and runs 'valid', which is what Keras' Conv1D does for 'causal';
//   - it has no gradient of a dilated convolution: a dilated Conv1D is its undilated Conv1D of
//     dilation (k - 1) + 1 taps whose kernel is zero between webrnn's taps; webrnn's kernel is the taps,
//     and after the SGD step the taps are compared (the zeros take a gradient too, which nothing else
//     reads within one step);
//   - its AveragePooling1D 'same' gradient divides by the whole window, padding included (AvgPoolGrad's
//     1 / (filter size), unlike its forward and TensorFlow, which count the real steps): it pads with
//     zeros, averages 'valid' and scales each output step by window / real steps.
// Its GRU has only reset_after = false, and Keras 2's sigmoid is given as the recurrent activation. Odd
// sizes and batches.
// Then: a model that learns with fit, the configs both ways (TensorFlow.js' modelFromJSON and toJSON,
// fromConfig of Keras 3 configs, .h5 / .keras / TensorFlow.js files), and the errors naming the layer.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fromConfig, layers, loadModel, Model, saveModel, Sequential, ShapeError, toConfig, type ArrayResult, type Layer, type SymbolicTensor,
} from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { expectSamePredictions, modelsForParity, samples } from '../helpers/tfjs-parity.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const { env, open } = modelsForParity();

const PREDICT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const LEARNING_RATE = 0.5;

/** TensorFlow.js' stand-in for Keras' causal padding: `steps` zero steps before a sequence [B, T, C]. */
class LeftPad extends tf.layers.Layer {
  static readonly className = 'LeftPad';
  constructor(private readonly steps: number) {
    super({});
  }
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, time, channels] = shape as tf.Shape;
    return [batch, time === null ? null : time + this.steps, channels];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.pad(x, [[0, 0], [this.steps, 0], [0, 0]]);
  }
}

/** TensorFlow.js' stand-in for Keras' AveragePooling1D 'same': zero padding as TensorFlow pads, 'valid' averages, each scaled by window / real steps. */
class SameAveragePool extends tf.layers.Layer {
  static readonly className = 'SameAveragePool';
  constructor(private readonly poolSize: number, private readonly strides: number) {
    super({});
  }
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, time, channels] = shape as tf.Shape;
    return [batch, time === null ? null : Math.ceil(time / this.strides), channels];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    const [batch, time, channels] = x.shape;
    const [p, s] = [this.poolSize, this.strides];
    const steps = Math.ceil(time / s);
    const total = Math.max((steps - 1) * s + p - time, 0);
    const left = Math.floor(total / 2);
    const padded = tf.pad(x, [[0, 0], [left, total - left], [0, 0]]).reshape([batch, time + total, 1, channels]) as tf.Tensor4D;
    const means = tf.avgPool(padded, [p, 1], [s, 1], 'valid').reshape([batch, steps, channels]);
    const real = Array.from({ length: steps }, (_, o) => Math.min(o * s + p, left + time) - Math.max(o * s, left));
    return tf.mul(means, tf.tensor(real.map((n) => p / n), [1, steps, 1]));
  }
}

/** TensorFlow.js layers standing in for dilated Conv1D kernels: layer name -> webrnn's taps and dilation. */
const DILATED = new Map<string, { kernelSize: number; dilation: number }>();

interface ConvOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'valid' | 'same' | 'causal';
  dilationRate?: number;
  activation?: 'linear' | 'relu' | 'tanh' | 'softmax';
  useBias?: boolean;
}
interface PoolOptions {
  poolSize?: number;
  strides?: number;
  padding?: 'valid' | 'same';
}
type Activation = 'linear' | 'tanh' | 'sigmoid' | 'softmax';

/** One vocabulary for building a model in either library. */
interface Builder<T> {
  input(shape: (number | null)[], name: string): T;
  conv1d(x: T, options: ConvOptions): T;
  pool(x: T, mode: 'max' | 'avg', options?: PoolOptions): T;
  gru(x: T, units: number): T;
  globalAveragePool(x: T): T;
  flatten(x: T): T;
  dense(x: T, units: number, activation?: Activation): T;
}

const webrnnBuilder: Builder<SymbolicTensor> = {
  input: (shape, name) => layers.input({ shape, name }),
  conv1d: (x, options) => layers.conv1d(options).apply(x) as SymbolicTensor,
  pool: (x, mode, options = {}) => (mode === 'max' ? layers.maxPooling1d(options) : layers.averagePooling1d(options)).apply(x) as SymbolicTensor,
  gru: (x, units) => layers.gru({ units, resetAfter: false }).apply(x) as SymbolicTensor,
  globalAveragePool: (x) => layers.globalAveragePooling1d().apply(x) as SymbolicTensor,
  flatten: (x) => layers.flatten().apply(x) as SymbolicTensor,
  dense: (x, units, activation) => layers.dense({ units, activation }).apply(x) as SymbolicTensor,
};

const tfjsBuilder: Builder<tf.SymbolicTensor> = {
  input: (shape, name) => tf.input({ shape, name }),
  conv1d: (x, { padding = 'valid', dilationRate = 1, ...options }) => {
    const span = dilationRate * (options.kernelSize - 1) + 1;
    const causal = padding === 'causal';
    const padded = causal ? (new LeftPad(span - 1).apply(x) as tf.SymbolicTensor) : x;
    const layer = tf.layers.conv1d({ ...options, kernelSize: span, padding: causal ? 'valid' : padding });
    if (dilationRate > 1) DILATED.set(layer.name, { kernelSize: options.kernelSize, dilation: dilationRate });
    return layer.apply(padded) as tf.SymbolicTensor;
  },
  pool: (x, mode, options = {}) => {
    if (mode === 'avg' && options.padding === 'same') return new SameAveragePool(options.poolSize ?? 2, options.strides ?? options.poolSize ?? 2).apply(x) as tf.SymbolicTensor;
    return (mode === 'max' ? tf.layers.maxPooling1d(options) : tf.layers.averagePooling1d(options)).apply(x) as tf.SymbolicTensor;
  },
  gru: (x, units) => tf.layers.gru({ units, recurrentActivation: 'sigmoid' }).apply(x) as tf.SymbolicTensor,
  globalAveragePool: (x) => tf.layers.globalAveragePooling1d().apply(x) as tf.SymbolicTensor,
  flatten: (x) => tf.layers.flatten().apply(x) as tf.SymbolicTensor,
  dense: (x, units, activation) => tf.layers.dense({ units, activation }).apply(x) as tf.SymbolicTensor,
};

type Loss = 'mse' | 'binary_crossentropy' | 'categorical_crossentropy';
const TFJS_LOSS: Record<Loss, string> = { mse: 'meanSquaredError', binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy' };

interface ParityCase {
  name: string;
  input: number[];
  batch: number;
  loss: Loss;
  /** The layers in order: the webrnn model is a Sequential. */
  sequential?: boolean;
  build<T>(b: Builder<T>, x: T): T;
}

const CASES: ParityCase[] = [
  {
    name: "Conv1D(6, k 3, causal, relu) -> MaxPooling1D(2) -> GRU(8) -> Dense(3), mse",
    input: [9, 4], batch: 7, loss: 'mse', sequential: true,
    build: (b, x) => b.dense(b.gru(b.pool(b.conv1d(x, { filters: 6, kernelSize: 3, padding: 'causal', activation: 'relu' }), 'max', { poolSize: 2 }), 8), 3),
  },
  {
    name: "Conv1D(5, k 4, same, strides 2, tanh) -> AveragePooling1D(3, strides 2, same) -> Flatten -> Dense(2), mse",
    input: [11, 3], batch: 5, loss: 'mse',
    build: (b, x) => b.dense(b.flatten(b.pool(b.conv1d(x, { filters: 5, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }), 'avg', { poolSize: 3, strides: 2, padding: 'same' })), 2),
  },
  {
    name: "Conv1D(4, k 3, dilation 2, causal, no bias) -> MaxPooling1D(3, strides 2, same) -> Conv1D(3, k 2, valid) -> GlobalAveragePooling1D -> Dense(1, sigmoid), binary cross-entropy",
    input: [10, 3], batch: 3, loss: 'binary_crossentropy',
    build: (b, x) => {
      const first = b.conv1d(x, { filters: 4, kernelSize: 3, dilationRate: 2, padding: 'causal', useBias: false });
      const pooled = b.pool(first, 'max', { poolSize: 3, strides: 2, padding: 'same' });
      return b.dense(b.globalAveragePool(b.conv1d(pooled, { filters: 3, kernelSize: 2 })), 1, 'sigmoid');
    },
  },
  {
    // A softmax Conv1D output: its logits go to the fused cross-entropy.
    name: 'AveragePooling1D(2, strides 1) -> Conv1D(3, k 2, valid, softmax) per step, categorical cross-entropy',
    input: [7, 4], batch: 3, loss: 'categorical_crossentropy', sequential: true,
    build: (b, x) => b.conv1d(b.pool(x, 'avg', { poolSize: 2, strides: 1 }), { filters: 3, kernelSize: 2, activation: 'softmax' }),
  },
];

/** Targets for a loss on an output of per-sample shape `shape`. */
function targets(loss: Loss, shape: number[], batch: number, seed: number): { data: Float32Array; shape: number[] } {
  const random = mulberry32(seed);
  const classes = shape[shape.length - 1];
  const rows = batch * shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (loss === 'categorical_crossentropy') {
    const data = new Float32Array(rows * classes);
    for (let r = 0; r < rows; r++) data[r * classes + Math.floor(random() * classes)] = 1;
    return { data, shape: [batch, ...shape] };
  }
  return { data: Float32Array.from({ length: rows * classes }, () => (loss === 'binary_crossentropy' ? Math.floor(random() * 2) : random() * 2 - 1)), shape: [batch, ...shape] };
}

/** The layers from a chain's input to `output`, in order (to build the same model as a Sequential). */
function chainOf(output: SymbolicTensor): Layer[] {
  const chain: Layer[] = [];
  for (let t: SymbolicTensor | undefined = output; t && t.node.inbound.length > 0; t = t.node.inbound[0]) chain.unshift(t.layer);
  return chain;
}

describe('Conv1D and 1-D pooling models against TensorFlow.js', () => {
  for (const c of CASES) {
    it(`${c.name}, batch ${c.batch}`, async () => {
      const tfInput = tfjsBuilder.input(c.input, 'x');
      const tfModel = tf.model({ inputs: tfInput, outputs: c.build(tfjsBuilder, tfInput) });
      const wInput = webrnnBuilder.input(c.input, 'x');
      const output = c.build(webrnnBuilder, wInput);
      const model = open(c.sequential ? new Sequential(env().ctx, [wInput, ...chainOf(output)]) : new Model(env().ctx, { inputs: wInput, outputs: output }));
      try {
        // The stand-ins for dilated kernels: their taps are webrnn's kernel, and zero elsewhere.
        const stand = tfModel.weights.map((w) => {
          const [layer, weight] = w.originalName.split('/');
          return weight === 'kernel' ? DILATED.get(layer) : undefined;
        });
        const taps = (w: tf.Tensor, i: number) => {
          const d = stand[i];
          return d ? tf.gather(w, Array.from({ length: d.kernelSize }, (_, j) => j * d.dilation)) : w;
        };
        tfModel.setWeights(tfModel.getWeights().map((w, i) => {
          const d = stand[i];
          if (!d) return w;
          const keep = tf.tensor(Array.from({ length: w.shape[0] }, (_, t) => (t % d.dilation === 0 ? 1 : 0)), [w.shape[0], 1, 1]);
          return tf.mul(w, keep);
        }));
        const tfWeights = tfModel.getWeights().map(taps);
        expect(model.weightSpecs.map((w) => w.shape)).toEqual(tfWeights.map((w) => w.shape));
        model.setWeights(tfWeights.map((w) => w.dataSync() as Float32Array));

        const [x] = samples([{ shape: [c.batch, ...c.input] }], 7 + c.batch);
        const tfX = tf.tensor(x.data, x.shape);
        const expected = tfModel.predict(tfX) as tf.Tensor;
        const actual = (await model.predict(x)) as ArrayResult;
        expect(actual.shape).toEqual(expected.shape);
        expectClose(actual.data, expected.dataSync(), PREDICT_TOLERANCE, `${c.name}: predict`);

        const y = targets(c.loss, expected.shape.slice(1), c.batch, 99 + c.batch);
        tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: TFJS_LOSS[c.loss] });
        await tfModel.trainOnBatch(tfX, tf.tensor(y.data, y.shape));
        model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: c.loss });
        await model.trainOnBatch(x, y);
        const trained = await model.getWeights();
        tfModel.getWeights().map(taps).forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `${c.name}: weight ${i} (${model.weightSpecs[i].name}) after one SGD step`));
      } finally {
        tfModel.dispose();
      }
    });
  }
});

describe('Conv1D models train', () => {
  it('Conv1D(causal) -> MaxPooling1D -> Conv1D(same) -> AveragePooling1D(same) -> Flatten -> Dense(sigmoid) learns with fit: is the mean of channel 0 positive', async () => {
    const [count, steps] = [192, 12];
    const random = mulberry32(5);
    const x = Float32Array.from(uniformArray(count * steps * 2, 1, random));
    const y = Float32Array.from({ length: count }, (_, n) => {
      let sum = 0;
      for (let t = 0; t < steps; t++) sum += x[(n * steps + t) * 2];
      return sum > 0 ? 1 : 0;
    });
    const model = open(new Sequential(env().ctx, {
      seed: 3,
      layers: [
        layers.input({ shape: [steps, 2] }),
        layers.conv1d({ filters: 8, kernelSize: 3, padding: 'causal', activation: 'relu' }),
        layers.maxPooling1d(),
        layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'tanh' }),
        layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        layers.flatten(),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    }));
    model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', learningRate: 0.02, metrics: ['accuracy'] });
    const history = await model.fit({ data: x, shape: [count, steps, 2] }, { data: y, shape: [count, 1] }, { epochs: 15, batchSize: 32 });
    const loss = history.history.loss;
    expect(loss.at(-1)!, `loss ${loss.map((l) => l.toFixed(3)).join(', ')}`).toBeLessThan(0.5 * loss[0]);
    expect(history.history.accuracy!.at(-1)).toBeGreaterThan(0.85);
  });
});

describe('Conv1D and 1-D pooling configs', () => {
  /** A model with every option that TensorFlow.js also has (not 'causal'). */
  function convnet(): Model {
    const x = layers.input({ shape: [null, 3], name: 'x' });
    const a = layers.conv1d({ filters: 5, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', name: 'conv_a' }).apply(x) as SymbolicTensor;
    const b = layers.maxPooling1d({ poolSize: 3, strides: 1, padding: 'same', name: 'max_pool' }).apply(a) as SymbolicTensor;
    const c = layers.conv1d({ filters: 4, kernelSize: [3], dilationRate: [2], useBias: false, name: 'conv_b', kernelInitializer: 'he_uniform' }).apply(b) as SymbolicTensor;
    const d = layers.averagePooling1d({ name: 'avg_pool' }).apply(c) as SymbolicTensor;
    const out = layers.dense({ units: 2, name: 'out' }).apply(layers.globalMaxPooling1d({ name: 'pool' }).apply(d) as SymbolicTensor) as SymbolicTensor;
    return open(new Model(env().ctx, { inputs: x, outputs: out, name: 'convnet', seed: 4 }));
  }
  const x = () => samples([{ shape: [3, 23, 3] }], 11);

  it('getConfig as Keras writes it; toConfig -> tf.models.modelFromJSON predicts the same; fromConfig reads it back', async () => {
    const model = convnet();
    expect(model.getLayer('conv_a').getConfig()).toMatchObject({
      filters: 5, kernel_size: [4], strides: [2], padding: 'same', data_format: 'channels_last', dilation_rate: [1], groups: 1, activation: 'relu', use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: {} }, bias_initializer: { class_name: 'Zeros', config: {} },
    });
    expect(model.getLayer('max_pool').getConfig()).toEqual({ name: 'max_pool', trainable: true, dtype: 'float32', pool_size: [3], padding: 'same', strides: [1], data_format: 'channels_last' });
    expect(model.getLayer('avg_pool').getConfig()).toMatchObject({ pool_size: [2], strides: [2], padding: 'valid' });
    expect(model.weightSpecs.map((w) => [w.name, w.shape])).toEqual([
      ['conv_a/kernel', [4, 3, 5]], ['conv_a/bias', [5]], ['conv_b/kernel', [3, 5, 4]], ['out/kernel', [4, 2]], ['out/bias', [2]],
    ]);
    const config = toConfig(model);
    const tfModel = await tf.models.modelFromJSON(structuredClone(config) as unknown as tf.io.ModelJSON);
    try {
      expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv1D', 'MaxPooling1D', 'Conv1D', 'AveragePooling1D', 'GlobalMaxPooling1D', 'Dense']);
      tfModel.setWeights((await model.getWeights()).map((w, i) => tf.tensor(w, model.weightSpecs[i].shape)));
      await expectSamePredictions(model, tfModel, x(), 'webrnn convnet in TensorFlow.js');
    } finally {
      tfModel.dispose();
    }
    const again = open(fromConfig(env().ctx, JSON.stringify(config)));
    expect(toConfig(again)).toEqual(config);
  });

  it('TensorFlow.js toJSON -> fromConfig, with its weights, predicts the same', async () => {
    const tfModel = tf.sequential({
      name: 'tfjs_convnet',
      layers: [
        tf.layers.conv1d({ inputShape: [13, 4], filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.averagePooling1d({ poolSize: 2, strides: 1, padding: 'valid' }),
        tf.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2 }),
        tf.layers.maxPooling1d({ poolSize: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    try {
      const model = open(fromConfig(env().ctx, tfModel.toJSON(null, false) as object));
      const weights = tfModel.getWeights();
      expect(model.weightSpecs.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
      model.setWeights(weights.map((w) => w.dataSync() as Float32Array));
      await expectSamePredictions(model, tfModel, samples([{ shape: [5, 13, 4] }], 3), 'TensorFlow.js convnet in webrnn');
    } finally {
      tfModel.dispose();
    }
  });

  it('a Keras 3 Sequential config: Conv1D causal with dilation, pooling with strides null; summary counts as Keras', () => {
    const DTYPE = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const k3 = (className: string, config: Record<string, unknown>) => ({ module: 'keras.layers', class_name: className, config, registered_name: null });
    const init = (className: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name: className, config, registered_name: null });
    const conv = (name: string, filters: number, kernel: number, options: Record<string, unknown>) => k3('Conv1D', {
      name, trainable: true, dtype: DTYPE, filters, kernel_size: [kernel], strides: [1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1],
      groups: 1, activation: 'linear', use_bias: true, kernel_initializer: init('GlorotUniform', { seed: null }), bias_initializer: init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null, ...options,
    });
    const config = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: {
        name: 'wavenet', trainable: true, dtype: DTYPE,
        layers: [
          k3('InputLayer', { batch_shape: [null, 16, 2], dtype: 'float32', sparse: false, name: 'input_layer' }),
          conv('causal', 8, 2, { padding: 'causal', dilation_rate: [4], activation: 'relu' }),
          k3('MaxPooling1D', { name: 'max', trainable: true, dtype: DTYPE, pool_size: [2], padding: 'valid', strides: null, data_format: 'channels_last' }),
          conv('same', 4, 3, { padding: 'SAME', strides: 2, kernel_size: 3, use_bias: false }),
          k3('AveragePooling1D', { name: 'avg', trainable: true, dtype: DTYPE, pool_size: 3, padding: 'same', strides: [2], data_format: null }),
        ],
      },
    };
    const model = open(fromConfig(env().ctx, config));
    const summary = model.summary(() => {});
    const row = (layer: string) => summary.split('\n').find((line) => line.startsWith(`${layer} (`))?.split(/\s{2,}/);
    // Output shapes: causal keeps 16 steps; pool 2 -> 8; same, strides 2 -> 4; avg 3, strides 2, same -> 2.
    expect(row('causal')?.slice(1)).toEqual(['(None, 16, 8)', (2 * 2 * 8 + 8).toString()]);
    expect(row('max')?.slice(1)).toEqual(['(None, 8, 8)', '0']);
    expect(row('same')?.slice(1)).toEqual(['(None, 4, 4)', (3 * 8 * 4).toString()]);
    expect(row('avg')?.slice(1)).toEqual(['(None, 2, 4)', '0']);
    expect(summary).toContain(`Total params: ${2 * 2 * 8 + 8 + 3 * 8 * 4}`);
    expect(model.getLayer('causal').getConfig()).toMatchObject({ padding: 'causal', dilation_rate: [4], kernel_size: [2] });
    expect(model.getLayer('same').getConfig()).toMatchObject({ padding: 'same', strides: [2], use_bias: false });
    expect(model.getLayer('max').getConfig()).toMatchObject({ pool_size: [2], strides: [2] });
  });

  it('.h5, .keras and TensorFlow.js files: saved and loaded back with the same weights and predictions', async () => {
    const model = convnet();
    const want = (await model.predict(x()[0])) as ArrayResult;
    const weights = await model.getWeights();
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-conv1d-'));
    try {
      for (const file of ['convnet.h5', 'convnet.keras'] as const) {
        const back = open(await loadModel(env().ctx, await saveModel(model, join(dir, file) as `${string}.h5`)));
        expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
        (await back.getWeights()).forEach((w, i) => expect(Array.from(w), `${file}: weight ${i}`).toEqual(Array.from(weights[i])));
        expectClose(((await back.predict(x()[0])) as ArrayResult).data, want.data, { atol: 0, rtol: 0 }, file);
      }
      const files = await saveModel(model);
      const back = open(await loadModel(env().ctx, { modelJson: files.modelJson, weights: { [files.shardName]: files.shard } }));
      expectClose(((await back.predict(x()[0])) as ArrayResult).data, want.data, { atol: 0, rtol: 0 }, 'TensorFlow.js files');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Conv1D and 1-D pooling errors name the layer', () => {
  const apply = (layer: Layer, shape: (number | null)[]) => () => layer.apply(layers.input({ shape }));

  it('wrong rank, an output shorter than one step', () => {
    expect(apply(layers.conv1d({ filters: 2, kernelSize: 3, name: 'c' }), [5])).toThrow(ShapeError);
    expect(apply(layers.conv1d({ filters: 2, kernelSize: 3, name: 'c' }), [5])).toThrow(/Conv1D 'c': takes sequences of shape \[steps, channels\], got \[5\]/);
    expect(apply(layers.maxPooling1d({ name: 'p' }), [4, 3, 2])).toThrow(/MaxPooling1D 'p': takes sequences of shape \[steps, channels\], got \[4,3,2\]/);
    expect(apply(layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2, name: 'c' }), [4, 3]))
      .toThrow(/Conv1D 'c': its input of 4 steps \(shape \[4,3\]\) is shorter than one window \(kernelSize 3, dilationRate 2: 5 steps\), so padding 'valid' leaves no output step/);
    expect(apply(layers.averagePooling1d({ poolSize: 4, name: 'a' }), [3, 2]))
      .toThrow(/AveragePooling1D 'a': its input of 3 steps \(shape \[3,2\]\) is shorter than one window \(poolSize 4\), so padding 'valid' leaves no output step/);
    // 'same' and 'causal' always leave ceil(T / strides) steps.
    expect((layers.conv1d({ filters: 2, kernelSize: 5, padding: 'causal' }).apply(layers.input({ shape: [2, 3] })) as SymbolicTensor).shape).toEqual([2, 2]);
    expect((layers.averagePooling1d({ poolSize: 4, padding: 'same' }).apply(layers.input({ shape: [3, 2] })) as SymbolicTensor).shape).toEqual([1, 2]);
  });

  it('a sequence of unknown length too short for the window, at predict', async () => {
    const model = open(new Sequential(env().ctx, [layers.input({ shape: [null, 2] }), layers.conv1d({ filters: 2, kernelSize: 4, name: 'short' })]));
    await expect(model.predict({ data: new Float32Array(3 * 2 * 2), shape: [2, 3, 2] })).rejects.toThrow(/Conv1D 'short': its input of 3 steps \(shape \[3,2\]\) is shorter than one window/);
    expect(((await model.predict({ data: new Float32Array(2 * 4 * 2), shape: [2, 4, 2] })) as ArrayResult).shape).toEqual([2, 1, 2]);
  });

  it('options Keras refuses or webrnn does not have', () => {
    const conv = (options: object) => () => layers.conv1d({ filters: 2, kernelSize: 3, name: 'c', ...options });
    expect(conv({ dataFormat: 'channels_first' })).toThrow(/Conv1D 'c': dataFormat "channels_first" is not supported: webrnn's sequences are channels_last \[steps, channels\]/);
    expect(conv({ groups: 2 })).toThrow(/Conv1D 'c': groups 2 is not supported/);
    expect(conv({ strides: 2, dilationRate: 2 })).toThrow(/Conv1D 'c': strides > 1 together with dilationRate > 1 is not supported \(Keras refuses it too\)/);
    expect(conv({ padding: 'full' })).toThrow(/Conv1D 'c': padding must be one of 'valid', 'same', 'causal', got "full"/);
    expect(conv({ kernelSize: [3, 3] })).toThrow(/Conv1D 'c': kernelSize must be a positive integer \(or a list of one\), got \[3,3\]/);
    expect(conv({ filters: 0 })).toThrow(/Conv1D 'c': filters must be a positive integer, got 0/);
    expect(conv({ activation: 'swishy' })).toThrow(/Conv1D 'c': unknown activation 'swishy'/);
    expect(() => layers.maxPooling1d({ padding: 'causal' as never, name: 'p' })).toThrow(/MaxPooling1D 'p': padding must be 'valid' or 'same', got "causal"/);
    expect(() => layers.averagePooling1d({ dataFormat: 'channels_first', name: 'a' })).toThrow(/AveragePooling1D 'a': dataFormat "channels_first" is not supported/);
    expect(() => layers.maxPooling1d({ strides: 0, name: 'p' })).toThrow(/MaxPooling1D 'p': strides must be a positive integer/);
  });

  it('configs with what webrnn does not run exactly', () => {
    const build = (className: string, config: object) => () => fromConfig(env().ctx, {
      class_name: 'Sequential', keras_version: '2.15.0',
      config: { name: 's', layers: [{ class_name: className, config: { name: 'l', batch_input_shape: [null, 8, 3], ...config } }] },
    });
    const conv = { filters: 2, kernel_size: [3] };
    expect(build('Conv1D', { ...conv, data_format: 'channels_first' })).toThrow(/layer 0 'l' \(Conv1D\) of model 's': data_format "channels_first" is not supported/);
    expect(build('Conv1D', { ...conv, groups: 3 })).toThrow(/layer 0 'l' \(Conv1D\) of model 's': groups 3 is not supported/);
    expect(build('Conv1D', { ...conv, strides: [2], dilation_rate: [2] })).toThrow(/layer 0 'l' \(Conv1D\) of model 's': Conv1D 'l': strides > 1 together with dilationRate > 1/);
    expect(build('Conv1D', { ...conv, kernel_size: [3, 3] })).toThrow(/'kernel_size' must be a positive integer or a list of one \(a 1-D layer\), got \[3,3\]/);
    expect(build('Conv1D', { filters: 2 })).toThrow(/the config has no 'kernel_size'/);
    expect(build('Conv1D', { ...conv, padding: 'full' })).toThrow(/'padding' must be one of 'valid', 'same', 'causal', got "full"/);
    expect(build('Conv1D', { ...conv, lora_rank: 4 })).toThrow(/LoRA \(lora_rank 4\) is not supported/);
    expect(build('MaxPooling1D', { pool_size: [2], padding: 'causal' })).toThrow(/layer 0 'l' \(MaxPooling1D\) of model 's': 'padding' must be one of 'valid', 'same', got "causal"/);
    expect(build('AveragePooling1D', { pool_size: [9] })).toThrow(/AveragePooling1D 'l': its input of 8 steps \(shape \[8,3\]\) is shorter than one window \(poolSize 9\)/);
  });
});
