// Decoding on the GPU (one plan, one submit, one readback) against the seeds' step-by-step float64
// decode: numeric seq2seq (sin -> cos style), greedy token seq2seq with an end token, and closed-loop
// generation of a SequenceModel.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitError, Seq2Seq, SequenceModel, ShapeError, type CellType } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { decodeNumbers, decodeTokens, runCell, windowLoop, type CellWeights } from '../reference/decode.js';
import { embeddingForward } from '../reference/embedding.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

// Each decoded value goes through up to `steps` chained f32 cell steps and head evaluations, each adding
// rounding of order 1e-7 (measured: at most 6e-7 after 15 steps), so 4e-7 per step, times the steps.
const tolerance = (steps: number) => ({ atol: 4e-7 * steps, rtol: 1e-5 });

const f64 = (w: Float32Array) => Float64Array.from(w);

for (const strategy of ['loop', 'step'] as const)
describe(`decoding on the GPU (strategy '${strategy}')`, () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: (Seq2Seq | SequenceModel)[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  const numericCases: { cell: CellType; resetAfter?: boolean }[] = [{ cell: 'lstm' }, { cell: 'gru' }, { cell: 'gru', resetAfter: false }, { cell: 'simple_rnn' }];
  for (const { cell, resetAfter } of numericCases) {
    const name = resetAfter === false ? `${cell}, resetAfter false` : cell;
    it(`numeric seq2seq (${name}): predict equals the step-by-step reference, one submit and one readback`, async () => {
      const [B, Ts, steps, U] = [4, 6, 12, 9];
      const layer = { cell, units: U, ...(resetAfter === undefined ? {} : { resetAfter }) };
      const model = new Seq2Seq(env.ctx, {
        encoder: { inputSize: 1, layers: [layer] },
        decoder: { inputSize: 1, layers: [layer] },
        head: { units: 1 },
        seed: 3,
      });
      models.push(model);
      const rng = mulberry32(5);
      // Biases made non-zero so that the decoder's dynamics are not trivial.
      const weights = await model.getWeights();
      weights[2] = Float32Array.from(uniformArray(weights[2].length, 0.3, rng));
      weights[5] = Float32Array.from(uniformArray(weights[5].length, 0.3, rng));
      model.setWeights(weights);
      const source = uniformArray(B * Ts, 1, rng);

      const before = env.ctx.stats();
      const result = await model.predict({ data: source, shape: [B, Ts, 1] }, { steps, strategy });
      const after = env.ctx.stats();
      // Encoder projection + recurrence, then the loop (one dispatch) or 3 per step.
      expect(model.decodePlanDispatches()).toEqual([strategy === 'loop' ? 3 : 2 + 3 * steps]);
      expect(after.submits - before.submits).toBe(1); // the decode plan and the readback's copy together
      expect(after.readbacks - before.readbacks).toBe(1);
      expect(result.shape).toEqual([B, steps, 1]);

      const w = weights.map(f64);
      const options = resetAfter === undefined ? undefined : { resetAfter };
      const enc: CellWeights = { cell, kernel: w[0], recurrentKernel: w[1], bias: w[2], options };
      const dec: CellWeights = { cell, kernel: w[3], recurrentKernel: w[4], bias: w[5], options };
      const state = runCell(enc, source, B, Ts).state;
      const expected = decodeNumbers({ cell: dec, head: { kernel: w[6], bias: w[7] } }, state, B, steps, 1);
      expectClose(result.data, expected, tolerance(steps), 'decoded sequence');
      // A second call reuses the plan: no new GPU objects.
      const again = env.ctx.stats();
      await model.predict({ data: source, shape: [B, Ts, 1] }, { steps, strategy });
      expect(env.ctx.stats().bindGroupsCreated).toBe(again.bindGroupsCreated);
    });
  }

  it('decodes 1,000 windows in one call (one submit, one readback)', async () => {
    const model = new Seq2Seq(env.ctx, {
      encoder: { inputSize: 1, layers: [{ units: 16 }] },
      decoder: { inputSize: 1, layers: [{ units: 16 }] },
      head: { units: 1 },
    });
    models.push(model);
    const rng = mulberry32(8);
    const source = uniformArray(1000 * 24, 1, rng);
    const before = env.ctx.stats();
    const result = await model.predict({ data: source, shape: [1000, 24, 1] }, { steps: 24, strategy });
    expect(env.ctx.stats().readbacks - before.readbacks).toBe(1);
    expect(env.ctx.stats().submits - before.submits).toBe(1);
    expect(result.data).toHaveLength(1000 * 24);
    // Spot-check a few windows against the reference.
    const w = (await model.getWeights()).map(f64);
    for (const n of [0, 517, 999]) {
      const src = source.slice(n * 24, (n + 1) * 24);
      const state = runCell({ cell: 'lstm', kernel: w[0], recurrentKernel: w[1], bias: w[2] }, src, 1, 24).state;
      const expected = decodeNumbers({ cell: { cell: 'lstm', kernel: w[3], recurrentKernel: w[4], bias: w[5] }, head: { kernel: w[6], bias: w[7] } }, state, 1, 24, 1);
      expectClose(result.data.slice(n * 24, (n + 1) * 24), expected, tolerance(24), `window ${n}`);
    }
  });

  for (const cell of ['lstm', 'gru'] as const) it(`greedy token generation (${cell}) with an end token equals the reference`, async () => {
    const [B, Ts, V, E, U, steps] = [5, 4, 8, 3, 7, 6];
    const model = new Seq2Seq(env.ctx, {
      encoder: { vocabSize: V, embeddingDim: E, layers: [{ cell, units: U }] },
      decoder: { vocabSize: V, embeddingDim: E, layers: [{ cell, units: U }] },
      head: { units: V, activation: 'softmax' },
      seed: 11,
    });
    models.push(model);
    const rng = mulberry32(12);
    const weights = (await model.getWeights()).map((w) => Float32Array.from(uniformArray(w.length, 0.8, rng)));
    model.setWeights(weights);
    const source = randomInts(B * Ts, V, rng);
    const w = weights.map(f64);
    const state = runCell({ cell, kernel: w[1], recurrentKernel: w[2], bias: w[3] }, embeddingForward(w[0], V, source), B, Ts).state;
    const decoder = { cell: { cell, kernel: w[5], recurrentKernel: w[6], bias: w[7] }, head: { kernel: w[8], bias: w[9] }, embedding: { table: w[4], vocab: V } };
    // Pick as end token one the reference actually emits early, so the end handling is exercised.
    const free = decodeTokens(decoder, state, B, steps, 1, -1);
    const end = free[2];
    const expected = decodeTokens(decoder, state, B, steps, 1, end);
    const result = await model.generate({ data: source, shape: [B, Ts] }, { maxLength: steps, startToken: 1, endToken: end, strategy });
    expect(Array.from(result.data)).toEqual(Array.from(expected));
    expect(Array.from(expected)).toContain(end);
    await expect(model.generate({ data: source, shape: [B, Ts] }, { maxLength: 3, startToken: V })).rejects.toThrow(/startToken 8 is out of range \[0, 8\)/);
  });

  it('closed-loop generation of a SequenceModel equals the reference (seed 004 style)', async () => {
    const [B, T, steps, U] = [3, 10, 15, 12];
    for (const cell of ['simple_rnn', 'lstm', 'gru'] as CellType[]) {
      const model = new SequenceModel(env.ctx, { inputSize: 1, layers: [{ cell, units: U }], head: { units: 1 }, seed: 4 });
      models.push(model);
      const rng = mulberry32(13);
      const prime = uniformArray(B * T, 1, rng);
      const result = await model.generate({ data: prime, shape: [B, T, 1] }, { steps, strategy });
      const w = (await model.getWeights()).map(f64);
      const stack: CellWeights = { cell, kernel: w[0], recurrentKernel: w[1], bias: w[2] };
      const primed = runCell(stack, prime, B, T);
      const head = { kernel: w[3], bias: w[4] };
      // First prediction from the primed state, then feed back.
      const first = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        let s = head.bias[0];
        for (let k = 0; k < U; k++) s += primed.state[0][b * U + k] * head.kernel[k];
        first[b] = s;
      }
      const rest = decodeNumbers({ cell: stack, head }, primed.state, B, steps - 1, 1, first);
      const expected = new Float64Array(B * steps);
      for (let b = 0; b < B; b++) {
        expected[b * steps] = first[b];
        for (let s = 1; s < steps; s++) expected[b * steps + s] = rest[b * (steps - 1) + s - 1];
      }
      expectClose(result.data, expected, tolerance(steps), `${cell} closed loop`);
    }
  });

  it('refuses what it cannot decode', async () => {
    const model = new SequenceModel(env.ctx, { inputSize: 2, layers: [{ units: 4 }], head: { units: 1 } });
    models.push(model);
    await expect(model.generate({ data: new Float32Array(6), shape: [1, 3, 2] }, { steps: 2 })).rejects.toThrow(ShapeError);
    const s2s = new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers: [{ units: 4 }] }, decoder: { inputSize: 1, layers: [{ units: 4 }] }, head: { units: 1 } });
    models.push(s2s);
    await expect(s2s.predict({ data: new Float32Array(3), shape: [1, 3, 1] }, { steps: 0 })).rejects.toThrow(/positive integer/);
    await expect(s2s.generate({ data: new Float32Array(3), shape: [1, 3, 1] }, { maxLength: 2, startToken: 0 })).rejects.toThrow(/use predict/);
  });
});

describe("closed-loop generation re-reading a sliding window (SequenceModel.generate, mode 'window')", () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: SequenceModel[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  // Odd sizes; two-layer stacks; two features fed back. Each prediction is a T-step pass from a zero
  // state whose window holds up to T earlier predictions, so rounding compounds over steps + T cell steps:
  // the per-step allowance of the decoding tests above, times steps + T.
  const cases: { cell: CellType; units: number[]; B: number; T: number; F: number; steps: number }[] = [
    { cell: 'lstm', units: [9], B: 3, T: 7, F: 1, steps: 11 },
    { cell: 'simple_rnn', units: [13], B: 5, T: 5, F: 1, steps: 9 },
    { cell: 'lstm', units: [6, 11], B: 2, T: 6, F: 2, steps: 8 },
    { cell: 'simple_rnn', units: [7, 5], B: 3, T: 4, F: 2, steps: 10 },
    { cell: 'gru', units: [10], B: 4, T: 6, F: 1, steps: 9 },
    { cell: 'gru', units: [5, 8], B: 2, T: 5, F: 2, steps: 7 },
  ];
  for (const { cell, units, B, T, F, steps } of cases) {
    it(`${cell} ${units.join('+')} units, batch ${B}, window ${T}, ${F} feature(s), ${steps} steps: equals seed 004's loop, one submit and one readback`, async () => {
      const model = new SequenceModel(env.ctx, { inputSize: F, layers: units.map((u) => ({ cell, units: u })), head: { units: F }, seed: 6 });
      models.push(model);
      const rng = mulberry32(21);
      const weights = await model.getWeights();
      for (let l = 0; l < units.length; l++) weights[l * 3 + 2] = Float32Array.from(uniformArray(weights[l * 3 + 2].length, 0.3, rng));
      model.setWeights(weights);
      const prime = uniformArray(B * T * F, 1, rng);

      const before = env.ctx.stats();
      const result = await model.generate({ data: prime, shape: [B, T, F] }, { steps, mode: 'window' });
      const after = env.ctx.stats();
      expect(after.submits - before.submits).toBe(1);
      expect(after.readbacks - before.readbacks).toBe(1);
      expect(result.shape).toEqual([B, steps, F]);

      const w = weights.map(f64);
      expect(w).toHaveLength(units.length * 3 + 2);
      const stack: CellWeights[] = units.map((_, l) => ({ cell, kernel: w[l * 3], recurrentKernel: w[l * 3 + 1], bias: w[l * 3 + 2] }));
      const expected = windowLoop(stack, { kernel: w[units.length * 3], bias: w[units.length * 3 + 1] }, prime, B, T, F, steps);
      expectClose(result.data, expected, tolerance(steps + T), 'window loop');

      // Not the state-carrying loop: the two modes must differ on these weights.
      const carried = await model.generate({ data: prime, shape: [B, T, F] }, { steps });
      expect(Math.max(...carried.data.map((v, i) => Math.abs(v - result.data[i])))).toBeGreaterThan(1e-3);
    });
  }

  it('matches one generate call per step, each on the window it would see (how the CLI measured it before)', async () => {
    const [B, T, steps] = [2, 8, 6];
    const model = new SequenceModel(env.ctx, { inputSize: 1, layers: [{ units: 10 }], head: { units: 1 }, seed: 2 });
    models.push(model);
    const prime = uniformArray(B * T, 1, mulberry32(3));
    const { data } = await model.generate({ data: prime, shape: [B, T, 1] }, { steps, mode: 'window' });
    const values = Array.from({ length: B }, (_, b) => Array.from(prime.subarray(b * T, (b + 1) * T)));
    for (let s = 0; s < steps; s++) {
      const window = Float32Array.from(values.flatMap((v) => v.slice(v.length - T)));
      const next = await model.generate({ data: window, shape: [B, T, 1] }, { steps: 1 });
      values.forEach((v, b) => v.push(next.data[b]));
    }
    const stepwise = Float32Array.from({ length: B * steps }, (_, i) => values[Math.floor(i / steps)][T + (i % steps)]);
    expectClose(data, stepwise, tolerance(steps + T), 'one call against a call per step');
  });

  it('refuses what it cannot run', async () => {
    const model = new SequenceModel(env.ctx, { inputSize: 1, layers: [{ units: 4 }], head: { units: 1 } });
    models.push(model);
    const prime = { data: new Float32Array(3), shape: [1, 3, 1] as [number, number, number] };
    await expect(model.generate(prime, { steps: 2, mode: 'window', strategy: 'loop' })).rejects.toThrow(/strategy 'loop'.*mode 'window'/);
    await expect(model.generate(prime, { steps: 2, mode: 'sliding' as 'window' })).rejects.toThrow(/mode must be 'continue' or 'window', got 'sliding'/);
    await expect(model.generate(prime, { steps: 0, mode: 'window' })).rejects.toThrow(/positive integer/);
  });

  it('releases everything it allocated when the model is disposed', async () => {
    const live = env.ctx.liveBuffers;
    const model = new SequenceModel(env.ctx, { inputSize: 1, layers: [{ units: 5 }, { cell: 'simple_rnn', units: 3 }], head: { units: 1 } });
    const withModel = env.ctx.liveBuffers;
    // Ten million output slots are over the device's buffer size: a LimitError, and the window plan's
    // buffers made before it are released.
    await expect(model.generate({ data: new Float32Array(8), shape: [2, 4, 1] }, { steps: 10_000_000, mode: 'window' })).rejects.toThrow(LimitError);
    expect(env.ctx.liveBuffers).toBe(withModel);
    await model.generate({ data: new Float32Array(8), shape: [2, 4, 1] }, { steps: 3, mode: 'window' });
    expect(env.ctx.liveBuffers).toBeGreaterThan(withModel);
    model.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
  });

  it('a seq2seq decode plan that cannot be built (numbers, tokens) releases what it made before failing', async () => {
    const numbers = new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers: [{ units: 6 }] }, decoder: { inputSize: 1, layers: [{ units: 6 }] }, head: { units: 1 } });
    const tokens = new Seq2Seq(env.ctx, {
      encoder: { vocabSize: 7, embeddingDim: 3, layers: [{ units: 5 }] }, decoder: { vocabSize: 7, embeddingDim: 3, layers: [{ units: 5 }] },
      head: { units: 7, activation: 'softmax' },
    });
    try {
      const live = env.ctx.liveBuffers;
      // A billion steps of output are over any device's buffer size, in either strategy.
      for (const strategy of ['loop', 'step'] as const) {
        await expect(numbers.predict({ data: new Float32Array(4), shape: [2, 2, 1] }, { steps: 1e9, strategy })).rejects.toThrow(LimitError);
        await expect(tokens.generate([[1, 2], [3, 4]], { maxLength: 1e9, startToken: 0, strategy })).rejects.toThrow(LimitError);
        expect(env.ctx.liveBuffers, strategy).toBe(live);
      }
    } finally {
      numbers.dispose();
      tokens.dispose();
    }
  });
});

