// Every recurrent cell on the GPU (input projection, the shared time loop, backward through time,
// weight gradients) against the float64 reference: outputs, final states and every gradient, both
// execution strategies, odd sizes (units not a multiple of the workgroup, batch 1 and 17, T 1 and 29).

import { afterAll, beforeAll, describe, it } from 'vitest';
import { CELLS, RecurrentLayer } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { caseName, checkAgainstReference, makeCaseData, referenceRun, type RecurrentCase } from './recurrent-cases.js';

const COMMON: RecurrentCase[] = [
  { batch: 1, steps: 1, inputSize: 1, units: 1 },
  { batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, initialState: true },
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true },
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, strategy: 'step' },
  { batch: 17, steps: 29, inputSize: 5, units: 33, returnSequences: true, initialState: true, stateGradient: true },
  { batch: 17, steps: 1, inputSize: 5, units: 33, returnSequences: true, initialState: true, stateGradient: true, strategy: 'step' },
  { batch: 1, steps: 29, inputSize: 2, units: 19, goBackwards: true, stateGradient: true, strategy: 'step' },
  { batch: 3, steps: 24, inputSize: 64, units: 128, initialState: true, stateGradient: true },
  { batch: 10, steps: 5, inputSize: 64, units: 300, returnSequences: true, initialState: true, stateGradient: true },
  { batch: 3, steps: 1, inputSize: 64, units: 10, returnSequences: true, stateGradient: true, strategy: 'sequence' },
  // The in-kernel loop with each invocation owning 1, 2, 3 or 4 units, on unit counts that do not divide evenly.
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, initialState: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 1 },
  { batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 2 },
  { batch: 7, steps: 5, inputSize: 2, units: 11, returnSequences: true, initialState: true, strategy: 'sequence', unitsPerInvocation: 3 },
  { batch: 5, steps: 5, inputSize: 2, units: 2, returnSequences: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 4 },
];

/** Per cell: the common cases, and the cell's own options. */
const CASES: Record<string, RecurrentCase[]> = {
  lstm: [
    ...COMMON,
    { batch: 4, steps: 6, inputSize: 3, units: 9, returnSequences: true, initialState: true, stateGradient: true, cellOptions: { recurrentActivation: 'hard_sigmoid' } },
    { batch: 4, steps: 6, inputSize: 3, units: 9, returnSequences: true, stateGradient: true, cellOptions: { activation: 'softsign', useBias: false } },
  ],
  gru: [
    ...COMMON,
    ...COMMON.slice(1, 8).map((c) => ({ ...c, cellOptions: { resetAfter: false } })),
    { batch: 4, steps: 6, inputSize: 3, units: 9, returnSequences: true, initialState: true, stateGradient: true, cellOptions: { recurrentActivation: 'hard_sigmoid', resetAfter: false } },
    { batch: 4, steps: 6, inputSize: 3, units: 9, returnSequences: true, stateGradient: true, cellOptions: { useBias: false } },
    { batch: 4, steps: 6, inputSize: 3, units: 9, returnSequences: true, stateGradient: true, strategy: 'step', cellOptions: { useBias: false, resetAfter: false } },
  ],
  simple_rnn: [
    ...COMMON,
    ...COMMON.slice(1, 7).map((c) => ({ ...c, cellOptions: { activation: 'relu' } })),
  ],
};

for (const [name, cases] of Object.entries(CASES)) {
  describe(`${CELLS[name].kerasClass} layer vs float64 reference`, () => {
    let env: Awaited<ReturnType<typeof gpu>>;
    const layers: RecurrentLayer[] = [];
    beforeAll(async () => {
      env = await gpu();
    });
    afterAll(() => layers.forEach((l) => l.dispose()));

    cases.forEach((c, index) => {
      it(caseName(c), async () => {
        const cell = CELLS[name];
        const biasRows = name === 'gru' && c.cellOptions?.resetAfter !== false ? 2 : 1;
        const data = makeCaseData(c, cell.gates, 1 + cell.extraStates.length, 100 + index, biasRows);
        const { cellOptions, ...layerCase } = c;
        const layer = RecurrentLayer.of(env.ctx, cell, { ...layerCase, ...(cellOptions as object), strategy: c.strategy ?? 'auto' }, { registry: env.registry });
        layers.push(layer);
        await checkAgainstReference(layer, c, data, referenceRun(name, c, data));
      });
    });
  });
}
