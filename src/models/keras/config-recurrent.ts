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
// `stateful: true` and `time_major: true` are errors: they change what the model computes.

import { ShapeError } from '../../gpu/errors.js';
import type { Activation } from '../../kernels/activation.js';
import { RecurrentLayerNode } from '../../layers/keras/recurrent.js';
import type { ConfigReader } from './config-reader.js';
import { describe, type Dict } from './config-values.js';
import { CELLS } from './layer-classes.js';
import type { Dialect } from './read-config.js';

type RecurrentActivation = Exclude<Activation, 'softmax' | 'log_softmax'>;

/** What a CuDNN class always computes (Keras' cudnn_recurrent.py has no options for these). */
const CUDNN_FIXED: Record<string, Dict> = {
  CuDNNLSTM: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
  CuDNNGRU: { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: true },
};

/** The webrnn layer of a recurrent class's config (read in Keras 2 terms). */
export function makeRecurrent(className: keyof typeof CELLS, name: string, config: Dict, read: ConfigReader, dialect: Dialect): RecurrentLayerNode {
  if (config.stateful === true) throw new ShapeError('stateful recurrent layers (state carried across batches) are not supported yet');
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
  });
}
