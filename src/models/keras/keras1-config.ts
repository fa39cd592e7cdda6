// Keras 1 layer configs in Keras 2 terms, as Keras 2.0–2.2 read them: the renames of its legacy
// interfaces (keras/legacy/interfaces.py: legacy_dense_support, legacy_recurrent_support,
// legacy_embedding_support, legacy_dropout_support, ...) and its Merge layer (keras/legacy/layers.py,
// Keras 1's engine/topology.py). The Keras 2 path (config-layers.ts) then reads the result.
//
// Keras 1 semantics that differ from the Keras 2 defaults are written out explicitly: LSTM / GRU gates
// hard_sigmoid, GRU reset_after false, forget_bias_init 'one' as unit_forget_bias. What only chose an
// implementation (consume_less, unroll) is dropped. Every other key must be one Keras 1 writes (or its
// Keras 2 name): an unknown key is an error naming it, since webrnn cannot tell what it would change.
// Merge becomes Concatenate (mode 'concat', its concat_axis) or Add (mode 'sum', Keras 1's default);
// every other mode, a Python mode, or a Merge of whole models is an error naming the key.

import { ShapeError } from '../../gpu/errors.js';
import { describe, isDict, type Dict } from './config-values.js';

/** A layer config in Keras 2 terms, with the Keras 1 key each renamed key came from (for messages). */
export interface Keras2Terms {
  readonly className: string;
  readonly config: Dict;
  /** Keras 2 key -> the Keras 1 key it was read from. */
  readonly origin: Readonly<Record<string, string>>;
}

/** Classes only Keras 1 (and Keras 2.0–2.2's legacy layers) has: read as Keras 1 whatever the config's version. */
export const KERAS1_CLASSES = ['Merge', 'TimeDistributedDense'] as const;

/** Keys every Keras 1 layer may carry (Layer's get_config and constructor keywords). */
const BASE = ['name', 'trainable', 'batch_input_shape', 'input_shape', 'input_dtype'];
/** Keys that only chose how Keras 1 computed, not what: dropped. */
const IMPLEMENTATION = ['consume_less', 'unroll', 'create_input_layer'];

const DENSE = {
  output_dim: 'units', init: 'kernel_initializer', W_regularizer: 'kernel_regularizer', b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint', b_constraint: 'bias_constraint', bias: 'use_bias',
};
const SIMPLE_RNN = {
  output_dim: 'units', init: 'kernel_initializer', inner_init: 'recurrent_initializer', W_regularizer: 'kernel_regularizer',
  U_regularizer: 'recurrent_regularizer', b_regularizer: 'bias_regularizer', dropout_W: 'dropout', dropout_U: 'recurrent_dropout',
};
const GATED = { ...SIMPLE_RNN, inner_activation: 'recurrent_activation' };
const RECURRENT_KEYS = ['activation', 'return_sequences', 'go_backwards', 'stateful', 'input_dim', 'input_length'];

interface Table {
  /** Keras 1 key -> Keras 2 key. */
  readonly renames: Readonly<Record<string, string>>;
  /** Keys with the same name and meaning in both (or handled below). */
  readonly keys: readonly string[];
}

const TABLES: Record<string, Table> = {
  Dense: { renames: DENSE, keys: ['activation', 'activity_regularizer', 'input_dim'] },
  TimeDistributedDense: { renames: DENSE, keys: ['activation', 'activity_regularizer', 'input_dim', 'input_length'] },
  SimpleRNN: { renames: SIMPLE_RNN, keys: RECURRENT_KEYS },
  GRU: { renames: GATED, keys: RECURRENT_KEYS },
  LSTM: { renames: GATED, keys: [...RECURRENT_KEYS, 'forget_bias_init'] },
  Embedding: {
    renames: { init: 'embeddings_initializer', W_regularizer: 'embeddings_regularizer', W_constraint: 'embeddings_constraint' },
    keys: ['input_dim', 'output_dim', 'input_length', 'mask_zero', 'activity_regularizer', 'dropout'],
  },
  Activation: { renames: {}, keys: ['activation'] },
  Dropout: { renames: { p: 'rate' }, keys: [] },
  SpatialDropout1D: { renames: { p: 'rate' }, keys: [] },
  GaussianDropout: { renames: { p: 'rate' }, keys: [] },
  GaussianNoise: { renames: { sigma: 'stddev' }, keys: [] },
  InputLayer: { renames: {}, keys: ['sparse'] },
  Merge: {
    renames: {},
    keys: ['mode', 'mode_type', 'concat_axis', 'dot_axes', 'output_shape', 'output_shape_type', 'output_mask', 'output_mask_type', 'arguments', 'layers'],
  },
};

/**
 * A Keras 1 layer config in Keras 2 terms. Classes Keras 1 does not have (or webrnn does not read) come
 * back as they are; errors are ShapeErrors without the layer's name (the caller prefixes it).
 */
export function fromKeras1(className: string, config: Dict): Keras2Terms {
  if (!Object.hasOwn(TABLES, className)) return { className, config, origin: {} };
  const { renames, keys } = TABLES[className];
  const out: Dict = {};
  const targets = Object.values(renames);
  // Messages name a key as Keras 1 writes it, also when it is missing ("the config has no 'output_dim'").
  const origin: Record<string, string> = {};
  for (const [key, target] of Object.entries(renames)) if (!(target in config)) origin[target] = key;
  for (const [key, value] of Object.entries(config)) {
    if (IMPLEMENTATION.includes(key)) continue;
    if (Object.hasOwn(renames, key)) {
      const target = renames[key];
      // As Keras 2's legacy interfaces: both spellings at once is ambiguous.
      if (target in config) throw new ShapeError(`the config has both the Keras 1 key '${key}' and its Keras 2 name '${target}'`);
      out[target] = value;
    } else if (BASE.includes(key) || keys.includes(key) || targets.includes(key) || (key === 'unit_forget_bias' && className === 'LSTM')) {
      out[key] = value;
    } else {
      throw new ShapeError(`the key '${key}' (${describe(value)}) is not one a Keras 1 ${className} has, so webrnn cannot tell what it changes`);
    }
  }
  if ('input_dtype' in out) {
    // Keras 1's name of the input's dtype (Embedding writes int32).
    out.dtype ??= out.input_dtype;
    origin.dtype = 'input_dtype';
    delete out.input_dtype;
  }
  switch (className) {
    case 'Merge':
      return merge(out);
    case 'Dense':
    case 'TimeDistributedDense':
      // input_dim is written on every built layer; it gives the input only without a batch_input_shape.
      inputShape(out, className === 'Dense' ? [] : [out.input_length ?? null]);
      delete out.input_length;
      return { className: 'Dense', config: out, origin };
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN':
      inputShape(out, [out.input_length ?? null]);
      delete out.input_length;
      if (className !== 'SimpleRNN') out.recurrent_activation ??= 'hard_sigmoid';
      if (className === 'GRU') out.reset_after ??= false;
      if (className === 'LSTM' && 'forget_bias_init' in out) {
        // Only the initial forget-gate bias: 'one' is Keras 2's unit_forget_bias, anything else starts it as the other biases.
        out.unit_forget_bias ??= out.forget_bias_init === 'one';
        origin.unit_forget_bias = 'forget_bias_init';
        delete out.forget_bias_init;
      }
      return { className, config: out, origin };
    default:
      return { className, config: out, origin };
  }
}

/** input_dim (with the leading axes `lead`) as the input shape, when nothing else gives it; input_dim dropped. */
function inputShape(config: Dict, lead: unknown[]): void {
  const dim = config.input_dim;
  delete config.input_dim;
  if (config.batch_input_shape !== undefined && config.batch_input_shape !== null) return;
  if (config.input_shape !== undefined && config.input_shape !== null) return;
  if (Number.isInteger(dim)) config.input_shape = [...lead, dim];
}

/** Keras 1's Merge as Concatenate or Add. */
function merge(config: Dict): Keras2Terms {
  if (Array.isArray(config.layers) && config.layers.length > 0) {
    throw new ShapeError(`'layers': a Merge of whole models (Keras 1's Sequential branches) is not supported: nested models are not supported, ` +
      'write the branches as a functional model');
  }
  const modeType = config.mode_type ?? 'raw';
  if (modeType !== 'raw') {
    throw new ShapeError(`'mode_type' is ${describe(modeType)}: the merge mode is Python code (${describe(config.mode)}), which webrnn cannot run`);
  }
  const mode = config.mode ?? 'sum';
  const name = config.name;
  if (mode === 'concat') {
    const axis = config.concat_axis ?? -1;
    return { className: 'Concatenate', config: { name, axis }, origin: { axis: 'concat_axis' } };
  }
  if (mode === 'sum') return { className: 'Add', config: { name }, origin: {} };
  throw new ShapeError(`'mode' ${describe(mode)} is not supported: webrnn reads the Merge modes 'concat' (as Concatenate) and 'sum' (as Add)`);
}

/** Keys only Keras 1 writes: a config without a version that has them is a Keras 1 config. */
const KERAS1_KEYS = [
  'init', 'inner_init', 'inner_activation', 'forget_bias_init', 'W_regularizer', 'U_regularizer', 'b_regularizer', 'W_constraint',
  'b_constraint', 'dropout_W', 'dropout_U', 'consume_less', 'input_dtype',
];

/** Whether a version-less config's layers are Keras 1's (its classes or key names). */
export function looksLikeKeras1(layers: readonly unknown[]): boolean {
  return layers.some((layer) => {
    if (!isDict(layer) || typeof layer.class_name !== 'string') return false;
    if ((KERAS1_CLASSES as readonly string[]).includes(layer.class_name)) return true;
    const config = layer.config;
    if (!isDict(config)) return false;
    if (KERAS1_KEYS.some((key) => key in config)) return true;
    // Keras 2's Embedding has output_dim too; its Dense and recurrent layers have units.
    if (['Dense', 'LSTM', 'GRU', 'SimpleRNN'].includes(layer.class_name) && 'output_dim' in config) return true;
    return ['Dropout', 'SpatialDropout1D', 'GaussianDropout'].includes(layer.class_name) ? 'p' in config : layer.class_name === 'GaussianNoise' && 'sigma' in config;
  });
}
