import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { lstmBackward, lstmForward, type LstmParams } from './lstm.js';
import { mulberry32, uniformArray } from './random.js';

// Odd, distinct sizes so a swapped dimension cannot go unnoticed.
const B = 3;
const T = 4;
const F = 5;
const U = 7;

function makeParams(rng: () => number, scale = 0.5): LstmParams {
  return {
    kernel: uniformArray(F * 4 * U, scale, rng),
    recurrentKernel: uniformArray(U * 4 * U, scale, rng),
    bias: uniformArray(4 * U, scale, rng),
  };
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

interface Case {
  returnSequences: boolean;
  goBackwards: boolean;
  initialState: boolean;
  stateGrads: boolean; // gradient also flows in through dhT / dcT
}

const cases: Case[] = [];
for (const returnSequences of [true, false])
  for (const goBackwards of [false, true])
    for (const [initialState, stateGrads] of [
      [true, true],
      [false, false],
      [true, false],
      [false, true],
    ])
      cases.push({ returnSequences, goBackwards, initialState, stateGrads });

describe('lstm gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  it.each(cases)('returnSequences=$returnSequences goBackwards=$goBackwards h0/c0=$initialState dhT/dcT=$stateGrads', (c) => {
    const rng = mulberry32(1234);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    // Without an initial state the layer uses zeros; perturbing these zeros checks dh0/dc0 there too.
    const h0 = c.initialState ? uniformArray(B * U, 0.8, rng) : new Float64Array(B * U);
    const c0 = c.initialState ? uniformArray(B * U, 0.8, rng) : new Float64Array(B * U);
    const rOut = uniformArray(c.returnSequences ? B * T * U : B * U, 1, rng);
    const rH = uniformArray(B * U, 1, rng);
    const rC = uniformArray(B * U, 1, rng);

    const opts = { returnSequences: c.returnSequences, goBackwards: c.goBackwards };
    // Scalar loss = <output, rOut> (+ <hT, rH> + <cT, rC>), so d loss/d output = rOut, etc.
    const loss = () => {
      const f = lstmForward(p, x, B, T, { ...opts, h0, c0 });
      return dot(f.output, rOut) + (c.stateGrads ? dot(f.hT, rH) + dot(f.cT, rC) : 0);
    };

    const fwd = lstmForward(p, x, B, T, c.initialState ? { ...opts, h0, c0 } : opts);
    const g = c.stateGrads ? lstmBackward(p, x, fwd, rOut, rH, rC) : lstmBackward(p, x, fwd, rOut);

    expectGradient('dKernel', g.dKernel, loss, p.kernel);
    expectGradient('dRecurrentKernel', g.dRecurrentKernel, loss, p.recurrentKernel);
    expectGradient('dBias', g.dBias, loss, p.bias);
    expectGradient('dx', g.dx, loss, x);
    expectGradient('dh0', g.dh0, loss, h0);
    expectGradient('dc0', g.dc0, loss, c0);
  });

  it('gradient through the final states alone (zero dOutput) reaches every input', () => {
    const rng = mulberry32(99);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    const h0 = uniformArray(B * U, 0.8, rng);
    const c0 = uniformArray(B * U, 0.8, rng);
    const rC = uniformArray(B * U, 1, rng);
    const loss = () => dot(lstmForward(p, x, B, T, { h0, c0 }).cT, rC);
    const fwd = lstmForward(p, x, B, T, { h0, c0 });
    const g = lstmBackward(p, x, fwd, new Float64Array(B * U), undefined, rC);
    expectGradient('dKernel', g.dKernel, loss, p.kernel);
    expectGradient('dRecurrentKernel', g.dRecurrentKernel, loss, p.recurrentKernel);
    expectGradient('dBias', g.dBias, loss, p.bias);
    expectGradient('dx', g.dx, loss, x);
    expectGradient('dh0', g.dh0, loss, h0);
    expectGradient('dc0', g.dc0, loss, c0);
  });
});

describe('lstm forward, checked by hand', () => {
  it('zero weights with unit forget bias: closed form c_t = sig(1)^t c0, h_t = tanh(c_t)/2', () => {
    // Zero kernels: every gate sees only its bias. i = o = sig(0) = 1/2, f = sig(1), g = tanh(0) = 0.
    const p: LstmParams = {
      kernel: new Float64Array(2 * 4 * 3),
      recurrentKernel: new Float64Array(3 * 4 * 3),
      bias: new Float64Array([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
    };
    const x = uniformArray(1 * 3 * 2, 1, mulberry32(5)); // irrelevant: kernel is zero
    const c0 = new Float64Array([2, -1, 0.5]);
    const h0 = new Float64Array([0.3, 0.3, 0.3]); // irrelevant: recurrent kernel is zero
    for (const goBackwards of [false, true]) {
      const f = lstmForward(p, x, 1, 3, { returnSequences: true, goBackwards, h0, c0 });
      const sig1 = 1 / (1 + Math.exp(-1)); // 0.7310585786300049
      for (let t = 0; t < 3; t++)
        for (let k = 0; k < 3; k++) {
          const c = sig1 ** (t + 1) * c0[k];
          expect(f.cSeq[t * 3 + k]).toBeCloseTo(c, 14);
          expect(f.output[t * 3 + k]).toBeCloseTo(0.5 * Math.tanh(c), 14);
        }
      // One concrete number: c_1 = 2 sig(1) = 1.4621171572600098, h_1 = tanh(c_1)/2.
      expect(f.cSeq[0]).toBeCloseTo(1.4621171572600098, 14);
      expect(f.hSeq[0]).toBeCloseTo(0.5 * Math.tanh(1.4621171572600098), 14);
      expect(Array.from(f.cT)).toEqual(Array.from(f.cSeq.subarray(6, 9)));
    }
  });

  it('bias-only gates with closed-form activations: i = 3/4, f = sig(1), g = 1/2, o = 1/2', () => {
    // sig(ln 3) = 3/4 and tanh(ln(3)/2) = (3-1)/(3+1) = 1/2.
    const p: LstmParams = {
      kernel: new Float64Array(1 * 4),
      recurrentKernel: new Float64Array(1 * 4),
      bias: new Float64Array([Math.log(3), 1, Math.log(3) / 2, 0]),
    };
    const f = lstmForward(p, new Float64Array([7]), 1, 1, { c0: new Float64Array([2]) });
    const c1 = 2 / (1 + Math.exp(-1)) + 0.75 * 0.5; // 1.8371171572600098
    expect(Array.from(f.gates)).toEqual([0.75, 1 / (1 + Math.exp(-1)), 0.5, 0.5].map((v) => expect.closeTo(v, 15)));
    expect(f.cT[0]).toBeCloseTo(c1, 14);
    expect(f.output[0]).toBeCloseTo(0.5 * Math.tanh(c1), 14);
  });

  it('scalar LSTM with distinct per-gate weights, unrolled by hand over 2 steps (checks gate order)', () => {
    // in = u = 1; kernel columns are [i, f, c, o].
    const W = [0.5, -0.3, 0.8, 0.1];
    const Uw = [0.2, 0.4, -0.6, 0.9];
    const b = [0.1, 1.0, -0.2, 0.05];
    const p: LstmParams = { kernel: new Float64Array(W), recurrentKernel: new Float64Array(Uw), bias: new Float64Array(b) };
    const xs = [1.5, -0.7];
    let h = 0.25;
    let c = -0.4;
    const hs: number[] = [];
    for (const xt of xs) {
      const i = sig(xt * W[0] + h * Uw[0] + b[0]);
      const fg = sig(xt * W[1] + h * Uw[1] + b[1]);
      const g = Math.tanh(xt * W[2] + h * Uw[2] + b[2]);
      const o = sig(xt * W[3] + h * Uw[3] + b[3]);
      c = fg * c + i * g;
      h = o * Math.tanh(c);
      hs.push(h);
    }
    const f = lstmForward(p, new Float64Array(xs), 1, 2, {
      returnSequences: true,
      h0: new Float64Array([0.25]),
      c0: new Float64Array([-0.4]),
    });
    expect(f.output[0]).toBeCloseTo(hs[0], 14);
    expect(f.output[1]).toBeCloseTo(hs[1], 14);
    expect(f.cT[0]).toBeCloseTo(c, 14);
  });

  it('goBackwards equals a forward pass over the time-reversed input (outputs in processed order)', () => {
    const rng = mulberry32(7);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    const xr = reverseTime(x, B, T, F);
    const back = lstmForward(p, x, B, T, { returnSequences: true, goBackwards: true });
    const fwd = lstmForward(p, xr, B, T, { returnSequences: true });
    expect(Array.from(back.output)).toEqual(Array.from(fwd.output));
    expect(Array.from(back.cT)).toEqual(Array.from(fwd.cT));
  });

  it('returnSequences=false returns hT; T=0 returns the initial state', () => {
    const rng = mulberry32(8);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    const f = lstmForward(p, x, B, T);
    expect(Array.from(f.output)).toEqual(Array.from(f.hT));
    const h0 = uniformArray(B * U, 1, rng);
    const empty = lstmForward(p, new Float64Array(0), B, 0, { h0 });
    expect(Array.from(empty.hT)).toEqual(Array.from(h0));
    expect(Array.from(empty.cT)).toEqual(new Array(B * U).fill(0));
  });

  it('rejects mismatched shapes', () => {
    const p = makeParams(mulberry32(1));
    expect(() => lstmForward(p, new Float64Array(B * T * F + 1), B, T)).toThrow();
    expect(() => lstmForward({ ...p, recurrentKernel: new Float64Array(3) }, new Float64Array(B * T * F), B, T)).toThrow();
    expect(() => lstmForward(p, new Float64Array(B * T * F), B, T, { h0: new Float64Array(2) })).toThrow();
  });

  it('saturating pre-activations (+-300 and beyond) keep values and gradients finite', () => {
    const rng = mulberry32(11);
    const p = makeParams(rng, 400); // pre-activations of several hundred to thousands
    const x = uniformArray(B * T * F, 1, rng);
    const f = lstmForward(p, x, B, T, { returnSequences: true });
    const g = lstmBackward(p, x, f, uniformArray(B * T * U, 1, rng), uniformArray(B * U, 1, rng), uniformArray(B * U, 1, rng));
    for (const arr of [f.output, f.cT, f.gates, g.dKernel, g.dRecurrentKernel, g.dBias, g.dx, g.dh0, g.dc0])
      expect(arr.every(Number.isFinite)).toBe(true);
  });
});

/** x [B, T, F] with the time axis reversed. */
function reverseTime(x: Float64Array, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) out.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (b * T + (T - 1 - t)) * F);
  return out;
}
