import { describe, expect, it } from 'vitest';
import {
  adamUpdate,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  createAdamState,
  createRmspropState,
  createSgdState,
  globalNorm,
  rmspropUpdate,
  sgdUpdate,
} from './optimizers.js';

// Two steps from p = 1 with gradients g1 = 0.5 then g2 = -1; intermediate values worked out by hand.
const G1 = new Float64Array([0.5]);
const G2 = new Float64Array([-1]);

describe('Adam (Keras formula)', () => {
  it('two steps, lr = 0.1, default betas and epsilon', () => {
    const p = new Float64Array([1]);
    const s = createAdamState(1);
    adamUpdate(p, G1, s, { learningRate: 0.1 });
    // m1 = 0.1 * 0.5 = 0.05; v1 = 0.001 * 0.25 = 0.00025; lr_1 = 0.1 sqrt(0.001) / 0.1 = sqrt(0.001)
    // so the first step is ~lr in size: 0.1 * sqrt(0.00025) / (sqrt(0.00025) + 1e-7)
    expect(s.m[0]).toBeCloseTo(0.05, 16);
    expect(s.v[0]).toBeCloseTo(0.00025, 16);
    const p1 = 1 - (Math.sqrt(0.001) * 0.05) / (Math.sqrt(0.00025) + 1e-7);
    expect(p[0]).toBeCloseTo(p1, 15);
    expect(p[0]).toBeCloseTo(0.9000006324515, 12);

    adamUpdate(p, G2, s, { learningRate: 0.1 });
    // m2 = 0.9 * 0.05 - 0.1 = -0.055; v2 = 0.999 * 0.00025 + 0.001 = 0.00124975
    // lr_2 = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.1 sqrt(0.001999) / 0.19
    expect(s.m[0]).toBeCloseTo(-0.055, 16);
    expect(s.v[0]).toBeCloseTo(0.00124975, 16);
    expect(s.step).toBe(2);
    const p2 = p1 + ((0.1 * Math.sqrt(0.001999)) / 0.19) * (0.055 / (Math.sqrt(0.00124975) + 1e-7));
    expect(p[0]).toBeCloseTo(p2, 15);
  });

  it('updates each element independently', () => {
    const p = new Float64Array([1, 1]);
    const s = createAdamState(2);
    adamUpdate(p, new Float64Array([0.5, 0]), s, { learningRate: 0.1 });
    expect(p[1]).toBe(1); // zero gradient, zero moments: no move
  });
});

describe('SGD (Keras formula)', () => {
  it('plain: p -= lr g', () => {
    const p = new Float64Array([1]);
    const s = createSgdState(1);
    sgdUpdate(p, G1, s, { learningRate: 0.1 });
    expect(p[0]).toBeCloseTo(0.95, 16);
    sgdUpdate(p, G2, s, { learningRate: 0.1 });
    expect(p[0]).toBeCloseTo(1.05, 15);
  });

  it('momentum 0.9: velocity = 0.9 velocity - lr g; p += velocity', () => {
    const p = new Float64Array([1]);
    const s = createSgdState(1);
    sgdUpdate(p, G1, s, { learningRate: 0.1, momentum: 0.9 });
    expect(s.velocity[0]).toBeCloseTo(-0.05, 16); // -0.1 * 0.5
    expect(p[0]).toBeCloseTo(0.95, 16);
    sgdUpdate(p, G2, s, { learningRate: 0.1, momentum: 0.9 });
    expect(s.velocity[0]).toBeCloseTo(0.055, 16); // 0.9 * -0.05 + 0.1
    expect(p[0]).toBeCloseTo(1.005, 15);
  });

  it('Nesterov: p += momentum velocity - lr g', () => {
    const p = new Float64Array([1]);
    const s = createSgdState(1);
    sgdUpdate(p, G1, s, { learningRate: 0.1, momentum: 0.9, nesterov: true });
    expect(p[0]).toBeCloseTo(0.905, 15); // 1 + 0.9 * -0.05 - 0.05
    sgdUpdate(p, G2, s, { learningRate: 0.1, momentum: 0.9, nesterov: true });
    expect(p[0]).toBeCloseTo(1.0545, 15); // 0.905 + 0.9 * 0.055 + 0.1
  });
});

describe('RMSprop (Keras formula, epsilon inside the square root)', () => {
  it('two steps, lr = 0.01, rho = 0.9', () => {
    const p = new Float64Array([1]);
    const s = createRmspropState(1);
    rmspropUpdate(p, G1, s, { learningRate: 0.01 });
    // ms1 = 0.1 * 0.25 = 0.025; p1 = 1 - 0.01 * 0.5 / sqrt(0.025 + 1e-7)
    expect(s.meanSquare[0]).toBeCloseTo(0.025, 16);
    const p1 = 1 - 0.005 / Math.sqrt(0.0250001);
    expect(p[0]).toBeCloseTo(p1, 15);
    expect(p[0]).toBeCloseTo(0.9683772867, 9); // 1 - 0.0316227766 * (1 - 2e-6)
    rmspropUpdate(p, G2, s, { learningRate: 0.01 });
    // ms2 = 0.9 * 0.025 + 0.1 * 1 = 0.1225 (= 0.35^2); p2 = p1 + 0.01 / sqrt(0.1225 + 1e-7)
    expect(s.meanSquare[0]).toBeCloseTo(0.1225, 16);
    expect(p[0]).toBeCloseTo(p1 + 0.01 / Math.sqrt(0.1225001), 15);
  });

  it('with momentum 0.5: moment = 0.5 moment + increment; p -= moment', () => {
    const p = new Float64Array([1]);
    const s = createRmspropState(1);
    rmspropUpdate(p, G1, s, { learningRate: 0.01, momentum: 0.5 });
    const inc1 = 0.005 / Math.sqrt(0.0250001);
    expect(p[0]).toBeCloseTo(1 - inc1, 15);
    rmspropUpdate(p, G2, s, { learningRate: 0.01, momentum: 0.5 });
    const mom2 = 0.5 * inc1 - 0.01 / Math.sqrt(0.1225001);
    expect(p[0]).toBeCloseTo(1 - inc1 - mom2, 15);
  });

  it('tiny gradients show where epsilon sits: sqrt(ms + eps), not sqrt(ms) + eps', () => {
    const p = new Float64Array([0]);
    rmspropUpdate(p, new Float64Array([1e-4]), createRmspropState(1), { learningRate: 1 });
    // ms = 1e-9: inside gives 1e-4 / sqrt(1.01e-7) = 0.31466..., outside would give ~3.1524
    expect(p[0]).toBeCloseTo(-1e-4 / Math.sqrt(1.01e-7), 14);
  });
});

describe('gradient clipping', () => {
  it('by global norm: scales everything by clip / norm when the norm is too large', () => {
    const grads = [new Float64Array([3, 4]), new Float64Array([12])]; // norm 13
    expect(globalNorm(grads)).toBe(13);
    const { grads: out, norm } = clipByGlobalNorm(grads, 6.5);
    expect(norm).toBe(13);
    expect(out.map((g) => Array.from(g))).toEqual([[1.5, 2], [6]]);
    expect(Array.from(grads[0])).toEqual([3, 4]); // inputs untouched
    const same = clipByGlobalNorm(grads, 20).grads;
    expect(same.map((g) => Array.from(g))).toEqual([[3, 4], [12]]);
  });

  it('by norm, per array', () => {
    expect(Array.from(clipByNorm(new Float64Array([3, 4]), 1))).toEqual([0.6, 0.8].map((v) => expect.closeTo(v, 15)));
    expect(Array.from(clipByNorm(new Float64Array([3, 4]), 5))).toEqual([3, 4]);
    expect(Array.from(clipByNorm(new Float64Array([0, 0]), 1))).toEqual([0, 0]);
  });

  it('by value', () => {
    expect(Array.from(clipByValue(new Float64Array([-3, 0.5, 2, -1]), 1))).toEqual([-1, 0.5, 1, -1]);
  });
});
