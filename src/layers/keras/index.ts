// Keras-style layers for Sequential and Model, by class and as TensorFlow.js-style factories:
//   layers.lstm({ units: 128, returnSequences: true }), layers.dense({ units: 9, activation: 'softmax' }).

import { ActivationLayer, type ActivationLayerConfig } from './activation.js';
import { BidirectionalLayer, type BidirectionalConfig } from './bidirectional.js';
import { Conv1DLayer, type Conv1DLayerConfig } from './conv1d.js';
import { DenseLayer, type DenseLayerConfig } from './dense.js';
import {
  AlphaDropoutLayer, DropoutLayer, GaussianDropoutLayer, GaussianNoiseLayer, SpatialDropout1DLayer,
  type AlphaDropoutConfig, type DropoutLayerConfig, type GaussianDropoutConfig, type GaussianNoiseConfig, type SpatialDropout1DConfig,
} from './dropout.js';
import { EmbeddingLayer, type EmbeddingLayerConfig } from './embedding.js';
import { input } from './input.js';
import type { LayerConfig } from './layer.js';
import { MaskingLayer, type MaskingLayerConfig } from './masking.js';
import { Add, Concatenate, type ConcatenateConfig } from './merge.js';
import { RecurrentLayerNode, type RecurrentLayerConfig } from './recurrent.js';
import { LayerNormalizationLayer, type LayerNormalizationConfig } from './layer-norm.js';
import { AdditiveAttentionLayer, AttentionLayer, type AdditiveAttentionLayerConfig, type AttentionLayerConfig } from './attention.js';
import { FlattenLayer, GlobalPooling1DLayer, type GlobalPooling1DConfig } from './pooling.js';
import { Pooling1DLayer, type Pooling1DConfig } from './pooling1d.js';
import { RepeatVectorLayer, TimeDistributedLayer, type RepeatVectorConfig, type TimeDistributedConfig } from './repeat.js';

export { ActivationLayer, type ActivationLayerConfig } from './activation.js';
export { BidirectionalLayer, type BidirectionalConfig, type BidirectionalMergeMode } from './bidirectional.js';
export { Conv1DLayer, type Conv1DLayerConfig } from './conv1d.js';
export { DenseLayer, type DenseLayerConfig } from './dense.js';
export {
  NoiseLayer, DropoutLayer, SpatialDropout1DLayer, GaussianDropoutLayer, GaussianNoiseLayer, AlphaDropoutLayer,
  type DropoutLayerConfig, type SpatialDropout1DConfig, type GaussianDropoutConfig, type GaussianNoiseConfig, type AlphaDropoutConfig,
  type NoiseLayerConfig, type NoiseShapeSpec, type NoiseLayerClass,
} from './dropout.js';
export { EmbeddingLayer, type EmbeddingLayerConfig } from './embedding.js';
export { InputLayer, input, type InputConfig } from './input.js';
export { Layer, SymbolicTensor, type Shape, type CallOptions, type LayerConfig } from './layer.js';
export { MaskingLayer, type MaskingLayerConfig } from './masking.js';
export { Add, Concatenate, type ConcatenateConfig } from './merge.js';
export { RecurrentLayerNode, type RecurrentLayerConfig } from './recurrent.js';
export { LayerNormalizationLayer, type LayerNormalizationConfig } from './layer-norm.js';
export { AdditiveAttentionLayer, AttentionLayer, type AdditiveAttentionLayerConfig, type AttentionLayerConfig } from './attention.js';
export { FlattenLayer, GlobalPooling1DLayer, type GlobalPooling1DConfig } from './pooling.js';
export { Pooling1DLayer, type Pooling1DConfig } from './pooling1d.js';
export { RepeatVectorLayer, TimeDistributedLayer, type RepeatVectorConfig, type TimeDistributedConfig } from './repeat.js';

/** Layer factories, named as TensorFlow.js' tf.layers. */
export const layers = {
  /** A model input of a per-sample shape (as keras.Input). */
  input,
  /** Dense over the last axis. */
  dense: (config: DenseLayerConfig) => new DenseLayer(config),
  /** An activation over the last axis (softmax) or elementwise. */
  activation: (config: ActivationLayerConfig) => new ActivationLayer(config),
  /** Steps of a sequence whose every feature is maskValue are padding: masked for the layers after it. */
  masking: (config: MaskingLayerConfig = {}) => new MaskingLayer(config),
  /** Token ids to vectors (maskZero: id 0 is padding, masked for the layers after it). */
  embedding: (config: EmbeddingLayerConfig) => new EmbeddingLayer(config),
  /** LSTM (gates i, f, c, o). */
  lstm: (config: RecurrentLayerConfig) => new RecurrentLayerNode('lstm', config),
  /** GRU (gates z, r, h; resetAfter true by default, as Keras 2.x/3). */
  gru: (config: RecurrentLayerConfig) => new RecurrentLayerNode('gru', config),
  /** SimpleRNN. */
  simpleRNN: (config: RecurrentLayerConfig) => new RecurrentLayerNode('simple_rnn', config),
  /** An LSTM, GRU or SimpleRNN run forward and backward in time, the two merged (mergeMode 'concat' by default). */
  bidirectional: (config: BidirectionalConfig) => new BidirectionalLayer(config),
  /** A vector repeated n times: [F] -> [n, F]. */
  repeatVector: (config: RepeatVectorConfig) => new RepeatVectorLayer(config),
  /** A Dense applied at every step of a sequence (layers.timeDistributed({ layer: layers.dense({ units }) })). */
  timeDistributed: (config: TimeDistributedConfig) => new TimeDistributedLayer(config),
  /** The mean over time: [T, F] -> [F]. */
  globalAveragePooling1d: (config: GlobalPooling1DConfig = {}) => new GlobalPooling1DLayer('avg', config),
  /** The maximum over time: [T, F] -> [F]. */
  globalMaxPooling1d: (config: GlobalPooling1DConfig = {}) => new GlobalPooling1DLayer('max', config),
  /** A 1-D convolution over time: [T, C] -> [To, filters] (padding 'valid', 'same' or 'causal', strides, dilationRate). */
  conv1d: (config: Conv1DLayerConfig) => new Conv1DLayer(config),
  /** The maximum of each window of poolSize steps (default 2), moved strides steps (default poolSize): [T, C] -> [To, C]. */
  maxPooling1d: (config: Pooling1DConfig = {}) => new Pooling1DLayer('max', config),
  /** The mean of each window of poolSize steps (default 2), moved strides steps (default poolSize); 'same' counts only real steps. */
  averagePooling1d: (config: Pooling1DConfig = {}) => new Pooling1DLayer('avg', config),
  /** A sequence as one vector: [T, F] -> [T F]. */
  flatten: (config: LayerConfig = {}) => new FlattenLayer(config),
  /** Normalization of each row over the last axis, scaled and shifted (Keras' LayerNormalization). */
  layerNormalization: (config: LayerNormalizationConfig = {}) => new LayerNormalizationLayer(config),
  /** Keras' Attention over [query, value] or [query, value, key]: dot-product (Luong) scores, or scoreMode 'concat'; useScale. */
  attention: (config: AttentionLayerConfig = {}) => new AttentionLayer(config),
  /** Keras' AdditiveAttention (Bahdanau) over [query, value] or [query, value, key]: scores sum scale tanh(q + k). */
  additiveAttention: (config: AdditiveAttentionLayerConfig = {}) => new AdditiveAttentionLayer(config),
  /** Concatenation along the last axis. */
  concatenate: (config: ConcatenateConfig = {}) => new Concatenate(config),
  /** Elementwise sum. */
  add: (config: LayerConfig = {}) => new Add(config),
  /** Dropout in training (x / (1 - rate) kept, 0 dropped; noiseShape [null, 1, F] shares a mask over time); the identity at inference. */
  dropout: (config: DropoutLayerConfig) => new DropoutLayer(config),
  /** Dropout of whole channels of a sequence [T, F] in training (one mask per sample and channel); the identity at inference. */
  spatialDropout1d: (config: SpatialDropout1DConfig) => new SpatialDropout1DLayer(config),
  /** Multiplicative Gaussian noise N(1, rate / (1 - rate)) in training; the identity at inference. */
  gaussianDropout: (config: GaussianDropoutConfig) => new GaussianDropoutLayer(config),
  /** Additive Gaussian noise N(0, stddev^2) in training; the identity at inference. */
  gaussianNoise: (config: GaussianNoiseConfig) => new GaussianNoiseLayer(config),
  /** Keras' AlphaDropout (for SELU networks) in training; the identity at inference. */
  alphaDropout: (config: AlphaDropoutConfig) => new AlphaDropoutLayer(config),
};
