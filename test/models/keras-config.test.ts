// Keras / TensorFlow.js model configs, both ways (src/models/keras/):
//   - TensorFlow.js models (tf.sequential / tf.model) -> model.toJSON() -> fromConfig, webrnn given
//     TensorFlow.js' weights in get_weights() order: predict agrees within 1e-5 (absolute);
//   - webrnn models -> toConfig -> tf.models.modelFromJSON, TensorFlow.js given webrnn's weights: the same;
//   - hand-written Keras 3 and Keras 2.1 configs -> summary() parameter counts as Keras prints them,
//     computed here by hand;
//   - configs webrnn cannot run exactly -> a ShapeError naming the layer, its class and the model.
// The Keras 3 configs are written as keras/src/saving/serialization_lib.py (serialize_keras_object: layers
// as { module, class_name, config, registered_name }, tensors as __keras_tensor__ with keras_history) and
// keras/src/models/functional.py (get_config, serialize_node: { args, kwargs }) write them.
// Odd sizes and batches. TensorFlow.js' LSTM / GRU default recurrentActivation is hard_sigmoid (Keras 2's
// clip(0.2x + 0.5)); one model keeps that default, the others set sigmoid; its GRU is reset_after = false.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromConfig, layers, Model, Sequential, ShapeError, toConfig, type SymbolicTensor } from '../../src/index.js';
import { expectSamePredictions, modelsForParity, samples } from '../helpers/tfjs-parity.js';

const { env, open } = modelsForParity();

/** fromConfig of a TensorFlow.js model's JSON, with its weights. */
function fromTfjs(tfModel: tf.LayersModel, json: object | string = tfModel.toJSON(null, false) as object): Model {
  const model = open(fromConfig(env().ctx, json));
  const weights = tfModel.getWeights();
  expect(model.weightSpecs.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
  model.setWeights(weights.map((w) => w.dataSync() as Float32Array));
  return model;
}

/** TensorFlow.js' seq2seq: an LSTM encoder's [h, c] start the decoder LSTM; Dense(softmax) at every step. */
/** toJSON without TensorFlow.js' warning that it leaves out the initialState kwargs (it writes the states as inputs). */
function quietJson(tfModel: tf.LayersModel): Record<string, unknown> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return tfModel.toJSON(null, false) as Record<string, unknown>;
  } finally {
    console.warn = warn;
  }
}

function tfSeq2seq(): tf.LayersModel {
  const source = tf.input({ shape: [null, 4], name: 'source' });
  const target = tf.input({ shape: [null, 6], name: 'target' });
  const [, h, c] = tf.layers.lstm({ units: 9, returnState: true, recurrentActivation: 'sigmoid', name: 'encoder' }).apply(source) as tf.SymbolicTensor[];
  const sequence = tf.layers.lstm({ units: 9, returnSequences: true, recurrentActivation: 'sigmoid', name: 'decoder' })
    .apply(target, { initialState: [h, c] }) as tf.SymbolicTensor;
  const probabilities = tf.layers.dense({ units: 6, activation: 'softmax', name: 'probabilities' }).apply(sequence) as tf.SymbolicTensor;
  return tf.model({ inputs: [source, target], outputs: probabilities, name: 'seq2seq' });
}

describe('fromConfig: TensorFlow.js models', () => {
  it('Sequential Embedding -> GRU -> Dense(softmax), from toJSON(null, false)', async () => {
    const tfModel = tf.sequential({
      name: 'sentiment',
      layers: [
        tf.layers.embedding({ inputDim: 23, outputDim: 7, inputLength: 9 }),
        tf.layers.gru({ units: 11, recurrentActivation: 'sigmoid' }),
        tf.layers.dense({ units: 5, activation: 'softmax' }),
      ],
    });
    const json = tfModel.toJSON(null, false) as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    expect(json.class_name).toBe('Sequential');
    expect(json.config.layers.map((l) => l.class_name)).toEqual(['Embedding', 'GRU', 'Dense']); // Keras class names, snake_case keys
    expect(json.config.layers[1].config.reset_after).toBe(false);
    const model = fromTfjs(tfModel, json);
    expect(model).toBeInstanceOf(Sequential);
    expect(model.name).toBe('sentiment');
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 9], vocab: 23 }], 1), 'embedding -> gru');
  });

  it("LSTM(returnSequences) -> Dropout -> LSTM -> Dense with TensorFlow.js' default hard_sigmoid gates, from the JSON string", async () => {
    const tfModel = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 13, returnSequences: true, inputShape: [null, 5] }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.lstm({ units: 7 }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const json = tfModel.toJSON() as string;
    expect(typeof json).toBe('string');
    expect(json).toContain('"recurrent_activation":"hard_sigmoid"');
    const model = fromTfjs(tfModel, json);
    const gates = model.layers.filter((l) => l.className === 'LSTM').map((l) => l.getConfig().recurrent_activation);
    expect(gates).toEqual(['hard_sigmoid', 'hard_sigmoid']);
    await expectSamePredictions(model, tfModel, samples([{ shape: [5, 6, 5] }], 2), 'lstm -> dropout -> lstm (hard_sigmoid)');

    // Dropout is the identity at inference and drops in training, as Keras: training is not refused.
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const x = samples([{ shape: [2, 6, 5] }], 3)[0];
    const y = samples([{ shape: [2, 3] }], 4)[0];
    await model.trainOnBatch(x, y);
    expect(Number.isFinite(await model.readLoss())).toBe(true);
    expect(Number.isFinite(await model.evaluate(x, y))).toBe(true);
  });

  it('seq2seq (encoder states -> decoder initialState), from a model.json modelTopology with model_config', async () => {
    const tfModel = tfSeq2seq();
    const json = quietJson(tfModel);
    const modelJson = { format: 'layers-model', modelTopology: { keras_version: json.keras_version, backend: json.backend, model_config: { class_name: json.class_name, config: json.config } }, weightsManifest: [] };
    const model = fromTfjs(tfModel, modelJson);
    expect(model.layers.map((l) => l.name)).toEqual(tfModel.layers.map((l) => l.name));
    const x = samples([{ shape: [3, 5, 4] }, { shape: [3, 5, 6] }], 5);
    await expectSamePredictions(model, tfModel, x, 'seq2seq');

    // The same call written with the states in kwargs.initial_state (as some Keras 2 writers do).
    const config = structuredClone(json.config) as { layers: { name: string; inbound_nodes: unknown[][][] }[] };
    const decoder = config.layers.find((l) => l.name === 'decoder')!;
    expect(decoder.inbound_nodes).toEqual([[['target', 0, 0, {}], ['encoder', 0, 1, {}], ['encoder', 0, 2, {}]]]);
    decoder.inbound_nodes = [[['target', 0, 0, { initial_state: [['encoder', 0, 1], ['encoder', 0, 2]] }]]];
    const kwargsModel = fromTfjs(tfModel, { ...json, config });
    await expectSamePredictions(kwargsModel, tfModel, x, 'seq2seq, initial_state in kwargs');
  });

  it('a graph: SimpleRNN and GRU(goBackwards) branches through one shared Dense, merged by Add and Concatenate', async () => {
    const x = tf.input({ shape: [null, 3], name: 'series' });
    const r = tf.layers.simpleRNN({ units: 5, returnSequences: true }).apply(x) as tf.SymbolicTensor;
    const g = tf.layers.gru({ units: 5, returnSequences: true, goBackwards: true, recurrentActivation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
    const shared = tf.layers.dense({ units: 5, activation: 'relu', name: 'shared' });
    const added = tf.layers.add().apply([shared.apply(r), shared.apply(g)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const merged = tf.layers.concatenate().apply([added, r]) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, activation: 'tanh' }).apply(merged) as tf.SymbolicTensor });
    const json = tfModel.toJSON(null, false) as { config: { layers: { name: string; inbound_nodes: unknown[] }[] } };
    expect(json.config.layers.find((l) => l.name === 'shared')!.inbound_nodes).toHaveLength(2);
    const model = fromTfjs(tfModel, json);
    await expectSamePredictions(model, tfModel, samples([{ shape: [2, 4, 3] }], 6), 'add / concatenate graph');
  });
});

describe('toConfig: webrnn models into TensorFlow.js', () => {
  async function intoTfjs(model: Model): Promise<tf.LayersModel> {
    const config = toConfig(model);
    const tfModel = await tf.models.modelFromJSON(structuredClone(config) as unknown as tf.io.ModelJSON);
    const specs = model.weightSpecs;
    expect(tfModel.getWeights().map((w) => w.shape)).toEqual(specs.map((w) => w.shape));
    tfModel.setWeights((await model.getWeights()).map((w, i) => tf.tensor(w, specs[i].shape)));
    // fromConfig reads back what toConfig wrote.
    const again = open(fromConfig(env().ctx, JSON.stringify(config)));
    expect(toConfig(again)).toEqual(config);
    return tfModel;
  }

  it('Sequential Embedding -> GRU(resetAfter false) -> Dense(softmax)', async () => {
    const model = open(new Sequential(env().ctx, {
      name: 'tokens', seed: 3,
      layers: [
        layers.input({ shape: [8], name: 'ids' }),
        layers.embedding({ inputDim: 17, outputDim: 5 }),
        layers.gru({ units: 7, resetAfter: false }),
        layers.dense({ units: 3, activation: 'softmax' }),
      ],
    }));
    const config = toConfig(model);
    expect(config.class_name).toBe('Sequential');
    const tfModel = await intoTfjs(model);
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Embedding', 'GRU', 'Dense']);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 8], vocab: 17 }], 7), 'webrnn sequential in TensorFlow.js');
  });

  it('Bidirectional (concat and sum), RepeatVector, TimeDistributed(Dense), GlobalMaxPooling1D, LayerNormalization, Flatten', async () => {
    const x = layers.input({ shape: [6, 4], name: 'x' });
    const encoded = layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }), name: 'bi' }).apply(x) as SymbolicTensor;
    const pooled = layers.globalMaxPooling1d({ name: 'pool' }).apply(encoded) as SymbolicTensor;
    const normalized = layers.layerNormalization({ name: 'norm', epsilon: 0.01 }).apply(pooled) as SymbolicTensor;
    const repeated = layers.repeatVector({ n: 3, name: 'repeat' }).apply(normalized) as SymbolicTensor;
    const decoded = layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true, resetAfter: false }), mergeMode: 'sum', name: 'bi_gru' }).apply(repeated) as SymbolicTensor;
    const perStep = layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'tanh' }), name: 'td' }).apply(decoded) as SymbolicTensor;
    const flat = layers.flatten({ name: 'flat' }).apply(perStep) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: x, outputs: flat, name: 'wrappers' }));
    const tfModel = await intoTfjs(model);
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Bidirectional', 'GlobalMaxPooling1D', 'LayerNormalization', 'RepeatVector', 'Bidirectional', 'TimeDistributed', 'Flatten']);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 6, 4] }], 9), 'webrnn wrappers in TensorFlow.js');
  });

  it('functional: seq2seq with a SimpleRNN branch, Concatenate and Add, two outputs', async () => {
    const source = layers.input({ shape: [null, 3], name: 'source' });
    const target = layers.input({ shape: [null, 2], name: 'target' });
    const [, h, c] = layers.lstm({ units: 6, returnState: true, recurrentActivation: 'hard_sigmoid' }).apply(source) as SymbolicTensor[];
    const decoded = layers.lstm({ units: 6, returnSequences: true }).apply(target, { initialState: [h, c] }) as SymbolicTensor;
    const branch = layers.simpleRNN({ units: 6, returnSequences: true, activation: 'relu' }).apply(target) as SymbolicTensor;
    const shared = layers.dense({ units: 6, activation: 'tanh' });
    const added = layers.add().apply([shared.apply(decoded), shared.apply(branch)] as SymbolicTensor[]) as SymbolicTensor;
    const merged = layers.concatenate().apply([added, target]) as SymbolicTensor;
    const out = layers.dense({ units: 4 }).apply(merged) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: [source, target], outputs: [out, h], name: 'bridge', seed: 5 }));
    const config = toConfig(model);
    expect(config.class_name).toBe('Functional');
    expect(config.config.input_layers).toEqual([['source', 0, 0], ['target', 0, 0]]);
    const inbound = (config.config.layers as { name: string; inbound_nodes: unknown[] }[]).find((l) => l.name === shared.name)!.inbound_nodes;
    expect(inbound).toHaveLength(2); // the second call is node 1 of the shared Dense
    expect((config.config.layers as { inbound_nodes: unknown[][][] }[]).flatMap((l) => l.inbound_nodes.flat()).some((e) => e[0] === shared.name && e[1] === 1)).toBe(true);
    const tfModel = await intoTfjs(model);
    await expectSamePredictions(model, tfModel, samples([{ shape: [3, 5, 3] }, { shape: [3, 4, 2] }], 8), 'webrnn functional in TensorFlow.js');
  });
});

// Keras 3 serialization (serialization_lib.serialize_keras_object) of the pieces the configs below use.
const DTYPE = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const init = (className: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name: className, config, registered_name: null });
const k3Layer = (className: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ module: 'keras.layers', class_name: className, config, registered_name: null, ...extra });
const kerasTensor = (shape: (number | null)[], history: [string, number, number], dtype = 'float32') =>
  ({ class_name: '__keras_tensor__', config: { shape, dtype, keras_history: history } });
const NO_REGULARIZERS = {
  kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
  kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
};
function k3Recurrent(name: string, units: number, options: Record<string, unknown>): Record<string, unknown> {
  return {
    name, trainable: true, dtype: DTYPE, return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false,
    zero_output_for_mask: false, units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
    kernel_initializer: init('GlorotUniform', { seed: null }), recurrent_initializer: init('Orthogonal', { gain: 1.0, seed: null }),
    bias_initializer: init('Zeros'), ...NO_REGULARIZERS, dropout: 0.0, recurrent_dropout: 0.0, seed: null, ...options,
  };
}
const k3Dense = (name: string, units: number, activation: string) => ({
  name, trainable: true, dtype: DTYPE, units, activation, use_bias: true, kernel_initializer: init('GlorotUniform', { seed: null }),
  bias_initializer: init('Zeros'), kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null,
});

// Keras' parameter counts.
const lstmParams = (input: number, u: number) => 4 * (u * (input + u) + u);
const gruParams = (input: number, u: number, resetAfter: boolean) => 3 * (u * (input + u) + (resetAfter ? 2 : 1) * u);
const denseParams = (input: number, u: number) => input * u + u;

const quiet = () => {};
/** The Param # column of a layer's row of summary() (columns are at least two spaces apart). */
const paramsOf = (summary: string, layer: string) => summary.split('\n').find((line) => line.startsWith(`${layer} (`))?.split(/\s{2,}/)[2];

describe('fromConfig: Keras 3 and Keras 2.1 configs', () => {
  it('Keras 3 Sequential: InputLayer batch_shape, GRU (reset_after), LSTM with Keras 3 hard_sigmoid, Dropout, Dense', () => {
    const config = {
      module: 'keras', class_name: 'Sequential', registered_name: null, build_config: { input_shape: [null, 7, 5] },
      config: {
        name: 'stacked', trainable: true, dtype: DTYPE,
        layers: [
          k3Layer('InputLayer', { batch_shape: [null, 7, 5], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false }),
          k3Layer('GRU', k3Recurrent('gru', 11, { return_sequences: true, reset_after: true }), { build_config: { input_shape: [null, 7, 5] } }),
          k3Layer('LSTM', k3Recurrent('lstm', 6, { recurrent_activation: 'hard_sigmoid', unit_forget_bias: true }), { build_config: { input_shape: [null, 7, 11] } }),
          k3Layer('Dropout', { name: 'dropout', trainable: true, dtype: DTYPE, rate: 0.2, seed: null, noise_shape: null }),
          k3Layer('Dense', k3Dense('dense', 3, 'softmax'), { build_config: { input_shape: [null, 6] } }),
        ],
        build_input_shape: [null, 7, 5],
      },
    };
    const model = open(fromConfig(env().ctx, config));
    expect(model).toBeInstanceOf(Sequential);
    expect(model.getLayer('lstm').getConfig().recurrent_activation).toBe('hard_sigmoid_keras3');
    expect(model.weightSpecs.find((w) => w.name.startsWith('gru') && w.name.endsWith('bias'))?.shape).toEqual([2, 33]);
    const summary = model.summary(quiet);
    const expected = { gru: gruParams(5, 11, true), lstm: lstmParams(11, 6), dropout: 0, dense: denseParams(6, 3) };
    for (const [layer, count] of Object.entries(expected)) expect(paramsOf(summary, layer), `${layer} in\n${summary}`).toBe(count.toLocaleString('en-US'));
    expect(summary).toContain(`Total params: ${(594 + 432 + 21).toLocaleString('en-US')}`);
    expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(1047);
  });

  it('Keras 3 functional seq2seq: token Embedding, encoder states as initial_state, Concatenate of a list, one output', async () => {
    const layer = (className: string, config: Record<string, unknown>, inbound: unknown[]) =>
      k3Layer(className, config, { name: config.name, inbound_nodes: inbound });
    const config = {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'translator', trainable: true,
        layers: [
          layer('InputLayer', { batch_shape: [null, null], dtype: 'int32', sparse: false, ragged: false, name: 'encoder_tokens', optional: false }, []),
          layer('Embedding', {
            name: 'embedding', trainable: true, dtype: DTYPE, input_dim: 23, output_dim: 8, embeddings_initializer: init('RandomUniform', { minval: -0.05, maxval: 0.05, seed: null }),
            embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null, mask_zero: false,
          }, [{ args: [kerasTensor([null, null], ['encoder_tokens', 0, 0], 'int32')], kwargs: {} }]),
          layer('LSTM', k3Recurrent('encoder', 9, { return_state: true, unit_forget_bias: true }),
            [{ args: [kerasTensor([null, null, 8], ['embedding', 0, 0])], kwargs: { training: false, mask: null } }]),
          layer('InputLayer', { batch_shape: [null, null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'decoder_inputs', optional: false }, []),
          layer('LSTM', k3Recurrent('decoder', 9, { return_sequences: true, unit_forget_bias: true }), [{
            args: [kerasTensor([null, null, 4], ['decoder_inputs', 0, 0])],
            kwargs: { initial_state: [kerasTensor([null, 9], ['encoder', 0, 1]), kerasTensor([null, 9], ['encoder', 0, 2])], training: false, mask: null },
          }]),
          layer('Concatenate', { name: 'concatenate', trainable: true, dtype: DTYPE, axis: -1 },
            [{ args: [[kerasTensor([null, null, 9], ['decoder', 0, 0]), kerasTensor([null, null, 4], ['decoder_inputs', 0, 0])]], kwargs: {} }]),
          layer('Dense', k3Dense('dense', 4, 'softmax'), [{ args: [kerasTensor([null, null, 13], ['concatenate', 0, 0])], kwargs: {} }]),
        ],
        input_layers: [['encoder_tokens', 0, 0], ['decoder_inputs', 0, 0]],
        output_layers: ['dense', 0, 0],
      },
    };
    const model = open(fromConfig(env().ctx, JSON.stringify(config)));
    const summary = model.summary(quiet);
    const expected = { embedding: 23 * 8, encoder: lstmParams(8, 9), decoder: lstmParams(4, 9), concatenate: 0, dense: denseParams(13, 4) };
    for (const [name, count] of Object.entries(expected)) expect(paramsOf(summary, name), `${name} in\n${summary}`).toBe(count.toLocaleString('en-US'));
    expect(summary).toContain('Total params: 1,392');
    expect(summary).toContain("'encoder[0][1]', 'encoder[0][2]'");
    const x = samples([{ shape: [2, 5], vocab: 23 }, { shape: [2, 3, 4] }], 9);
    const y = await model.predict(x);
    expect(Array.isArray(y) ? y.map((o) => o.shape) : y.shape).toEqual([2, 3, 4]);
  });

  it("Keras 2.1 (2018) Sequential whose config is the list of layers: GRU without reset_after, LSTM without recurrent_activation", () => {
    const config = {
      class_name: 'Sequential', keras_version: '2.1.2', backend: 'tensorflow',
      config: [
        { class_name: 'GRU', config: { name: 'gru_1', trainable: true, batch_input_shape: [null, 6, 3], dtype: 'float32', units: 5, return_sequences: true, activation: 'tanh', use_bias: true } },
        { class_name: 'LSTM', config: { name: 'lstm_1', trainable: true, units: 4, activation: 'tanh', use_bias: true, dropout: 0.1 } },
        { class_name: 'Dense', config: { name: 'dense_1', trainable: true, units: 2, activation: 'linear', use_bias: true, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } } } },
      ],
    };
    const model = open(fromConfig(env().ctx, config));
    expect(model.getLayer('gru_1').getConfig().reset_after).toBe(false);
    expect(model.getLayer('lstm_1').getConfig().recurrent_activation).toBe('hard_sigmoid');
    expect(model.layers.map((l) => l.name)).toEqual(['gru_1_input', 'gru_1', 'lstm_1', 'dense_1']);
    const summary = model.summary(quiet);
    expect(paramsOf(summary, 'gru_1')).toBe(String(gruParams(3, 5, false)));
    expect(paramsOf(summary, 'lstm_1')).toBe(String(lstmParams(5, 4)));
    expect(summary).toContain(`Total params: ${gruParams(3, 5, false) + lstmParams(5, 4) + denseParams(4, 2)}`);
  });

  it('a model with Dropout trains with or without ignoreTrainingOnlySettings (webrnn applies dropout as Keras)', async () => {
    const config = {
      class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
      config: {
        name: 'noisy',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 3], dtype: 'float32', name: 'features' } },
          { class_name: 'Dropout', config: { name: 'dropout', rate: 0.5 } },
          { class_name: 'Dense', config: { name: 'dense', units: 2 } },
        ],
      },
    };
    const x = samples([{ shape: [4, 3] }], 10)[0];
    const y = samples([{ shape: [4, 2] }], 11)[0];
    const model = open(fromConfig(env().ctx, config, { ignoreTrainingOnlySettings: true }));
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const before = await model.getWeights();
    await model.trainOnBatch(x, y);
    const after = await model.getWeights();
    expect(after[0]).not.toEqual(before[0]);
    const plain = open(fromConfig(env().ctx, config));
    plain.compile({ loss: 'mse', optimizer: 'sgd' });
    await plain.fit(x, y);
    expect((await plain.getWeights())[0]).not.toEqual(before[0]);
  });
});

describe('fromConfig errors name the layer, its class and the model', () => {
  const input = (name: string, shape: (number | null)[]) => ({ name, class_name: 'InputLayer', config: { batch_input_shape: [null, ...shape], dtype: 'float32', name }, inbound_nodes: [] });
  const dense = (name: string, units: number, inbound: unknown[]) => ({ name, class_name: 'Dense', config: { name, units }, inbound_nodes: inbound });
  const functional = (name: string, layerList: unknown[], outputs: unknown = [['out', 0, 0]]) =>
    ({ class_name: 'Functional', config: { name, layers: layerList, input_layers: [['x', 0, 0]], output_layers: outputs }, keras_version: '2.15.0', backend: 'tensorflow' });
  const build = (config: object | string) => () => fromConfig(env().ctx, config);

  it('a Lambda layer (Python code)', () => {
    const config = {
      class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 2], dtype: 'float32', name: 'x' } },
          { class_name: 'LSTM', config: { name: 'lstm', units: 3, return_sequences: true } },
          { class_name: 'Lambda', config: { name: 'lambda', function: ['4wEAAAAAAAAA', null, null], function_type: 'lambda', module: '__main__' } },
        ],
      },
    };
    expect(build(config)).toThrow(ShapeError);
    expect(build(config)).toThrow(/^fromConfig: layer 2 'lambda' \(Lambda\) of model 'seq' is not supported by webrnn: it holds Python code/);
  });

  it('an unknown class, and a custom one', () => {
    const config = functional('convnet', [input('x', [null, 3]), { name: 'conv2d', class_name: 'Conv2D', config: { name: 'conv2d', filters: 4 }, inbound_nodes: [[['x', 0, 0, {}]]] }, dense('out', 2, [[['conv2d', 0, 0, {}]]])]);
    expect(build(config)).toThrow(/layer 1 'conv2d' \(Conv2D\) of model 'convnet' is not supported by webrnn.*\(webrnn supports InputLayer, Dense, /);
    const custom = structuredClone(config);
    Object.assign(custom.config.layers[1] as object, { class_name: 'Attention2', registered_name: 'my_package>Attention2', module: 'my_package.layers' });
    expect(build(custom)).toThrow(/layer 1 'conv2d' \(Attention2\) of model 'convnet' \(the custom class 'my_package>Attention2'\) is not supported/);
  });

  it('an inbound node naming a layer that is not in the model, a node that is never made, a missing output', () => {
    expect(build(functional('m', [input('x', [3]), dense('out', 2, [[['ghost', 0, 0, {}]]])])))
      .toThrow(/layer 1 'out' \(Dense\) of model 'm', call 0 names layer 'ghost', which is not in model 'm'/);
    expect(build(functional('m', [input('x', [3]), dense('out', 2, [[['x', 1, 0, {}]]])])))
      .toThrow(/layer 1 'out' \(Dense\) of model 'm', call 0 names node 1 of layer 'x', which is called 1 time/);
    expect(build(functional('m', [input('x', [3]), dense('out', 2, [[['x', 0, 0, {}]]])], [['nowhere', 0, 0]])))
      .toThrow(/model 'm' output_layers names layer 'nowhere'/);
  });

  it('a cycle of inbound nodes', () => {
    const config = functional('loop', [input('x', [3]), dense('a', 3, [[['b', 0, 0, {}]]]), dense('b', 3, [[['a', 0, 0, {}]]]), dense('out', 2, [[['b', 0, 0, {}]]])]);
    expect(build(config)).toThrow(/model 'loop': the inbound nodes form a cycle: 'a' -> 'b' -> 'a'/);
  });

  it('stateful and mask_zero (read), a missing field, a bad config', () => {
    const sequential = (layer: object) => ({ class_name: 'Sequential', config: { name: 's', layers: [layer] }, keras_version: '2.15.0' });
    const stateful = build(sequential({ class_name: 'LSTM', config: { name: 'lstm', units: 3, stateful: true, batch_input_shape: [2, 4, 3] } }))();
    expect(stateful.layers.find((l) => l.className === 'LSTM')!.getConfig().stateful).toBe(true); // read (test/models/stateful.test.ts)
    stateful.dispose();
    const masked = build(sequential({ class_name: 'Embedding', config: { name: 'emb', input_dim: 9, output_dim: 2, mask_zero: true, batch_input_shape: [null, 4] } }))();
    expect(masked.layers.find((l) => l.className === 'Embedding')!.getConfig().mask_zero).toBe(true); // read, and masked (test/models/masking.test.ts)
    masked.dispose();
    expect(build(sequential({ class_name: 'Dense', config: { name: 'd', batch_input_shape: [null, 4] } }))).toThrow(/layer 0 'd' \(Dense\) of model 's': the config has no 'units'/);
    expect(build(sequential({ class_name: 'Dense', config: { name: 'd', units: 2 } }))).toThrow(/Sequential 's' config gives no input shape/);
    expect(build('{"class_name": "Sequential", ')).toThrow(/not valid JSON/);
    expect(build({ class_name: 'MyModel', config: {} })).toThrow(/model class 'MyModel' is not supported/);
    expect(build({ config: {} })).toThrow(/has no class_name/);
  });
});
