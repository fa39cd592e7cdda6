// The Dense layer (matmul + activation, forward and backward) against the float64 reference.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, POINTWISE_ACTIVATIONS, ShapeError, type Activation } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { denseBackward, denseForward } from '../reference/dense.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { FORWARD_TOLERANCE, gradientTolerance } from './recurrent-cases.js';

const COMMON: Activation[] = ['linear', 'tanh', 'sigmoid', 'relu', 'softmax'];
// Every other Keras activation (aliases such as silu / swish once), on the smaller shapes.
const OTHERS = [...new Set(Object.keys(POINTWISE_ACTIVATIONS) as Activation[])]
  .filter((a) => !COMMON.includes(a) && a !== 'silu' && a !== 'hard_swish')
  .concat(['log_softmax']);
const SHAPES: [rows: number, inputSize: number, units: number][] = [
  [1, 1, 1],
  [7, 3, 12],
  [240, 75, 1],
  [67, 64, 300],
];
const CASES: [Activation, [number, number, number]][] = [
  ...COMMON.flatMap((a) => SHAPES.map((shape) => [a, shape] as [Activation, [number, number, number]])),
  ...OTHERS.flatMap((a) => SHAPES.slice(0, 2).map((shape) => [a, shape] as [Activation, [number, number, number]])),
];

describe('Dense layer vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: Dense[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  for (const [activation, [rows, inputSize, units]] of CASES) {
    {
      it(`${activation} ${rows}x${inputSize} -> ${units}`, async () => {
        const rng = mulberry32(rows * 13 + inputSize * 7 + units);
        const kernel = uniformArray(inputSize * units, 1 / Math.sqrt(inputSize), rng);
        const bias = uniformArray(units, 0.5, rng);
        const x = uniformArray(rows * inputSize, 1, rng);
        const dy = uniformArray(rows * units, 1, rng);
        const layer = Dense.create(env.ctx, { units, inputSize, activation }, { registry: env.registry });
        layers.push(layer);
        layer.setWeights([Float32Array.from(kernel), Float32Array.from(bias)]);
        const reference = denseForward({ kernel, bias }, x, rows, activation);
        const grads = denseBackward({ kernel, bias }, x, reference, dy);
        expectClose(await layer.forward(Float32Array.from(x), rows), reference.output, FORWARD_TOLERANCE, 'output');
        const result = await layer.backward(Float32Array.from(dy));
        expectClose(result.weights[0], grads.dKernel, gradientTolerance(grads.dKernel), 'dKernel');
        expectClose(result.weights[1], grads.dBias, gradientTolerance(grads.dBias), 'dBias');
        expectClose(result.input, grads.dx, gradientTolerance(grads.dx), 'dInput');
      });
    }
  }

  // exponential is left out: e^300 is infinite in f32, as in Keras.
  it('stays finite for pre-activations of +-300', async () => {
    for (const activation of [...COMMON, ...OTHERS].filter((a) => a !== 'exponential')) {
      const layer = Dense.create(env.ctx, { units: 3, inputSize: 1, activation }, { registry: env.registry });
      layers.push(layer);
      layer.setWeights([[300, -300, 1], [0, 0, 0]]);
      const y = await layer.forward([1, -1], 2);
      const { weights, input } = await layer.backward([1, 1, 1, 1, 1, 1]);
      for (const values of [y, ...weights, input]) expect(Array.from(values).every(Number.isFinite), activation).toBe(true);
      const reference = denseForward({ kernel: Float64Array.from([300, -300, 1]), bias: new Float64Array(3) }, Float64Array.from([1, -1]), 2, activation);
      expectClose(y, reference.output, FORWARD_TOLERANCE, `${activation} at +-300`);
    }
  });

  it('names the bad argument', async () => {
    const layer = Dense.create(env.ctx, { units: 2, inputSize: 3 }, { registry: env.registry });
    layers.push(layer);
    expect(() => layer.setWeights([new Float32Array(5), new Float32Array(2)])).toThrow(/dense.setWeights kernel: expected shape \[3, 2\] \(6 values\), got 5/);
    await expect(layer.forward(new Float32Array(5), 2)).rejects.toThrow(/dense.forward x: expected shape \[2, 3\] \(6 values\), got 5/);
    await expect(layer.forward([1, 2, NaN], 1)).rejects.toThrow(ShapeError);
    await expect(layer.forward([1, 2, NaN], 1)).rejects.toThrow(/element 2 is NaN/);
    await expect(layer.backward([1, 2])).rejects.toThrow(/call forward\(\) first/);
    expect(() => Dense.create(env.ctx, { units: 2, inputSize: 3, activation: 'bogus' as Activation })).toThrow(/dense: unknown activation 'bogus'/);
  });
});
