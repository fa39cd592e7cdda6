// The LSTM layer on the GPU (input projection, recurrence, backward through time, weight gradients)
// against the float64 reference: outputs, final states and every gradient, both execution strategies.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { LSTM } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { lstmBackward, lstmForward } from '../reference/lstm.js';
import { caseName, checkAgainstReference, makeCaseData, type RecurrentCase } from './recurrent-cases.js';

const CASES: RecurrentCase[] = [
  { batch: 1, steps: 1, inputSize: 1, units: 1 },
  { batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, initialState: true },
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true },
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, strategy: 'step' },
  { batch: 3, steps: 24, inputSize: 64, units: 128, initialState: true, stateGradient: true },
  { batch: 1, steps: 5, inputSize: 3, units: 128, goBackwards: true, stateGradient: true, strategy: 'step' },
  { batch: 10, steps: 5, inputSize: 64, units: 300, returnSequences: true, initialState: true, stateGradient: true },
  { batch: 3, steps: 1, inputSize: 64, units: 10, returnSequences: true, stateGradient: true, strategy: 'sequence' },
  { batch: 10, steps: 5, inputSize: 3, units: 1, returnSequences: true, goBackwards: true, strategy: 'step' },
  // The in-kernel loop with each invocation owning 1, 2, 3 or 4 units (GPUs default to 1, CPU drivers to 4),
  // on unit counts that do not divide evenly.
  { batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, initialState: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 1 },
  { batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 2 },
  { batch: 7, steps: 5, inputSize: 2, units: 11, returnSequences: true, initialState: true, strategy: 'sequence', unitsPerInvocation: 3 },
  { batch: 3, steps: 5, inputSize: 2, units: 2, returnSequences: true, stateGradient: true, strategy: 'sequence', unitsPerInvocation: 4 },
];

describe('LSTM layer vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: LSTM[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  CASES.forEach((c, index) => {
    it(caseName(c), async () => {
      const data = makeCaseData(c, 4, 2, 100 + index);
      const layer = LSTM.create(env.ctx, { ...c, strategy: c.strategy ?? 'auto' }, { registry: env.registry });
      layers.push(layer);
      const [kernel, recurrentKernel, bias] = data.weights;
      const params = { kernel, recurrentKernel, bias };
      const opts = { returnSequences: c.returnSequences, goBackwards: c.goBackwards, h0: data.initialState?.[0], c0: data.initialState?.[1] };
      const forward = lstmForward(params, data.x, c.batch, c.steps, opts);
      const backward = lstmBackward(params, data.x, forward, data.dOutput, data.dStates?.[0], data.dStates?.[1]);
      await checkAgainstReference(layer, c, data, {
        output: forward.output,
        states: [forward.hT, forward.cT],
        dWeights: [backward.dKernel, backward.dRecurrentKernel, backward.dBias],
        dInput: backward.dx,
        dInitialState: [backward.dh0, backward.dc0],
      });
    });
  });
});
