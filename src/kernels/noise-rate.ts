// The checks of a noise's rate and seed, apart from the kernels (src/kernels/dropout.ts) so that a layer
// can validate its options where they are written without loading the kernels' code until it draws.

import { ShapeError } from '../gpu/errors.js';
import type { NoiseKind } from './dropout.js';
import { describeValue as describe } from './regions.js';

/** Checks a rate (or stddev) for a kind; the message names `who`. */
export function checkNoiseRate(who: string, kind: NoiseKind, rate: number): void {
  if (kind === 'gaussian_noise') {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) throw new ShapeError(`${who}: stddev must be a finite number >= 0, got ${describe(rate)}`);
    return;
  }
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new ShapeError(`${who}: rate must be a number in [0, 1), got ${describe(rate)}`);
}

/** The two 32-bit words of a seed's low 64 bits (two's complement for a negative one). */
export function seedWords(who: string, seed: number): [number, number] {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new ShapeError(`${who}: seed must be an integer, got ${describe(seed)}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}
