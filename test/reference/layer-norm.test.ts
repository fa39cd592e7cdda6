import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { layerNorm, layerNormBackward } from './layer-norm.js';
import { mulberry32, uniformArray } from './random.js';

// Odd sizes: R 7, F 5; R 3, F 2 (the smallest F with a nonzero dx); R 1, F 1 (degenerate: var 0).
const SHAPES = [[7, 5], [3, 2], [1, 1]] as const;
const FLAGS = [
  { center: true, scale: true },
  { center: true, scale: false },
  { center: false, scale: true },
  { center: false, scale: false },
];

describe('LayerNormalization gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const [R, F] of SHAPES) {
    for (const { center, scale } of FLAGS) {
      it(`R ${R} F ${F}, center ${center}, scale ${scale}`, () => {
        const dims = { rows: R, features: F, epsilon: 1e-3, center, scale };
        const rng = mulberry32(11 + R * 3 + F + (center ? 1 : 0) + (scale ? 2 : 0));
        const x = uniformArray(R * F, 1, rng);
        // gamma away from 0, so g = dy gamma carries every dy.
        const gamma = Float64Array.from(uniformArray(F, 0.5, rng), (v) => v + 1);
        const beta = uniformArray(F, 1, rng);
        const r = uniformArray(R * F, 1, rng);
        const loss = () => dot(layerNorm(dims, x, scale ? gamma : undefined, center ? beta : undefined).y, r);
        const grads = layerNormBackward(dims, x, r, scale ? gamma : undefined);
        if (F > 1) expectGradient('dx', grads.dx, loss, x);
        else {
          // F 1: y = beta whatever x is, so dx is 0 (the finite differences are 0 too).
          expect(Array.from(grads.dx)).toEqual([0]);
          expect(loss()).toBeCloseTo(center ? beta[0] * r[0] : 0, 12);
        }
        if (scale && F > 1) expectGradient('dgamma', grads.dgamma!, loss, gamma);
        if (scale && F === 1) expect(Array.from(grads.dgamma!)).toEqual([0]);
        if (center) expectGradient('dbeta', grads.dbeta!, loss, beta);
        expect(grads.dgamma !== undefined).toBe(scale);
        expect(grads.dbeta !== undefined).toBe(center);
      });
    }
  }
});

describe('LayerNormalization forward', () => {
  it('matches a hand-computed R 2, F 4 example', () => {
    // Row 0: mean 2.5, var 1.25; row 1: mean 0, var 0.5.
    const x = new Float64Array([1, 2, 3, 4, -1, 1, 0, 0]);
    const eps = 1e-3;
    const { y, stats } = layerNorm({ rows: 2, features: 4, epsilon: eps, center: true, scale: true }, x, new Float64Array([1, 2, 1, 1]), new Float64Array([0, 0, 0, 10]));
    const inv0 = 1 / Math.sqrt(1.25 + eps);
    const inv1 = 1 / Math.sqrt(0.5 + eps);
    expect(Array.from(stats)).toEqual([2.5, inv0, 0, inv1]);
    const expected = [-1.5 * inv0, 2 * -0.5 * inv0, 0.5 * inv0, 1.5 * inv0 + 10, -inv1, 2 * inv1, 0, 10];
    Array.from(y).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));
  });

  it('normalizes each row to mean 0 and variance var / (var + eps)', () => {
    const rng = mulberry32(3);
    const x = uniformArray(3 * 9, 2, rng);
    const { y, stats } = layerNorm({ rows: 3, features: 9, epsilon: 1e-3, center: false, scale: false }, x);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(y.subarray(r * 9, r * 9 + 9));
      const mean = row.reduce((a, b) => a + b, 0) / 9;
      const variance = row.reduce((a, b) => a + b * b, 0) / 9;
      const inv = stats[2 * r + 1];
      expect(mean).toBeCloseTo(0, 12);
      // variance of xhat = var inv^2 = 1 - eps inv^2.
      expect(variance).toBeCloseTo(1 - 1e-3 * inv * inv, 12);
    }
  });

  it('rejects sizes that do not match', () => {
    const dims = { rows: 2, features: 3, epsilon: 1e-3, center: true, scale: true };
    expect(() => layerNorm(dims, new Float64Array(5), new Float64Array(3), new Float64Array(3))).toThrow(/layer norm x: length 5, expected 6/);
    expect(() => layerNorm(dims, new Float64Array(6), new Float64Array(2), new Float64Array(3))).toThrow(/layer norm gamma: length 2, expected 3/);
    expect(() => layerNormBackward(dims, new Float64Array(6), new Float64Array(4), new Float64Array(3))).toThrow(/layer norm dy: length 4, expected 6/);
  });
});
