// A webrnn Model or Sequential as the config Keras 3 writes into a .keras file's config.json: every
// object as { module, class_name, config, registered_name }, tensors in inbound nodes as
// __keras_tensor__ with keras_history, InputLayer's batch_shape, dtype policies, and for each layer only
// the keys Keras 3's get_config writes (Keras 2 keys Keras 3 no longer takes, such as time_major and
// implementation, are left out: its constructors would reject them).

import type { BidirectionalLayer } from '../../layers/keras/bidirectional.js';
import type { Layer, SymbolicTensor } from '../../layers/keras/layer.js';
import type { Model } from '../model.js';
import { ShapeError } from '../../gpu/errors.js';

const DTYPE_POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const BASE_KEYS = ['name', 'trainable', 'dtype'];
const RNN_KEYS = ['return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'zero_output_for_mask'];
const REGULARIZED = ['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'];
/** Keras 3's get_config keys per class (keras/src/layers). */
const KEYS: Record<string, readonly string[]> = {
  Dense: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint'],
  Embedding: ['input_dim', 'output_dim', 'embeddings_initializer', 'embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint', 'mask_zero'],
  LSTM: ['units', 'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'unit_forget_bias', ...REGULARIZED, 'dropout', 'recurrent_dropout', 'seed', ...RNN_KEYS],
  GRU: ['units', 'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer', ...REGULARIZED, 'dropout', 'recurrent_dropout', 'reset_after', 'seed', ...RNN_KEYS],
  SimpleRNN: ['units', 'activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer', ...REGULARIZED, 'dropout', 'recurrent_dropout', 'seed', ...RNN_KEYS],
  Bidirectional: ['layer', 'merge_mode', 'backward_layer'],
  RepeatVector: ['n'],
  GlobalAveragePooling1D: ['data_format', 'keepdims'],
  GlobalMaxPooling1D: ['data_format', 'keepdims'],
  Flatten: ['data_format'],
  Conv1D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  MaxPooling1D: ['pool_size', 'padding', 'strides', 'data_format'],
  AveragePooling1D: ['pool_size', 'padding', 'strides', 'data_format'],
  LayerNormalization: ['axis', 'epsilon', 'center', 'scale', 'rms_scaling', 'beta_initializer', 'gamma_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'],
  Activation: ['activation'],
  Concatenate: ['axis'],
  Add: [],
  Attention: ['use_scale', 'score_mode', 'dropout', 'seed'],
  AdditiveAttention: ['use_scale', 'dropout', 'seed'],
  Masking: ['mask_value'],
  Dropout: ['rate', 'seed', 'noise_shape'],
  SpatialDropout1D: ['rate', 'seed'],
  GaussianDropout: ['rate', 'seed'],
  GaussianNoise: ['stddev', 'seed'],
  AlphaDropout: ['rate', 'noise_shape', 'seed'],
};

type Dict = Record<string, unknown>;

/** Keras 3 writes an initializer with its module; Keras 2's { class_name, config } gains it. */
function initializer(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('class_name' in value)) return value;
  return { module: 'keras.initializers', ...(value as Dict), registered_name: null };
}

/** Keras 3's hard_sigmoid is webrnn's hard_sigmoid_keras3; Keras 2's (clip(0.2x + 0.5)) has no Keras 3 name. */
function activation(layer: Layer, key: string, value: unknown): unknown {
  if (value === 'hard_sigmoid_keras3') return 'hard_sigmoid';
  if (value === 'hard_sigmoid') {
    throw new ShapeError(`toKeras3Config: ${layer.className} '${layer.name}' uses ${key} 'hard_sigmoid' in Keras 2's sense (clip(0.2x + 0.5, 0, 1)), ` +
      "which Keras 3 does not have (its hard_sigmoid is relu6(x + 3) / 6): save it as .h5 or TensorFlow.js files instead");
  }
  return value;
}

/** A Bidirectional's wrapped layer as Keras 3 writes it: its forward layer, and the backward one (go_backwards). */
function wrappedLayers(layer: Layer, keras2: Dict): Dict {
  const { inner, baseName: base } = layer as BidirectionalLayer;
  const forward = layerConfig(inner);
  const entry = (config: Dict) => ({ module: 'keras.layers', class_name: inner.className, config, registered_name: null });
  return {
    layer: entry({ ...forward, name: `forward_${base}` }),
    backward_layer: entry({ ...forward, name: `backward_${base}`, go_backwards: !(forward.go_backwards as boolean) }),
    merge_mode: keras2.merge_mode,
  };
}

function layerConfig(layer: Layer, className = layer.className, keras2: Dict = layer.getConfig()): Dict {
  if (className === 'TimeDistributed') {
    // Its wrapped Dense, as a Keras 3 object of its own.
    const dense = (keras2.layer as { config: Dict }).config;
    return { name: layer.name, trainable: true, dtype: DTYPE_POLICY, layer: { module: 'keras.layers', class_name: 'Dense', config: layerConfig(layer, 'Dense', dense), registered_name: null } };
  }
  if (className === 'Bidirectional') return { name: layer.name, trainable: true, dtype: DTYPE_POLICY, ...wrappedLayers(layer, keras2) };
  if (layer.className === 'InputLayer') {
    const shape = keras2.batch_input_shape;
    return { batch_shape: shape, dtype: keras2.dtype, sparse: false, name: layer.name };
  }
  const keys = KEYS[className];
  const out: Dict = {};
  for (const key of [...BASE_KEYS, ...(keys ?? Object.keys(keras2))]) {
    if (key === 'name') out.name = keras2.name ?? layer.name;
    else if (key === 'dtype') out.dtype = DTYPE_POLICY;
    else if (!(key in keras2)) {
      if (key === 'seed') out.seed = null;
      if (key === 'zero_output_for_mask') out.zero_output_for_mask = false;
    } else if (key.endsWith('_initializer')) out[key] = initializer(keras2[key]);
    else if (key.endsWith('activation')) out[key] = activation(layer, key, keras2[key]);
    else out[key] = keras2[key];
  }
  return out;
}

function tensor(model: Model, t: SymbolicTensor): Dict {
  return {
    class_name: '__keras_tensor__',
    config: { shape: [null, ...t.shape], dtype: t.layer.outputKind(t.index), keras_history: [t.layer.name, model.nodeIndex(t.node), t.index] },
  };
}

/** The model's config as Keras 3 writes it into a .keras file (config.json), parse-ready; `sequential`: the model is a Sequential. */
export function toKeras3Config(model: Model, sequential: boolean): Dict {
  const graph = model.graph;
  const wrap = (layer: Layer, extra: Dict = {}): Dict => ({
    module: 'keras.layers', class_name: layer.className, config: layerConfig(layer), registered_name: null, ...extra,
  });
  const inputShape = (layer: Layer) => {
    const node = layer.nodes.find((n) => graph.nodes.includes(n));
    const first = node?.inputs[0];
    return first ? { build_config: { input_shape: [null, ...first.shape] } } : {};
  };
  if (sequential) {
    return {
      module: 'keras', class_name: 'Sequential',
      config: { name: model.name, trainable: true, dtype: DTYPE_POLICY, layers: graph.layers.map((layer) => wrap(layer, layer.className === 'InputLayer' ? {} : inputShape(layer))) },
      registered_name: null, build_config: { input_shape: [null, ...graph.inputs[0].shape] },
    };
  }
  const ref = (t: SymbolicTensor) => [t.layer.name, model.nodeIndex(t.node), t.index];
  const layers = graph.layers.map((layer) => wrap(layer, {
    name: layer.name,
    ...(layer.className === 'InputLayer' ? {} : inputShape(layer)),
    inbound_nodes: layer.nodes
      .filter((node) => graph.nodes.includes(node) && node.inbound.length > 0)
      .map((node) => {
        const inputs = node.inputs.map((t) => tensor(model, t));
        // A merge takes its inputs as one list argument; a recurrent layer's initial states are a keyword.
        const args = node.inputs.length > 1 ? [inputs] : inputs;
        return { args, kwargs: node.initialState.length > 0 ? { initial_state: node.initialState.map((t) => tensor(model, t)) } : {} };
      }),
  }));
  return {
    module: 'keras.src.models.functional', class_name: 'Functional',
    config: { name: model.name, trainable: true, layers, input_layers: graph.inputs.map(ref), output_layers: graph.outputs.map(ref) },
    registered_name: 'Functional',
  };
}
