// Seeded pseudo-random numbers for tests, so every run sees the same data.

/** mulberry32: a tiny 32-bit PRNG; returns a function yielding floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
