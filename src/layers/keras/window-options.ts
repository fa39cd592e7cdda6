// Options the 1-D window layers (Conv1D, MaxPooling1D, AveragePooling1D) share: sizes given as Keras
// takes them (a number, or a list of one: Keras writes 1-D sizes as tuples), and the one data format
// webrnn's sequences have.

import { ShapeError } from '../../gpu/errors.js';

/** A positive integer given as `n` or `[n]`; errors name the layer (`who`) and the option. */
export function windowSize(who: string, option: string, value: number | readonly number[] | undefined): number {
  const n = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!Number.isInteger(n) || (n as number) < 1) throw new ShapeError(`${who}: ${option} must be a positive integer (or a list of one), got ${JSON.stringify(value)}`);
  return n as number;
}

/** Refuses any data format but channels_last (TensorFlow.js spells it channelsLast). */
export function channelsLastOnly(who: string, format: string | undefined | null): void {
  if (format === undefined || format === null || format === 'channels_last' || format === 'channelsLast') return;
  throw new ShapeError(`${who}: dataFormat ${JSON.stringify(format)} is not supported: webrnn's sequences are channels_last [steps, channels]`);
}
