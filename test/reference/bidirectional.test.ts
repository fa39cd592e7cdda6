import { describe, expect, it } from 'vitest';
import { MERGE_MODES, mergeDirections, mergeDirectionsBackward, type MergeMode } from './bidirectional.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';

// Odd sizes: T 5, B 3, U 7; and T 1 (the final states).
const SHAPES = [[5, 3, 7], [1, 2, 3]] as const;

describe('Bidirectional merge gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const [T, B, U] of SHAPES) {
    it.each(MERGE_MODES)(`%s, T ${T} B ${B} U ${U}`, (mode) => {
      const rng = mulberry32(7 + T);
      const hseq = uniformArray(2 * T * B * U, 1, rng);
      const width = mode === 'concat' ? 2 * U : U;
      const weights = Array.from({ length: mode === 'none' ? 2 : 1 }, () => uniformArray(T * B * width, 1, rng));
      const loss = () => mergeDirections(mode, hseq, T, B, U).reduce((sum, y, i) => sum + dot(y, weights[i]), 0);
      expectGradient('dhseq', mergeDirectionsBackward(mode, hseq, weights, T, B, U), loss, hseq);
    });
  }

  it('none, with only one of its outputs receiving gradient', () => {
    const [T, B, U] = SHAPES[0];
    const rng = mulberry32(3);
    const hseq = uniformArray(2 * T * B * U, 1, rng);
    const r = uniformArray(T * B * U, 1, rng);
    for (const half of [0, 1]) {
      const loss = () => dot(mergeDirections('none', hseq, T, B, U)[half], r);
      const dOutputs = half === 0 ? [r, undefined] : [undefined, r];
      const dh = mergeDirectionsBackward('none', hseq, dOutputs, T, B, U);
      expectGradient(`dhseq (output ${half})`, dh, loss, hseq);
      // The other direction gets nothing.
      expect(dh.subarray((1 - half) * T * B * U, (2 - half) * T * B * U).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('Bidirectional merge forward', () => {
  // T 2, B 1, U 1: hseq = [f0, f1, b0, b1], direction 1's b0 being its first step, i.e. time 1.
  const hseq = new Float64Array([1, 2, 3, 5]);
  const expected: Record<MergeMode, number[][]> = {
    concat: [[1, 5, 2, 3]],
    sum: [[6, 5]],
    mul: [[5, 6]],
    ave: [[3, 2.5]],
    none: [[1, 2], [5, 3]],
  };
  it.each(MERGE_MODES)('%s matches a hand-computed T 2, B 1, U 1 example', (mode) => {
    expect(mergeDirections(mode, hseq, 2, 1, 1).map((y) => Array.from(y))).toEqual(expected[mode]);
  });

  it('rejects sizes that do not match', () => {
    expect(() => mergeDirections('sum', new Float64Array(5), 2, 1, 1)).toThrow(/merge hseq: length 5, expected 4/);
    expect(() => mergeDirectionsBackward('none', hseq, [undefined], 2, 1, 1)).toThrow(/2 output gradients expected/);
  });
});
