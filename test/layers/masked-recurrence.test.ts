// Keras' mask of time steps inside the recurrence kernels (shaders/recurrence.wgsl, FLAG_MASKED) against
// the float64 reference with the same mask (test/reference/recurrent.ts, finite-difference checked): at
// a masked step every state is kept, the output sequence repeats h, and backward passes the state
// gradients on with no gradient for that step's input or weights. One and two directions (a
// Bidirectional's backward direction meets right padding first and starts at each sequence's real end),
// every cell, both strategies, masks at the start, inside and at the end. The buffers are driven
// directly, as src/layers/keras/ does. Recurrent dropout (FLAG_RECURRENT_DROPOUT) likewise: a mask per
// (row, unit) multiplies the h[s-1] the cell reads, with and without a mask of time steps, written where
// the layer's buffers keep it (a model draws it there on the GPU). Tolerances: recurrent-cases.ts (those
// of the unmasked tests).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELLS, Plan, RecurrentLayer, batchToTimeMajor, timeToBatchMajor } from '../../src/advanced.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { REFERENCE_CELLS } from '../reference/cells/index.js';
import { recurrentBackward, recurrentForward } from '../reference/recurrent.js';
import { FORWARD_TOLERANCE, gradientTolerance, makeCaseData, type CaseData, type RecurrentCase } from './recurrent-cases.js';

const VARIANTS: { cell: string; title: string; options?: { resetAfter?: boolean } }[] = [
  { cell: 'lstm', title: 'LSTM' },
  { cell: 'gru', title: 'GRU reset_after', options: { resetAfter: true } },
  { cell: 'gru', title: 'GRU reset_after=false', options: { resetAfter: false } },
  { cell: 'simple_rnn', title: 'SimpleRNN' },
];

interface MaskedCase {
  batch: number; steps: number; inputSize: number; units: number; directions: 1 | 2; goBackwards: boolean; strategy: 'sequence' | 'step';
  /** A mask of time steps (default true). */
  timeMask?: boolean;
  /** A recurrent dropout mask. */
  recurrentDropout?: boolean;
}

const CASES: MaskedCase[] = [
  { batch: 5, steps: 7, inputSize: 3, units: 9, directions: 1, goBackwards: false, strategy: 'sequence' },
  { batch: 5, steps: 7, inputSize: 3, units: 9, directions: 1, goBackwards: true, strategy: 'step' },
  { batch: 6, steps: 6, inputSize: 4, units: 7, directions: 2, goBackwards: false, strategy: 'sequence' },
  { batch: 3, steps: 5, inputSize: 2, units: 5, directions: 2, goBackwards: false, strategy: 'step' },
  { batch: 5, steps: 7, inputSize: 3, units: 9, directions: 1, goBackwards: false, strategy: 'sequence', recurrentDropout: true },
  { batch: 9, steps: 6, inputSize: 3, units: 11, directions: 1, goBackwards: true, strategy: 'sequence', recurrentDropout: true, timeMask: false },
  { batch: 5, steps: 7, inputSize: 3, units: 9, directions: 1, goBackwards: true, strategy: 'step', recurrentDropout: true, timeMask: false },
  { batch: 6, steps: 6, inputSize: 4, units: 7, directions: 2, goBackwards: false, strategy: 'sequence', recurrentDropout: true },
  { batch: 3, steps: 5, inputSize: 2, units: 5, directions: 2, goBackwards: true, strategy: 'step', recurrentDropout: true },
];

/** [B, U] per direction: about 40% of the units dropped, the others scaled by 1 / (1 - 0.4), from a seed. */
function makeRecurrentMask(B: number, U: number, seed: number): Float64Array {
  let state = seed;
  return Float64Array.from({ length: B * U }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 < 0.4 ? 0 : Math.fround(1 / 0.6);
  });
}

/** [B, T] by input time: row b is right-padded to a real length of T - (b mod 3), row 1 also masks its first step and one inside. */
function makeMask(B: number, T: number): Float64Array {
  return Float64Array.from({ length: B * T }, (_, i) => {
    const b = Math.floor(i / T);
    const t = i % T;
    if (b === 1 && (t === 0 || t === 2)) return 0;
    return t < T - (b % 3) ? 1 : 0;
  });
}

for (const variant of VARIANTS) {
  describe(`masked ${variant.title} recurrence vs float64 reference`, () => {
    let env: Awaited<ReturnType<typeof gpu>>;
    beforeAll(async () => {
      env = await gpu();
    });
    const cleanups: (() => void)[] = [];
    afterAll(() => cleanups.reverse().forEach((f) => f()));

    CASES.forEach((c, index) => {
      const extras = [c.goBackwards && 'goBackwards', c.timeMask === false && 'no time mask', c.recurrentDropout && 'recurrent dropout'].filter(Boolean);
      it(`B${c.batch} T${c.steps} in${c.inputSize} u${c.units} D${c.directions} ${c.strategy}${extras.map((e) => ` ${e}`).join('')}`, async () => {
        const { ctx, registry } = env;
        const cell = CELLS[variant.cell];
        const S = 1 + cell.extraStates.length;
        const { batch: B, steps: T, inputSize: F, units: U, directions: D } = c;
        const biasRows = variant.cell === 'gru' && variant.options?.resetAfter !== false ? 2 : 1;
        const recurrentCase: RecurrentCase = {
          batch: B, steps: T, inputSize: F, units: U, returnSequences: true, initialState: true, stateGradient: true, cellOptions: variant.options,
        };
        const data: CaseData[] = Array.from({ length: D }, (_, d) => makeCaseData(recurrentCase, cell.gates, S, 700 + 10 * index + d, biasRows));
        const x = data[0].x;
        const timeMasked = c.timeMask ?? true;
        const mask = timeMasked ? makeMask(B, T) : undefined;
        const recurrentMasks = Array.from({ length: D }, (_, d) => (c.recurrentDropout ? makeRecurrentMask(B, U, 31 + index + 7 * d) : undefined));
        const layer = RecurrentLayer.of(ctx, cell, { units: U, inputSize: F, goBackwards: c.goBackwards, strategy: c.strategy, ...variant.options, name: 'masked' },
          { registry }, D);
        cleanups.push(() => layer.dispose());
        layer.setWeights(data.flatMap((dd) => dd.weights.map((w) => Float32Array.from(w))));
        // The mask at an offset of a buffer of its own, as a producer's output would hold it ([T, B]).
        const maskBuffer = ctx.createStorageBuffer('masked.mask', (T * B + 4) * 4);
        if (mask) ctx.write(maskBuffer, new Float32Array([9, 9, 9, 9, ...batchToTimeMajor(mask, B, T, 1)]));
        const dropout = c.recurrentDropout ?? false;
        const buffers = layer.createBuffers(B, T, {}, mask && { buffer: maskBuffer, offset: 16 }, { recurrentDropout: dropout });
        if (dropout) {
          const where = buffers.recurrentDropoutMask!;
          const all = new Float32Array(D * B * U);
          recurrentMasks.forEach((m, d) => all.set(m!, d * B * U));
          ctx.write(where.buffer, all, where.offset);
        }
        const xBuffer = ctx.createStorageBuffer('masked.x', B * T * F * 4, batchToTimeMajor(x, B, T, F));
        const dxBuffer = ctx.createStorageBuffer('masked.dx', B * T * F * 4);
        cleanups.push(() => {
          layer.destroyBuffers(buffers);
          [maskBuffer, xBuffer, dxBuffer].forEach((b) => ctx.destroyBuffer(b));
        });
        const block = B * U;
        const stateBuffer = (perDirection: Float64Array[][]) => {
          const out = new Float32Array(D * S * block);
          perDirection.forEach((states, d) => states.forEach((s, k) => out.set(s, (d * S + k) * block)));
          return out;
        };
        ctx.write(buffers.s0, stateBuffer(data.map((dd) => dd.initialState!)));
        const forward = new Plan(ctx, 'masked.forward', await layer.forwardSteps(buffers, xBuffer, { recurrentDropout: dropout }));
        cleanups.push(() => forward.dispose());
        forward.run();

        const reference = REFERENCE_CELLS[variant.cell];
        const runs = data.map((dd, d) => {
          const [kernel, recurrentKernel, bias] = dd.weights;
          const w = { kernel, recurrentKernel, ...(bias ? { bias } : {}) };
          const opts = { ...variant.options, returnSequences: true, goBackwards: d === 0 ? c.goBackwards : !c.goBackwards, initialState: dd.initialState,
            ...(mask ? { mask } : {}), ...(recurrentMasks[d] ? { recurrentMask: recurrentMasks[d] } : {}) };
          const fwd = recurrentForward(reference, w, x, B, T, opts);
          return { fwd, bwd: recurrentBackward(reference, w, x, fwd, dd.dOutput, dd.dStates) };
        });
        const hseq = new Float32Array(await ctx.read(buffers.hseq, D * T * block * 4));
        const sT = new Float32Array(await ctx.read(buffers.sT, layer.stateBytes(B)));
        for (let d = 0; d < D; d++) {
          expectClose(timeToBatchMajor(hseq.subarray(d * T * block, (d + 1) * T * block), B, T, U), runs[d].fwd.hSeq, FORWARD_TOLERANCE, `hseq, direction ${d}`);
          for (let s = 0; s < S; s++) {
            expectClose(sT.subarray((d * S + s) * block, (d * S + s + 1) * block), runs[d].fwd.states[s], FORWARD_TOLERANCE, `sT state ${s}, direction ${d}`);
          }
        }

        const dhseq = new Float32Array(D * T * block);
        data.forEach((dd, d) => dhseq.set(batchToTimeMajor(dd.dOutput, B, T, U), d * T * block));
        ctx.write(buffers.dhseq, dhseq);
        ctx.write(buffers.dsT, stateBuffer(data.map((dd) => dd.dStates!)));
        const backward = new Plan(ctx, 'masked.backward', [
          ...layer.clearGradientSteps(),
          ...(await layer.backwardSteps(buffers, xBuffer, dxBuffer, { sequenceGradient: true, stateGradient: true, recurrentDropout: dropout })),
        ]);
        cleanups.push(() => backward.dispose());
        backward.run();

        const grads = await layer.getGradients();
        const names = layer.weights.map((w) => w.name);
        const expectedWeights = runs.flatMap(({ bwd }) => [bwd.dKernel, bwd.dRecurrentKernel, ...(bwd.dBias ? [bwd.dBias] : [])]);
        expect(grads.length).toBe(expectedWeights.length);
        grads.forEach((g, i) => expectClose(g, expectedWeights[i], gradientTolerance(expectedWeights[i]), names[i]));
        const dx = timeToBatchMajor(new Float32Array(await ctx.read(dxBuffer, B * T * F * 4)), B, T, F);
        const dxExpected = runs[0].bwd.dx.map((v, i) => v + (runs[1]?.bwd.dx[i] ?? 0));
        expectClose(dx, dxExpected, gradientTolerance(dxExpected), 'dInput');
        for (let i = 0; i < B * T; i++) if (mask?.[i] === 0) expect(Array.from(dx.subarray(i * F, (i + 1) * F)).every((v) => v === 0)).toBe(true);
        const ds0 = new Float32Array(await ctx.read(buffers.ds0, layer.stateBytes(B)));
        for (let d = 0; d < D; d++) {
          for (let s = 0; s < S; s++) {
            const expected = runs[d].bwd.dInitialState[s];
            expectClose(ds0.subarray((d * S + s) * block, (d * S + s + 1) * block), expected, gradientTolerance(expected), `dInitialState ${s}, direction ${d}`);
          }
        }
      });
    });
  });
}
