/**
 * webrnn/advanced: the building blocks under the models, for writing kernels, plans or layers of one's
 * own: tensors, the kernel registry (WGSL with its reflection, binding by the names in the shader),
 * plans (a fixed list of dispatches, one submit), the typed step builder of every shader entry point,
 * the cell descriptors, the parameter store, the layers' buffers and weight layouts, the initializers,
 * the optimizers' kernels, and the tuning constants of the recurrence.
 *
 * It also re-exports everything of the main entry (`webrnn`), so code that builds its own plans needs
 * one import; both entries share one copy of the library, so a `Tensor` or a `GpuContext` from one is
 * the same class as from the other.
 *
 * @packageDocumentation
 */

// The whole user-facing API, so that `webrnn/advanced` is a superset of `webrnn` (one import, one copy).
export * from './index.js';

// Device details.
export { KNOWN_ICDS } from './gpu/known-icds.js';

// Tensors, kernels and plans.
export { Tensor, shapeSize, type DType, type TensorOptions, type TypedArrayFor } from './gpu/tensor.js';
export {
  KernelRegistry, Kernel,
  type KernelSpec, type KernelRegistryOptions, type Step, type StepOptions, type DispatchStep, type ClearStep, type CopyStep,
  type BufferRange, type Constants, type Dims,
} from './gpu/kernel-registry.js';
export type { Reflector, ProgramTable, JoinedProgram, EntryInfo, BindingInfo, DimsMember } from './gpu/reflection.js';
export { bundledShaders, bundledShaderFiles, loadBundledProgram, type BundledProgram } from './gpu/shader-sources.js';
export { Plan, clearStep } from './plan/plan.js';

// The step builder of every shader entry point, with its specs, buffers and constants.
export * from './kernels/elementwise.js';
export { grid1d } from './kernels/grid.js';
export * from './kernels/matmul.js';
export * from './kernels/recurrence.js';
export * from './kernels/activation.js';
export * from './kernels/embedding.js';
export * from './kernels/loss.js';
export * from './kernels/decode.js';
export * from './kernels/beam.js';
export * from './kernels/attention.js';

// Cells, parameters, layer buffers and weight layouts.
export * from './cells/index.js';
export type { ParameterPart } from './cells/descriptor.js';
export { ParameterStore, type ParameterView, type ParameterRange } from './layers/parameters.js';
export { WeightLayer, type LayerOptions, type LayerWeight, type StoredPart } from './layers/weight-layer.js';
export type { RecurrentBuffers, SharedStateBuffers, BackwardOptions } from './layers/recurrent.js';
export type { DenseBuffers } from './layers/dense.js';
export type { EmbeddingBuffers } from './layers/embedding.js';
export { Conv1DWeights, type Conv1DWeightsConfig } from './layers/conv1d.js';
export { glorotUniform, orthogonal, initialize } from './layers/initializers.js';
export { toInterleaved, fromInterleaved } from './layers/gate-layout.js';
export { batchToTimeMajor, timeToBatchMajor } from './layers/layout.js';

// Optimizers' kernels and the base class of the GPU optimizers.
export * from './optim/index.js';

// Model internals: the graph a Seq2Seq / SequenceModel builds, the scheduler's plans, decode plans.
export type { NetworkSpec } from './models/recurrent-spec.js';
export type { BufferLimits } from './models/graph-model.js';
export { Graph } from './models/graph.js';
export { GraphRun, type LossWrite } from './plan/graph-run.js';
export { GraphTraining, type LossSpec, type MetricSpec } from './plan/graph-training.js';
export { DecodePlan, type DecodeOptions, type DecodeChain, type DecodeBranch } from './plan/decode-plan.js';
export { BeamPlan, type BeamOptions, type BeamResult } from './plan/beam-plan.js';
export { copyStep } from './plan/plan.js';
export * from './kernels/columns.js';
export * from './kernels/bidirectional.js';
export * from './kernels/pooling.js';
export * from './kernels/pooling1d.js';
export * from './kernels/conv1d.js';
export * from './kernels/window1d.js';
export * from './kernels/layer-norm.js';
export * from './kernels/dropout.js';
export { noiseCounter } from './layers/keras/dropout.js';
export type { ForwardPass, Gradients, LogitsView, NodeRuntime, Range, RuntimeContext, BuildContext, Value, ValueKind } from './layers/keras/layer.js';
