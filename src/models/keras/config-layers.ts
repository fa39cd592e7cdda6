// One Keras layer config -> a webrnn layer, with what the model needs to know about it.
//
// A Keras 1 config (and Keras 1's classes, Merge and TimeDistributedDense, in any config) is first read
// in Keras 2 terms (keras1-config.ts); errors and training-only settings name the keys it wrote.
// Recurrent layers, and the defaults that depend on who wrote the config: config-recurrent.ts.
//
// Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise and AlphaDropout become the layers of
// src/layers/keras/dropout.ts (the identity at inference, their noise in training). Embedding's
// mask_zero and Masking make Keras' mask of padded steps, which the layers after them read.

import { ShapeError } from '../../gpu/errors.js';
import { ActivationLayer } from '../../layers/keras/activation.js';
import { Conv1DLayer } from '../../layers/keras/conv1d.js';
import { DenseLayer } from '../../layers/keras/dense.js';
import { EmbeddingLayer } from '../../layers/keras/embedding.js';
import { noiseLayerOf, type NoiseLayerClass } from '../../layers/keras/dropout.js';
import { InputLayer } from '../../layers/keras/input.js';
import type { Layer, Shape, ValueKind } from '../../layers/keras/layer.js';
import { MaskingLayer } from '../../layers/keras/masking.js';
import { Add, Concatenate } from '../../layers/keras/merge.js';
import { AdditiveAttentionLayer, AttentionLayer } from '../../layers/keras/attention.js';
import { ConfigReader } from './config-reader.js';
import { innerTrainingOnly, makeBidirectional, makeRecurrent } from './config-recurrent.js';
import { LayerNormalizationLayer } from '../../layers/keras/layer-norm.js';
import { FlattenLayer, GlobalPooling1DLayer } from '../../layers/keras/pooling.js';
import { Pooling1DLayer } from '../../layers/keras/pooling1d.js';
import { RepeatVectorLayer, TimeDistributedLayer } from '../../layers/keras/repeat.js';
import { describe, isDict, type Dict } from './config-values.js';
import type { FromConfigOptions } from './index.js';
import { fromKeras1, KERAS1_CLASSES, type Keras2Terms } from './keras1-config.js';
import { isReadable, supported, UNSUPPORTED_REASONS } from './layer-classes.js';
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
  /** The config's key of that axis, for errors ('axis', Keras 1's 'concat_axis'). */
  readonly axisKey?: string;
  /** What trains differently in webrnn (training-only.ts). */
  readonly trainingOnly: string[];
}

/** The webrnn layer of an entry; a setting it would compute differently from Keras is a ShapeError naming the layer. */
export function makeLayer(entry: LayerEntry, dialect: Dialect, options: FromConfigOptions): Made {
  const { who, name } = entry;
  const terms: Keras2Terms = dialect.kind === 'keras1' || (KERAS1_CLASSES as readonly string[]).includes(entry.className)
    ? withContext(who, () => fromKeras1(entry.className, entry.config))
    : { className: entry.className, config: entry.config, origin: {} };
  const { className, config, origin } = terms;
  if (!isReadable(className)) {
    const registered = entry.raw.registered_name;
    const custom = typeof registered === 'string' && registered !== className && registered !== '' && !/^keras[.>]/.test(registered)
      ? ` (the custom class '${registered}')` : '';
    const reason = Object.hasOwn(UNSUPPORTED_REASONS, className) ? UNSUPPORTED_REASONS[className] : 'it is not one of the layers webrnn has';
    throw new ShapeError(`fromConfig: ${who}${custom} is not supported by webrnn: ${reason} (${supported()})`);
  }
  const read = new ConfigReader(config, who, dialect, origin);
  const trainingOnly = trainingOnlySettings(className, config, who, origin);
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
      case 'Masking':
        return { layer: new MaskingLayer({ name, maskValue: read.number('mask_value', 0) }), ...read.firstLayerInput(), trainingOnly };
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
      case 'SimpleRNN':
      case 'CuDNNLSTM':
      case 'CuDNNGRU':
        return { layer: makeRecurrent(className, name, config, read, dialect), ...read.firstLayerInput(), trainingOnly };
      case 'Bidirectional':
        return { layer: makeBidirectional(name, config, dialect, who), ...read.firstLayerInput(), trainingOnly: [...trainingOnly, ...innerTrainingOnly(config, who)] };
      case 'GlobalAveragePooling1D':
      case 'GlobalMaxPooling1D':
        channelsLast(config);
        return { layer: new GlobalPooling1DLayer(className === 'GlobalAveragePooling1D' ? 'avg' : 'max', { name, keepdims: read.boolean('keepdims', false) }), ...read.firstLayerInput(), trainingOnly };
      case 'Conv1D': {
        read.rejectLora();
        if (config.dora_rank !== undefined && config.dora_rank !== null) throw new ShapeError(`DoRA (dora_rank ${describe(config.dora_rank)}) is not supported`);
        channelsLast(config);
        const groups = config.groups ?? 1;
        if (groups !== 1) throw new ShapeError(`groups ${describe(groups)} is not supported: webrnn's Conv1D convolves all input channels together (groups 1)`);
        return {
          layer: new Conv1DLayer({
            name, filters: read.integer('filters'), kernelSize: read.size1d('kernel_size'), strides: read.size1d('strides', 1),
            padding: read.choice('padding', ['valid', 'same', 'causal'], 'valid'), dilationRate: read.size1d('dilation_rate', 1),
            activation: read.activation('activation', 'linear'), useBias: read.boolean('use_bias', true),
            kernelInitializer: read.initializer('kernel_initializer'), biasInitializer: read.initializer('bias_initializer'),
          }),
          ...read.firstLayerInput(), trainingOnly,
        };
      }
      case 'MaxPooling1D':
      case 'AveragePooling1D': {
        channelsLast(config);
        const poolSize = read.size1d('pool_size', 2);
        return {
          layer: new Pooling1DLayer(className === 'MaxPooling1D' ? 'max' : 'avg', {
            name, poolSize, strides: read.size1d('strides', poolSize), padding: read.choice('padding', ['valid', 'same'], 'valid'),
          }),
          ...read.firstLayerInput(), trainingOnly,
        };
      }
      case 'Flatten':
        channelsLast(config);
        return { layer: new FlattenLayer({ name }), ...read.firstLayerInput(), trainingOnly };
      case 'LayerNormalization': {
        // tf.keras writes the axis as a list of positive indices ([2] for [T, F]); the layer checks it is the last.
        const given = config.axis ?? -1;
        const axis = Array.isArray(given) && given.length === 1 ? given[0] : given;
        if (!Number.isInteger(axis)) throw new ShapeError(`axis ${describe(given)} is not supported: webrnn normalizes over the last axis only`);
        if (config.rms_scaling === true) throw new ShapeError('rms_scaling is not supported');
        return {
          layer: new LayerNormalizationLayer({
            name, axis: axis as number, epsilon: read.number('epsilon', 1e-3), center: read.boolean('center', true), scale: read.boolean('scale', true),
            gammaInitializer: read.initializer('gamma_initializer'), betaInitializer: read.initializer('beta_initializer'),
          }),
          ...read.firstLayerInput(), trainingOnly,
        };
      }
      case 'RepeatVector':
        return { layer: new RepeatVectorLayer({ name, n: read.integer('n') }), ...read.firstLayerInput(), trainingOnly };
      case 'TimeDistributed':
        return { layer: makeTimeDistributed(name, config, dialect, who), ...read.firstLayerInput(), trainingOnly };
      case 'Concatenate': {
        const axis = config.axis ?? -1;
        const axisKey = read.key('axis');
        if (!Number.isInteger(axis)) throw new ShapeError(`${axisKey} must be an integer, got ${describe(axis)}`);
        return { layer: new Concatenate({ name }), axis: axis as number, axisKey, trainingOnly };
      }
      case 'Add':
        return { layer: new Add({ name }), trainingOnly };
      // tf.keras 2.x wrote causal into the config (Keras 3 takes use_causal_mask at the call: parseCalls).
      case 'Attention':
        return {
          layer: new AttentionLayer({ name, useScale: read.boolean('use_scale', false), scoreMode: read.choice('score_mode', ['dot', 'concat'], 'dot'), useCausalMask: read.boolean('causal', false) }),
          trainingOnly,
        };
      case 'AdditiveAttention':
        return { layer: new AdditiveAttentionLayer({ name, useScale: read.boolean('use_scale', true), useCausalMask: read.boolean('causal', false) }), trainingOnly };
      default: {
        // The dropout and noise classes: rate (GaussianNoise: stddev), noise_shape, seed.
        const amount = className === 'GaussianNoise' ? read.number('stddev', 0) : read.number('rate', 0);
        const seed = config.seed === undefined || config.seed === null ? undefined : config.seed;
        if (seed !== undefined && !Number.isSafeInteger(seed)) throw new ShapeError(`'seed' must be an integer or null, got ${describe(seed)}`);
        const noiseShape = config.noise_shape ?? null;
        if (noiseShape !== null && !Array.isArray(noiseShape)) throw new ShapeError(`'noise_shape' must be a list or null, got ${describe(noiseShape)}`);
        const layer = noiseLayerOf(className as NoiseLayerClass, {
          name, seed: seed as number | undefined, ...(className === 'GaussianNoise' ? { stddev: amount } : { rate: amount }), noiseShape: noiseShape as (number | null)[] | null,
        });
        return { layer, ...read.firstLayerInput(), trainingOnly };
      }
    }
  });
}

/** webrnn's sequences are channels_last [steps, features]; Keras' channels_first would transpose them. */
function channelsLast(config: Dict): void {
  const format = config.data_format ?? 'channels_last';
  if (format !== 'channels_last') throw new ShapeError(`data_format ${describe(format)} is not supported: webrnn's sequences are channels_last [steps, features]`);
}

/** TimeDistributed over a Dense config (the wrapper webrnn runs: Dense at every step). */
function makeTimeDistributed(name: string, config: Dict, dialect: Dialect, who: string): TimeDistributedLayer {
  const entry = config.layer;
  if (!isDict(entry) || typeof entry.class_name !== 'string') throw new ShapeError(`its 'layer' must be a layer config { class_name, config }, got ${describe(entry)}`);
  const terms: Keras2Terms = dialect.kind === 'keras1' ? fromKeras1(entry.class_name, (entry.config ?? {}) as Dict) : { className: entry.class_name, config: (entry.config ?? {}) as Dict, origin: {} };
  if (terms.className !== 'Dense') throw new ShapeError(`it wraps a ${terms.className}: webrnn's TimeDistributed wraps Dense layers (Dense already acts on every step of a sequence)`);
  const inner = makeLayer({ index: 0, className: 'Dense', name: typeof terms.config.name === 'string' ? terms.config.name : `${name}_dense`, config: terms.config, raw: entry, who: `${who} layer` },
    { ...dialect, kind: dialect.kind === 'keras1' ? 'keras2' : dialect.kind }, {}).layer;
  return new TimeDistributedLayer({ name, layer: inner as DenseLayer });
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
