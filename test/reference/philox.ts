// Philox-4x32-10 (Salmon et al. 2011, Random123) in plain JavaScript: the reference for
// shaders/common/random.wgsl, and what the dropout masks are drawn from, element by element.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** [low, high] 32-bit words of a b (both u32), from 16-bit halves: every partial product is exact in a double. */
function mulWide(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const ll = aLo * bLo;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const carry = Math.floor(ll / 65536) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (aHi * bHi + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(carry / 65536)) >>> 0;
  return [Math.imul(a, b) >>> 0, hi];
}

/** Philox-4x32-10 of a 128-bit counter and a 64-bit key (u32 words). */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const [lo0, hi0] = mulWide(M0, c0);
    const [lo1, hi1] = mulWide(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The shader's uniform01: (r >> 8) 2^-24, exact. */
export function uniform01(r: number): number {
  return (r >>> 8) * 2 ** -24;
}

/** The shader's normal01 in float64 (Box-Muller from the same bits). */
export function normal01(a: number, b: number): number {
  const u1 = 1 - uniform01(a);
  const u2 = uniform01(b);
  return Math.sqrt(Math.max(-2 * Math.log(u1), 0)) * Math.cos(Math.PI * (2 * u2 - 1));
}

/** The two key words of a seed, as src/kernels/dropout.ts makes them. */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}
