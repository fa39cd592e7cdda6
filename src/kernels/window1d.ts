// The time axis of Keras' 1-D windows (Conv1D, MaxPooling1D, AveragePooling1D, as TensorFlow computes
// them): how many outputs a window of `size` taps `dilation` apart, moved `stride` steps at a time, has
// over `steps` input steps, and how many zero (or ignored) steps sit before the first input step.
//
//   span  = dilation (size - 1) + 1                  (steps one window covers)
//   valid:  out = floor((steps - span) / stride) + 1 (0 when steps < span), left 0
//   same:   out = ceil(steps / stride), total = max((out - 1) stride + span - steps, 0), left = floor(total / 2)
//   causal: out = ceil(steps / stride), left = span - 1 (Keras pads the left, then runs 'valid')
//
// Output o reads input steps o stride + j dilation - left, j = 0 .. size - 1; those outside [0, steps)
// are padding.

/** Keras' padding of a 1-D window: 'causal' only for Conv1D. */
export type Padding1D = 'valid' | 'same' | 'causal';

/** The paddings, for checks and error messages. */
export const PADDINGS_1D: readonly Padding1D[] = ['valid', 'same', 'causal'];

/** A window along time. */
export interface Window1D {
  /** Taps (Conv1D's kernel_size, pooling's pool_size). */
  size: number;
  /** Steps between two outputs' windows. */
  stride: number;
  /** Steps between two taps (1 for pooling). */
  dilation: number;
  padding: Padding1D;
}

/** Where a window's outputs fall. */
export interface WindowGeometry {
  /** Output steps (0 when 'valid' and the input is shorter than one window). */
  outSteps: number;
  /** Padding steps before the first input step. */
  padLeft: number;
  /** Steps one window covers: dilation (size - 1) + 1. */
  span: number;
}

/** The output steps and left padding of `window` over `steps` input steps (positive integers, checked by the caller). */
export function windowGeometry(steps: number, window: Window1D): WindowGeometry {
  const { size, stride, dilation, padding } = window;
  const span = dilation * (size - 1) + 1;
  if (padding === 'valid') return { outSteps: steps < span ? 0 : Math.floor((steps - span) / stride) + 1, padLeft: 0, span };
  const outSteps = Math.ceil(steps / stride);
  if (padding === 'causal') return { outSteps, padLeft: span - 1, span };
  const total = Math.max((outSteps - 1) * stride + span - steps, 0);
  return { outSteps, padLeft: Math.floor(total / 2), span };
}
