// shaders/dropout.wgsl and its generator, shaders/common/random.wgsl: Philox-4x32-10 against Random123's
// known answers (through a JavaScript reference whose masks the GPU's must equal bit for bit), the
// statistics of the draws (dropout's keep rate, the normals' mean, variance and tails), the tick that
// advances the step counter, the backward reusing the forward's noise exactly, inverted scaling, and
// masks shared over time, samples or features.

import { beforeAll, describe, expect, it } from 'vitest';
import { Plan, Tensor, dropoutStep, noiseConstants, noiseTickStep, type NoiseOptions, type NoiseShape } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { normal01, philox4x32, seedKey, uniform01 } from '../reference/philox.js';
import { mulberry32, uniformArray } from '../reference/random.js';

// Statistical checks: a correct generator lands within 3 standard deviations of the expectation (the
// seeds are fixed, so each check is deterministic; a biased or correlated generator falls outside).
const SIGMAS = 3;
// The draws of the statistical checks.
const DRAWS = 1_000_000;
// GPU normals vs the float64 Box-Muller of the same bits: WGSL bounds cos's error by 2^-11 absolute on
// [-pi, pi] (times a radius up to 5.8), and log's by 2^-21 absolute near 1, which the sqrt of a small
// radius amplifies to ~1e-3: 4e-3 absolute covers both.
const NORMAL_TOL = { atol: 4e-3, rtol: 0 };
// AlphaDropout's a x + b: one multiply and one add (or one fused multiply-add) in f32, of terms up to
// |a x| ~ 4 and |b| < 1: 2 ulp of 4, absolute.
const ALPHA_TOL = { atol: 2 * 4 * 2 ** -23, rtol: 0 };

const SELU_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;

describe('Philox-4x32-10 reference', () => {
  it("matches Random123's known-answer vectors", () => {
    expect(philox4x32([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });
});

describe('dropout kernels', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  const u32Buffer = (label: string, value: number) => env.ctx.createStorageBuffer(label, 4, new Uint32Array([value]));
  const readU32 = async (buffer: GPUBuffer) => new Uint32Array(await env.ctx.read(buffer, 4))[0];

  /** Runs one noise_apply over xs (state = step), into a fresh output (or onto `start` with accumulate). */
  async function apply(xs: Float32Array, shape: NoiseShape, options: NoiseOptions, step: number, start?: Float32Array): Promise<Float32Array> {
    const x = Tensor.from(env.ctx, xs, [xs.length]);
    const out = start ? Tensor.from(env.ctx, start, [start.length]) : Tensor.zeros(env.ctx, [xs.length]);
    const state = u32Buffer('test.state', step);
    try {
      Plan.runOnce(env.ctx, 'noise', [await dropoutStep(env.registry, 'noise', shape, { x: { buffer: x, offset: 0 }, out: { buffer: out, offset: 0 }, state: { buffer: state, offset: 0 } }, options)]);
      return await out.read();
    } finally {
      x.dispose();
      out.dispose();
      env.ctx.destroyBuffer(state);
    }
  }

  const ones = (n: number) => new Float32Array(n).fill(1);
  const flat = (n: number): NoiseShape => ({ steps: 1, batch: 1, features: n });
  /** The reference's keep decision for mask element e. */
  const kept = (e: number, step: number, seed: number, rate: number, stream = 0) =>
    uniform01(philox4x32([e, step, stream, 0], seedKey(seed))[0]) >= Math.fround(rate);

  it('draws exactly the masks of the reference generator (a seed over 2^32, a stream), scaled by 1 / (1 - rate)', async () => {
    const n = 4099;
    const rate = 0.3;
    const seed = 12_345_678_901;
    const xs = Float32Array.from(uniformArray(n, 2, mulberry32(1)));
    const y = await apply(xs, flat(n), { rate, seed, stream: 7 }, 42);
    const scale = Math.fround(1 / (1 - rate));
    const expected = Float32Array.from(xs, (v, i) => (kept(i, 42, seed, rate, 7) ? Math.fround(v * scale) : 0));
    expect(Buffer.from(y.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('inverted scaling is exact: a kept value is x / (1 - rate) to float32 rounding', async () => {
    const n = 5000;
    for (const rate of [0.1, 0.3, 0.5, 0.77]) {
      const xs = Float32Array.from(uniformArray(n, 10, mulberry32(2)));
      const y = await apply(xs, flat(n), { rate, seed: 3 }, 1);
      let keptCount = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) continue;
        keptCount++;
        // The product rounded once (bit-exact), and within half an ulp of the true quotient plus the scale's rounding.
        expect(y[i]).toBe(Math.fround(xs[i] * Math.fround(1 / (1 - rate))));
        expect(Math.abs(y[i] - xs[i] / (1 - rate))).toBeLessThanOrEqual(Math.abs(y[i]) * 2 ** -23);
      }
      expect(keptCount).toBeGreaterThan(0);
    }
  });

  it('the same seed and step give the same mask; another step, seed or stream an independent one', async () => {
    const n = 20_000;
    const rate = 0.4;
    const mask = async (seed: number, step: number, stream = 0) => Array.from(await apply(ones(n), flat(n), { rate, seed, stream }, step), (v) => v !== 0);
    const base = await mask(5, 10);
    expect(await mask(5, 10)).toEqual(base);
    // Two independent masks agree with probability p^2 + (1 - p)^2, p the keep probability.
    const p = 1 - rate;
    const agreement = p * p + (1 - p) * (1 - p);
    const sd = Math.sqrt(agreement * (1 - agreement) / n);
    for (const [what, other] of [['step 11', await mask(5, 11)], ['seed 6', await mask(6, 10)], ['stream 1', await mask(5, 10, 1)]] as const) {
      const agree = base.filter((b, i) => b === other[i]).length / n;
      expect(Math.abs(agree - agreement), `${what}: agreement ${agree}`).toBeLessThan(SIGMAS * sd);
    }
  });

  it(`keeps 1 - rate of ${DRAWS} units to within ${SIGMAS} standard deviations`, async () => {
    for (const rate of [0.1, 0.5, 0.85]) {
      const y = await apply(ones(DRAWS), { steps: 10, batch: 100, features: 1000 }, { rate, seed: 17 }, 1);
      const keptCount = y.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0);
      const p = 1 - rate;
      expect(Math.abs(keptCount - DRAWS * p), `rate ${rate}: kept ${keptCount}`).toBeLessThan(SIGMAS * Math.sqrt(DRAWS * p * (1 - p)));
    }
  });

  /** Mean, variance and the fraction beyond 2 standard deviations of draws of N(mean, variance). */
  function expectNormal(values: Float32Array, mean: number, variance: number, what: string): void {
    const n = values.length;
    let sum = 0;
    for (const v of values) sum += v;
    const m = sum / n;
    let squares = 0;
    let tails = 0;
    const sd = Math.sqrt(variance);
    for (const v of values) {
      squares += (v - m) ** 2;
      if (Math.abs(v - mean) > 2 * sd) tails++;
    }
    const s2 = squares / (n - 1);
    expect(Math.abs(m - mean), `${what}: mean ${m}`).toBeLessThan(SIGMAS * sd / Math.sqrt(n));
    // The sample variance of a normal has standard deviation variance sqrt(2 / (n - 1)).
    expect(Math.abs(s2 - variance), `${what}: variance ${s2}`).toBeLessThan(SIGMAS * variance * Math.sqrt(2 / (n - 1)));
    const beyond = 0.04550026389635842; // P(|Z| > 2)
    expect(Math.abs(tails / n - beyond), `${what}: beyond 2 sd ${tails / n}`).toBeLessThan(SIGMAS * Math.sqrt(beyond * (1 - beyond) / n));
  }

  it(`Gaussian noise and Gaussian dropout: mean, variance and tails of ${DRAWS} draws within ${SIGMAS} standard deviations`, async () => {
    const stddev = 0.7;
    expectNormal(await apply(new Float32Array(DRAWS), flat(DRAWS), { kind: 'gaussian_noise', rate: stddev, seed: 21 }, 3), 0, stddev * stddev, 'gaussian_noise');
    const rate = 0.2;
    expectNormal(await apply(ones(DRAWS), flat(DRAWS), { kind: 'gaussian_dropout', rate, seed: 22 }, 3), 1, rate / (1 - rate), 'gaussian_dropout');
  });

  it('normals are Box-Muller of the reference bits', async () => {
    const n = 3000;
    const seed = 99;
    const z = await apply(new Float32Array(n), flat(n), { kind: 'gaussian_noise', rate: 1, seed }, 8);
    const expected = Array.from({ length: n }, (_, i) => {
      const [a, b] = philox4x32([i, 8, 0, 0], seedKey(seed));
      return normal01(a, b);
    });
    expectClose(z, expected, NORMAL_TOL, 'normal01');
  });

  it('the backward multiplies by exactly the forward noise, written or accumulated', async () => {
    const n = 2000;
    const shape = { steps: 4, batch: 5, features: 100 };
    for (const [kind, rate] of [['dropout', 0.35], ['gaussian_dropout', 0.3], ['alpha_dropout', 0.25]] as const) {
      const options: NoiseOptions = { kind, rate, seed: 31, shareOverTime: kind === 'dropout' };
      // Forward on ones gives the multiplier (plus alpha dropout's shift); backward on ones gives the multiplier.
      const forward = await apply(ones(n), shape, options, 4);
      const backward = await apply(ones(n), shape, { ...options, backward: true }, 4);
      const { scale, shift, dropped } = noiseConstants(kind, rate);
      const multiplier = kind === 'alpha_dropout'
        ? Float32Array.from(forward, (v) => (v === Math.fround(dropped) ? 0 : Math.fround(scale)))
        : forward;
      if (kind === 'alpha_dropout') expectClose(forward, Array.from(forward, (v) => (v === Math.fround(dropped) ? dropped : scale + shift)), ALPHA_TOL, 'alpha forward');
      expect(Buffer.from(backward.buffer).equals(Buffer.from(multiplier.buffer)), kind).toBe(true);
      // dy random, accumulated onto a start: dx = start + dy m.
      const rng = mulberry32(kind.length);
      const dy = Float32Array.from(uniformArray(n, 3, rng));
      const start = Float32Array.from(uniformArray(n, 1, rng));
      const dx = await apply(dy, shape, { ...options, backward: true, accumulate: true }, 4, start);
      expect(Array.from(dx)).toEqual(Array.from(dy, (v, i) => Math.fround(start[i] + Math.fround(v * multiplier[i]))));
    }
  });

  it('maskOnly writes the mask itself (the forward on ones) without reading x, or adds it; it is a forward only', async () => {
    const shape = { steps: 1, batch: 7, features: 13 };
    const n = 7 * 13;
    const options: NoiseOptions = { rate: 0.4, seed: 5, stream: 0x80000003 };
    const onOnes = await apply(ones(n), shape, options, 2);
    const out = Tensor.zeros(env.ctx, [n]);
    const start = Float32Array.from(uniformArray(n, 1, mulberry32(3)));
    const added = Tensor.from(env.ctx, start, [n]);
    const state = u32Buffer('test.state', 2);
    try {
      const { registry } = env;
      const step = async (target: Tensor, accumulate: boolean) =>
        dropoutStep(registry, 'mask', shape, { out: { buffer: target, offset: 0 }, state: { buffer: state, offset: 0 } }, { ...options, maskOnly: true, accumulate });
      Plan.runOnce(env.ctx, 'mask', [await step(out, false), await step(added, true)]);
      expect(Array.from(await out.read())).toEqual(Array.from(onOnes));
      expect(Array.from(await added.read())).toEqual(Array.from(onOnes, (m, i) => Math.fround(m + start[i])));
      await expect(dropoutStep(registry, 'mask', shape, { out: { buffer: out, offset: 0 }, state: { buffer: state, offset: 0 } }, options))
        .rejects.toThrow(/mask: x is missing \(only a maskOnly step goes without it\)/);
      await expect(dropoutStep(registry, 'mask', shape, { out: { buffer: out, offset: 0 }, state: { buffer: state, offset: 0 } }, { ...options, maskOnly: true, backward: true }))
        .rejects.toThrow(/mask: maskOnly is a forward/);
    } finally {
      out.dispose();
      added.dispose();
      env.ctx.destroyBuffer(state);
    }
  });

  it("alpha dropout: kept a x + b, dropped a alpha_p + b, with Keras' a and b", async () => {
    const n = 4000;
    const rate = 0.2;
    const xs = Float32Array.from(uniformArray(n, 3, mulberry32(4)));
    const y = await apply(xs, flat(n), { kind: 'alpha_dropout', rate, seed: 8 }, 2);
    const a = ((1 - rate) * (1 + rate * SELU_ALPHA_P ** 2)) ** -0.5;
    const b = -a * SELU_ALPHA_P * rate;
    const expected = Array.from(xs, (v, i) => (kept(i, 2, 8, rate) ? a * v + b : a * SELU_ALPHA_P + b));
    expectClose(y, expected, ALPHA_TOL, 'alpha dropout');
  });

  it('masks shared over time, samples or features are identical along that axis and only that one', async () => {
    const [T, B, F] = [6, 4, 9];
    const shape = { steps: T, batch: B, features: F };
    const at = (t: number, b: number, f: number) => (t * B + b) * F + f;
    const n = T * B * F;
    const sharedOver = async (axis: 'shareOverTime' | 'shareOverBatch' | 'shareOverFeatures') => {
      const m = await apply(ones(n), shape, { rate: 0.5, seed: 13, [axis]: true }, 6);
      return (t: number, b: number, f: number) => m[at(t, b, f)] !== 0;
    };
    const differs = (mask: (t: number, b: number, f: number) => boolean, other: (t: number, b: number, f: number) => [number, number, number]) => {
      let count = 0;
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) if (mask(t, b, f) !== mask(...other(t, b, f))) count++;
      return count;
    };
    const time = await sharedOver('shareOverTime');
    expect(differs(time, (_t, b, f) => [0, b, f])).toBe(0);
    expect(differs(time, (t, b, f) => [t, (b + 1) % B, f])).toBeGreaterThan(0);
    expect(differs(time, (t, b, f) => [t, b, (f + 1) % F])).toBeGreaterThan(0);
    // Shared over time, the mask is that of element (b, f) of a [B, F] mask: Keras' noise_shape [B, 1, F].
    const vector = await apply(ones(B * F), { steps: 1, batch: B, features: F }, { rate: 0.5, seed: 13 }, 6);
    for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) expect(time(T - 1, b, f), `(${b}, ${f})`).toBe(vector[b * F + f] !== 0);
    const batch = await sharedOver('shareOverBatch');
    expect(differs(batch, (t, _b, f) => [t, 0, f])).toBe(0);
    expect(differs(batch, (t, b, f) => [(t + 1) % T, b, f])).toBeGreaterThan(0);
    const features = await sharedOver('shareOverFeatures');
    expect(differs(features, (t, b) => [t, b, 0])).toBe(0);
    expect(differs(features, (t, b, f) => [(t + 1) % T, b, f])).toBeGreaterThan(0);
  });

  it('the tick writes counter + 1 to the state, and advances the counter unless told not to', async () => {
    const counter = u32Buffer('test.counter', 41);
    const state = u32Buffer('test.state', 0);
    const buffers = { counter: { buffer: counter, offset: 0 }, state: { buffer: state, offset: 0 } };
    try {
      const tick = await noiseTickStep(env.registry, 'tick', buffers);
      const plan = new Plan(env.ctx, 'ticks', [tick]);
      plan.run();
      expect([await readU32(counter), await readU32(state)]).toEqual([42, 42]);
      plan.run();
      expect([await readU32(counter), await readU32(state)]).toEqual([43, 43]);
      plan.dispose();
      Plan.runOnce(env.ctx, 'peek', [await noiseTickStep(env.registry, 'peek', buffers, { advance: false })]);
      expect([await readU32(counter), await readU32(state)]).toEqual([43, 44]);
    } finally {
      env.ctx.destroyBuffer(counter);
      env.ctx.destroyBuffer(state);
    }
  });

  it('rate 0 is the identity; a rate outside [0, 1), a negative stddev or a bad seed is an error naming the step', async () => {
    const xs = Float32Array.from(uniformArray(300, 2, mulberry32(9)));
    expect(Array.from(await apply(xs, flat(300), { rate: 0, seed: 1 }, 1))).toEqual(Array.from(xs));
    expect(Array.from(await apply(xs, flat(300), { kind: 'gaussian_noise', rate: 0, seed: 1 }, 1))).toEqual(Array.from(xs));
    await expect(apply(xs, flat(300), { rate: 1, seed: 1 }, 1)).rejects.toThrow(/noise: rate must be a number in \[0, 1\), got 1/);
    await expect(apply(xs, flat(300), { rate: -0.1, seed: 1 }, 1)).rejects.toThrow(/noise: rate must be a number in \[0, 1\), got -0.1/);
    await expect(apply(xs, flat(300), { kind: 'gaussian_noise', rate: -1, seed: 1 }, 1)).rejects.toThrow(/noise: stddev must be a finite number >= 0/);
    await expect(apply(xs, flat(300), { rate: 0.5, seed: 1.5 }, 1)).rejects.toThrow(/noise: seed must be an integer/);
    await expect(apply(xs, flat(301), { rate: 0.5, seed: 1 }, 1)).rejects.toThrow(/x needs 301 elements/);
  });
});
