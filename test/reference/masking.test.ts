import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { maskedMean, maskedMeanBackward, maskFromValues, maskRowWeights, maskRows } from './masking.js';
import { mulberry32, uniformArray } from './random.js';

describe('the masking reference', () => {
  // T 5, B 3, F 7 with sample 1 entirely masked; T 1.
  for (const [T, B, F] of [[5, 3, 7], [1, 2, 3]] as const) {
    const mask = Float64Array.from({ length: T * B }, (_, i) => (i % B === 1 || (Math.floor(i / B) + (i % B)) % 3 === 2 ? 0 : 1));
    it(`masked mean and masked rows: gradients match finite differences (gradcheck.ts), T ${T} B ${B} F ${F}`, () => {
      const rng = mulberry32(3 + T);
      const x = uniformArray(T * B * F, 1, rng);
      const r = uniformArray(B * F, 1, rng);
      expectGradient('masked mean dx', maskedMeanBackward(r, mask, T, B, F), () => dot(maskedMean(x, mask, T, B, F), r), x);
      const s = uniformArray(T * B * F, 1, rng);
      expectGradient('masked rows dx', maskRows(s, mask, F), () => dot(maskRows(x, mask, F), s), x);
    });
  }

  it('match hand-computed values', () => {
    // T 2, B 2, F 2: x[t, b, f] at (t 2 + b) 2 + f; step (1, 0) is padding of value 9.
    const x = new Float64Array([1, 2, 3, 4, 9, 9, 5, 6]);
    const { mask, out } = maskFromValues(x, 4, 2, 9);
    expect(Array.from(mask)).toEqual([1, 1, 0, 1]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 0, 0, 5, 6]);
    expect(Array.from(maskedMean(x, mask, 2, 2, 2))).toEqual([1, 2, 4, 5]);
    expect(Array.from(maskRowWeights(mask))).toEqual([1 / 3, 1 / 3, 0, 1 / 3]);
    expect(Array.from(maskRowWeights(mask, [1, 0, 1, 1]))).toEqual([0.5, 0, 0, 0.5]);
    expect(Array.from(maskRowWeights([0, 0]))).toEqual([0, 0]);
  });
});
