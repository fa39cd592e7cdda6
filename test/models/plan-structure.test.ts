// What the scheduler makes of a graph: the seeds' models and the same models written as functional Keras
// graphs make the same training step (the same dispatches), a step of any graph is one submit with no
// GPU object made, and the seed models' steps stay at their dispatch counts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, Model, Seq2Seq, type SymbolicTensor } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

/** The seed 000 / 002 models: dispatches of one training step (Adam, mse), as measured when the scheduler moved to src/plan. */
const SEED_DISPATCHES = { lstm: 17, simple_rnn: 17 };

function sequences(count: number, steps: number, features: number, seed: number) {
  return { data: Float32Array.from(uniformArray(count * steps * features, 1, mulberry32(seed))), shape: [count, steps, features] as [number, number, number] };
}

describe('training plans of graphs', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: { dispose(): void }[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const [cell, units] of [['lstm', 75], ['simple_rnn', 10]] as const) {
    it(`seed model (${cell} ${units}): the Seq2Seq and the functional Keras graph make the same step, ${SEED_DISPATCHES[cell]} dispatches`, async () => {
      const seq2seq = new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers: [{ cell, units }] }, decoder: { inputSize: 1, layers: [{ cell, units }] }, head: { units: 1 } });
      const source = layers.input({ shape: [null, 1] });
      const target = layers.input({ shape: [null, 1] });
      const rnn = (options: { returnState?: boolean; returnSequences?: boolean }) => (cell === 'lstm' ? layers.lstm({ units, ...options }) : layers.simpleRNN({ units, ...options }));
      const [, ...states] = rnn({ returnState: true }).apply(source) as SymbolicTensor[];
      const sequence = rnn({ returnSequences: true }).apply(target, { initialState: states }) as SymbolicTensor;
      const functional = new Model(env.ctx, { inputs: [source, target], outputs: layers.dense({ units: 1 }).apply(sequence) as SymbolicTensor });
      models.push(seq2seq, functional);
      const x = [sequences(10, 24, 1, 1), sequences(10, 24, 1, 2)];
      const y = sequences(10, 24, 1, 3);
      for (const m of [seq2seq, functional]) m.compile({ loss: 'mse', optimizer: 'adam' });
      const counts = [await seq2seq.trainingPlanInfo(x, y), await functional.trainingPlanInfo(x, y)].map((i) => i.dispatches);
      expect(counts).toEqual([SEED_DISPATCHES[cell], SEED_DISPATCHES[cell]]);
    });
  }

  it('a step of a graph with shared layers, merges and states is one submit and makes no GPU object', async () => {
    const x = layers.input({ shape: [null, 3] });
    const [out, h, c] = layers.lstm({ units: 5, returnState: true }).apply(x) as SymbolicTensor[];
    const shared = layers.dense({ units: 4, activation: 'tanh' });
    const merged = layers.concatenate().apply([shared.apply(out) as SymbolicTensor, shared.apply(h) as SymbolicTensor, c]) as SymbolicTensor;
    const model = new Model(env.ctx, { inputs: x, outputs: layers.dense({ units: 2 }).apply(merged) as SymbolicTensor });
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const xs = sequences(7, 5, 3, 4);
    const ys = { data: new Float32Array(14), shape: [7, 2] };
    await model.trainOnBatch(xs, ys);
    const before = env.ctx.stats();
    for (let i = 0; i < 20; i++) await model.trainOnBatch(xs, ys);
    const after = env.ctx.stats();
    expect(after.submits - before.submits).toBe(20);
    expect(after.buffersCreated).toBe(before.buffersCreated);
    expect(after.bindGroupsCreated).toBe(before.bindGroupsCreated);
    expect(after.readbacks).toBe(before.readbacks);
    expect(Number.isFinite(await model.readLoss())).toBe(true);
  });
});
