// convertLegacyWeights (src/io/legacy-weights.ts): legacy Keras weight layouts into Keras 2's.
//   - Keras-layout weights are drawn at random (odd sizes), the Keras 1 per-gate and cuDNN layouts are
//     made from them here with index arithmetic written from the layouts' definitions (not by calling
//     the converter), and the converter must give the Keras weights back exactly;
//   - a tiny cuDNN case is checked against values numpy computed with tf-keras' own transforms;
//   - incompatible GRU variants and counts / shapes that fit nothing are ModelFormatErrors naming both;
//   - end to end: a Keras 1 Sequential config (LSTM -> GRU -> Dense) with its per-gate weights converted,
//     loaded by fromConfig + setWeights, predicts within 1e-5 of TensorFlow.js built from the equivalent
//     Keras 2 config with the Keras 2 weights; the same for CuDNNLSTM weights in cuDNN's layout.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/gpu/errors.js';
import { convertLegacyWeights, type StoredWeight } from '../../src/io/legacy-weights.js';
import { fromConfig, type Model } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { modelsForParity, PREDICT_TOLERANCE } from '../helpers/tfjs-parity.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const random = mulberry32(11);
const rand = (n: number, a = 1) => Float32Array.from(uniformArray(n, a, random));
/** Values k / 64: sums of two are exact in float32, so a summed bias can be compared bit for bit. */
const dyadic = (n: number) => Float32Array.from({ length: n }, () => Math.round((random() * 2 - 1) * 64) / 64 + 0); // + 0: no -0
const w = (name: string, shape: number[], values: Float32Array): StoredWeight => ({ name, shape, values });
const spec = (ws: readonly StoredWeight[]) => ws.map(({ name, shape }) => ({ name, shape }));

/** Keras 2 weights of a gated layer: kernel [input, gates * units], recurrent_kernel [units, gates * units], bias. */
function kerasWeights(input: number, units: number, gates: number, biasShape: number[]): StoredWeight[] {
  const cols = gates * units;
  return [
    w('kernel', [input, cols], rand(input * cols)),
    w('recurrent_kernel', [units, cols], rand(units * cols)),
    w('bias', biasShape, dyadic(biasShape.reduce((a, b) => a * b, 1))),
  ];
}

/** Columns [g * units, (g + 1) * units) of a [rows, gates * units] matrix, as [rows, units]. */
function gateBlock(m: StoredWeight, g: number, units: number): Float32Array {
  const rows = m.shape.length === 2 ? m.shape[0] : 1;
  const cols = m.shape[m.shape.length - 1];
  const out = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) for (let j = 0; j < units; j++) out[r * units + j] = m.values[r * cols + g * units + j];
  return out;
}

/** Keras 1's per-gate weights: W, U, b of each gate in `fileGates` order; `kerasIndex` is each one's gate in Keras 2's order. */
function keras1Weights(layer: string, keras: StoredWeight[], units: number, fileGates: string[], kerasIndex: number[]): StoredWeight[] {
  const [kernel, recurrent, bias] = keras;
  return fileGates.flatMap((gate, i) => [
    w(`${layer}_W_${gate}`, [kernel.shape[0], units], gateBlock(kernel, kerasIndex[i], units)),
    w(`${layer}_U_${gate}`, [units, units], gateBlock(recurrent, kerasIndex[i], units)),
    w(`${layer}_b_${gate}`, [units], gateBlock(bias, kerasIndex[i], units)),
  ]);
}

/**
 * cuDNN's input kernel: gate g's block, read row by row, is cuDNN's matrix W_g^T [units, input] row by
 * row, where W_g [input, units] is the gate's Keras kernel. Recurrent blocks hold R_g^T.
 */
function cudnnKernels(keras: StoredWeight[], units: number, gates: number): [Float32Array, Float32Array] {
  const [kernel, recurrent] = keras;
  const input = kernel.shape[0];
  const cols = gates * units;
  const k = new Float32Array(input * cols);
  const r = new Float32Array(units * cols);
  for (let g = 0; g < gates; g++) {
    // The block's m-th element in row-major order sits at row m / units, column m % units of the block.
    const put = (into: Float32Array, m: number, value: number) => { into[Math.floor(m / units) * cols + g * units + (m % units)] = value; };
    for (let out = 0; out < units; out++) {
      for (let i = 0; i < input; i++) put(k, out * input + i, kernel.values[i * cols + g * units + out]);
      for (let i = 0; i < units; i++) put(r, out * units + i, recurrent.values[i * cols + g * units + out]);
    }
  }
  return [k, r];
}

const values = (ws: readonly StoredWeight[]) => ws.map((x) => x.values);

describe('convertLegacyWeights: layouts', () => {
  const input = 5;
  const units = 7;

  it("Keras 1 LSTM's 12 per-gate weights (i, c, f, o) -> kernel, recurrent_kernel, bias (i, f, c, o)", () => {
    const keras = kerasWeights(input, units, 4, [4 * units]);
    const stored = keras1Weights('lstm_1', keras, units, ['i', 'c', 'f', 'o'], [0, 2, 1, 3]);
    expect(stored).toHaveLength(12);
    expect(convertLegacyWeights('LSTM', stored, spec(keras), '1', 'model.h5: layer lstm_1')).toEqual(values(keras));
  });

  it("Keras 1 GRU's 9 per-gate weights (z, r, h) -> GRU(reset_after = false)", () => {
    const keras = kerasWeights(input, units, 3, [3 * units]);
    const stored = keras1Weights('gru_1', keras, units, ['z', 'r', 'h'], [0, 1, 2]);
    expect(convertLegacyWeights('GRU', stored, spec(keras), '1.2.2', 'model.h5: layer gru_1')).toEqual(values(keras));
  });

  it('CuDNNLSTM: per-gate cuDNN kernels, input + recurrent biases [8u] -> LSTM with their sum', () => {
    const keras = kerasWeights(input, units, 4, [4 * units]);
    const [k, r] = cudnnKernels(keras, units, 4);
    const inputBias = dyadic(4 * units);
    const recurrentBias = Float32Array.from(keras[2].values, (b, j) => b - inputBias[j]); // exact: both are multiples of 1/64
    const stored = [w('kernel', [input, 4 * units], k), w('recurrent_kernel', [units, 4 * units], r), w('bias', [8 * units], Float32Array.from([...inputBias, ...recurrentBias]))];
    expect(convertLegacyWeights('CuDNNLSTM', stored, spec(keras), '2.2.4', 'w')).toEqual(values(keras));
  });

  it('CuDNNGRU: per-gate cuDNN kernels, bias [6u] -> GRU(reset_after = true), bias [2, 3u]', () => {
    const keras = kerasWeights(input, units, 3, [2, 3 * units]);
    const [k, r] = cudnnKernels(keras, units, 3);
    const stored = [w('kernel', [input, 3 * units], k), w('recurrent_kernel', [units, 3 * units], r), w('bias', [6 * units], keras[2].values.slice())];
    expect(convertLegacyWeights('CuDNNGRU', stored, spec(keras), '2.1.6-tf', 'w')).toEqual(values(keras));
  });

  it("matches numpy running tf-keras' transforms (kernel.T.reshape(shape, order='C') per gate, recurrent .T per gate)", () => {
    // python: K = arange(24).reshape(2, 12); R = arange(36).reshape(3, 12), to cuDNN with from_cudnn=False.
    const k = [0, 12, 1, 3, 15, 4, 6, 18, 7, 9, 21, 10, 13, 2, 14, 16, 5, 17, 19, 8, 20, 22, 11, 23];
    const r = [0, 12, 24, 3, 15, 27, 6, 18, 30, 9, 21, 33, 1, 13, 25, 4, 16, 28, 7, 19, 31, 10, 22, 34, 2, 14, 26, 5, 17, 29, 8, 20, 32, 11, 23, 35];
    const stored = [w('kernel', [2, 12], Float32Array.from(k)), w('recurrent_kernel', [3, 12], Float32Array.from(r)), w('bias', [24], new Float32Array(24))];
    const [kernel, recurrent] = convertLegacyWeights('CuDNNLSTM', stored, [{ name: 'kernel', shape: [2, 12] }, { name: 'recurrent_kernel', shape: [3, 12] }, { name: 'bias', shape: [12] }], '2', 'w');
    expect([...kernel]).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect([...recurrent]).toEqual(Array.from({ length: 36 }, (_, i) => i));
  });

  it('weights that already match pass through: Dense, LSTM, both GRU variants, an LSTM without bias', () => {
    const cases: [string, StoredWeight[]][] = [
      ['Dense', [w('kernel', [input, 3], rand(15)), w('bias', [3], rand(3))]],
      ['LSTM', kerasWeights(input, units, 4, [4 * units])],
      ['CuDNNLSTM', kerasWeights(input, units, 4, [4 * units])],
      ['GRU', kerasWeights(input, units, 3, [3 * units])],
      ['GRU', kerasWeights(input, units, 3, [2, 3 * units])],
      ['LSTM', kerasWeights(input, units, 4, [4 * units]).slice(0, 2)],
      ['Embedding', [w('embeddings', [11, 4], rand(44))]],
    ];
    for (const [cls, keras] of cases) expect(convertLegacyWeights(cls, keras, spec(keras), '2.15.0', 'w'), cls).toEqual(values(keras));
  });

  it('GRU variants that compute differently are an error saying they are incompatible', () => {
    const after = kerasWeights(input, units, 3, [2, 3 * units]);
    const before = kerasWeights(input, units, 3, [3 * units]);
    expect(() => convertLegacyWeights('GRU', after, spec(before), '2.15.0', 'm.h5: layer gru'))
      .toThrow(/^m\.h5: layer gru: the file's weights are GRU\(reset_after=True\)'s \(bias 'bias' \[2, 21\]\), the layer is GRU\(reset_after=False\) \(bias 'bias' \[21\]\): they are not compatible/);
    expect(() => convertLegacyWeights('GRU', before, spec(after), '2.15.0', 'm.h5: layer gru')).toThrow(ModelFormatError);
    expect(() => convertLegacyWeights('GRU', before, spec(after), '2.15.0', 'm.h5: layer gru')).toThrow(/GRU\(reset_after=False\)'s .*not compatible.*reset_after false/);
    const cudnn = [after[0], after[1], w('bias', [6 * units], after[2].values)];
    expect(() => convertLegacyWeights('CuDNNGRU', cudnn, spec(before), '2.2.4', 'w')).toThrow(/CuDNNGRU's .* the layer is GRU\(reset_after=False\).*not compatible.*reset_after true/);
    const keras1 = keras1Weights('gru_1', before, units, ['z', 'r', 'h'], [0, 1, 2]);
    expect(() => convertLegacyWeights('GRU', keras1, spec(after), '1', 'w')).toThrow(/GRU\(reset_after=False\)'s .*not compatible/);
  });

  it('a count or shape that fits nothing is a ModelFormatError naming where, the weight and both shapes', () => {
    const keras = kerasWeights(input, units, 4, [4 * units]);
    const wrongBias = [keras[0], keras[1], w('lstm/bias', [5 * units], rand(5 * units))];
    expect(() => convertLegacyWeights('LSTM', wrongBias, spec(keras), '2.15.0', 'f.h5: layer lstm'))
      .toThrow(/^f\.h5: layer lstm: weight 'lstm\/bias' has shape \[35\], the layer's 'bias' is \[28\]$/);
    expect(() => convertLegacyWeights('LSTM', keras.slice(0, 2), spec(keras), '2.15.0', 'f.h5: layer lstm'))
      .toThrow(/^f\.h5: layer lstm: the file has 2 weights \('kernel' \[5, 28\], 'recurrent_kernel' \[7, 28\]; keras_version 2\.15\.0\), the layer expects 3 \('kernel' \[5, 28\], 'recurrent_kernel' \[7, 28\], 'bias' \[28\]\)$/);
    const perGate = keras1Weights('lstm_1', keras, units, ['i', 'c', 'f', 'o'], [0, 2, 1, 3]);
    perGate[4] = w('lstm_1_U_c', [units, units + 1], rand(units * (units + 1)));
    expect(() => convertLegacyWeights('LSTM', perGate, spec(keras), '1', 'f.h5: layer lstm_1'))
      .toThrow(/^f\.h5: layer lstm_1: weight 'lstm_1_U_c' of Keras 1's per-gate LSTM layout has shape \[7, 8\], expected \[7, 7\]$/);
    expect(() => convertLegacyWeights('Dense', [w('kernel', [2, 3], rand(5))], [{ name: 'kernel', shape: [2, 3] }], '2', 'f.h5: layer d'))
      .toThrow(/^f\.h5: layer d: weight 'kernel' has 5 values, its shape \[2, 3\] holds 6$/);
  });
});

// End to end: Keras 1 configs (as Keras 1.2.2's model.to_json() writes them) against TensorFlow.js.
const keras1Recurrent = (className: 'LSTM' | 'GRU', name: string, units: number, extra: Record<string, unknown>) => ({
  class_name: className,
  config: {
    name, trainable: true, output_dim: units, init: 'glorot_uniform', inner_init: 'orthogonal', ...(className === 'LSTM' ? { forget_bias_init: 'one' } : {}),
    activation: 'tanh', inner_activation: 'hard_sigmoid', W_regularizer: null, U_regularizer: null, b_regularizer: null, dropout_W: 0, dropout_U: 0,
    return_sequences: false, go_backwards: false, stateful: false, unroll: false, consume_less: 'cpu', input_dim: null, input_length: null, ...extra,
  },
});

describe('convertLegacyWeights: end to end with fromConfig', () => {
  const { env, open } = modelsForParity();

  /** The model's layers with weights and what each expects. */
  const expectedByLayer = (model: Model) => model.layers.filter((l) => (l.weightLayer?.weights.length ?? 0) > 0).map((l) => l.weightLayer!.weights);
  /** TensorFlow.js' weights grouped by layer, as StoredWeights. */
  const tfLayers = (tfModel: tf.LayersModel) =>
    tfModel.layers.filter((l) => l.getWeights().length > 0).map((l) => l.getWeights().map((t, i) => w(`w${i}`, t.shape, t.dataSync() as Float32Array)));

  async function expectSame(model: Model, tfModel: tf.LayersModel, shape: number[], what: string): Promise<void> {
    const x = { data: rand(shape.reduce((a, b) => a * b, 1)), shape };
    const expected = tfModel.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
    const actual = await model.predict(x);
    const out = Array.isArray(actual) ? actual[0] : actual;
    expect(out.shape).toEqual(expected.shape);
    expectClose(out.data, expected.dataSync(), PREDICT_TOLERANCE, what);
  }

  it('a Keras 1 Sequential LSTM -> GRU -> Dense with per-gate weights predicts as TensorFlow.js with the Keras 2 weights', async () => {
    const keras1 = {
      class_name: 'Sequential', keras_version: '1.2.2',
      config: [
        keras1Recurrent('LSTM', 'lstm_1', 7, { batch_input_shape: [null, 4, 5], input_dtype: 'float32', input_dim: 5, input_length: 4, return_sequences: true }),
        keras1Recurrent('GRU', 'gru_1', 6, { input_dim: 7 }),
        { class_name: 'Dense', config: { name: 'dense_1', trainable: true, output_dim: 3, init: 'glorot_uniform', activation: 'softmax', W_regularizer: null, b_regularizer: null, activity_regularizer: null, W_constraint: null, b_constraint: null, bias: true, input_dim: 6 } },
      ],
    };
    const keras2 = {
      class_name: 'Sequential', keras_version: '2.2.4', backend: 'tensorflow',
      config: {
        name: 'sequential_1',
        layers: [
          { class_name: 'LSTM', config: { name: 'lstm_1', batch_input_shape: [null, 4, 5], dtype: 'float32', units: 7, return_sequences: true, activation: 'tanh', recurrent_activation: 'hard_sigmoid', unit_forget_bias: true } },
          { class_name: 'GRU', config: { name: 'gru_1', units: 6, activation: 'tanh', recurrent_activation: 'hard_sigmoid', reset_after: false } },
          { class_name: 'Dense', config: { name: 'dense_1', units: 3, activation: 'softmax', use_bias: true } },
        ],
      },
    };
    const tfModel = await tf.models.modelFromJSON(keras2 as unknown as tf.io.ModelJSON);
    const model = open(fromConfig(env().ctx, keras1));
    const [lstm, gru, dense] = tfLayers(tfModel);
    const stored = [
      keras1Weights('lstm_1', lstm, 7, ['i', 'c', 'f', 'o'], [0, 2, 1, 3]),
      keras1Weights('gru_1', gru, 6, ['z', 'r', 'h'], [0, 1, 2]),
      dense.map((x, i) => ({ ...x, name: ['dense_1_W', 'dense_1_b'][i] })),
    ];
    expect(stored.map((s) => s.length)).toEqual([12, 9, 2]);
    const expected = expectedByLayer(model);
    const classes = ['LSTM', 'GRU', 'Dense'];
    model.setWeights(stored.flatMap((s, i) => convertLegacyWeights(classes[i], s, expected[i], '1.2.2', `model.h5: layer ${i}`)));
    await expectSame(model, tfModel, [3, 4, 5], 'Keras 1 LSTM -> GRU -> Dense');
  });

  it('CuDNNLSTM weights in the cuDNN layout predict as TensorFlow.js LSTM (sigmoid gates) with the Keras weights', async () => {
    const config = {
      class_name: 'Sequential', keras_version: '2.2.4', backend: 'tensorflow',
      config: {
        name: 'cudnn',
        layers: [
          { class_name: 'CuDNNLSTM', config: { name: 'cu_dnnlstm_1', batch_input_shape: [null, 4, 5], dtype: 'float32', units: 7, unit_forget_bias: true, return_sequences: false, return_state: false, go_backwards: false, stateful: false } },
          { class_name: 'Dense', config: { name: 'dense_1', units: 3, activation: 'linear', use_bias: true } },
        ],
      },
    };
    const tfModel = tf.sequential({ layers: [tf.layers.lstm({ units: 7, recurrentActivation: 'sigmoid', inputShape: [4, 5] }), tf.layers.dense({ units: 3 })] });
    const [lstm, dense] = tfLayers(tfModel);
    const [k, r] = cudnnKernels(lstm, 7, 4);
    const half = Float32Array.from(lstm[2].values, (b) => b / 2);
    const cudnn = [w('kernel', [5, 28], k), w('recurrent_kernel', [7, 28], r), w('bias', [56], Float32Array.from([...half, ...half]))];
    const model = open(fromConfig(env().ctx, config));
    const expected = expectedByLayer(model);
    model.setWeights([...convertLegacyWeights('CuDNNLSTM', cudnn, expected[0], '2.2.4', 'lstm'), ...convertLegacyWeights('Dense', dense, expected[1], '2.2.4', 'dense')]);
    await expectSame(model, tfModel, [3, 4, 5], 'CuDNNLSTM from cuDNN-layout weights');
  });
});
