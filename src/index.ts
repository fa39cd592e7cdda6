/**
 * webrnn: recurrent sequence models (LSTM, GRU, SimpleRNN) trained and run on WebGPU, in a browser or in
 * Node, with Keras semantics and weight layout.
 *
 * This entry is what an application needs: the device ({@link requestGpu}), the models ({@link Seq2Seq},
 * {@link SequenceModel}) and their training options, the layers, the optimizers, saving and loading,
 * the errors, and helpers that make training data. Kernels, plans, buffer layouts and tuning constants,
 * for writing kernels or plans of one's own, are in `webrnn/advanced`.
 *
 * @packageDocumentation
 */

// The device.
export { requestGpu, type RequestGpuOptions } from './gpu/acquire.js';
export { GpuContext, type AdapterDescription, type GpuCounters } from './gpu/context.js';

// Errors: every one a WebRnnError.
export {
  WebRnnError,
  GpuUnavailableError,
  DeviceLostError,
  ShaderError,
  BindingError,
  ShapeError,
  LimitError,
  DisposedError,
  NonFiniteError,
} from './gpu/errors.js';
export { ModelFormatError } from './models/serialization.js';

// Layers, standalone or inside a model, and the names their options take.
export { RecurrentLayer, type RecurrentConfig, type ForwardResult, type BackwardResult } from './layers/recurrent.js';
export { LSTM, type LSTMConfig } from './layers/lstm.js';
export { GRU, type GRUConfig } from './layers/gru.js';
export { SimpleRNN, type SimpleRNNConfig } from './layers/simple-rnn.js';
export { Dense, type DenseConfig } from './layers/dense.js';
export { Embedding, type EmbeddingConfig } from './layers/embedding.js';
export type { CellType, CellOptions } from './cells/index.js';
export type { Activation, PointwiseActivation } from './kernels/activation.js';
export type { RecurrentStrategy } from './kernels/recurrence.js';
export type { SamplingOptions } from './kernels/sampling-options.js';
export type { GenerateOptions, GenerateResult } from './plan/beam-plan.js';
export type { InitializerSpec } from './layers/initializers.js';

// Models: configuration, training, decoding, saving and loading.
export { Seq2Seq, type Seq2SeqConfig, type Seq2SeqInput } from './models/seq2seq.js';
export { SequenceModel, type SequenceModelConfig } from './models/sequence-model.js';
export {
  RecurrentModel, type CompileOptions, type FitOptions, type FitCallbacks, type EpochLogs, type History, type Checkpoint,
} from './models/recurrent-model.js';
export type { BranchSpec, HeadSpec, RecurrentLayerSpec } from './models/recurrent-spec.js';
export type { LayersModelSource, ModelFileSource, ArchitectureAndWeights, LayersModelFiles, LayersModelInMemory, TfjsArtifacts } from './io/model-files.js';
export { loadWeights } from './io/model-files.js';
export type { KerasFormat } from './io/keras-model.js';
export type { LayersModelJson, WeightGroup, ManifestEntry, NamedWeight, Quantization } from './io/tfjs-layers.js';
export { saveModel, loadModel, modelChecksum, MODEL_FORMAT, type ModelArtifacts, type ModelManifest, type WeightEntry } from './models/serialization.js';

// Optimizers.
export {
  Adam, SGD, RMSprop, createOptimizer, OPTIMIZER_NAMES,
  type AdamOptions, type SgdOptions, type RmspropOptions,
  type Optimizer, type OptimizerName, type OptimizerOptions, type ClipOptions, type NonFinitePolicy,
} from './optim/index.js';

// Data: what fit() takes, and windows of functions and series.
export type { FeatureSequences, TokenSequences } from './models/data.js';
export { linspace, translationWindows, nextStepWindows, type WindowOptions, type TranslationWindows, type FlatSequences } from './tasks/windows.js';

// Keras-style models (src/models/model.ts, sequential.ts) — exported here by the models work.
export { Model, GraphModel, type ModelConfig, type ModelData, type ArrayResult, type ClassResult, type TextGenerationOptions } from './models/model.js';
export { Sequential, type SequentialConfig } from './models/sequential.js';
export { BaseModel, type LossName, type LossOption, type LossAlias, type LossWithOptions } from './models/base-model.js';
export type { ArrayData } from './models/data.js';
export * from './layers/keras/index.js';
export { fromConfig, toConfig, type FromConfigOptions, type KerasModelConfig } from './models/keras/index.js';
