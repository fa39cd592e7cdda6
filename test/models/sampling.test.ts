// Seq2Seq.generate with sampling: tokens drawn on the GPU inside the decode plan (one submit, one
// readback), from a seeded generator, in the one-dispatch loop and the per-step plan alike (the same
// tokens). topK 1 is greedy decoding exactly; the same seed gives the same tokens and another seed
// others; the sampling parameters are written at each run, so one plan serves every seed and setting.
// (The draws themselves: test/kernels/sampling.test.ts.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq, ShapeError } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

describe('sampled generation', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let model: Seq2Seq;
  const [B, Ts, V, E, U, steps] = [6, 4, 11, 3, 7, 8];
  let source: { data: Int32Array; shape: [number, number] };
  beforeAll(async () => {
    env = await gpu();
    model = new Seq2Seq(env.ctx, {
      encoder: { vocabSize: V, embeddingDim: E, layers: [{ cell: 'lstm', units: U }] },
      decoder: { vocabSize: V, embeddingDim: E, layers: [{ cell: 'lstm', units: U }] },
      head: { units: V, activation: 'softmax' },
      seed: 3,
    });
    const rng = mulberry32(4);
    model.setWeights((await model.getWeights()).map((w) => Float32Array.from(uniformArray(w.length, 1, rng))));
    source = { data: Int32Array.from(randomInts(B * Ts, V, rng)), shape: [B, Ts] };
  });
  afterAll(() => model.dispose());

  const generate = (options: Partial<Parameters<Seq2Seq['generate']>[1]> = {}) =>
    model.generate(source, { maxLength: steps, startToken: 1, ...options }).then((r) => Array.from(r.data));

  it('topK 1 is greedy decoding, with and without an end token, in both strategies', async () => {
    for (const endToken of [undefined, 0]) {
      const greedy = await generate({ endToken, strategy: 'step' });
      for (const strategy of ['loop', 'step'] as const) {
        expect(await generate({ endToken, strategy, sampling: { topK: 1, seed: 5 } })).toEqual(greedy);
        expect(await generate({ endToken, strategy, sampling: { topK: 1, temperature: 3, seed: 6 } })).toEqual(greedy);
      }
    }
  });

  it('the one-dispatch loop draws the tokens the per-step plan draws', async () => {
    for (const sampling of [{ seed: 21 }, { seed: 22, temperature: 0.7, topK: 5 }, { seed: 23, topP: 0.8 }]) {
      for (const endToken of [undefined, 2]) {
        const step = await generate({ endToken, strategy: 'step', sampling });
        expect(await generate({ endToken, strategy: 'loop', sampling }), JSON.stringify(sampling)).toEqual(step);
      }
    }
  });

  it('the same seed gives the same tokens, another seed others; one plan serves them all', async () => {
    const first = await generate({ sampling: { seed: 7, temperature: 1.5 } });
    expect(await generate({ sampling: { seed: 7, temperature: 1.5 } })).toEqual(first);
    expect(await generate({ sampling: { seed: 8, temperature: 1.5 } })).not.toEqual(first);
    const plans = model.decodePlanDispatches().length;
    await generate({ sampling: { seed: 9, topP: 0.9, topK: 4 } });
    await generate({ sampling: {} }); // a fresh seed
    expect(model.decodePlanDispatches().length, 'no plan per seed or setting').toBe(plans);
    expect(first.every((t) => Number.isInteger(t) && t >= 0 && t < V)).toBe(true);
  });

  it('refuses bad settings, naming them', async () => {
    await expect(generate({ sampling: { seed: 1, temperature: -1 } })).rejects.toThrow(ShapeError);
    await expect(generate({ sampling: { seed: 1, topP: 2 } })).rejects.toThrow(/generate sampling: topP must be a number in \(0, 1\]/);
  });
});
