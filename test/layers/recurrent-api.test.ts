// The recurrent layers' API beyond the numbers: dispatch counts per strategy, Keras initialization,
// weight round trips, saturation, stacking, bad input, and release of every buffer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitError, LSTM, ShapeError, WebRnnError, orthogonal } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { lstmReference } from '../reference/cells/lstm.js';
import { recurrentBackward, recurrentForward } from '../reference/recurrent.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { FORWARD_TOLERANCE, gradientTolerance } from './recurrent-cases.js';

describe('recurrent layer API', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: LSTM[] = [];
  const lstm = (config: Parameters<typeof LSTM.create>[1]) => {
    const layer = LSTM.create(env.ctx, config, { registry: env.registry });
    layers.push(layer);
    return layer;
  };
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  it('records a number of dispatches independent of the sequence length with the in-kernel time loop', async () => {
    const layer = lstm({ units: 75, inputSize: 1, returnSequences: true, strategy: 'sequence' });
    const short = await layer.dispatchCounts(10, 5);
    const long = await layer.dispatchCounts(10, 24);
    expect(short).toEqual(long);
    // forward: projection + recurrence; backward: recurrence + dKernel with dBias (one matmul) + dRecurrent + dInput.
    expect(long).toEqual({ forward: 2, backward: 4 });
    // Per step: the recurrent product (a matmul) and the cell; backward: the product of every step but
    // the last, the cells, then the initial state's product and dh0, and the three weight matmuls.
    const perStep = lstm({ units: 75, inputSize: 1, returnSequences: true, strategy: 'step' });
    expect(await perStep.dispatchCounts(10, 24)).toEqual({ forward: 1 + 2 * 24, backward: 23 + 24 + 2 + 3 });
  });

  it('initializes as Keras: glorot_uniform kernel, orthogonal recurrent kernel, unit forget bias; seeded', async () => {
    const units = 20;
    const inputSize = 7;
    const [kernel, recurrent, bias] = await lstm({ units, inputSize, seed: 3 }).getWeights();
    const limit = Math.sqrt(6 / (inputSize + 4 * units));
    expect(Math.max(...kernel.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...kernel.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    for (let i = 0; i < units; i++) {
      for (let j = 0; j < units; j++) {
        let dot = 0;
        for (let k = 0; k < 4 * units; k++) dot += recurrent[i * 4 * units + k] * recurrent[j * 4 * units + k];
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
    expect(Array.from(bias)).toEqual(Array.from({ length: 4 * units }, (_, i) => (i >= units && i < 2 * units ? 1 : 0)));
    const again = await lstm({ units, inputSize, seed: 3 }).getWeights();
    const other = await lstm({ units, inputSize, seed: 4 }).getWeights();
    expect(Array.from(again[0])).toEqual(Array.from(kernel));
    expect(Array.from(other[0])).not.toEqual(Array.from(kernel));
  });

  it('orthogonal() gives orthonormal rows for wide and columns for tall matrices', () => {
    for (const [rows, cols] of [[10, 40], [40, 10], [33, 33]]) {
      const q = orthogonal(rows, cols, 1);
      const n = Math.min(rows, cols);
      const at = (i: number, k: number) => (rows <= cols ? q[i * cols + k] : q[k * cols + i]);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < Math.max(rows, cols); k++) dot += at(i, k) * at(j, k);
          expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('round-trips weights in Keras layout exactly', async () => {
    const layer = lstm({ units: 5, inputSize: 3 });
    const rng = mulberry32(9);
    const weights = [uniformArray(3 * 20, 1, rng), uniformArray(5 * 20, 1, rng), uniformArray(20, 1, rng)].map((w) => Float32Array.from(w));
    layer.setWeights(weights);
    const back = await layer.getWeights();
    back.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));
  });

  it('stays finite with pre-activations of +-300', async () => {
    const layer = lstm({ units: 4, inputSize: 1, returnSequences: true });
    const kernel = Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? 300 : -300));
    const recurrent = Float32Array.from({ length: 64 }, (_, i) => (i % 3 ? 300 : -300));
    layer.setWeights([kernel, recurrent, new Float32Array(16)]);
    const x = [1, -1, 1, 1, -1, -1];
    const { output, states } = await layer.forward(x, { batch: 2, steps: 3 });
    const grads = await layer.backward(new Float32Array(2 * 3 * 4).fill(1), [new Float32Array(8).fill(1), new Float32Array(8).fill(1)]);
    for (const values of [output, ...states, ...grads.weights, grads.input, ...grads.initialState]) {
      expect(Array.from(values).every(Number.isFinite)).toBe(true);
    }
    const reference = recurrentForward(lstmReference,
      { kernel: Float64Array.from(kernel), recurrentKernel: Float64Array.from(recurrent), bias: new Float64Array(16) },
      Float64Array.from(x), 2, 3, { returnSequences: true },
    );
    expectClose(output, reference.output, FORWARD_TOLERANCE, 'saturated output');
  });

  it('stacks: a returnSequences layer feeding another, forward and backward', async () => {
    const rng = mulberry32(21);
    const [B, T] = [3, 6];
    const first = lstm({ units: 8, inputSize: 2, returnSequences: true, seed: 1 });
    const second = lstm({ units: 5, inputSize: 8, seed: 2 });
    const w1 = (await first.getWeights()).map((w) => Float64Array.from(w));
    const w2 = (await second.getWeights()).map((w) => Float64Array.from(w));
    const x = uniformArray(B * T * 2, 1, rng);
    const dOut = uniformArray(B * 5, 1, rng);
    const h1 = await first.forward(Float32Array.from(x), { batch: B, steps: T });
    const h2 = await second.forward(h1.output, { batch: B, steps: T });
    const g2 = await second.backward(Float32Array.from(dOut));
    const g1 = await first.backward(g2.input);

    const p1 = { kernel: w1[0], recurrentKernel: w1[1], bias: w1[2] };
    const p2 = { kernel: w2[0], recurrentKernel: w2[1], bias: w2[2] };
    const r1 = recurrentForward(lstmReference, p1, x, B, T, { returnSequences: true });
    const r2 = recurrentForward(lstmReference, p2, r1.output, B, T);
    const rg2 = recurrentBackward(lstmReference, p2, r1.output, r2, dOut);
    const rg1 = recurrentBackward(lstmReference, p1, x, r1, rg2.dx);
    expectClose(h2.output, r2.output, FORWARD_TOLERANCE, 'stacked output');
    expectClose(g1.weights[0], rg1.dKernel, gradientTolerance(rg1.dKernel), 'first layer dKernel through the stack');
    expectClose(g1.input, rg1.dx, gradientTolerance(rg1.dx), 'input gradient through the stack');
  });

  it('names what is wrong with bad input, and still works afterwards', async () => {
    const layer = lstm({ units: 3, inputSize: 2, returnSequences: true, name: 'encoder' });
    await expect(layer.forward(new Float32Array(11), { batch: 2, steps: 3 })).rejects.toThrow(
      /encoder.forward x: expected shape \[2, 3, 2\] \(12 values\), got 11/,
    );
    await expect(layer.forward(new Float32Array(12).fill(Infinity), { batch: 2, steps: 3 })).rejects.toThrow(/element 0 is Infinity/);
    await expect(layer.forward(new Float32Array(12), { batch: 0, steps: 3 })).rejects.toThrow(/batch must be a positive integer, got 0/);
    await expect(layer.forward(new Float32Array(12), { batch: 2, steps: 3 }, [new Float32Array(6)])).rejects.toThrow(
      /expected 2 arrays \(\[h, c\]\), got 1/,
    );
    await expect(layer.forward(new Float32Array(12), { batch: 2, steps: 3 }, [new Float32Array(6), new Float32Array(5)])).rejects.toThrow(
      /initialState\[1\]: expected shape \[2, 3\]/,
    );
    expect(() => layer.setWeights([new Float32Array(24), new Float32Array(36), new Float32Array(11)])).toThrow(
      /encoder.setWeights bias: expected shape \[12\] \(12 values\), got 11/,
    );
    expect(() => layer.setWeights([new Float32Array(24), new Float32Array(35), new Float32Array(12)])).toThrow(/recurrent_kernel: expected shape \[3, 12\]/);
    await expect(lstm({ units: 3, inputSize: 2 }).backward(new Float32Array(6))).rejects.toThrow(WebRnnError);
    expect(() => lstm({ units: 0, inputSize: 2 })).toThrow(ShapeError);
    const ok = await layer.forward(new Float32Array(12).fill(0.5), { batch: 2, steps: 3 });
    expect(ok.output).toHaveLength(18);
    await expect(layer.backward(new Float32Array(5))).rejects.toThrow(/encoder.backward dOutput: expected shape \[2, 3, 3\]/);
  });

  it('a shape over a device limit is a LimitError that leaves nothing allocated (step strategy: its scratch buffers too)', async () => {
    const layer = LSTM.create(env.ctx, { units: 64, inputSize: 1, strategy: 'step' }, { registry: env.registry });
    const before = env.ctx.liveBuffers;
    // 4,000 x 200 steps x 256 gate values = 819 MB of pre-activations: over lavapipe's storage binding
    // limit; SwiftShader allows the buffer, then the projection's 100,000 rows of workgroups are over its
    // per-dimension dispatch limit. Either is a LimitError, after buffers were made.
    await expect(layer.forward(new Float32Array(4000 * 200), { batch: 4000, steps: 200 })).rejects.toThrow(LimitError);
    expect(env.ctx.liveBuffers).toBe(before);
    const ok = await layer.forward(new Float32Array(2 * 3).fill(0.5), { batch: 2, steps: 3 });
    expect(ok.output).toHaveLength(2 * 64);
    layer.dispose();
  });

  it('releases every buffer on dispose()', async () => {
    const before = env.ctx.liveBuffers;
    const layer = LSTM.create(env.ctx, { units: 6, inputSize: 2, returnSequences: true, strategy: 'step' }, { registry: env.registry });
    await layer.forward(new Float32Array(2 * 4 * 2), { batch: 2, steps: 4 });
    await layer.backward(new Float32Array(2 * 4 * 6));
    await layer.forward(new Float32Array(3 * 2 * 2), { batch: 3, steps: 2 });
    expect(env.ctx.liveBuffers).toBeGreaterThan(before);
    layer.dispose();
    expect(env.ctx.liveBuffers).toBe(before);
    await expect(layer.forward(new Float32Array(4), { batch: 1, steps: 2 })).rejects.toThrow(/was disposed/);
  });
});
