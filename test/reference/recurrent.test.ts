// The float64 recurrent reference (recurrent.ts and cells/): every cell's gradients by finite differences,
// and forward passes checked by hand, so the GPU kernels are compared against something proven.

import { describe, expect, it } from 'vitest';
import { REFERENCE_CELLS } from './cells/index.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';
import { recurrentBackward, recurrentForward, type RecurrentOptions, type RecurrentWeights, type ReferenceCell } from './recurrent.js';

// Odd, distinct sizes so a swapped dimension cannot go unnoticed.
const B = 3;
const T = 4;
const F = 5;
const U = 7;

interface Variant {
  name: string;
  cell: ReferenceCell;
  opts: RecurrentOptions;
  /** Bias of [2, G u] (GRU resetAfter). */
  doubleBias?: boolean;
  noBias?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'lstm', cell: REFERENCE_CELLS.lstm, opts: {} },
  { name: 'lstm hard_sigmoid, softsign', cell: REFERENCE_CELLS.lstm, opts: { recurrentActivation: 'hard_sigmoid', activation: 'softsign' } },
  { name: 'gru resetAfter', cell: REFERENCE_CELLS.gru, opts: { resetAfter: true }, doubleBias: true },
  { name: 'gru resetAfter=false', cell: REFERENCE_CELLS.gru, opts: { resetAfter: false } },
  { name: 'gru resetAfter=false hard_sigmoid, no bias', cell: REFERENCE_CELLS.gru, opts: { resetAfter: false, recurrentActivation: 'hard_sigmoid' }, noBias: true },
  { name: 'gru resetAfter, elu', cell: REFERENCE_CELLS.gru, opts: { resetAfter: true, activation: 'elu' }, doubleBias: true },
  { name: 'simple_rnn tanh', cell: REFERENCE_CELLS.simple_rnn, opts: {} },
  { name: 'simple_rnn relu', cell: REFERENCE_CELLS.simple_rnn, opts: { activation: 'relu' } },
];

function makeWeights(v: Variant, rng: () => number, scale = 0.5): RecurrentWeights {
  const G = v.cell.gates * U;
  return {
    kernel: uniformArray(F * G, scale, rng),
    recurrentKernel: uniformArray(U * G, scale, rng),
    ...(v.noBias ? {} : { bias: uniformArray((v.doubleBias ? 2 : 1) * G, scale, rng) }),
  };
}

/**
 * The backward of a run against finite differences of the scalar loss <output, rOut> + sum_i <state_i, rStates_i>:
 * every weight, the input and each initial state.
 */
function expectLayerGradients(v: Variant, w: RecurrentWeights, x: Float64Array, opts: RecurrentOptions, rOut: Float64Array, rStates: Float64Array[]): void {
  const loss = () => {
    const f = recurrentForward(v.cell, w, x, B, T, opts);
    return dot(f.output, rOut) + f.states.reduce((s, st, i) => s + dot(st, rStates[i]), 0);
  };
  const fwd = recurrentForward(v.cell, w, x, B, T, opts);
  const g = recurrentBackward(v.cell, w, x, fwd, rOut, rStates);
  expectGradient('dKernel', g.dKernel, loss, w.kernel);
  expectGradient('dRecurrentKernel', g.dRecurrentKernel, loss, w.recurrentKernel);
  if (w.bias) expectGradient('dBias', g.dBias!, loss, w.bias);
  expectGradient('dx', g.dx, loss, x);
  opts.initialState?.forEach((s, i) => expectGradient(`dInitialState ${i}`, g.dInitialState[i], loss, s));
}

describe('recurrent reference: gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const v of VARIANTS) {
    for (const returnSequences of [true, false]) {
      for (const goBackwards of [false, true]) {
        it(`${v.name} returnSequences=${returnSequences} goBackwards=${goBackwards}`, () => {
          const rng = mulberry32(1234);
          const w = makeWeights(v, rng);
          const x = uniformArray(B * T * F, 1, rng);
          const states = 1 + v.cell.extraStates;
          // Without an initial state the layer uses zeros; perturbing these checks dh0 there too.
          const initialState = Array.from({ length: states }, () => uniformArray(B * U, 0.8, rng));
          const rOut = uniformArray(returnSequences ? B * T * U : B * U, 1, rng);
          const rStates = Array.from({ length: states }, () => uniformArray(B * U, 1, rng));
          expectLayerGradients(v, w, x, { ...v.opts, returnSequences, goBackwards, initialState }, rOut, rStates);
        });
      }
    }
  }

  for (const v of VARIANTS) {
    it(`${v.name} with a mask of time steps (masked steps inside and at both ends)`, () => {
      const rng = mulberry32(4321);
      const w = makeWeights(v, rng);
      const x = uniformArray(B * T * F, 1, rng);
      const states = 1 + v.cell.extraStates;
      const initialState = Array.from({ length: states }, () => uniformArray(B * U, 0.8, rng));
      // Row 0 masks its first and last steps and one inside; the other rows alternate.
      const mask = Float64Array.from({ length: B * T }, (_, i) => (i < T ? (i === 0 || i === 2 || i === T - 1 ? 0 : 1) : i % 2));
      const rOut = uniformArray(B * T * U, 1, rng);
      const rStates = Array.from({ length: states }, () => uniformArray(B * U, 1, rng));
      const opts = { ...v.opts, returnSequences: true, initialState, mask };
      // A masked first step repeats the initial h.
      expect(Array.from(recurrentForward(v.cell, w, x, B, T, opts).hSeq.subarray(0, U))).toEqual(Array.from(initialState[0].subarray(0, U)));
      expectLayerGradients(v, w, x, opts, rOut, rStates);
    });
  }

  for (const v of VARIANTS) {
    it(`${v.name} with a recurrent dropout mask, alone and with a mask of time steps`, () => {
      const rng = mulberry32(2468);
      const w = makeWeights(v, rng);
      const x = uniformArray(B * T * F, 1, rng);
      const states = 1 + v.cell.extraStates;
      const initialState = Array.from({ length: states }, () => uniformArray(B * U, 0.8, rng));
      // About a third of the units dropped, the rest scaled by 1 / (1 - 0.3).
      const recurrentMask = Float64Array.from({ length: B * U }, () => (rng() < 0.3 ? 0 : 1 / 0.7));
      const timeMask = Float64Array.from({ length: B * T }, (_, i) => (i === 1 || i === T + 2 ? 0 : 1));
      const rOut = uniformArray(B * T * U, 1, rng);
      const rStates = Array.from({ length: states }, () => uniformArray(B * U, 1, rng));
      for (const mask of [undefined, timeMask]) {
        expectLayerGradients(v, w, x, { ...v.opts, returnSequences: true, initialState, recurrentMask, ...(mask ? { mask } : {}) }, rOut, rStates);
      }
      // The first step reads h0 m: the same as a run from the initial state h0 m (and c0), for one step.
      const oneStep = (opts: RecurrentOptions) => recurrentForward(v.cell, w, x.subarray(0, B * F).slice(), B, 1, opts).hSeq;
      const droppedStart = [initialState[0].map((h, i) => h * recurrentMask[i]), ...initialState.slice(1)];
      expect(Array.from(oneStep({ ...v.opts, initialState, recurrentMask }))).toEqual(Array.from(oneStep({ ...v.opts, initialState: droppedStart })));
    });
  }

  it('gradient entering only through the final states (decoder -> encoder path) reaches every input', () => {
    for (const v of VARIANTS.slice(0, 4)) {
      const rng = mulberry32(99);
      const w = makeWeights(v, rng);
      const x = uniformArray(B * T * F, 1, rng);
      const rH = uniformArray(B * U, 1, rng);
      const loss = () => dot(recurrentForward(v.cell, w, x, B, T, v.opts).states[0], rH);
      const fwd = recurrentForward(v.cell, w, x, B, T, v.opts);
      const g = recurrentBackward(v.cell, w, x, fwd, new Float64Array(B * U), [rH, ...Array.from({ length: v.cell.extraStates }, () => new Float64Array(B * U))]);
      expectGradient(`${v.name} dKernel`, g.dKernel, loss, w.kernel);
      expectGradient(`${v.name} dx`, g.dx, loss, x);
    }
  });
});

const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('recurrent reference forward, checked by hand', () => {
  it('LSTM, zero weights with unit forget bias: closed form c_t = sig(1)^t c0, h_t = tanh(c_t)/2', () => {
    // Zero kernels: every gate sees only its bias. i = o = sig(0) = 1/2, f = sig(1), g = tanh(0) = 0.
    const w: RecurrentWeights = {
      kernel: new Float64Array(2 * 4 * 3),
      recurrentKernel: new Float64Array(3 * 4 * 3),
      bias: new Float64Array([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
    };
    const x = uniformArray(1 * 3 * 2, 1, mulberry32(5)); // irrelevant: kernel is zero
    const c0 = new Float64Array([2, -1, 0.5]);
    const h0 = new Float64Array([0.3, 0.3, 0.3]); // irrelevant: recurrent kernel is zero
    for (const goBackwards of [false, true]) {
      const f = recurrentForward(REFERENCE_CELLS.lstm, w, x, 1, 3, { returnSequences: true, goBackwards, initialState: [h0, c0] });
      for (let t = 0; t < 3; t++) {
        for (let k = 0; k < 3; k++) expect(f.output[t * 3 + k]).toBeCloseTo(0.5 * Math.tanh(sig(1) ** (t + 1) * c0[k]), 14);
      }
      // One concrete number: c_3 = 2 sig(1)^3.
      expect(f.states[1][0]).toBeCloseTo(2 * sig(1) ** 3, 14);
    }
  });

  it('scalar LSTM with distinct per-gate weights, unrolled by hand over 2 steps (checks gate order i, f, c, o)', () => {
    const W = [0.5, -0.3, 0.8, 0.1];
    const Uw = [0.2, 0.4, -0.6, 0.9];
    const b = [0.1, 1.0, -0.2, 0.05];
    const w = { kernel: new Float64Array(W), recurrentKernel: new Float64Array(Uw), bias: new Float64Array(b) };
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
    const f = recurrentForward(REFERENCE_CELLS.lstm, w, new Float64Array(xs), 1, 2, {
      returnSequences: true, initialState: [new Float64Array([0.25]), new Float64Array([-0.4])],
    });
    expect(f.output[0]).toBeCloseTo(hs[0], 14);
    expect(f.output[1]).toBeCloseTo(hs[1], 14);
    expect(f.states[1][0]).toBeCloseTo(c, 14);
  });

  it('scalar GRU, both reset variants, unrolled by hand over 2 steps (checks gate order z, r, h)', () => {
    const W = [0.5, -0.3, 0.8];
    const Uw = [0.2, 0.4, -0.6];
    const bIn = [0.1, 1.0, -0.2];
    const bRec = [0.3, -0.5, 0.7];
    const xs = [1.5, -0.7];
    for (const resetAfter of [true, false]) {
      let h = 0.25;
      const hs: number[] = [];
      for (const xt of xs) {
        const bz = resetAfter ? bRec[0] : 0;
        const br = resetAfter ? bRec[1] : 0;
        const z = sig(xt * W[0] + bIn[0] + h * Uw[0] + bz);
        const r = sig(xt * W[1] + bIn[1] + h * Uw[1] + br);
        const n = resetAfter ? Math.tanh(xt * W[2] + bIn[2] + r * (h * Uw[2] + bRec[2])) : Math.tanh(xt * W[2] + bIn[2] + (r * h) * Uw[2]);
        h = z * h + (1 - z) * n;
        hs.push(h);
      }
      const w = { kernel: new Float64Array(W), recurrentKernel: new Float64Array(Uw), bias: new Float64Array(resetAfter ? [...bIn, ...bRec] : bIn) };
      const f = recurrentForward(REFERENCE_CELLS.gru, w, new Float64Array(xs), 1, 2, { resetAfter, returnSequences: true, initialState: [new Float64Array([0.25])] });
      expect(f.output[0]).toBeCloseTo(hs[0], 14);
      expect(f.output[1]).toBeCloseTo(hs[1], 14);
    }
  });

  it('scalar tanh and relu SimpleRNNs unrolled by hand over 3 steps', () => {
    const w = { kernel: new Float64Array([0.7]), recurrentKernel: new Float64Array([-0.5]), bias: new Float64Array([0.1]) };
    const xs = [1, -2, 0.5];
    for (const [activation, act] of [['tanh', Math.tanh], ['relu', (v: number) => Math.max(0, v)]] as const) {
      let h = 0.3;
      const expected: number[] = [];
      for (const xt of xs) {
        h = act(0.7 * xt - 0.5 * h + 0.1);
        expected.push(h);
      }
      const f = recurrentForward(REFERENCE_CELLS.simple_rnn, w, new Float64Array(xs), 1, 3, { activation, returnSequences: true, initialState: [new Float64Array([0.3])] });
      expected.forEach((v, t) => expect(f.output[t]).toBeCloseTo(v, 15));
    }
    // A concrete value: tanh(0.7 - 0.15 + 0.1) = tanh(0.65).
    const one = recurrentForward(REFERENCE_CELLS.simple_rnn, w, new Float64Array([1]), 1, 1, { initialState: [new Float64Array([0.3])] });
    expect(one.output[0]).toBeCloseTo(0.5716699660851173, 15);
  });

  it('goBackwards equals a forward pass over the time-reversed input (outputs in processed order), every cell', () => {
    for (const v of VARIANTS) {
      const rng = mulberry32(7);
      const w = makeWeights(v, rng);
      const x = uniformArray(B * T * F, 1, rng);
      const back = recurrentForward(v.cell, w, x, B, T, { ...v.opts, returnSequences: true, goBackwards: true });
      const fwd = recurrentForward(v.cell, w, reverseTime(x, B, T, F), B, T, { ...v.opts, returnSequences: true });
      expect(Array.from(back.output)).toEqual(Array.from(fwd.output));
      back.states.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(fwd.states[i])));
    }
  });

  it('rejects mismatched shapes', () => {
    const v = VARIANTS[0];
    const w = makeWeights(v, mulberry32(1));
    expect(() => recurrentForward(v.cell, w, new Float64Array(B * T * F + 1), B, T)).toThrow();
    expect(() => recurrentForward(v.cell, { ...w, recurrentKernel: new Float64Array(3) }, new Float64Array(B * T * F), B, T)).toThrow();
    expect(() => recurrentForward(v.cell, w, new Float64Array(B * T * F), B, T, { initialState: [new Float64Array(B * U)] })).toThrow();
  });

  it('saturating pre-activations (+-300 and beyond) keep values and gradients finite, every cell', () => {
    for (const v of VARIANTS) {
      const rng = mulberry32(11);
      const w = makeWeights(v, rng, 400); // pre-activations of several hundred to thousands
      const x = uniformArray(B * T * F, 1, rng);
      const f = recurrentForward(v.cell, w, x, B, T, { ...v.opts, returnSequences: true });
      const states = 1 + v.cell.extraStates;
      const g = recurrentBackward(v.cell, w, x, f, uniformArray(B * T * U, 1, rng), Array.from({ length: states }, () => uniformArray(B * U, 1, rng)));
      for (const arr of [f.output, ...f.states, g.dKernel, g.dRecurrentKernel, g.dx, ...g.dInitialState, ...(g.dBias ? [g.dBias] : [])]) {
        expect(arr.every(Number.isFinite), v.name).toBe(true);
      }
    }
  });
});

/** x [B, T, F] with the time axis reversed. */
function reverseTime(x: Float64Array, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (b * T + (T - 1 - t)) * F);
  }
  return out;
}
