import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { flattenSequence, flattenSequenceBackward, globalPool, globalPoolBackward, POOL_MODES } from './pooling.js';
import { mulberry32, uniformArray } from './random.js';

// Odd sizes: T 5, B 3, F 7; and T 1 (a single step).
const SHAPES = [[5, 3, 7], [1, 2, 3]] as const;

describe('Global pooling and Flatten gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const [T, B, F] of SHAPES) {
    // Max: uniform random values have no ties (and each maximum leads the runner-up by far more than
    // the finite-difference step, so the arg does not move while x is perturbed).
    it.each(POOL_MODES)(`global pool %s, T ${T} B ${B} F ${F}`, (mode) => {
      const rng = mulberry32(5 + T);
      const x = uniformArray(T * B * F, 1, rng);
      const r = uniformArray(B * F, 1, rng);
      const loss = () => dot(globalPool(mode, x, T, B, F).out, r);
      expectGradient('dx', globalPoolBackward(mode, r, T, B, F, globalPool(mode, x, T, B, F).arg), loss, x);
    });

    it(`flatten, T ${T} B ${B} F ${F}`, () => {
      const rng = mulberry32(9 + T);
      const x = uniformArray(T * B * F, 1, rng);
      const r = uniformArray(T * B * F, 1, rng);
      const loss = () => dot(flattenSequence(x, T, B, F), r);
      expectGradient('dx', flattenSequenceBackward(r, T, B, F), loss, x);
    });
  }
});

describe('Global pooling and Flatten forward', () => {
  // T 3, B 2, F 2: x[t, b, f] at (t 2 + b) 2 + f.
  const x = new Float64Array([
    1, 4, /* t 0 b 0 */ -2, 0, /* t 0 b 1 */
    3, 4, /* t 1 b 0 */ -5, -1, /* t 1 b 1 */
    2, 7, /* t 2 b 0 */ -3, 0, /* t 2 b 1 */
  ]);

  it('avg and max match a hand-computed T 3, B 2, F 2 example; a tie takes the first t', () => {
    expect(Array.from(globalPool('avg', x, 3, 2, 2).out)).toEqual([2, 5, -10 / 3, -1 / 3]);
    const { out, arg } = globalPool('max', x, 3, 2, 2);
    expect(Array.from(out)).toEqual([3, 7, -2, 0]);
    // (b 1, f 1): 0 at t 0 and t 2, so t 0.
    expect(Array.from(arg!)).toEqual([1, 2, 0, 0]);
    expect(Array.from(globalPoolBackward('max', new Float64Array([1, 2, 3, 4]), 3, 2, 2, arg))).toEqual([0, 0, 3, 4, 1, 0, 0, 0, 0, 2, 0, 0]);
  });

  it('flatten lays each batch row out as [T F]', () => {
    expect(Array.from(flattenSequence(x, 3, 2, 2))).toEqual([1, 4, 3, 4, 2, 7, -2, 0, -5, -1, -3, 0]);
  });

  it('rejects sizes that do not match, and a max backward without arg', () => {
    expect(() => globalPool('avg', new Float64Array(5), 3, 2, 2)).toThrow(/pool x: length 5, expected 12/);
    expect(() => globalPoolBackward('max', new Float64Array(4), 3, 2, 2)).toThrow(/needs arg/);
    expect(() => flattenSequenceBackward(new Float64Array(4), 3, 2, 2)).toThrow(/flatten dout: length 4, expected 12/);
  });
});
