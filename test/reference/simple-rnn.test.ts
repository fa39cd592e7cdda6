import { describe, expect, it } from 'vitest';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';
import { simpleRnnBackward, simpleRnnForward, type RnnActivation, type SimpleRnnParams } from './simple-rnn.js';

const B = 3;
const T = 4;
const F = 5;
const U = 7;

function makeParams(rng: () => number, scale = 0.5): SimpleRnnParams {
  return {
    kernel: uniformArray(F * U, scale, rng),
    recurrentKernel: uniformArray(U * U, scale, rng),
    bias: uniformArray(U, scale, rng),
  };
}

function reverseTime(x: Float64Array, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) out.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (b * T + (T - 1 - t)) * F);
  return out;
}

interface Case {
  activation: RnnActivation;
  returnSequences: boolean;
  goBackwards: boolean;
  initialState: boolean;
  stateGrad: boolean;
}

const cases: Case[] = [];
for (const activation of ['tanh', 'relu'] as const)
  for (const returnSequences of [true, false])
    for (const goBackwards of [false, true])
      for (const [initialState, stateGrad] of [
        [true, true],
        [false, false],
      ])
        cases.push({ activation, returnSequences, goBackwards, initialState, stateGrad });

describe('simpleRnn gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  it.each(cases)(
    '$activation returnSequences=$returnSequences goBackwards=$goBackwards h0=$initialState dhT=$stateGrad',
    (c) => {
      const rng = mulberry32(4321);
      const p = makeParams(rng);
      const x = uniformArray(B * T * F, 1, rng);
      const h0 = c.initialState ? uniformArray(B * U, 0.8, rng) : new Float64Array(B * U);
      const rOut = uniformArray(c.returnSequences ? B * T * U : B * U, 1, rng);
      const rH = uniformArray(B * U, 1, rng);
      const opts = { activation: c.activation, returnSequences: c.returnSequences, goBackwards: c.goBackwards };
      const loss = () => {
        const f = simpleRnnForward(p, x, B, T, { ...opts, h0 });
        return dot(f.output, rOut) + (c.stateGrad ? dot(f.hT, rH) : 0);
      };
      const fwd = simpleRnnForward(p, x, B, T, c.initialState ? { ...opts, h0 } : opts);
      const g = simpleRnnBackward(p, x, fwd, rOut, c.stateGrad ? rH : undefined);
      expectGradient('dKernel', g.dKernel, loss, p.kernel);
      expectGradient('dRecurrentKernel', g.dRecurrentKernel, loss, p.recurrentKernel);
      expectGradient('dBias', g.dBias, loss, p.bias);
      expectGradient('dx', g.dx, loss, x);
      expectGradient('dh0', g.dh0, loss, h0);
    },
  );

  it('gradient entering only through dhT (decoder -> encoder path)', () => {
    const rng = mulberry32(77);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    const h0 = uniformArray(B * U, 0.8, rng);
    const rH = uniformArray(B * U, 1, rng);
    const loss = () => dot(simpleRnnForward(p, x, B, T, { h0, returnSequences: true }).hT, rH);
    const fwd = simpleRnnForward(p, x, B, T, { h0, returnSequences: true });
    const g = simpleRnnBackward(p, x, fwd, new Float64Array(B * T * U), rH);
    expectGradient('dKernel', g.dKernel, loss, p.kernel);
    expectGradient('dRecurrentKernel', g.dRecurrentKernel, loss, p.recurrentKernel);
    expectGradient('dBias', g.dBias, loss, p.bias);
    expectGradient('dx', g.dx, loss, x);
    expectGradient('dh0', g.dh0, loss, h0);
  });
});

describe('simpleRnn forward', () => {
  it.each(['tanh', 'relu'] as const)('%s: goBackwards equals forward on the time-reversed input, gradients too', (activation) => {
    const rng = mulberry32(3);
    const p = makeParams(rng);
    const x = uniformArray(B * T * F, 1, rng);
    const h0 = uniformArray(B * U, 0.5, rng);
    const xr = reverseTime(x, B, T, F);
    const back = simpleRnnForward(p, x, B, T, { activation, returnSequences: true, goBackwards: true, h0 });
    const fwd = simpleRnnForward(p, xr, B, T, { activation, returnSequences: true, h0 });
    // Both in processed order, so the sequences match element for element.
    expect(Array.from(back.output)).toEqual(Array.from(fwd.output));
    expect(Array.from(back.hT)).toEqual(Array.from(fwd.hT));
    const dOut = uniformArray(B * T * U, 1, rng);
    const gb = simpleRnnBackward(p, x, back, dOut);
    const gf = simpleRnnBackward(p, xr, fwd, dOut);
    expect(Array.from(gb.dKernel)).toEqual(Array.from(gf.dKernel));
    expect(Array.from(gb.dRecurrentKernel)).toEqual(Array.from(gf.dRecurrentKernel));
    expect(Array.from(gb.dh0)).toEqual(Array.from(gf.dh0));
    expect(Array.from(gb.dx)).toEqual(Array.from(reverseTime(gf.dx, B, T, F)));
  });

  it('scalar tanh and relu RNNs unrolled by hand over 3 steps', () => {
    const p: SimpleRnnParams = {
      kernel: new Float64Array([0.7]),
      recurrentKernel: new Float64Array([-0.5]),
      bias: new Float64Array([0.1]),
    };
    const xs = [1, -2, 0.5];
    for (const [activation, act] of [
      ['tanh', Math.tanh],
      ['relu', (v: number) => Math.max(0, v)],
    ] as const) {
      let h = 0.3;
      const expected: number[] = [];
      for (const xt of xs) {
        h = act(0.7 * xt - 0.5 * h + 0.1);
        expected.push(h);
      }
      const f = simpleRnnForward(p, new Float64Array(xs), 1, 3, {
        activation,
        returnSequences: true,
        h0: new Float64Array([0.3]),
      });
      expected.forEach((v, t) => expect(f.output[t]).toBeCloseTo(v, 15));
    }
    // A concrete value: tanh(0.7 - 0.15 + 0.1) = tanh(0.65).
    const one = simpleRnnForward(p, new Float64Array([1]), 1, 1, { h0: new Float64Array([0.3]) });
    expect(one.output[0]).toBeCloseTo(0.5716699660851173, 15);
  });

  it('saturating tanh pre-activations stay finite, values and gradients', () => {
    const rng = mulberry32(12);
    const p = makeParams(rng, 500);
    const x = uniformArray(B * T * F, 1, rng);
    const f = simpleRnnForward(p, x, B, T, { returnSequences: true });
    const g = simpleRnnBackward(p, x, f, uniformArray(B * T * U, 1, rng), uniformArray(B * U, 1, rng));
    for (const arr of [f.output, g.dKernel, g.dRecurrentKernel, g.dBias, g.dx, g.dh0])
      expect(arr.every(Number.isFinite)).toBe(true);
  });
});
