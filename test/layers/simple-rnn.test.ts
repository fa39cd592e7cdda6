// The SimpleRNN layer on the GPU (input projection, recurrence, backward through time, weight gradients)
// against the float64 reference: outputs, final state and every gradient, tanh and relu, both execution
// strategies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, SimpleRNN } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { simpleRnnBackward, simpleRnnForward, type RnnActivation } from '../reference/simple-rnn.js';
import { caseName, checkAgainstReference, makeCaseData, type RecurrentCase } from './recurrent-cases.js';

// rowsPerWorkgroup forces partly filled workgroups (B10 over 3 or 4 rows each): the default on CPU drivers
// puts the whole batch in one.
type SimpleRnnCase = RecurrentCase & { activation: RnnActivation; rowsPerWorkgroup?: number };

// relu runs with the same default weight scale (1/sqrt(units + inputSize)) and the same tolerances as
// tanh: at that scale the recurrence is contractive, so h stays O(1) and does not grow over 24 steps.
// Every relu case has about half its units active (the single-unit case's seed gives z > 0).
const CASES: SimpleRnnCase[] = [
  { activation: 'tanh', batch: 1, steps: 1, inputSize: 1, units: 1 },
  { activation: 'tanh', batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, initialState: true },
  { activation: 'relu', batch: 3, steps: 5, inputSize: 3, units: 10, returnSequences: true, goBackwards: true, initialState: true, stateGradient: true, strategy: 'step' },
  { activation: 'tanh', batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true },
  { activation: 'tanh', batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, strategy: 'step' },
  { activation: 'relu', batch: 10, steps: 24, inputSize: 1, units: 75, returnSequences: true, initialState: true, rowsPerWorkgroup: 4 },
  { activation: 'relu', batch: 1, steps: 1, inputSize: 1, units: 1, stateGradient: true },
  { activation: 'tanh', batch: 3, steps: 24, inputSize: 64, units: 128, initialState: true, stateGradient: true },
  { activation: 'relu', batch: 3, steps: 24, inputSize: 64, units: 128, returnSequences: true, stateGradient: true, strategy: 'sequence' },
  { activation: 'tanh', batch: 1, steps: 5, inputSize: 3, units: 128, goBackwards: true, stateGradient: true, strategy: 'step' },
  { activation: 'tanh', batch: 10, steps: 5, inputSize: 64, units: 300, returnSequences: true, initialState: true, stateGradient: true },
  { activation: 'relu', batch: 10, steps: 24, inputSize: 64, units: 300, returnSequences: true, goBackwards: true, initialState: true },
  { activation: 'tanh', batch: 3, steps: 1, inputSize: 64, units: 10, returnSequences: true, stateGradient: true, strategy: 'sequence' },
  { activation: 'tanh', batch: 10, steps: 5, inputSize: 3, units: 1, returnSequences: true, goBackwards: true, strategy: 'step' },
  { activation: 'tanh', batch: 10, steps: 24, inputSize: 3, units: 40, returnSequences: true, goBackwards: true, initialState: true, stateGradient: true, strategy: 'sequence', rowsPerWorkgroup: 3 },
  { activation: 'relu', batch: 10, steps: 24, inputSize: 3, units: 40, initialState: true, strategy: 'sequence' },
  { activation: 'relu', batch: 1, steps: 24, inputSize: 64, units: 40, goBackwards: true, stateGradient: true, strategy: 'step' },
];

describe('SimpleRNN layer vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: SimpleRNN[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  CASES.forEach((c, index) => {
    it(`${c.activation} ${caseName(c)}${c.rowsPerWorkgroup ? ` rows${c.rowsPerWorkgroup}` : ''}`, async () => {
      const data = makeCaseData(c, 1, 1, 200 + index);
      const layer = SimpleRNN.create(env.ctx, { ...c, strategy: c.strategy ?? 'auto' }, { registry: env.registry });
      layers.push(layer);
      const [kernel, recurrentKernel, bias] = data.weights;
      const params = { kernel, recurrentKernel, bias };
      const opts = { activation: c.activation, returnSequences: c.returnSequences, goBackwards: c.goBackwards, h0: data.initialState?.[0] };
      const forward = simpleRnnForward(params, data.x, c.batch, c.steps, opts);
      const backward = simpleRnnBackward(params, data.x, forward, data.dOutput, data.dStates?.[0]);
      await checkAgainstReference(layer, c, data, {
        output: forward.output,
        states: [forward.hT],
        dWeights: [backward.dKernel, backward.dRecurrentKernel, backward.dBias],
        dInput: backward.dx,
        dInitialState: [backward.dh0],
      });
    });
  });

  it('uses one recurrence dispatch per pass with the in-kernel loop, one per step otherwise', async () => {
    const config = { units: 10, inputSize: 3 };
    const sequence = SimpleRNN.create(env.ctx, { ...config, strategy: 'sequence' }, { registry: env.registry });
    const step = SimpleRNN.create(env.ctx, { ...config, strategy: 'step' }, { registry: env.registry });
    layers.push(sequence, step);
    // forward: projection + recurrence; backward: recurrence + dKernel with dBias (one matmul), dRecurrent, dx.
    expect(await sequence.dispatchCounts(3, 5)).toEqual({ forward: 2, backward: 4 });
    expect(await step.dispatchCounts(3, 5)).toEqual({ forward: 1 + 5, backward: 5 + 1 + 3 });
  });

  it('defaults to tanh with Keras initial weights: shapes [in, u], [u, u], [u] and a zero bias', async () => {
    const layer = SimpleRNN.create(env.ctx, { units: 6, inputSize: 4, seed: 3 }, { registry: env.registry });
    layers.push(layer);
    expect(layer.activation).toBe('tanh');
    expect(layer.weightShapes).toEqual([[4, 6], [6, 6], [6]]);
    const [kernel, recurrent, bias] = await layer.getWeights();
    expect([kernel.length, recurrent.length, bias.length]).toEqual([24, 36, 6]);
    expect(Array.from(bias)).toEqual(new Array(6).fill(0));
    expect(kernel.some((v) => v !== 0)).toBe(true);
  });

  it('rejects an unknown activation and a wrong number of initial states', async () => {
    expect(() => SimpleRNN.create(env.ctx, { units: 2, inputSize: 1, activation: 'sigmoid' as 'tanh' }, { registry: env.registry })).toThrow(ShapeError);
    const layer = SimpleRNN.create(env.ctx, { units: 2, inputSize: 1 }, { registry: env.registry });
    layers.push(layer);
    await expect(layer.forward(new Float32Array(2), { batch: 1, steps: 2 }, [new Float32Array(2), new Float32Array(2)])).rejects.toThrow(ShapeError);
  });
});
