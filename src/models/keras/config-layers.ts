// One Keras layer config -> a webrnn layer, with what the model needs to know about it.
//
// Defaults that depend on who wrote the config (read-config.ts):
//   - GRU reset_after: every Keras that has the option writes it, so the key is absent only from writers
//     without it, whose GRU is reset_after = false: TensorFlow.js (its GRU has only that variant; 4.x writes
//     `reset_after: false`, older versions nothing) and Keras before 2.3 (or a version-less 2018 list
//     config). A hand-written Keras 2.3+ / tf.keras / Keras 3 config without it gets those versions'
//     constructor default, true, as their from_config would.
//   - Absent recurrent_activation: 'hard_sigmoid' for TensorFlow.js and Keras before 2.3 (their default),
//     'sigmoid' otherwise. Absent or null unit_forget_bias (TensorFlow.js writes null): false for
//     TensorFlow.js, true for Keras (it only changes the initial forget-gate bias).
//
// Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise and AlphaDropout become an inference identity
// (src/layers/keras/identity.ts). `stateful: true`, `time_major: true` and mask_zero are errors: they
// change what the model computes.

import { ShapeError } from '../../gpu/errors.js';
import type { Activation } from '../../kernels/activation.js';
import { ActivationLayer } from '../../layers/keras/activation.js';
import { DenseLayer } from '../../layers/keras/dense.js';
import { EmbeddingLayer } from '../../layers/keras/embedding.js';
import { InferenceIdentityLayer, type InferenceIdentityClass } from '../../layers/keras/identity.js';
import { InputLayer } from '../../layers/keras/input.js';
import type { Layer, Shape, ValueKind } from '../../layers/keras/layer.js';
import { Add, Concatenate } from '../../layers/keras/merge.js';
import { RecurrentLayerNode } from '../../layers/keras/recurrent.js';
import { ConfigReader } from './config-reader.js';
import { describe, isDict, type Dict } from './config-values.js';
import type { FromConfigOptions } from './index.js';
import { CELLS, isReadable, supported, UNSUPPORTED_REASONS } from './layer-classes.js';
import type { Dialect } from './read-config.js';
import { trainingOnlySettings } from './training-only.js';

/** One entry of a config's layers. */
export interface LayerEntry {
  readonly index: number;
  readonly className: string;
  readonly name: string;
  readonly config: Dict;
  readonly raw: Dict;
  /** "layer 3 'lambda' (Lambda) of model 'seq2seq'". */
  readonly who: string;
}

/** The entries of a config's list of layers, each checked to have a class, a config and a name. */
export function layerEntries(list: unknown, modelName: string): LayerEntry[] {
  if (!Array.isArray(list)) throw new ShapeError(`fromConfig: model '${modelName}' config has no list of layers, got ${describe(list)}`);
  return list.map((raw, index) => {
    if (!isDict(raw)) throw new ShapeError(`fromConfig: layer ${index} of model '${modelName}' must be an object { class_name, config }, got ${describe(raw)}`);
    const className = raw.class_name;
    const config = raw.config ?? {};
    if (typeof className !== 'string') throw new ShapeError(`fromConfig: layer ${index} of model '${modelName}' has no class_name`);
    if (!isDict(config)) throw new ShapeError(`fromConfig: layer ${index} (${className}) of model '${modelName}' has a config that is not an object: ${describe(config)}`);
    const name = typeof raw.name === 'string' ? raw.name : typeof config.name === 'string' ? config.name : undefined;
    if (name === undefined) throw new ShapeError(`fromConfig: layer ${index} (${className}) of model '${modelName}' has no name`);
    return { index, className, name, config, raw, who: `layer ${index} '${name}' (${className}) of model '${modelName}'` };
  });
}

/** A layer made from its entry, with what the model needs to know about it. */
export interface Made {
  readonly layer: Layer;
  /** A Sequential's input, from the layer's batch_input_shape / input_shape / input_dim. */
  readonly inputShape?: Shape;
  readonly inputKind?: ValueKind;
  /** The axis a Concatenate was configured with (checked against the input's rank when called). */
  readonly axis?: number;
  /** What trains differently in webrnn (training-only.ts). */
  readonly trainingOnly: string[];
}

type RecurrentActivation = Exclude<Activation, 'softmax' | 'log_softmax'>;

/** The webrnn layer of an entry; a setting it would compute differently from Keras is a ShapeError naming the layer. */
export function makeLayer(entry: LayerEntry, dialect: Dialect, options: FromConfigOptions): Made {
  const { className, config, who, name } = entry;
  if (!isReadable(className)) {
    const registered = entry.raw.registered_name;
    const custom = typeof registered === 'string' && registered !== className && registered !== '' && !/^keras[.>]/.test(registered)
      ? ` (the custom class '${registered}')` : '';
    const reason = Object.hasOwn(UNSUPPORTED_REASONS, className) ? UNSUPPORTED_REASONS[className] : 'it is not one of the layers webrnn has';
    throw new ShapeError(`fromConfig: ${who}${custom} is not supported by webrnn: ${reason} (${supported()})`);
  }
  const read = new ConfigReader(config, who, dialect);
  const trainingOnly = trainingOnlySettings(className, config, who);
  return withContext(who, (): Made => {
    switch (className) {
      case 'InputLayer': {
        if (config.sparse === true || config.ragged === true) throw new ShapeError('sparse and ragged inputs are not supported');
        const shape = read.inputShape() ?? (Array.isArray(config.shape) ? (config.shape as Shape) : undefined);
        if (!shape) throw new ShapeError('the config has no batch_input_shape, batch_shape or input_shape');
        return { layer: new InputLayer({ shape, name, dtype: read.dtypeKind() }), trainingOnly };
      }
      case 'Dense':
        read.rejectLora();
        return {
          layer: new DenseLayer({
            name, units: read.integer('units'), activation: read.activation('activation', 'linear'), useBias: read.boolean('use_bias', true),
            kernelInitializer: read.initializer('kernel_initializer'), biasInitializer: read.initializer('bias_initializer'),
          }),
          ...read.firstLayerInput(), trainingOnly,
        };
      case 'Activation': {
        if (!('activation' in config)) throw new ShapeError("the config has no 'activation'");
        return { layer: new ActivationLayer({ name, activation: read.activation('activation', 'linear') }), ...read.firstLayerInput(), trainingOnly };
      }
      case 'Embedding': {
        read.rejectLora();
        const inputLength = config.input_length;
        const given = read.firstLayerInput();
        return {
          layer: new EmbeddingLayer({
            name, inputDim: read.integer('input_dim'), outputDim: read.integer('output_dim'),
            embeddingsInitializer: read.initializer('embeddings_initializer'), maskZero: config.mask_zero === true,
          }),
          // Keras 2's Embedding takes its input shape from input_length.
          inputShape: given.inputShape ?? [typeof inputLength === 'number' ? inputLength : null],
          inputKind: given.inputKind,
          trainingOnly,
        };
      }
      case 'LSTM':
      case 'GRU':
      case 'SimpleRNN': {
        if (config.stateful === true) throw new ShapeError('stateful recurrent layers (state carried across batches) are not supported yet');
        if (config.time_major === true) throw new ShapeError('time_major inputs are not supported: Keras models take batch-major sequences');
        const cell = CELLS[className];
        const gated = cell !== 'simple_rnn';
        const layer = new RecurrentLayerNode(cell, {
          name,
          units: read.integer('units'),
          activation: read.activation('activation', 'tanh') as RecurrentActivation,
          ...(gated ? { recurrentActivation: read.activation('recurrent_activation', dialect.kind === 'tfjs' || dialect.legacy ? 'hard_sigmoid' : 'sigmoid') as RecurrentActivation } : {}),
          useBias: read.boolean('use_bias', true),
          ...(cell === 'lstm' ? { unitForgetBias: read.boolean('unit_forget_bias', dialect.kind !== 'tfjs') } : {}),
          ...(cell === 'gru' ? { resetAfter: read.boolean('reset_after', !(dialect.kind === 'tfjs' || dialect.legacy)) } : {}),
          kernelInitializer: read.initializer('kernel_initializer'),
          recurrentInitializer: read.initializer('recurrent_initializer'),
          biasInitializer: read.initializer('bias_initializer'),
          returnSequences: read.boolean('return_sequences', false),
          returnState: read.boolean('return_state', false),
          goBackwards: read.boolean('go_backwards', false),
        });
        return { layer, ...read.firstLayerInput(), trainingOnly };
      }
      case 'Concatenate': {
        const axis = config.axis ?? -1;
        if (!Number.isInteger(axis)) throw new ShapeError(`axis must be an integer, got ${describe(axis)}`);
        return { layer: new Concatenate({ name }), axis: axis as number, trainingOnly };
      }
      case 'Add':
        return { layer: new Add({ name }), trainingOnly };
      default: {
        // The inert classes.
        const rate = className === 'GaussianNoise' ? read.number('stddev', 0) : read.number('rate', 0);
        const kept: Dict = {};
        for (const key of ['rate', 'stddev', 'noise_shape', 'seed']) if (key in config) kept[key] = config[key];
        if (className === 'GaussianNoise') kept.stddev ??= rate;
        else kept.rate ??= rate;
        const layer = new InferenceIdentityLayer(className as InferenceIdentityClass, { name, keras: kept, refuseTraining: rate > 0 && !options.ignoreTrainingOnlySettings });
        return { layer, ...read.firstLayerInput(), trainingOnly };
      }
    }
  });
}

/** Runs `make`, prefixing a ShapeError's message with the layer it is about. */
export function withContext<T>(who: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof ShapeError && !error.message.startsWith('fromConfig:')) throw new ShapeError(`fromConfig: ${who}: ${error.message}`);
    throw error;
  }
}
