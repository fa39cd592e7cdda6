import { describe, expect, it } from 'vitest';
import { relu, reluGrad, sigmoid, sigmoidGrad, softmaxRows, tanh, tanhGrad } from './activations.js';

describe('activations', () => {
  it('sigmoid and tanh give finite values and gradients at +-300 and far beyond', () => {
    for (const x of [300, -300, 1000, -1000, 1e308, -1e308]) {
      for (const v of [sigmoid(x), sigmoidGrad(x), tanh(x), tanhGrad(x)]) expect(Number.isFinite(v)).toBe(true);
      if (x > 0) expect(sigmoid(x)).toBe(1); // saturates to exactly 1 on the right
      else expect(sigmoid(x)).toBeGreaterThanOrEqual(0); // and to (a subnormal or) 0 on the left
      expect(Math.abs(tanh(x))).toBe(1);
      expect(tanhGrad(x)).toBe(0);
    }
    // On the left the tiny value is kept, not flushed through 1/(1+inf).
    expect(sigmoid(-300) / Math.exp(-300)).toBeCloseTo(1, 12);
    expect(sigmoidGrad(-300) / Math.exp(-300)).toBeCloseTo(1, 12);
    expect(sigmoidGrad(300)).toBe(0);
  });

  it('known values', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(sigmoid(-Math.log(3))).toBeCloseTo(0.25, 15);
    expect(tanh(Math.log(3) / 2)).toBeCloseTo(0.5, 15);
    expect(sigmoidGrad(0)).toBe(0.25);
    expect(tanhGrad(0)).toBe(1);
    expect([relu(-2), relu(0), relu(3)]).toEqual([0, 0, 3]);
    expect([reluGrad(-2), reluGrad(0), reluGrad(3)]).toEqual([0, 0, 1]);
  });

  it('derivatives match central differences (rel err <= 1e-6)', () => {
    const h = 1e-5;
    for (const x of [-4, -1.3, -0.2, 0.1, 0.9, 2.5, 6]) {
      const ds = (sigmoid(x + h) - sigmoid(x - h)) / (2 * h);
      const dt = (tanh(x + h) - tanh(x - h)) / (2 * h);
      expect(Math.abs(ds - sigmoidGrad(x)) / sigmoidGrad(x)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(dt - tanhGrad(x)) / tanhGrad(x)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('softmaxRows: max-shifted, rows sum to 1', () => {
    const y = softmaxRows(new Float64Array([0, Math.log(3), 800, 800]), 2, 2);
    expect(y[0]).toBeCloseTo(0.25, 15);
    expect(y[1]).toBeCloseTo(0.75, 15);
    expect(Array.from(y.subarray(2))).toEqual([0.5, 0.5]);
  });
});
