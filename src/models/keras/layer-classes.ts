// The Keras layer classes fromConfig reads, and why some others cannot be read. Every class not listed
// as read (Lambda, Conv2D, nested models, custom
// classes) is a ShapeError naming the layer's position, name and class and the model.

import { NOISE_LAYER_CLASSES } from '../../layers/keras/dropout.js';
import { KERAS1_CLASSES } from './keras1-config.js';

/**
 * Layers whose every setting webrnn honours (and the inert ones below). CuDNNLSTM and CuDNNGRU (tf.keras
 * 1.x / Keras 2.x) are the LSTM and GRU(reset_after) they compute.
 */
export const LAYER_CLASSES = ['InputLayer', 'Dense', 'Activation', 'Embedding', 'LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU', 'Bidirectional', 'RepeatVector', 'TimeDistributed', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'Conv1D', 'MaxPooling1D', 'AveragePooling1D', 'Flatten', 'LayerNormalization', 'Concatenate', 'Add', 'Masking', 'Attention', 'AdditiveAttention'] as const;
/** Dropout and noise: identities at inference, their noise in training, as Keras (src/layers/keras/dropout.ts). */
export const INERT_CLASSES = NOISE_LAYER_CLASSES;
/** The list of what webrnn reads, for error messages (Keras 1's classes are read as Keras 2's: keras1-config.ts). */
export const supported = () => `webrnn supports ${[...LAYER_CLASSES, ...INERT_CLASSES].join(', ')}, and Keras 1's ${KERAS1_CLASSES.join(', ')}`;

/** The recurrent classes and their webrnn cells. */
export const CELLS = { LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'simple_rnn', CuDNNLSTM: 'lstm', CuDNNGRU: 'gru' } as const;

/** Why some classes cannot be read, beyond "not supported". */
export const UNSUPPORTED_REASONS: Record<string, string> = {
  TFOpLambda: 'it calls a TensorFlow op inside the model (tf.keras wraps such calls as TFOpLambda), which webrnn cannot run',
  SlicingOpLambda: 'it slices a tensor with a TensorFlow op inside the model, which webrnn cannot run',
  Lambda: 'it holds Python code (a function serialized from Python), which webrnn cannot run; rewrite it with supported layers',
  Functional: 'nested models are not supported: flatten the inner model into the outer one',
  Model: 'nested models are not supported: flatten the inner model into the outer one',
  Sequential: 'nested models are not supported: flatten the inner model into the outer one',
  RNN: 'generic RNN cells are not supported: use LSTM, GRU or SimpleRNN',
  ConvLSTM1D: 'convolutional recurrent layers are not supported',
  ConvLSTM2D: 'convolutional recurrent layers are not supported',
};

/** Whether fromConfig reads the class (one of LAYER_CLASSES or INERT_CLASSES). */
export function isReadable(className: string): boolean {
  return (LAYER_CLASSES as readonly string[]).includes(className) || isInert(className);
}

/** Whether the class is one whose effect Keras applies only in training (dropout, noise). */
export function isInert(className: string): boolean {
  return (INERT_CLASSES as readonly string[]).includes(className);
}
