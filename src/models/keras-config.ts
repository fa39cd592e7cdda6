// Keras / TensorFlow.js model configs (the JSON of model.to_json(), model.get_config() wrapped as
// { class_name, config }, TensorFlow.js' model.toJSON(), and the modelTopology of a model.json), both ways:
//
//   const model = fromConfig(gpu, await (await fetch('model.json')).json());   // architecture, fresh weights
//   model.setWeights(kerasWeights);                                            // get_weights() order
//   const json = toConfig(model);                                              // Keras 2-style, for tf.models.modelFromJSON
//
// Formats read:
//   - Sequential: Keras 2 / TensorFlow.js ({ name, layers }, the input from an InputLayer entry or the first
//     layer's batch_input_shape), Keras 3 (layers as { module, class_name, config, registered_name },
//     InputLayer with batch_shape, or build_input_shape), and the Keras <= 2.1 / 2018 TensorFlow.js form
//     whose config is the plain list of layers.
//   - Functional ('Model', 'Functional'): Keras 2 / TensorFlow.js inbound nodes (one list per call of
//     [layer, node, tensor, kwargs] entries; a recurrent layer's initial states as further entries or as
//     kwargs.initial_state) and Keras 3 ones ({ args, kwargs } holding __keras_tensor__ objects);
//     input_layers / output_layers as lists of [layer, node, tensor], a single one, or a dict of them.
//
// Which writer a config comes from decides the meaning of what it leaves out or names alike:
//   - Keras 3 (a `module` key anywhere, or keras_version 3.x): 'hard_sigmoid' is relu6(x + 3) / 6, webrnn's
//     'hard_sigmoid_keras3'; everywhere else it is Keras 2's clip(0.2 x + 0.5, 0, 1) (TensorFlow.js' too).
//   - GRU reset_after: every Keras that has the option writes it, so the key is absent only from writers
//     without it, whose GRU is reset_after = false: TensorFlow.js (its GRU has only that variant; 4.x writes
//     `reset_after: false`, older versions nothing) and Keras before 2.3 (or a version-less 2018 list
//     config). A hand-written Keras 2.3+ / tf.keras / Keras 3 config without it gets those versions'
//     constructor default, true, as their from_config would.
//   - Absent recurrent_activation: 'hard_sigmoid' for TensorFlow.js and Keras before 2.3 (their default),
//     'sigmoid' otherwise. Absent or null unit_forget_bias (TensorFlow.js writes null): false for
//     TensorFlow.js, true for Keras (it only changes the initial forget-gate bias).
//
// What trains differently: dropout, recurrent_dropout, Dropout-like layers, regularizers, constraints and
// frozen layers (trainable: false) change nothing at inference, so a config with them predicts and
// evaluates exactly as Keras does. webrnn does not apply them in training yet, so training such a model
// (fit, trainOnBatch, warmUp) is refused with an error naming each of them, rather than silently training
// another model; `ignoreTrainingOnlySettings` lifts that. Dropout, SpatialDropout1D, GaussianDropout,
// GaussianNoise and AlphaDropout become an identity layer (one copy) that keeps its Keras class name and
// config, so toConfig writes it back; it has no weights, as in Keras, so get_weights() order is unchanged. `stateful: true`, `time_major: true`,
// masking (mask_zero, Masking, mask tensors) are errors: they change what the model computes.
//
// Every other class (Lambda, Bidirectional, TimeDistributed, Conv1D, LayerNormalization, nested models,
// custom classes) is a ShapeError naming the layer's position, name and class and the model.

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { Step } from '../gpu/kernel-registry.js';
import type { Activation } from '../kernels/activation.js';
import { elementwiseStep } from '../kernels/elementwise.js';
import type { InitializerSpec } from '../layers/initializers.js';
import { ActivationLayer } from '../layers/keras/activation.js';
import { DenseLayer } from '../layers/keras/dense.js';
import { EmbeddingLayer } from '../layers/keras/embedding.js';
import { InputLayer } from '../layers/keras/input.js';
import {
  Layer, makeValue, SymbolicTensor, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value, type ValueKind,
} from '../layers/keras/layer.js';
import { Add, Concatenate } from '../layers/keras/merge.js';
import { RecurrentLayerNode } from '../layers/keras/recurrent.js';
import type { WeightLayer } from '../layers/weight-layer.js';
import type { Dataset, TrainingPlans } from './base-model.js';
import { Model } from './model.js';
import { Sequential } from './sequential.js';

/** Options of fromConfig. */
export interface FromConfigOptions {
  /** Seed of every initializer (the weights before setWeights). Default 0. */
  seed?: number;
  /**
   * Train the model even though its config has settings that act only in training and that webrnn does
   * not apply yet (dropout, noise, regularizers, constraints, frozen layers: they change nothing at
   * inference). Default false: training such a model is refused, naming them; predict and evaluate work.
   */
  ignoreTrainingOnlySettings?: boolean;
}

/** A Keras 2-style model config, as model.to_json() writes it. */
export interface KerasModelConfig {
  /** 'Sequential', or 'Functional' for any other model. */
  class_name: 'Sequential' | 'Functional';
  /** The model's name and layers (a functional model's also inbound_nodes, input_layers, output_layers). */
  config: Record<string, unknown>;
  /** The Keras config schema it follows: '2.15.0' (Keras 2 semantics: hard_sigmoid, explicit reset_after). */
  keras_version: string;
  /** Who wrote it: 'webrnn'. */
  backend: string;
}

type Dict = Record<string, unknown>;

/** Who wrote a config: what its defaults and names mean. */
interface Dialect {
  readonly kind: 'keras2' | 'keras3' | 'tfjs';
  /** Keras before 2.3 (or a version-less list config): GRU reset_after false, hard_sigmoid gates by default. */
  readonly legacy: boolean;
}

/** Layers whose every setting webrnn honours (or, for the inert ones, whose inference it reproduces exactly). */
const LAYER_CLASSES = ['InputLayer', 'Dense', 'Activation', 'Embedding', 'LSTM', 'GRU', 'SimpleRNN', 'Concatenate', 'Add'] as const;
/** Identities at inference (Keras applies them only in training). */
const INERT_CLASSES = ['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'] as const;
const supported = () => `webrnn supports ${[...LAYER_CLASSES, ...INERT_CLASSES].join(', ')}`;

const CELLS = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'simple_rnn' } as const;

/** Why some classes cannot be read, beyond "not supported". */
const UNSUPPORTED_REASONS: Record<string, string> = {
  TFOpLambda: 'it calls a TensorFlow op inside the model (tf.keras wraps such calls as TFOpLambda), which webrnn cannot run',
  SlicingOpLambda: 'it slices a tensor with a TensorFlow op inside the model, which webrnn cannot run',
  Lambda: 'it holds Python code (a function serialized from Python), which webrnn cannot run; rewrite it with supported layers',
  TimeDistributed: 'wrappers are not supported (TimeDistributed(Dense) is what Dense does at every step of a sequence: write Dense instead)',
  Bidirectional: 'bidirectional recurrent layers are not supported yet',
  Masking: 'masking padded steps is not supported yet',
  Functional: 'nested models are not supported: flatten the inner model into the outer one',
  Model: 'nested models are not supported: flatten the inner model into the outer one',
  Sequential: 'nested models are not supported: flatten the inner model into the outer one',
  RNN: 'generic RNN cells are not supported: use LSTM, GRU or SimpleRNN',
  ConvLSTM1D: 'convolutional recurrent layers are not supported',
  ConvLSTM2D: 'convolutional recurrent layers are not supported',
};

// ---------------------------------------------------------------------------------------------------------
// fromConfig

/**
 * A webrnn model from a Keras or TensorFlow.js model config: the JSON (string or object) of Keras'
 * model.to_json() or get_config() (wrapped as { class_name, config }), TensorFlow.js' model.toJSON(), or
 * a model.json (its modelTopology, possibly holding model_config). A Sequential config gives a Sequential.
 * The weights are fresh (seeded); set them with setWeights in Keras' get_weights() order. Anything the
 * model would compute differently from Keras is a ShapeError naming the layer.
 */
export function fromConfig(gpu: GpuContext, config: object | string, options: FromConfigOptions = {}): Model {
  const { className, body, dialect } = unwrap(config);
  if (className === 'Sequential') return buildSequential(gpu, body, dialect, options);
  if (className === 'Functional' || className === 'Model') {
    if (!isDict(body)) throw new ShapeError(`fromConfig: a ${className} config must be an object with layers, input_layers and output_layers, got ${describe(body)}`);
    return buildFunctional(gpu, body, dialect, options);
  }
  throw new ShapeError(`fromConfig: model class '${className}' is not supported: webrnn reads Sequential and functional ('Functional', 'Model') configs` +
    ' (a subclassed Keras model has no config of its layers)');
}

/** The model class, its config and its writer, from any of the wrappers. */
function unwrap(input: object | string): { className: string; body: unknown; dialect: Dialect } {
  let value: unknown = input;
  if (typeof value === 'string') value = parseJson(value, 'the config');
  if (!isDict(value)) throw new ShapeError(`fromConfig: a model config must be an object or its JSON string, got ${describe(value)}`);
  const versions: Dict[] = [value];
  if ('modelTopology' in value) {
    let topology = value.modelTopology;
    if (typeof topology === 'string') topology = parseJson(topology, 'modelTopology');
    if (!isDict(topology)) throw new ShapeError(`fromConfig: modelTopology must be an object, got ${describe(topology)}`);
    value = topology;
    versions.unshift(topology);
  }
  const top = value as Dict;
  if ('model_config' in top) {
    let inner = top.model_config;
    if (typeof inner === 'string') inner = parseJson(inner, 'model_config');
    if (!isDict(inner)) throw new ShapeError(`fromConfig: model_config must be an object, got ${describe(inner)}`);
    value = inner;
    versions.unshift(inner);
  }
  const model = value as Dict;
  let className = model.class_name;
  let body: unknown = model.config;
  if (className === undefined && Array.isArray(model.layers)) {
    // A bare get_config(): functional when it names its inputs.
    className = 'input_layers' in model ? 'Functional' : 'Sequential';
    body = model;
  }
  if (typeof className !== 'string') {
    throw new ShapeError(`fromConfig: the config has no class_name (expected { class_name: 'Sequential' | 'Functional' | 'Model', config }), got keys ${Object.keys(model).join(', ') || 'none'}`);
  }
  if (body === undefined || body === null) throw new ShapeError(`fromConfig: the ${className} config has no 'config'`);
  return { className, body, dialect: detectDialect(versions, model, body) };
}

function detectDialect(wrappers: readonly Dict[], model: Dict, body: unknown): Dialect {
  const field = (key: string): string | undefined => {
    for (const w of wrappers) if (typeof w[key] === 'string') return w[key] as string;
    return undefined;
  };
  const version = field('keras_version') ?? '';
  const backend = field('backend') ?? '';
  const generatedBy = field('generatedBy') ?? '';
  const layers = Array.isArray(body) ? body : isDict(body) && Array.isArray(body.layers) ? body.layers : [];
  const hasModule = 'module' in model || layers.some((l) => isDict(l) && 'module' in l);
  if (hasModule || /^3\./.test(version)) return { kind: 'keras3', legacy: false };
  if (/tfjs|tensorflow\.?js/i.test(version) || /tensor_?flow\.js/i.test(backend) || /tfjs|tensorflow\.js/i.test(generatedBy)) return { kind: 'tfjs', legacy: false };
  const match = /^(\d+)\.(\d+)/.exec(version);
  const legacy = match
    ? (Number(match[1]) < 2 || (Number(match[1]) === 2 && Number(match[2]) < 3)) && !version.includes('-tf')
    : Array.isArray(body);
  return { kind: 'keras2', legacy };
}

/** One entry of a config's layers. */
interface LayerEntry {
  readonly index: number;
  readonly className: string;
  readonly name: string;
  readonly config: Dict;
  readonly raw: Dict;
  /** "layer 3 'lambda' (Lambda) of model 'seq2seq'". */
  readonly who: string;
}

function layerEntries(list: unknown, modelName: string): LayerEntry[] {
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
interface Made {
  readonly layer: Layer;
  /** A Sequential's input, from the layer's batch_input_shape / input_shape / input_dim. */
  readonly inputShape?: Shape;
  readonly inputKind?: ValueKind;
  /** The axis a Concatenate was configured with (checked against the input's rank when called). */
  readonly axis?: number;
  /** What trains differently in webrnn (see the header). */
  readonly trainingOnly: string[];
}

function makeLayer(entry: LayerEntry, dialect: Dialect, options: FromConfigOptions): Made {
  const { className, config, who, name } = entry;
  if (!(LAYER_CLASSES as readonly string[]).includes(className) && !(INERT_CLASSES as readonly string[]).includes(className)) {
    const registered = entry.raw.registered_name;
    const custom = typeof registered === 'string' && registered !== className && registered !== '' && !/^keras[.>]/.test(registered)
      ? ` (the custom class '${registered}')` : '';
    const reason = Object.hasOwn(UNSUPPORTED_REASONS, className) ? UNSUPPORTED_REASONS[className] : 'it is not one of the layers webrnn has';
    throw new ShapeError(`fromConfig: ${who}${custom} is not supported by webrnn: ${reason} (${supported()})`);
  }
  const read = new ConfigReader(config, who, dialect);
  const trainingOnly = read.trainingOnly(className);
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
        return { layer: new InferenceIdentityLayer(className, { name, keras: kept, active: rate > 0 && !options.ignoreTrainingOnlySettings }), ...read.firstLayerInput(), trainingOnly };
      }
    }
  });
}

type RecurrentActivation = Exclude<Activation, 'softmax' | 'log_softmax'>;

/** Reads a layer's snake_case config; errors name the layer. */
class ConfigReader {
  constructor(
    private readonly config: Dict,
    private readonly who: string,
    private readonly dialect: Dialect,
  ) {}

  integer(key: string): number {
    const value = this.config[key];
    if (value === undefined || value === null) throw new ShapeError(`fromConfig: ${this.who}: the config has no '${key}'`);
    if (!Number.isInteger(value) || (value as number) < 1) throw new ShapeError(`fromConfig: ${this.who}: '${key}' must be a positive integer, got ${describe(value)}`);
    return value as number;
  }

  number(key: string, fallback: number): number {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(`fromConfig: ${this.who}: '${key}' must be a number, got ${describe(value)}`);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw new ShapeError(`fromConfig: ${this.who}: '${key}' must be true or false, got ${describe(value)}`);
    return value;
  }

  /** An activation by Keras name (a Keras 3 function object gives its name); null is Keras' linear. */
  activation(key: string, fallback: Activation): Activation {
    if (!(key in this.config)) return fallback;
    let value = this.config[key];
    if (value === null) return 'linear';
    if (isDict(value) && typeof value.config === 'string') value = value.config; // { module, class_name: 'function', config: 'relu' }
    if (isDict(value) && typeof value.class_name === 'string') {
      throw new ShapeError(`fromConfig: ${this.who}: '${key}' is an activation object (${value.class_name}), webrnn takes activations by name`);
    }
    if (typeof value !== 'string') throw new ShapeError(`fromConfig: ${this.who}: '${key}' must be an activation name, got ${describe(value)}`);
    if (value === 'hard_sigmoid' && this.dialect.kind === 'keras3') return 'hard_sigmoid_keras3';
    if (value === 'logSoftmax') return 'log_softmax'; // TensorFlow.js' spelling
    return value as Activation;
  }

  /** An initializer as Keras serializes it (Keras 3's module and registered_name dropped). */
  initializer(key: string): InitializerSpec | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (!isDict(value) || typeof value.class_name !== 'string') throw new ShapeError(`fromConfig: ${this.who}: '${key}' must be an initializer { class_name, config }, got ${describe(value)}`);
    const className = Object.hasOwn(INITIALIZER_SPELLINGS, value.class_name) ? INITIALIZER_SPELLINGS[value.class_name] : value.class_name;
    return { class_name: className, config: isDict(value.config) ? { ...value.config } : {} };
  }

  /** A per-sample input shape given on the layer (Keras 2 Sequential's first layer), if any. */
  inputShape(): Shape | undefined {
    const batch = this.config.batch_input_shape ?? this.config.batch_shape;
    if (batch !== undefined && batch !== null) {
      if (!Array.isArray(batch) || batch.length < 2) throw new ShapeError(`fromConfig: ${this.who}: batch_input_shape must list the batch axis and at least one more, got ${describe(batch)}`);
      return batch.slice(1) as Shape;
    }
    const shape = this.config.input_shape;
    if (Array.isArray(shape)) return shape as Shape;
    const dim = this.config.input_dim;
    if (Number.isInteger(dim) && !('output_dim' in this.config)) return [dim as number];
    return undefined;
  }

  /** The input shape and kind a first layer of a Sequential carries. */
  firstLayerInput(): { inputShape?: Shape; inputKind?: ValueKind } {
    const inputShape = this.inputShape();
    return inputShape ? { inputShape, inputKind: this.dtypeKind() } : {};
  }

  /** int32 for integer dtypes (token ids); floats leave it to the consumer (Keras casts them for an Embedding). */
  dtypeKind(): ValueKind | undefined {
    let dtype = this.config.dtype;
    if (isDict(dtype)) dtype = isDict(dtype.config) ? dtype.config.name : undefined; // Keras 3 DTypePolicy
    if (dtype === undefined || dtype === null) return undefined;
    if (typeof dtype !== 'string') throw new ShapeError(`fromConfig: ${this.who}: dtype must be a name, got ${describe(dtype)}`);
    if (/^u?int(8|16|32|64)$/.test(dtype) || dtype === 'bool') return 'int32';
    if (/float|mixed_/.test(dtype)) return undefined;
    throw new ShapeError(`fromConfig: ${this.who}: dtype '${dtype}' is not supported (numbers or integer token ids)`);
  }

  rejectLora(): void {
    if (this.config.lora_rank !== undefined && this.config.lora_rank !== null) {
      throw new ShapeError(`fromConfig: ${this.who}: LoRA (lora_rank ${describe(this.config.lora_rank)}) is not supported`);
    }
  }

  /** Settings that act only in training (dropout, noise, regularizers, constraints), described. */
  trainingOnly(className: string): string[] {
    const found: string[] = [];
    const positive = (key: string) => typeof this.config[key] === 'number' && (this.config[key] as number) > 0;
    if ((INERT_CLASSES as readonly string[]).includes(className)) {
      const key = className === 'GaussianNoise' ? 'stddev' : 'rate';
      if (positive(key)) found.push(`${key} ${this.config[key]}`);
    } else {
      for (const key of ['dropout', 'recurrent_dropout']) if (positive(key)) found.push(`${key} ${this.config[key]}`);
    }
    if (this.config.trainable === false) found.push('trainable false (a frozen layer)');
    for (const [key, value] of Object.entries(this.config)) {
      if (/_(regularizer|constraint)$/.test(key) && value !== null && value !== undefined) found.push(`${key} ${isDict(value) && typeof value.class_name === 'string' ? value.class_name : describe(value)}`);
    }
    return found.map((what) => `${this.who.replace(/ of model '.*'$/, '')}: ${what}`);
  }
}

/** Initializer class names as other writers spell them. */
const INITIALIZER_SPELLINGS: Record<string, string> = {
  LeCunNormal: 'LecunNormal', LeCunUniform: 'LecunUniform', OrthogonalInitializer: 'Orthogonal', IdentityInitializer: 'Identity',
  ZerosInitializer: 'Zeros', OnesInitializer: 'Ones',
};

/** Runs `make`, prefixing a ShapeError's message with the layer it is about. */
function withContext<T>(who: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof ShapeError && !error.message.startsWith('fromConfig:')) throw new ShapeError(`fromConfig: ${who}: ${error.message}`);
    throw error;
  }
}

function buildSequential(gpu: GpuContext, body: unknown, dialect: Dialect, options: FromConfigOptions): Model {
  const list = Array.isArray(body) ? body : isDict(body) ? body.layers : undefined;
  const name = isDict(body) && typeof body.name === 'string' ? body.name : 'sequential';
  const entries = layerEntries(list, name);
  if (entries.length === 0) throw new ShapeError(`fromConfig: Sequential '${name}' has no layers`);
  const made = entries.map((entry) => ({ entry, ...makeLayer(entry, dialect, options) }));
  made.slice(1).forEach(({ entry }) => {
    if (entry.className === 'InputLayer') throw new ShapeError(`fromConfig: ${entry.who}: an InputLayer can only come first in a Sequential`);
  });
  checkNames(entries, name);
  let input: InputLayer;
  let stack = made;
  if (made[0].layer instanceof InputLayer) {
    input = made[0].layer;
    stack = made.slice(1);
  } else {
    // Keras 2: the first layer's batch_input_shape; Keras 3 without an InputLayer: build_input_shape.
    const first = made[0];
    const build = isDict(body) ? body.build_input_shape ?? (isDict(first.entry.raw.build_config) ? first.entry.raw.build_config.input_shape : undefined) : undefined;
    const shape = first.inputShape ?? (Array.isArray(build) && build.length > 1 ? (build.slice(1) as Shape) : undefined);
    if (!shape) {
      throw new ShapeError(`fromConfig: Sequential '${name}' config gives no input shape: no InputLayer, no batch_input_shape on its first layer ` +
        `('${first.entry.name}'), no build_input_shape`);
    }
    input = withContext(`Sequential '${name}' input`, () => new InputLayer({ shape, name: `${first.layer.name}_input`, dtype: first.inputKind }));
  }
  if (stack.length === 0) throw new ShapeError(`fromConfig: Sequential '${name}' has only an input`);
  stack.forEach(({ entry, layer }) => {
    if (layer instanceof Concatenate || layer instanceof Add) throw new ShapeError(`fromConfig: ${entry.who}: a merge layer takes several inputs, which a Sequential cannot give it`);
  });
  const model = new ConfigSequential(gpu, { layers: [input.output, ...stack.map((m) => m.layer)], name, seed: options.seed });
  model.refusal = refusal(name, [...modelTrainingOnly(body), ...made.flatMap((m) => m.trainingOnly)], options);
  try {
    void model.graph; // builds it now, so a config that does not fit fails here rather than at first use
  } catch (error) {
    model.dispose();
    if (error instanceof ShapeError) throw new ShapeError(`fromConfig: Sequential '${name}': ${error.message}`);
    throw error;
  }
  return model;
}

/** A tensor reference of a config: [layer, node, tensor]. */
interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

/** One call of a layer: its input tensors, then its initial states. */
interface Call {
  readonly inputs: TensorRef[];
  readonly states: TensorRef[];
}

function buildFunctional(gpu: GpuContext, body: Dict, dialect: Dialect, options: FromConfigOptions): Model {
  const name = typeof body.name === 'string' ? body.name : 'model';
  const entries = layerEntries(body.layers, name);
  checkNames(entries, name);
  for (const key of ['input_layers', 'output_layers']) {
    if (body[key] === undefined || body[key] === null) throw new ShapeError(`fromConfig: model '${name}' config has no ${key}`);
  }
  const made = entries.map((entry) => makeLayer(entry, dialect, options));
  const byName = new Map(entries.map((entry, i) => [entry.name, { entry, made: made[i], calls: parseCalls(entry) }]));
  for (const { entry, made: m, calls } of byName.values()) {
    if (m.layer instanceof InputLayer && calls.length > 0) throw new ShapeError(`fromConfig: ${entry.who}: an InputLayer has no inbound nodes, got ${calls.length}`);
  }
  const declaredCalls = (layerName: string) => {
    const spec = byName.get(layerName)!;
    return spec.made.layer instanceof InputLayer ? 1 : spec.calls.length;
  };
  /** The tensor a reference names, undefined while its node is not made yet. */
  const resolve = (ref: TensorRef, what: string): SymbolicTensor | undefined => {
    const spec = byName.get(ref.layer);
    if (!spec) throw new ShapeError(`fromConfig: ${what} names layer '${ref.layer}', which is not in model '${name}' (it has ${entries.map((e) => `'${e.name}'`).join(', ')})`);
    if (ref.node >= declaredCalls(ref.layer)) {
      throw new ShapeError(`fromConfig: ${what} names node ${ref.node} of layer '${ref.layer}', which is called ${declaredCalls(ref.layer)} time(s) in model '${name}'`);
    }
    const node = spec.made.layer.nodes[ref.node];
    if (!node) return undefined;
    const tensor = node.outputs[ref.tensor];
    if (!tensor) throw new ShapeError(`fromConfig: ${what} names output ${ref.tensor} of layer '${ref.layer}', which has ${node.outputs.length} output(s)`);
    return tensor;
  };

  // As Keras' functional_from_config: make the calls layer by layer in config order, a layer's calls in
  // their order, deferring a call until every tensor it reads exists; no progress in a pass is a cycle.
  const pending = new Map(entries.map((e) => [e.name, [...byName.get(e.name)!.calls]]));
  for (;;) {
    let progress = false;
    let remaining = 0;
    for (const entry of entries) {
      const queue = pending.get(entry.name)!;
      const { made: m } = byName.get(entry.name)!;
      while (queue.length > 0) {
        const call = queue[0];
        const callIndex = m.layer.nodes.length;
        const what = `${entry.who}, call ${callIndex}`;
        const inputs = call.inputs.map((r) => resolve(r, what));
        const states = call.states.map((r) => resolve(r, what));
        if ([...inputs, ...states].some((t) => t === undefined)) break;
        withContext(`${entry.who}, call ${callIndex}`, () => applyCall(m, inputs as SymbolicTensor[], states as SymbolicTensor[]));
        queue.shift();
        progress = true;
      }
      remaining += queue.length;
    }
    if (remaining === 0) break;
    if (!progress) throw new ShapeError(`fromConfig: model '${name}': ${describeCycle(entries, pending, byName)}`);
  }

  const tensors = (key: 'input_layers' | 'output_layers') => tensorRefs(body[key], `model '${name}' ${key}`).map((ref) => {
    const t = resolve(ref, `model '${name}' ${key}`);
    if (!t) throw new ShapeError(`fromConfig: model '${name}' ${key} names node ${ref.node} of layer '${ref.layer}', which was never made`);
    return t;
  });
  const inputs = tensors('input_layers');
  const outputs = tensors('output_layers');
  if (inputs.length === 0 || outputs.length === 0) throw new ShapeError(`fromConfig: model '${name}' needs at least one input and one output`);
  let model: ConfigModel;
  try {
    model = new ConfigModel(gpu, { inputs, outputs, name, seed: options.seed });
  } catch (error) {
    if (error instanceof ShapeError) throw new ShapeError(`fromConfig: ${error.message}`);
    throw error;
  }
  const used = new Set(model.graph.layers);
  model.refusal = refusal(name, [...modelTrainingOnly(body), ...made.filter((m) => used.has(m.layer)).flatMap((m) => m.trainingOnly)], options);
  return model;
}

function applyCall(made: Made, inputs: SymbolicTensor[], states: SymbolicTensor[]): void {
  const { layer } = made;
  if (layer instanceof InputLayer) throw new ShapeError('an InputLayer is not called');
  if (states.length > 0 && !(layer instanceof RecurrentLayerNode)) throw new ShapeError(`${layer.className} takes no initial_state`);
  if (made.axis !== undefined && made.axis !== -1) {
    // Keras counts the batch axis: the last axis of a per-sample rank r is r.
    const rank = inputs[0]?.shape.length ?? 0;
    if (made.axis !== rank) throw new ShapeError(`only the last axis (-1 or ${rank}) is supported, got axis ${made.axis}`);
  }
  layer.apply(inputs.length === 1 ? inputs[0] : inputs, states.length > 0 ? { initialState: states } : {});
}

/** The calls of a layer from its inbound_nodes, in either format. */
function parseCalls(entry: LayerEntry): Call[] {
  const nodes = entry.raw.inbound_nodes ?? [];
  if (!Array.isArray(nodes)) throw new ShapeError(`fromConfig: ${entry.who}: inbound_nodes must be a list, got ${describe(nodes)}`);
  const recurrent = Object.hasOwn(CELLS, entry.className);
  return nodes.map((node, k) => {
    const what = `${entry.who}, inbound node ${k}`;
    let inputs: TensorRef[];
    let states: TensorRef[];
    let kwargs: Dict = {};
    if (Array.isArray(node)) {
      // Keras 2 / TensorFlow.js: [[layer, node, tensor, kwargs], ...]; as Keras, the last entry's kwargs.
      inputs = node.map((item, i) => {
        if (Array.isArray(item) && item[0] === '_CONSTANT_VALUE') throw new ShapeError(`fromConfig: ${what}: constant (non-tensor) inputs are not supported`);
        const ref = asRef(item);
        if (!ref) throw new ShapeError(`fromConfig: ${what}: entry ${i} must be [layer, node, tensor, kwargs], got ${describe(item)}`);
        if (isDict((item as unknown[])[3])) kwargs = (item as unknown[])[3] as Dict;
        return ref;
      });
      states = tensorRefs(kwargs.initial_state ?? [], `${what} initial_state`);
    } else if (isDict(node) && ('args' in node || 'kwargs' in node)) {
      // Keras 3: { args: [tensor or [tensors]], kwargs: { initial_state, mask, training } }.
      kwargs = isDict(node.kwargs) ? node.kwargs : {};
      inputs = kerasTensors(node.args ?? [], what);
      states = kerasTensors(kwargs.initial_state ?? [], `${what} initial_state`);
    } else {
      throw new ShapeError(`fromConfig: ${what}: expected a list of [layer, node, tensor, kwargs] or { args, kwargs }, got ${describe(node)}`);
    }
    const mask = kwargs.mask;
    if (mask !== undefined && mask !== null && !(Array.isArray(mask) && mask.every((m) => m === null))) {
      throw new ShapeError(`fromConfig: ${what}: mask inputs are not supported (masking padded steps is not supported yet)`);
    }
    if (kwargs.constants !== undefined && kwargs.constants !== null) throw new ShapeError(`fromConfig: ${what}: RNN constants are not supported`);
    if (inputs.length === 0) throw new ShapeError(`fromConfig: ${what}: names no input tensor`);
    // A recurrent call given as [x, h, c]: the initial states follow the input.
    if (recurrent && states.length === 0 && inputs.length > 1) return { inputs: inputs.slice(0, 1), states: inputs.slice(1) };
    return { inputs, states };
  });
}

/** [layer, node, tensor] (a fourth, kwargs, entry allowed). */
function asRef(item: unknown): TensorRef | undefined {
  if (!Array.isArray(item) || item.length < 3 || typeof item[0] !== 'string' || !Number.isInteger(item[1]) || !Number.isInteger(item[2])) return undefined;
  if (item[1] < 0 || item[2] < 0) return undefined;
  return { layer: item[0], node: item[1], tensor: item[2] };
}

/** References in input_layers / output_layers / kwargs.initial_state: one, a list (nested) or a dict of them. */
function tensorRefs(value: unknown, what: string): TensorRef[] {
  const ref = asRef(value);
  if (ref) return [ref];
  if (Array.isArray(value)) return value.flatMap((v) => tensorRefs(v, what));
  if (isDict(value)) {
    if (value.class_name === '__keras_tensor__') return kerasTensors(value, what);
    return Object.values(value).flatMap((v) => tensorRefs(v, what));
  }
  throw new ShapeError(`fromConfig: ${what}: expected [layer, node, tensor] references, got ${describe(value)}`);
}

/** Keras 3's serialized tensors, in order, from args (nested lists, tuples). Plain values are not tensors. */
function kerasTensors(value: unknown, what: string): TensorRef[] {
  if (Array.isArray(value)) return value.flatMap((v) => kerasTensors(v, what));
  if (!isDict(value)) return [];
  if (value.class_name === '__keras_tensor__') {
    const history = isDict(value.config) ? value.config.keras_history : undefined;
    const ref = asRef(history);
    if (!ref) throw new ShapeError(`fromConfig: ${what}: a __keras_tensor__ without keras_history [layer, node, tensor]: ${describe(value)}`);
    return [ref];
  }
  if (value.class_name === '__tuple__' && isDict(value.config)) return kerasTensors(value.config.value, what);
  if (typeof value.class_name === 'string') return [];
  return Object.values(value).flatMap((v) => kerasTensors(v, what));
}

function describeCycle(entries: readonly LayerEntry[], pending: Map<string, Call[]>, byName: Map<string, { made: Made }>): string {
  const waitsFor = (layer: string): string | undefined => {
    const call = pending.get(layer)?.[0];
    if (!call) return undefined;
    return [...call.inputs, ...call.states].find((r) => !byName.get(r.layer)!.made.layer.nodes[r.node])?.layer;
  };
  const start = entries.find((e) => (pending.get(e.name)?.length ?? 0) > 0)!.name;
  const path: string[] = [];
  for (let at: string | undefined = start; at !== undefined && !path.includes(at); at = waitsFor(at)) path.push(at);
  const last = waitsFor(path[path.length - 1]);
  const cycle = last !== undefined ? [...path.slice(path.indexOf(last)), last] : path;
  return `the inbound nodes form a cycle: ${cycle.map((n) => `'${n}'`).join(' -> ')} (each waits for the next one's output)`;
}

function checkNames(entries: readonly LayerEntry[], model: string): void {
  const seen = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const other = seen.get(entry.name);
    if (other) throw new ShapeError(`fromConfig: layers ${other.index} and ${entry.index} of model '${model}' are both named '${entry.name}'; layer names must be unique`);
    seen.set(entry.name, entry);
  }
}

/** A model frozen as a whole. */
function modelTrainingOnly(body: unknown): string[] {
  return isDict(body) && body.trainable === false ? ['the model: trainable false (frozen)'] : [];
}

function refusal(model: string, trainingOnly: readonly string[], options: FromConfigOptions): string | undefined {
  if (trainingOnly.length === 0 || options.ignoreTrainingOnlySettings) return undefined;
  return `model '${model}' was read from a config with settings that act only in training, which webrnn does not apply yet: ` +
    `${trainingOnly.join('; ')}. It predicts and evaluates as Keras does; to train it without them, pass ` +
    '{ ignoreTrainingOnlySettings: true } to fromConfig';
}

/** Training plans that refuse to train (evaluation works). */
function refusing(plans: TrainingPlans, what: string, message: string | undefined): TrainingPlans {
  if (!message) return plans;
  const refuse = () => Promise.reject(new ShapeError(`${what}: ${message}`));
  return {
    training: refuse,
    gradientPlan: refuse,
    evaluation: (accumulator) => plans.evaluation(accumulator),
    upload: (data, indices) => plans.upload(data, indices),
    dispose: () => plans.dispose(),
  };
}

/** A functional model read from a config: refuses training when the config regularizes in training. */
class ConfigModel extends Model {
  refusal: string | undefined;

  protected override createPlans(batch: number, data: Dataset, what: string): TrainingPlans {
    return refusing(super.createPlans(batch, data, what), what, this.refusal);
  }
}

/** A Sequential read from a config (see ConfigModel). */
class ConfigSequential extends Sequential {
  refusal: string | undefined;

  protected override createPlans(batch: number, data: Dataset, what: string): TrainingPlans {
    return refusing(super.createPlans(batch, data, what), what, this.refusal);
  }
}

/**
 * Dropout and the other layers Keras applies only in training, at inference: the identity (one copy).
 * Training through one whose rate is above 0 is an error (dropout is not applied in training yet), unless
 * fromConfig was told ignoreTrainingOnlySettings, when it trains as the identity.
 */
class InferenceIdentityLayer extends Layer {
  readonly className: string;
  private readonly keras: Dict;
  private readonly active: boolean;

  constructor(className: string, config: LayerConfig & { keras: Dict; active: boolean }) {
    super(className, config);
    this.className = className;
    this.keras = { ...config.keras };
    this.active = config.active;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', ...this.keras };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    return [x];
  }

  protected create(): void {}

  get weightLayer(): WeightLayer | undefined {
    return undefined;
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', x.shape, owned);
    const n = x.rows * x.shape[x.shape.length - 1];
    const { registry, label } = context;
    const who = `${this.className} '${this.name}'`;
    const active = this.active;
    return {
      outputs: [output],
      forwardSteps: async () => [await elementwiseStep(registry, `${label}.forward`, 'copy', n, { x: x.value, out: output.value })],
      backwardSteps: async (gradients: Gradients): Promise<Step[]> => {
        if (active) throw new ShapeError(`${who}: dropout and noise are not applied in training yet (the layer is the identity at inference only)`);
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        return [await elementwiseStep(registry, `${label}.backward`, 'copy', n, { x: output.grad!, out: x.grad }, { accumulate: dx.accumulate })];
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// toConfig

/**
 * The model's Keras 2-style config, as model.to_json() writes it (parse-ready object): a Sequential as
 * class_name 'Sequential' with its layers (InputLayer first), any other model as 'Functional' with every
 * layer's inbound_nodes ([layer, node, tensor, {}] entries, a recurrent layer's initial states after its
 * input), input_layers and output_layers. Node indices count the model's own calls of a layer
 * (model.nodeIndex). tf.models.modelFromJSON (TensorFlow.js) and Keras' model_from_json rebuild it;
 * TensorFlow.js' GRU has only resetAfter false.
 */
export function toConfig(model: Model): KerasModelConfig {
  const graph = model.graph;
  const layerConfig = (layer: Layer): Record<string, unknown> => {
    const config = layer.getConfig();
    for (const key of ['activation', 'recurrent_activation']) {
      if (config[key] === 'hard_sigmoid_keras3') {
        throw new ShapeError(`toConfig: ${layer.className} '${layer.name}' uses ${key} 'hard_sigmoid_keras3' (Keras 3's hard_sigmoid), ` +
          'which a Keras 2 / TensorFlow.js config cannot express');
      }
    }
    return config;
  };
  const keras = { keras_version: '2.15.0', backend: 'webrnn' };
  if (model instanceof Sequential) {
    return {
      class_name: 'Sequential',
      config: { name: model.name, layers: graph.layers.map((layer) => ({ class_name: layer.className, config: layerConfig(layer) })) },
      ...keras,
    };
  }
  const ref = (t: SymbolicTensor) => [t.layer.name, model.nodeIndex(t.node), t.index];
  const layers = graph.layers.map((layer) => ({
    name: layer.name,
    class_name: layer.className,
    config: layerConfig(layer),
    inbound_nodes: layer.nodes
      .filter((node) => graph.nodes.includes(node) && node.inbound.length > 0)
      .map((node) => node.inbound.map((t) => [...ref(t), {}])),
  }));
  return {
    class_name: 'Functional',
    config: { name: model.name, layers, input_layers: graph.inputs.map(ref), output_layers: graph.outputs.map(ref) },
    ...keras,
  };
}

// ---------------------------------------------------------------------------------------------------------

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ShapeError(`fromConfig: ${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A short rendering of a config value for an error message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
