// One recurrent layer config (LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU) -> a webrnn recurrent layer.
//
// Defaults that depend on who wrote the config (read-config.ts):
//   - GRU reset_after: every Keras that has the option writes it, so the key is absent only from writers
//     without it, whose GRU is reset_after = false: TensorFlow.js (its GRU has only that variant; 4.x writes
//     `reset_after: false`, older versions nothing), Keras 1 and Keras before 2.3 (or a version-less 2018
//     list config). A hand-written Keras 2.3+ / tf.keras / Keras 3 config without it gets those versions'
//     constructor default, true, as their from_config would.
//   - Absent recurrent_activation: 'hard_sigmoid' for TensorFlow.js, Keras 1 and Keras before 2.3 (their
//     default), 'sigmoid' otherwise. Absent or null unit_forget_bias (TensorFlow.js writes null): false for
//     TensorFlow.js, true for Keras (it only changes the initial forget-gate bias).
//
// CuDNNLSTM and CuDNNGRU compute one fixed variant each (cuDNN's): tanh, sigmoid gates, biases, and for
// the GRU reset_after = true, whatever the dialect's defaults; a config that says otherwise is an error.
// Their weights in files are in cuDNN's layout: src/io/legacy-weights.ts converts them.
// `time_major: true` is an error: it changes what the model computes. `stateful: true` carries the
// states across batches (src/layers/keras/recurrent.ts), but not inside a Bidirectional.

import { ShapeError } from '../../gpu/errors.js';
import type { Activation } from '../../kernels/activation.js';
import { BidirectionalLayer, type BidirectionalMergeMode } from '../../layers/keras/bidirectional.js';
import { RecurrentLayerNode } from '../../layers/keras/recurrent.js';
import { ConfigReader } from './config-reader.js';
import { describe, isDict, type Dict } from './config-values.js';
import { fromKeras1 } from './keras1-config.js';
import { CELLS } from './layer-classes.js';
import type { Dialect } from './read-config.js';
import { trainingOnlySettings } from './training-only.js';

type RecurrentActivation = Exclude<Activation, 'softmax' | 'log_softmax'>;

/** What a CuDNN class always computes (Keras' cudnn_recurrent.py has no options for these). */
const CUDNN_FIXED: Record<string, Dict> = {
  CuDNNLSTM: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
  CuDNNGRU: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true },
};

/**
 * The webrnn layer of a recurrent class's config (read in Keras 2 terms), `wrapped` in a Bidirectional
 * or not. Its dropout and recurrent dropout are applied (in training, as Keras) unless they are Keras 1's:
 * then they stay training-only settings.
 */
export function makeRecurrent(className: keyof typeof CELLS, name: string, config: Dict, read: ConfigReader, dialect: Dialect, wrapped = false): RecurrentLayerNode {
  // Keras repeats h at masked steps unless zero_output_for_mask (which Bidirectional sets on the layers it wraps, and webrnn's does).
  if (!wrapped && config.zero_output_for_mask === true) throw new ShapeError('zero_output_for_mask true (zeros at masked steps) is not supported yet for a layer outside a Bidirectional');
  // Keras' stateful layers know their batch: batch_input_shape (Keras 2) or batch_shape (Keras 3) on the
  // first layer; else the first batch it runs fixes it.
  const batchShape = config.batch_input_shape ?? config.batch_shape;
  const batchSize = config.stateful === true && Array.isArray(batchShape) && typeof batchShape[0] === 'number' ? batchShape[0] : undefined;
  if (config.time_major === true) throw new ShapeError('time_major inputs are not supported: Keras models take batch-major sequences');
  const fixed = Object.hasOwn(CUDNN_FIXED, className) ? CUDNN_FIXED[className] : undefined;
  for (const [key, value] of Object.entries(fixed ?? {})) {
    if (key in config && config[key] !== value) throw new ShapeError(`a ${className} always has ${key} ${describe(value)}, the config says ${describe(config[key])}`);
  }
  const cell = CELLS[className];
  const gated = cell !== 'simple_rnn';
  const legacyDefaults = dialect.kind === 'tfjs' || dialect.legacy;
  const fixedOr = <T>(key: string, given: () => T): T => (fixed && key in fixed ? (fixed[key] as T) : given());
  return new RecurrentLayerNode(cell, {
    name,
    units: read.integer('units'),
    activation: fixedOr('activation', () => read.activation('activation', 'tanh')) as RecurrentActivation,
    ...(gated ? { recurrentActivation: fixedOr('recurrent_activation', () => read.activation('recurrent_activation', legacyDefaults ? 'hard_sigmoid' : 'sigmoid')) as RecurrentActivation } : {}),
    useBias: fixedOr('use_bias', () => read.boolean('use_bias', true)),
    ...(cell === 'lstm' ? { unitForgetBias: read.boolean('unit_forget_bias', dialect.kind !== 'tfjs') } : {}),
    ...(cell === 'gru' ? { resetAfter: fixedOr('reset_after', () => read.boolean('reset_after', !legacyDefaults)) } : {}),
    kernelInitializer: read.initializer('kernel_initializer'),
    recurrentInitializer: read.initializer('recurrent_initializer'),
    biasInitializer: read.initializer('bias_initializer'),
    returnSequences: read.boolean('return_sequences', false),
    returnState: read.boolean('return_state', false),
    goBackwards: read.boolean('go_backwards', false),
    // Keras 1's dropout_W and dropout_U drew a mask per gate: they stay training-only settings (training-only.ts).
    ...(dialect.kind === 'keras1' ? {} : { dropout: read.number('dropout', 0), recurrentDropout: read.number('recurrent_dropout', 0) }),
    stateful: read.boolean('stateful', false),
    ...(batchSize !== undefined ? { batchSize } : {}),
  });
}

/** The wrapped layer of a Bidirectional config, in Keras 2 terms: its class, config and where its keys came from. */
function wrapped(config: Dict, dialect: Dialect, key = 'layer'): { className: keyof typeof CELLS; config: Dict; origin: Record<string, string> } {
  const entry = config[key];
  if (!isDict(entry) || typeof entry.class_name !== 'string' || !isDict(entry.config ?? {})) {
    throw new ShapeError(`its '${key}' must be a layer config { class_name, config }, got ${describe(entry)}`);
  }
  const raw = { className: entry.class_name, config: (entry.config ?? {}) as Dict, origin: {} as Record<string, string> };
  const terms = dialect.kind === 'keras1' ? fromKeras1(raw.className, raw.config) : raw;
  if (!Object.hasOwn(CELLS, terms.className)) {
    throw new ShapeError(`it wraps a ${terms.className}: webrnn's Bidirectional wraps LSTM, GRU and SimpleRNN layers`);
  }
  return { className: terms.className as keyof typeof CELLS, config: terms.config, origin: { ...terms.origin } };
}

/**
 * A Bidirectional config: the wrapped layer runs both ways. A `backward_layer` must be that layer's
 * mirror (the same class and settings, go_backwards the other way, as Keras makes it by default);
 * Keras allows a different one, which webrnn does not run.
 */
export function makeBidirectional(name: string, config: Dict, dialect: Dialect, who: string): BidirectionalLayer {
  const forward = wrapped(config, dialect);
  const innerName = typeof forward.config.name === 'string' ? forward.config.name : `${name}_layer`;
  const read = new ConfigReader(forward.config, `${who} layer '${innerName}'`, dialect, forward.origin);
  const inner = makeRecurrent(forward.className, innerName, forward.config, read, dialect, true);
  if ('backward_layer' in config && config.backward_layer !== null && config.backward_layer !== undefined) {
    const backward = wrapped(config, dialect, 'backward_layer');
    const ignored = new Set(['name', 'go_backwards']);
    const differs = backward.className !== forward.className
      ? ['class_name']
      : [...new Set([...Object.keys(forward.config), ...Object.keys(backward.config)])]
        .filter((k) => !ignored.has(k) && JSON.stringify(forward.config[k]) !== JSON.stringify(backward.config[k]));
    const flipped = (backward.config.go_backwards === true) !== (forward.config.go_backwards === true);
    if (differs.length > 0 || !flipped) {
      throw new ShapeError(`its backward_layer is not the wrapped layer's mirror (${differs.length > 0 ? `it differs in ${differs.join(', ')}` : 'go_backwards is not the other way'}): ` +
        'webrnn runs Bidirectional layers whose backward layer is the forward one run backwards');
    }
  }
  const mode = config.merge_mode === undefined ? 'concat' : config.merge_mode;
  if (!['concat', 'sum', 'mul', 'ave', null].includes(mode as string | null)) {
    throw new ShapeError(`merge_mode must be 'concat', 'sum', 'mul', 'ave' or null, got ${describe(mode)}`);
  }
  return new BidirectionalLayer({ name, layer: inner, mergeMode: mode as BidirectionalMergeMode });
}

/** What trains differently in the wrapped layer of a Bidirectional config (its dropout, regularizers). */
export function innerTrainingOnly(config: Dict, who: string): string[] {
  const entry = config.layer;
  if (!isDict(entry) || typeof entry.class_name !== 'string' || !isDict(entry.config)) return [];
  return trainingOnlySettings(entry.class_name, entry.config, `${who} layer`);
}
