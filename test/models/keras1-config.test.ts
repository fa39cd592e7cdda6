// Keras 1 model configs and the CuDNN classes in fromConfig (src/models/keras/keras1-config.ts,
// config-recurrent.ts):
//   - Keras 1 configs, written as Keras 1.2.2's model.to_json() / .h5 model_config write them (Sequential
//     as a list of layers, functional as class 'Model' with [layer, node, tensor] references, Keras 1 key
//     names, Merge), predict within 1e-5 of TensorFlow.js built from the equivalent Keras 2 config with
//     the same weights (TensorFlow.js' initial ones, in get_weights() order);
//   - the same config without a version is recognised as Keras 1 by its key names;
//   - training-only settings are named by their Keras 1 keys;
//   - CuDNNLSTM predicts as TensorFlow.js' LSTM with sigmoid gates, CuDNNGRU as a GRU with reset_after
//     true (which tfjs-layers refuses, so that reference is Keras' equations in tf ops), with the same
//     Keras-layout weights, whatever defaults the config's Keras version has;
//   - every Keras 1 option webrnn cannot honour is a ShapeError naming the layer and the key.
// Odd sizes: 5 inputs, 7 units, batch 3, 4 steps.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromConfig, Model, ShapeError } from '../../src/index.js';
import { expectSamePredictions, modelsForParity, samples } from '../helpers/tfjs-parity.js';
import { mulberry32, uniformArray } from '../reference/random.js';

type Dict = Record<string, unknown>;

const { env, open } = modelsForParity();

/** fromConfig of `config` with TensorFlow.js' weights for the equivalent Keras 2 config (checked shape by shape). */
async function withTfjsWeights(config: object, keras2: object): Promise<{ model: Model; tfModel: tf.LayersModel }> {
  const tfModel = await tf.models.modelFromJSON(structuredClone(keras2) as unknown as tf.io.ModelJSON);
  const model = open(fromConfig(env().ctx, config));
  const weights = tfModel.getWeights();
  expect(model.weightSpecs.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
  model.setWeights(weights.map((w) => w.dataSync() as Float32Array));
  return { model, tfModel };
}

// Keras 1.2.2's get_config of each layer.
const k1Base = (name: string, extra: Dict = {}) => ({ name, trainable: true, ...extra });
const k1Recurrent = (className: 'LSTM' | 'GRU' | 'SimpleRNN', name: string, units: number, extra: Dict = {}): Dict => ({
  class_name: className,
  config: {
    ...k1Base(name), output_dim: units, init: 'glorot_uniform', inner_init: 'orthogonal', activation: 'tanh',
    ...(className === 'LSTM' ? { forget_bias_init: 'one' } : {}), ...(className !== 'SimpleRNN' ? { inner_activation: 'hard_sigmoid' } : {}),
    W_regularizer: null, U_regularizer: null, b_regularizer: null, dropout_W: 0.0, dropout_U: 0.0,
    return_sequences: false, go_backwards: false, stateful: false, unroll: false, consume_less: 'cpu', input_dim: null, input_length: null, ...extra,
  },
});
const k1Dense = (name: string, units: number, extra: Dict = {}, className = 'Dense'): Dict => ({
  class_name: className,
  config: {
    ...k1Base(name), output_dim: units, init: 'glorot_uniform', activation: 'linear', W_regularizer: null, b_regularizer: null,
    activity_regularizer: null, W_constraint: null, b_constraint: null, bias: true, input_dim: null, ...extra,
  },
});
const k1Input = (name: string, batchShape: (number | null)[]) =>
  ({ name, class_name: 'InputLayer', config: { batch_input_shape: batchShape, input_dtype: 'float32', sparse: false, name }, inbound_nodes: [] });
const k1Merge = (name: string, mode: string, extra: Dict = {}) => ({
  class_name: 'Merge',
  config: {
    name, mode, mode_type: 'raw', concat_axis: -1, dot_axes: -1, output_shape: null, output_shape_type: 'raw', output_mask: null,
    output_mask_type: 'raw', arguments: {}, ...extra,
  },
});
/** A functional layer: its entry with Keras 1's [layer, node, tensor] references. */
const k1Node = (layer: Dict, inputs: string[]) => ({ ...layer, name: (layer.config as Dict).name, inbound_nodes: [inputs.map((n) => [n, 0, 0])] });

// The Keras 2 equivalents, for TensorFlow.js.
const k2 = (className: string, config: Dict, inputs?: string[]) =>
  ({ class_name: className, name: config.name, config, ...(inputs ? { inbound_nodes: [inputs.map((n) => [n, 0, 0, {}])] } : {}) });

describe('fromConfig: Keras 1 configs against TensorFlow.js', () => {
  const keras1Sequential = () => ({
    class_name: 'Sequential', keras_version: '1.2.2',
    config: [
      {
        class_name: 'Embedding',
        config: {
          ...k1Base('embedding_1', { batch_input_shape: [null, 6], input_dtype: 'int32' }), input_dim: 23, output_dim: 8, init: 'uniform',
          input_length: 6, mask_zero: false, activity_regularizer: null, W_regularizer: null, W_constraint: null, dropout: 0.2,
        },
      },
      k1Recurrent('LSTM', 'lstm_1', 7, {
        return_sequences: true, dropout_W: 0.1, dropout_U: 0.25, consume_less: 'gpu', input_dim: 8,
        W_regularizer: { name: 'WeightRegularizer', l1: 0.0, l2: 0.01 },
      }),
      { class_name: 'Dropout', config: { ...k1Base('dropout_1'), p: 0.3 } },
      k1Recurrent('GRU', 'gru_1', 5, { go_backwards: true, consume_less: 'mem', input_dim: 7 }),
      k1Dense('dense_1', 3, { activation: 'softmax', input_dim: 5, W_constraint: { name: 'MaxNorm', m: 2, axis: 0 } }),
    ],
  });
  const keras2Sequential = {
    class_name: 'Sequential', keras_version: '2.2.4', backend: 'tensorflow',
    config: {
      name: 'sequential_1',
      layers: [
        k2('Embedding', { name: 'embedding_1', batch_input_shape: [null, 6], dtype: 'int32', input_dim: 23, output_dim: 8, input_length: 6 }),
        k2('LSTM', { name: 'lstm_1', units: 7, return_sequences: true, recurrent_activation: 'hard_sigmoid', unit_forget_bias: true }),
        k2('Dropout', { name: 'dropout_1', rate: 0.3 }),
        k2('GRU', { name: 'gru_1', units: 5, go_backwards: true, recurrent_activation: 'hard_sigmoid', reset_after: false }),
        k2('Dense', { name: 'dense_1', units: 3, activation: 'softmax' }),
      ],
    },
  };

  it("Sequential (to_json's list) Embedding -> LSTM -> Dropout -> GRU(go_backwards) -> Dense: Keras 1 keys and defaults", async () => {
    const { model, tfModel } = await withTfjsWeights(keras1Sequential(), keras2Sequential);
    expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Embedding', 'LSTM', 'Dropout', 'GRU', 'Dense']);
    const gru = model.getLayer('gru_1').getConfig();
    expect([gru.reset_after, gru.recurrent_activation]).toEqual([false, 'hard_sigmoid']);
    expect(model.getLayer('lstm_1').getConfig().unit_forget_bias).toBe(true); // forget_bias_init 'one'
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 6], vocab: 23 }], 1), 'Keras 1 sequential');

    // Training-only settings are named as the config wrote them.
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const x = samples([{ shape: [2, 6], vocab: 23 }], 2)[0];
    const y = samples([{ shape: [2, 3] }], 3)[0];
    const refusal = model.trainOnBatch(x, y);
    await expect(refusal).rejects.toThrow(/embedding_1' \(Embedding\): dropout 0\.2; .*lstm_1' \(LSTM\): dropout_W 0\.1; .*lstm_1' \(LSTM\): dropout_U 0\.25; .*lstm_1' \(LSTM\): W_regularizer WeightRegularizer; .*dense_1' \(Dense\): W_constraint MaxNorm/);
    await expect(refusal).rejects.not.toThrow(/dropout_1' \(Dropout\)/); // webrnn trains Dropout as Keras does
  });

  it('the same config without keras_version is recognised as Keras 1 by its key names', async () => {
    const bare = keras1Sequential() as Dict;
    delete bare.keras_version;
    const { model, tfModel } = await withTfjsWeights(bare, keras2Sequential);
    expect(model.getLayer('gru_1').getConfig().reset_after).toBe(false);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 6], vocab: 23 }], 4), 'version-less Keras 1 sequential');
  });

  it('an .h5 model_config (JSON string) + keras_version: SimpleRNN input from input_dim / input_length, Dense bias false, Activation', async () => {
    const config = [
      k1Recurrent('SimpleRNN', 'simplernn_1', 7, { input_dim: 5, input_length: 4, activation: 'relu', return_sequences: true }),
      k1Dense('dense_1', 3, { bias: false, input_dim: 7 }),
      { class_name: 'Activation', config: { ...k1Base('activation_1'), activation: 'tanh' } },
    ];
    const h5 = { model_config: JSON.stringify({ class_name: 'Sequential', config }), keras_version: '1.2.2', backend: 'theano' };
    const keras2 = {
      class_name: 'Sequential', keras_version: '2.2.4', backend: 'tensorflow',
      config: {
        name: 's',
        layers: [
          k2('SimpleRNN', { name: 'simplernn_1', units: 7, batch_input_shape: [null, 4, 5], activation: 'relu', return_sequences: true }),
          k2('Dense', { name: 'dense_1', units: 3, use_bias: false }),
          k2('Activation', { name: 'activation_1', activation: 'tanh' }),
        ],
      },
    };
    const { model, tfModel } = await withTfjsWeights(h5, keras2);
    expect(model.weightSpecs.map((w) => w.shape)).toEqual([[5, 7], [7, 7], [7], [7, 3]]);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 4, 5] }], 5), 'Keras 1 SimpleRNN from input_dim');
  });

  it("functional 'Model': Merge sum, Merge concat (concat_axis -1 and 2), TimeDistributedDense, two inputs and two outputs", async () => {
    const keras1 = {
      class_name: 'Model', keras_version: '1.2.2',
      config: {
        name: 'model_1',
        layers: [
          k1Input('input_1', [null, 4, 5]),
          k1Input('input_2', [null, 4, 3]),
          k1Node(k1Recurrent('LSTM', 'lstm_1', 7, { return_sequences: true, input_dim: 5 }), ['input_1']),
          k1Node(k1Recurrent('GRU', 'gru_1', 7, { return_sequences: true, input_dim: 3 }), ['input_2']),
          k1Node(k1Merge('merge_1', 'sum'), ['lstm_1', 'gru_1']),
          k1Node(k1Merge('merge_2', 'concat'), ['merge_1', 'input_2']),
          k1Node(k1Dense('timedistributeddense_1', 3, { activation: 'tanh', input_dim: 10, input_length: 4 }, 'TimeDistributedDense'), ['merge_2']),
          k1Node(k1Merge('merge_3', 'concat', { concat_axis: 2 }), ['timedistributeddense_1', 'lstm_1']),
        ],
        input_layers: [['input_1', 0, 0], ['input_2', 0, 0]],
        output_layers: [['timedistributeddense_1', 0, 0], ['merge_3', 0, 0]],
      },
    };
    const keras2 = {
      class_name: 'Model', keras_version: '2.2.4', backend: 'tensorflow',
      config: {
        name: 'model_1',
        layers: [
          { ...k2('InputLayer', { name: 'input_1', batch_input_shape: [null, 4, 5], dtype: 'float32' }), inbound_nodes: [] },
          { ...k2('InputLayer', { name: 'input_2', batch_input_shape: [null, 4, 3], dtype: 'float32' }), inbound_nodes: [] },
          k2('LSTM', { name: 'lstm_1', units: 7, return_sequences: true, recurrent_activation: 'hard_sigmoid' }, ['input_1']),
          k2('GRU', { name: 'gru_1', units: 7, return_sequences: true, recurrent_activation: 'hard_sigmoid', reset_after: false }, ['input_2']),
          k2('Add', { name: 'merge_1' }, ['lstm_1', 'gru_1']),
          k2('Concatenate', { name: 'merge_2', axis: -1 }, ['merge_1', 'input_2']),
          k2('Dense', { name: 'timedistributeddense_1', units: 3, activation: 'tanh' }, ['merge_2']),
          k2('Concatenate', { name: 'merge_3', axis: 2 }, ['timedistributeddense_1', 'lstm_1']),
        ],
        input_layers: [['input_1', 0, 0], ['input_2', 0, 0]],
        output_layers: [['timedistributeddense_1', 0, 0], ['merge_3', 0, 0]],
      },
    };
    const { model, tfModel } = await withTfjsWeights(keras1, keras2);
    expect(model.layers.map((l) => `${l.name}:${l.className}`)).toEqual([
      'input_1:InputLayer', 'input_2:InputLayer', 'lstm_1:LSTM', 'gru_1:GRU', 'merge_1:Add', 'merge_2:Concatenate', 'timedistributeddense_1:Dense', 'merge_3:Concatenate',
    ]);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 4, 5] }, { shape: [3, 4, 3] }], 6), 'Keras 1 functional');

    // A Merge without a mode is Keras 1's default, sum.
    const noMode = structuredClone(keras1);
    delete ((noMode.config.layers[4] as Dict).config as Dict).mode;
    const summed = open(fromConfig(env().ctx, noMode));
    expect(summed.getLayer('merge_1').className).toBe('Add');
    summed.setWeights(tfModel.getWeights().map((w) => w.dataSync() as Float32Array));
    await expectSamePredictions(summed, tfModel, samples([{ shape: [3, 4, 5] }, { shape: [3, 4, 3] }], 6), 'Keras 1 functional, Merge without mode');
  });
});

/** Keras' GRU with reset_after = true (sigmoid gates, tanh), then Dense, in tf ops: tfjs-layers has no such GRU. */
function resetAfterGru(x: tf.Tensor3D, [kernel, recurrent, bias, denseKernel, denseBias]: tf.Tensor[]): tf.Tensor {
  const units = recurrent.shape[0];
  const [inputBias, recurrentBias] = tf.unstack(bias);
  let h = tf.zeros([x.shape[0], units]) as tf.Tensor2D;
  for (const xt of tf.unstack(x, 1) as tf.Tensor2D[]) {
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, kernel as tf.Tensor2D), inputBias), 3, 1);
    const [hz, hr, hh] = tf.split(tf.add(tf.matMul(h, recurrent as tf.Tensor2D), recurrentBias), 3, 1);
    const z = tf.sigmoid(tf.add(xz, hz));
    const r = tf.sigmoid(tf.add(xr, hr));
    const n = tf.tanh(tf.add(xh, tf.mul(r, hh)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n)) as tf.Tensor2D;
  }
  return tf.add(tf.matMul(h, denseKernel as tf.Tensor2D), denseBias);
}

describe('fromConfig: CuDNNLSTM and CuDNNGRU', () => {
  // Keras 2.2.4's CuDNN get_config: no activations, no use_bias, no reset_after (the layers have one variant).
  const cudnn = (className: string, name: string, units: number, extra: Dict = {}) => k2(className, {
    name, trainable: true, units, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } },
    recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} },
    ...(className === 'CuDNNLSTM' ? { unit_forget_bias: true } : {}),
    kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null,
    recurrent_constraint: null, bias_constraint: null, return_sequences: false, return_state: false, stateful: false, go_backwards: false, ...extra,
  });
  const sequential = (version: string, layers: unknown[]) => ({ class_name: 'Sequential', keras_version: version, backend: 'tensorflow', config: { name: 'cudnn', layers } });

  it('CuDNNLSTM(return_sequences) -> CuDNNLSTM -> Dense (Keras 2.2.4, whose LSTM default would be hard_sigmoid) predicts as LSTMs with sigmoid gates', async () => {
    const config = sequential('2.2.4', [
      cudnn('CuDNNLSTM', 'cu_dnnlstm_1', 7, { batch_input_shape: [null, 4, 5], dtype: 'float32', return_sequences: true }),
      cudnn('CuDNNLSTM', 'cu_dnnlstm_2', 6),
      k2('Dense', { name: 'dense_1', units: 3 }),
    ]);
    const keras2 = sequential('2.15.0', [
      k2('LSTM', { name: 'cu_dnnlstm_1', batch_input_shape: [null, 4, 5], units: 7, return_sequences: true, recurrent_activation: 'sigmoid' }),
      k2('LSTM', { name: 'cu_dnnlstm_2', units: 6, recurrent_activation: 'sigmoid' }),
      k2('Dense', { name: 'dense_1', units: 3 }),
    ]);
    const { model, tfModel } = await withTfjsWeights(config, keras2);
    expect(model.getLayer('cu_dnnlstm_2').getConfig()).toMatchObject({ activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true });
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 4, 5] }], 7), 'CuDNNLSTM');
  });

  // tf.keras 1.x writes '-tf' versions (GRU default reset_after true); Keras 2.2's default is false.
  for (const version of ['2.1.6-tf', '2.2.4']) {
    it(`CuDNNGRU -> Dense (keras_version ${version}) predicts as a GRU with reset_after true`, async () => {
      const config = sequential(version, [cudnn('CuDNNGRU', 'cu_dnngru_1', 7, { batch_input_shape: [null, 4, 5], dtype: 'float32' }), k2('Dense', { name: 'dense_1', units: 3 })]);
      const model = open(fromConfig(env().ctx, config));
      expect(model.weightSpecs.map((w) => w.shape)).toEqual([[5, 21], [7, 21], [2, 21], [7, 3], [3]]);
      expect(model.getLayer('cu_dnngru_1').getConfig()).toMatchObject({ reset_after: true, recurrent_activation: 'sigmoid', activation: 'tanh' });
      const random = mulberry32(8);
      const weights = model.weightSpecs.map((w) => Float32Array.from(uniformArray(w.shape.reduce((a, b) => a * b, 1), 0.6, random)));
      model.setWeights(weights);
      const tfWeights = weights.map((w, i) => tf.tensor(w, model.weightSpecs[i].shape));
      await expectSamePredictions(model, ([x]) => [resetAfterGru(x as tf.Tensor3D, tfWeights)], samples([{ shape: [3, 4, 5] }], 9), 'CuDNNGRU');
    });
  }

  it('a CuDNN config that contradicts what the class computes is an error naming the layer and the key', () => {
    const build = (layer: unknown) => () => fromConfig(env().ctx, sequential('2.2.4', [layer]));
    expect(build(cudnn('CuDNNGRU', 'g', 7, { batch_input_shape: [null, 4, 5], reset_after: false })))
      .toThrow(/^fromConfig: layer 0 'g' \(CuDNNGRU\) of model 'cudnn': a CuDNNGRU always has reset_after true, the config says false$/);
    expect(build(cudnn('CuDNNLSTM', 'l', 7, { batch_input_shape: [null, 4, 5], activation: 'relu' })))
      .toThrow(/layer 0 'l' \(CuDNNLSTM\) of model 'cudnn': a CuDNNLSTM always has activation "tanh", the config says "relu"/);
  });
});

describe('fromConfig: Keras 1 options webrnn cannot honour name the layer and the key', () => {
  const functional = (merge: Dict) => ({
    class_name: 'Model', keras_version: '1.2.2',
    config: {
      name: 'model_1',
      layers: [k1Input('input_1', [null, 5]), k1Input('input_2', [null, 5]), k1Node(merge, ['input_1', 'input_2'])],
      input_layers: [['input_1', 0, 0], ['input_2', 0, 0]],
      output_layers: [[(merge.config as Dict).name, 0, 0]],
    },
  });
  const sequential = (layers: unknown[]) => ({ class_name: 'Sequential', keras_version: '1.2.2', config: layers });
  const build = (config: object) => () => fromConfig(env().ctx, config);

  it("Merge modes other than 'concat' and 'sum', Python modes, a concat_axis other than the last, a Merge of models", () => {
    for (const mode of ['mul', 'ave', 'max', 'dot', 'cos']) {
      expect(build(functional(k1Merge('merge_1', mode)))).toThrow(ShapeError);
      expect(build(functional(k1Merge('merge_1', mode))))
        .toThrow(new RegExp(`^fromConfig: layer 2 'merge_1' \\(Merge\\) of model 'model_1': 'mode' "${mode}" is not supported: webrnn reads the Merge modes 'concat' \\(as Concatenate\\) and 'sum' \\(as Add\\)$`));
    }
    expect(build(functional(k1Merge('merge_1', '4wEAAAAAAAAAAAAAAA==', { mode_type: 'lambda' }))))
      .toThrow(/^fromConfig: layer 2 'merge_1' \(Merge\) of model 'model_1': 'mode_type' is "lambda": the merge mode is Python code/);
    expect(build(functional(k1Merge('merge_1', 'my_merge', { mode_type: 'function' })))).toThrow(/'merge_1' \(Merge\) of model 'model_1': 'mode_type' is "function"/);
    expect(build(functional(k1Merge('merge_1', 'concat', { concat_axis: 0 }))))
      .toThrow(/layer 2 'merge_1' \(Merge\) of model 'model_1', call 0: only the last axis \(-1 or 1\) is supported, got concat_axis 0/);
    const branches = { class_name: 'Merge', config: { ...k1Merge('merge_1', 'concat').config, layers: [{ class_name: 'Sequential', config: [] }, { class_name: 'Sequential', config: [] }] } };
    expect(build(sequential([branches, k1Dense('dense_1', 2)])))
      .toThrow(/^fromConfig: layer 0 'merge_1' \(Merge\) of model 'sequential': 'layers': a Merge of whole models \(Keras 1's Sequential branches\) is not supported/);
  });

  it('keys no Keras 1 layer has, both spellings of one key, a missing one; stateful, mask_zero (read)', () => {
    const first = { batch_input_shape: [null, 4, 5] };
    expect(build(sequential([k1Recurrent('LSTM', 'lstm_1', 3, { ...first, peepholes: true })])))
      .toThrow(/^fromConfig: layer 0 'lstm_1' \(LSTM\) of model 'sequential': the key 'peepholes' \(true\) is not one a Keras 1 LSTM has, so webrnn cannot tell what it changes$/);
    expect(build(sequential([k1Recurrent('SimpleRNN', 'simplernn_1', 3, { ...first, inner_activation: 'sigmoid' })])))
      .toThrow(/layer 0 'simplernn_1' \(SimpleRNN\) of model 'sequential': the key 'inner_activation' \("sigmoid"\) is not one a Keras 1 SimpleRNN has/);
    expect(build(sequential([k1Dense('dense_1', 3, { batch_input_shape: [null, 5], units: 3 })])))
      .toThrow(/layer 0 'dense_1' \(Dense\) of model 'sequential': the config has both the Keras 1 key 'output_dim' and its Keras 2 name 'units'/);
    const noUnits = k1Dense('dense_1', 3, { batch_input_shape: [null, 5] });
    delete (noUnits.config as Dict).output_dim;
    expect(build(sequential([noUnits]))).toThrow(/layer 0 'dense_1' \(Dense\) of model 'sequential': the config has no 'output_dim'/);
    expect(build(sequential([k1Recurrent('GRU', 'gru_1', 3, { ...first, output_dim: 0 })]))).toThrow(/layer 0 'gru_1' \(GRU\) of model 'sequential': 'output_dim' must be a positive integer, got 0/);
    const statefulModel = build(sequential([k1Recurrent('GRU', 'gru_1', 3, { batch_input_shape: [2, 4, 5], stateful: true })]))();
    expect(statefulModel.layers.find((l) => l.className === 'GRU')!.getConfig().stateful).toBe(true);
    statefulModel.dispose();
    const masked = { class_name: 'Embedding', config: { ...k1Base('embedding_1', { batch_input_shape: [null, 6], input_dtype: 'int32' }), input_dim: 9, output_dim: 2, input_length: 6, mask_zero: true } };
    const maskedModel = build(sequential([masked]))();
    expect(maskedModel.layers.find((l) => l.className === 'Embedding')!.getConfig().mask_zero).toBe(true);
    maskedModel.dispose();
    expect(build(sequential([{ class_name: 'Highway', config: k1Base('highway_1') }]))).toThrow(/layer 0 'highway_1' \(Highway\) of model 'sequential' is not supported by webrnn/);
  });
});
