// The recurrent layer with two directions (a Bidirectional layer's both directions in the same
// dispatches: src/layers/recurrent.ts, shaders/recurrence.wgsl) against the float64 reference run once
// per direction: direction 0 is the reference with the layer's goBackwards, direction 1 the reference
// with the opposite goBackwards on the same input, each with its own weights (the layer's weights list:
// forward/*, then backward/*), initial states and upstream gradients. Checked: hseq [D, T, B, U] (each
// direction in its processed order), the final states sT [D, S, B, U], and every gradient: each
// direction's weights, the input (the sum of both directions'), each direction's initial states.
// LSTM, GRU (reset_after true and false), SimpleRNN; odd sizes; both strategies; goBackwards off and on.
// The standalone forward()/backward() run one direction only, so the buffers and steps are driven
// directly, as src/layers/keras/ does: createBuffers, forwardSteps / backwardSteps in Plans.
// Tolerances: recurrent-cases.ts (the same as the one-direction tests).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELLS, Plan, RecurrentLayer, batchToTimeMajor, timeToBatchMajor } from '../../src/advanced.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { REFERENCE_CELLS } from '../reference/cells/index.js';
import { recurrentBackward, recurrentForward } from '../reference/recurrent.js';
import { FORWARD_TOLERANCE, gradientTolerance, makeCaseData, type CaseData, type RecurrentCase } from './recurrent-cases.js';

interface BidirectionalCase {
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  goBackwards: boolean;
  strategy: 'sequence' | 'step';
  /** Gradient arrives at hseq too (else at the final states only, and dhseq must not be read). */
  sequenceGradient: boolean;
}

const CELL_VARIANTS: { cell: string; title: string; options?: { resetAfter?: boolean } }[] = [
  { cell: 'lstm', title: 'LSTM' },
  { cell: 'gru', title: 'GRU reset_after', options: { resetAfter: true } },
  { cell: 'gru', title: 'GRU reset_after=false', options: { resetAfter: false } },
  { cell: 'simple_rnn', title: 'SimpleRNN' },
];

const CASES: BidirectionalCase[] = [
  ...[false, true].flatMap((goBackwards) => (['sequence', 'step'] as const).map((strategy) =>
    ({ batch: 3, steps: 5, inputSize: 4, units: 7, goBackwards, strategy, sequenceGradient: true }))),
  // More rows than one workgroup of the in-kernel loop holds (4), T 1, and the final states' gradient only.
  { batch: 6, steps: 1, inputSize: 3, units: 11, goBackwards: true, strategy: 'sequence', sequenceGradient: false },
  { batch: 6, steps: 3, inputSize: 3, units: 11, goBackwards: false, strategy: 'step', sequenceGradient: false },
];

function caseTitle(c: BidirectionalCase): string {
  return `B${c.batch} T${c.steps} in${c.inputSize} u${c.units} ${c.strategy}${c.goBackwards ? ' goBackwards' : ''}${c.sequenceGradient ? '' : ' dState only'}`;
}

for (const variant of CELL_VARIANTS) {
  describe(`two-direction ${variant.title} recurrence vs float64 reference, once per direction`, () => {
    let env: Awaited<ReturnType<typeof gpu>>;
    beforeAll(async () => {
      env = await gpu();
    });
    const cleanups: (() => void)[] = [];
    afterAll(() => cleanups.reverse().forEach((f) => f()));

    CASES.forEach((c, index) => {
      it(caseTitle(c), async () => {
        const { ctx, registry } = env;
        const cell = CELLS[variant.cell];
        const S = 1 + cell.extraStates.length;
        const { batch: B, steps: T, inputSize: F, units: U } = c;
        const biasRows = variant.cell === 'gru' && variant.options?.resetAfter !== false ? 2 : 1;
        const recurrentCase: RecurrentCase = {
          batch: B, steps: T, inputSize: F, units: U, returnSequences: true, initialState: true, stateGradient: true, cellOptions: variant.options,
        };
        // One case's data per direction; the input is direction 0's.
        const data: CaseData[] = [0, 1].map((d) => makeCaseData(recurrentCase, cell.gates, S, 300 + 10 * index + d, biasRows));
        const x = data[0].x;
        const dOutputs = data.map((dd) => (c.sequenceGradient ? dd.dOutput : new Float64Array(B * T * U)));

        const layer = RecurrentLayer.of(ctx, cell, { units: U, inputSize: F, goBackwards: c.goBackwards, strategy: c.strategy, ...variant.options, name: 'bidi' },
          { registry }, 2);
        cleanups.push(() => layer.dispose());
        expect(layer.weights.map((w) => w.name).join(' ')).toMatch(/^forward\/kernel forward\/recurrent_kernel forward\/bias backward\/kernel backward\/recurrent_kernel backward\/bias$/);
        layer.setWeights(data.flatMap((dd) => dd.weights.map((w) => Float32Array.from(w))));
        const buffers = layer.createBuffers(B, T);
        const xBuffer = ctx.createStorageBuffer('bidi.x', B * T * F * 4, batchToTimeMajor(x, B, T, F));
        const dxBuffer = ctx.createStorageBuffer('bidi.dx', B * T * F * 4);
        cleanups.push(() => {
          layer.destroyBuffers(buffers);
          ctx.destroyBuffer(xBuffer);
          ctx.destroyBuffer(dxBuffer);
        });
        const block = B * U;
        /** [D, S, B, U] from per-direction lists of [B, U] states. */
        const stateBuffer = (perDirection: Float64Array[][]) => {
          const out = new Float32Array(2 * S * block);
          perDirection.forEach((states, d) => states.forEach((s, k) => out.set(s, (d * S + k) * block)));
          return out;
        };
        ctx.write(buffers.s0, stateBuffer(data.map((dd) => dd.initialState!)));

        const forward = new Plan(ctx, 'bidi.forward', await layer.forwardSteps(buffers, xBuffer));
        cleanups.push(() => forward.dispose());
        forward.run();

        // The reference, once per direction: direction 1 runs time the other way.
        const reference = REFERENCE_CELLS[variant.cell];
        const runs = [0, 1].map((d) => {
          const [kernel, recurrentKernel, bias] = data[d].weights;
          const w = { kernel, recurrentKernel, ...(bias ? { bias } : {}) };
          const opts = { ...variant.options, returnSequences: true, goBackwards: d === 0 ? c.goBackwards : !c.goBackwards, initialState: data[d].initialState };
          const fwd = recurrentForward(reference, w, x, B, T, opts);
          return { fwd, bwd: recurrentBackward(reference, w, x, fwd, dOutputs[d], data[d].dStates) };
        });

        const hseq = new Float32Array(await ctx.read(buffers.hseq, 2 * T * block * 4));
        const sT = new Float32Array(await ctx.read(buffers.sT, layer.stateBytes(B)));
        for (let d = 0; d < 2; d++) {
          expectClose(timeToBatchMajor(hseq.subarray(d * T * block, (d + 1) * T * block), B, T, U), runs[d].fwd.hSeq, FORWARD_TOLERANCE, `hseq, direction ${d}`);
          for (let s = 0; s < S; s++) {
            expectClose(sT.subarray((d * S + s) * block, (d * S + s + 1) * block), runs[d].fwd.states[s], FORWARD_TOLERANCE, `sT state ${s}, direction ${d}`);
          }
        }

        // Upstream gradients: into hseq (processed order, like the reference's dOutput), or only into the
        // final states, with dhseq then full of NaN: it must not be read.
        const dhseq = new Float32Array(2 * T * block).fill(NaN);
        if (c.sequenceGradient) dOutputs.forEach((dOut, d) => dhseq.set(batchToTimeMajor(dOut, B, T, U), d * T * block));
        ctx.write(buffers.dhseq, dhseq);
        ctx.write(buffers.dsT, stateBuffer(data.map((dd) => dd.dStates!)));
        const backward = new Plan(ctx, 'bidi.backward', [
          ...layer.clearGradientSteps(),
          ...(await layer.backwardSteps(buffers, xBuffer, dxBuffer, { sequenceGradient: c.sequenceGradient, stateGradient: true })),
        ]);
        cleanups.push(() => backward.dispose());
        backward.run();

        const grads = await layer.getGradients();
        const names = layer.weights.map((w) => w.name);
        expect(grads.length).toBe(2 * data[0].weights.length);
        const expectedWeights = runs.flatMap(({ bwd }) => [bwd.dKernel, bwd.dRecurrentKernel, ...(bwd.dBias ? [bwd.dBias] : [])]);
        grads.forEach((g, i) => expectClose(g, expectedWeights[i], gradientTolerance(expectedWeights[i]), names[i]));
        const dx = timeToBatchMajor(new Float32Array(await ctx.read(dxBuffer, B * T * F * 4)), B, T, F);
        const dxExpected = runs[0].bwd.dx.map((v, i) => v + runs[1].bwd.dx[i]);
        expectClose(dx, dxExpected, gradientTolerance(dxExpected), 'dInput (both directions)');
        const ds0 = new Float32Array(await ctx.read(buffers.ds0, layer.stateBytes(B)));
        for (let d = 0; d < 2; d++) {
          for (let s = 0; s < S; s++) {
            const expected = runs[d].bwd.dInitialState[s];
            expectClose(ds0.subarray((d * S + s) * block, (d * S + s + 1) * block), expected, gradientTolerance(expected), `dInitialState ${s}, direction ${d}`);
          }
        }
      });
    });
  });
}
