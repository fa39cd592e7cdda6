// Seeded pseudo-random numbers for tests, so every run sees the same data.

/** mulberry32 (the library's seeded generator): floats in [0, 1). */
export { seededRandom as mulberry32 } from '../../src/layers/random.js';

/** A Float64Array of n values drawn uniformly from [-a, a). */
export function uniformArray(n: number, a: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  fillUniform(out, a, rng);
  return out;
}

/** Fill an existing array uniformly from [-a, a). */
export function fillUniform(out: Float64Array, a: number, rng: () => number): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng() - 1) * a;
  return out;
}

/** An Int32Array of n integers drawn uniformly from [0, max). */
export function randomInts(n: number, max: number, rng: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * max);
  return out;
}
