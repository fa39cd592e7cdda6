// webrnn: recurrent sequence models on WebGPU.

export { requestGpu, type RequestGpuOptions } from './gpu/acquire.js';
export { KNOWN_ICDS } from './gpu/known-icds.js';
export { GpuContext, type AdapterDescription, type GpuCounters } from './gpu/context.js';
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
export { Tensor, shapeSize, type DType, type TensorOptions } from './gpu/tensor.js';
export { KernelRegistry, Kernel, type KernelSpec, type Step, type DispatchStep, type ClearStep, type BufferRange, type Constants, type Dims } from './gpu/kernel-registry.js';
export { shaderSources } from './gpu/shader-sources.js';
export { Plan, clearStep } from './plan/plan.js';
export * from './kernels/elementwise.js';
export { grid1d } from './kernels/grid.js';
export * from './kernels/matmul.js';
export * from './kernels/recurrence.js';
export { RecurrentLayer, type RecurrentConfig, type RecurrentBuffers, type ForwardResult, type BackwardResult } from './layers/recurrent.js';
export { GRU, type GRUConfig } from './layers/gru.js';
export * from './cells/index.js';
export { LSTM, type LSTMConfig } from './layers/lstm.js';
export { ParameterStore, type ParameterView } from './layers/parameters.js';
export { WeightLayer, type LayerOptions, type LayerWeight } from './layers/weight-layer.js';
export { glorotUniform, orthogonal, initialize, type InitializerSpec } from './layers/initializers.js';
export { toInterleaved, fromInterleaved } from './layers/gate-layout.js';
export { batchToTimeMajor, timeToBatchMajor } from './layers/layout.js';
export * from './kernels/activation.js';
export { Dense, type DenseConfig, type DenseBuffers } from './layers/dense.js';
export * from './kernels/embedding.js';
export { Embedding, type EmbeddingConfig, type EmbeddingBuffers } from './layers/embedding.js';
export { SimpleRNN, type SimpleRNNConfig } from './layers/simple-rnn.js';
export { Seq2Seq, type Seq2SeqConfig, type Seq2SeqInput } from './models/seq2seq.js';
export { SequenceModel, type SequenceModelConfig } from './models/sequence-model.js';
export {
  RecurrentModel, type CompileOptions, type FitOptions, type FitCallbacks, type EpochLogs, type History, type Checkpoint,
} from './models/recurrent-model.js';
export type { NetworkSpec, BranchSpec, HeadSpec, RecurrentLayerSpec } from './models/network.js';
export type { FeatureSequences, TokenSequences } from './models/data.js';
export { saveModel, loadModel, modelChecksum, ModelFormatError, MODEL_FORMAT, type ModelArtifacts, type ModelManifest, type WeightEntry } from './models/serialization.js';
export * from './kernels/loss.js';
export * from './optim/index.js';
export { linspace, translationWindows, nextStepWindows, type WindowOptions, type TranslationWindows, type FlatSequences } from './tasks/windows.js';
export type { DecodeOptions } from './models/autoregressive.js';
export * from './kernels/decode.js';
export { Vocabulary, additionTask, rotationTask, type CharacterTask, type AdditionOptions, type RotationOptions } from './tasks/characters.js';
