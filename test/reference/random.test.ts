import { describe, expect, it } from 'vitest';
import { fillUniform, mulberry32, randomInts, uniformArray } from './random.js';

describe('random', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(Array.from(uniformArray(8, 1, mulberry32(1)))).toEqual(Array.from(uniformArray(8, 1, mulberry32(1))));
    expect(Array.from(uniformArray(8, 1, mulberry32(1)))).not.toEqual(Array.from(uniformArray(8, 1, mulberry32(2))));
  });

  it('stays in range and covers it', () => {
    const a = uniformArray(10000, 0.25, mulberry32(3));
    expect(a.every((v) => v >= -0.25 && v < 0.25)).toBe(true);
    expect(Math.min(...a)).toBeLessThan(-0.24);
    expect(Math.max(...a)).toBeGreaterThan(0.24);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    const ints = randomInts(1000, 7, mulberry32(4));
    expect(ints.every((v) => v >= 0 && v < 7)).toBe(true);
    expect(new Set(ints).size).toBe(7);
    const filled = fillUniform(new Float64Array(5), 2, mulberry32(5));
    expect(filled.every((v) => Math.abs(v) <= 2 && v !== 0)).toBe(true);
  });
});
