import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { POOL_MODES } from './pooling.js';
import { pool1d, pool1dBackward, pool1dWindows, type Pool1DOptions } from './pooling1d.js';
import { mulberry32, uniformArray } from './random.js';

// Odd sizes: T 11, B 3, C 5 with windows of 3 moved 2 (overlapping), of 2 moved 3 (gaps), and of 4 moved
// 1 (each step in up to four windows).
const CASES: { T: number; B: number; C: number; o: Omit<Pool1DOptions, 'padding'> }[] = [
  { T: 11, B: 3, C: 5, o: { poolSize: 3, stride: 2 } },
  { T: 11, B: 3, C: 5, o: { poolSize: 2, stride: 3 } },
  { T: 7, B: 2, C: 3, o: { poolSize: 4, stride: 1 } },
];

describe('MaxPooling1D and AveragePooling1D gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const { T, B, C, o } of CASES) {
    for (const padding of ['valid', 'same'] as const) {
      // Max: uniform random values have no ties (and each window's maximum leads its runner-up by far
      // more than the finite-difference step, so the arg does not move while x is perturbed).
      it.each(POOL_MODES)(`%s, T ${T} B ${B} C ${C} pool ${o.poolSize} stride ${o.stride}, ${padding}`, (mode) => {
        const opts = { ...o, padding };
        const rng = mulberry32(11 + T + o.poolSize);
        const x = uniformArray(T * B * C, 1, rng);
        const { outSteps } = pool1d(mode, x, T, B, C, opts);
        const r = uniformArray(outSteps * B * C, 1, rng);
        const loss = () => dot(pool1d(mode, x, T, B, C, opts).out, r);
        expectGradient('dx', pool1dBackward(mode, r, T, B, C, opts, pool1d(mode, x, T, B, C, opts).arg), loss, x);
      });
    }
  }
});

describe('MaxPooling1D and AveragePooling1D forward', () => {
  it('windows as TensorFlow pads them', () => {
    // valid: floor((T - p) / s) + 1 windows.
    expect(pool1dWindows(7, { poolSize: 3, stride: 2, padding: 'valid' })).toEqual([[0, 1, 2], [2, 3, 4], [4, 5, 6]]);
    expect(pool1dWindows(5, { poolSize: 2, stride: 2, padding: 'valid' })).toEqual([[0, 1], [2, 3]]);
    // same: ceil(T / s) windows; T 5, p 2, s 2: total 1, on the right.
    expect(pool1dWindows(5, { poolSize: 2, stride: 2, padding: 'same' })).toEqual([[0, 1], [2, 3], [4]]);
    // T 6, p 3, s 1: total 2, one each side.
    expect(pool1dWindows(6, { poolSize: 3, stride: 1, padding: 'same' })).toEqual([[0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5]]);
  });

  it('avg counts only the real steps; max takes the first t of a tie and sends its gradient there', () => {
    // T 5, B 1, C 1.
    const x = new Float64Array([1, 3, 3, -2, 4]);
    const o: Pool1DOptions = { poolSize: 2, stride: 2, padding: 'same' };
    expect(Array.from(pool1d('avg', x, 5, 1, 1, o).out)).toEqual([2, 0.5, 4]);
    const max = pool1d('max', x, 5, 1, 1, { poolSize: 3, stride: 1, padding: 'valid' });
    expect(Array.from(max.out)).toEqual([3, 3, 4]);
    expect(Array.from(max.arg!)).toEqual([1, 1, 4]);
    expect(Array.from(pool1dBackward('max', new Float64Array([1, 2, 3]), 5, 1, 1, { poolSize: 3, stride: 1, padding: 'valid' }, max.arg))).toEqual([0, 3, 0, 0, 3]);
    expect(Array.from(pool1dBackward('avg', new Float64Array([2, 1, 3]), 5, 1, 1, o))).toEqual([1, 1, 0.5, 0.5, 3]);
  });

  it('rejects sizes that do not match, and a max backward without arg', () => {
    const o: Pool1DOptions = { poolSize: 2, stride: 2, padding: 'valid' };
    expect(() => pool1d('avg', new Float64Array(5), 3, 2, 1, o)).toThrow(/pool1d x: length 5, expected 6/);
    expect(() => pool1dBackward('avg', new Float64Array(3), 3, 2, 1, o)).toThrow(/pool1d dout: length 3, expected 2/);
    expect(() => pool1dBackward('max', new Float64Array(2), 3, 2, 1, o)).toThrow(/needs arg/);
  });
});
