// The sampled token choice (shaders/decode.wgsl sample_ids over shaders/common/sampling.wgsl) against the
// float64 sampler (test/reference/sampling.ts) fed the same Philox numbers (test/reference/philox.ts):
// every row's token, on odd sizes, with ties in the logits and finished rows; and the statistics of 10^5
// draws from one row of logits against the distribution they come from.

import { beforeAll, describe, expect, it } from 'vitest';
import { Plan, Tensor, sampleStep, samplingWords, type SamplingOptions } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { philox4x32, seedKey, uniform01 } from '../reference/philox.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { sampleToken, samplingDistribution } from '../reference/sampling.js';

// The Philox stream of token draws (SAMPLING_STREAM in shaders/common/sampling.wgsl: 'SAMP').
const SAMPLING_STREAM = 0x53414d50;
// A row whose u lies within this of a boundary of the running sums may round either way in f32 (the
// GPU sums f32 weights of f32 exps): its token is not compared. Measured: a few rows in a thousand.
const BOUNDARY = 1e-5;
// Statistical checks land within 3 standard deviations of the expectation.
const SIGMAS = 3;
const DRAWS = 100_000;

describe('sampled token choice', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  /** sample_ids over logits [B, V] at output position `position`; rows in `finished` keep emitting `endToken`. */
  async function draw(logits: Float32Array, B: number, V: number, options: SamplingOptions, position: number, endToken = -1, finished?: Uint32Array): Promise<Int32Array> {
    const { ctx, registry } = env;
    const input = Tensor.from(ctx, logits, [B * V]);
    const ids = ctx.createStorageBuffer('test.ids', B * 4);
    const done = ctx.createStorageBuffer('test.finished', B * 4, finished ?? new Uint32Array(B));
    const words = ctx.createStorageBuffer('test.sampling', 20, samplingWords('test', options));
    try {
      Plan.runOnce(ctx, 'sample', [await sampleStep(registry, 'sample', B, V, endToken, position, { logits: input, ids, finished: done, sampling: words })]);
      return new Int32Array(await ctx.read(ids, B * 4));
    } finally {
      input.dispose();
      ctx.destroyBuffer(ids);
      ctx.destroyBuffer(done);
      ctx.destroyBuffer(words);
    }
  }

  const CASES: SamplingOptions[] = [
    { seed: 3 },
    { seed: 2 ** 40 + 7, temperature: 0.6 },
    { seed: 5, temperature: 1.7, topK: 4 },
    { seed: 6, topP: 0.8 },
    { seed: 7, temperature: 0.9, topK: 9, topP: 0.5 },
    { seed: 8, topK: 1 },
  ];
  for (const options of CASES) {
    it(`every row's token is the reference's for the same numbers: ${JSON.stringify(options)}`, async () => {
      const [B, V, position] = [257, 37, 5];
      const rng = mulberry32(options.seed % 1000);
      const logits = Float32Array.from(uniformArray(B * V, 4, rng));
      // Ties: row 1 is constant, row 2 has two equal maxima.
      logits.fill(0.5, V, 2 * V);
      logits[2 * V + 3] = logits[2 * V + 30] = 9;
      const ids = await draw(logits, B, V, options, position);
      const reference = { temperature: options.temperature ?? 1, topK: options.topK ?? 0, topP: options.topP ?? 1 };
      let compared = 0;
      for (let b = 0; b < B; b++) {
        const u = uniform01(philox4x32([b, position, SAMPLING_STREAM, 0], seedKey(options.seed))[0]);
        const row = logits.subarray(b * V, (b + 1) * V);
        const expected = sampleToken(row, reference, u);
        expect(samplingDistribution(row, reference)[ids[b]], `row ${b}: a kept token`).toBeGreaterThan(0);
        if (expected.margin < BOUNDARY) continue;
        compared++;
        expect(ids[b], `row ${b}`).toBe(expected.token);
      }
      expect(compared).toBeGreaterThan(B - 5);
      if (options.topK === 1) expect(ids[2]).toBe(3); // the tie goes to the lower id
    });
  }

  it('finished rows keep emitting the end token; a row emitting it finishes', async () => {
    const [B, V] = [5, 3];
    // Rows 0..3 certain of token 2 (the end token), row 4 finished already.
    const logits = Float32Array.from({ length: B * V }, (_, i) => (i % V === 2 ? 50 : 0));
    const finished = new Uint32Array([0, 0, 0, 0, 1]);
    expect(Array.from(await draw(logits, B, V, { seed: 1 }, 0, 1, finished))).toEqual([2, 2, 2, 2, 1]);
  });

  for (const options of [{ seed: 11 }, { seed: 12, temperature: 0.5, topK: 5, topP: 0.9 }] as SamplingOptions[]) {
    it(`${DRAWS} draws from one row follow its distribution within ${SIGMAS} standard deviations: ${JSON.stringify(options)}`, async () => {
      const V = 9;
      const row = Float32Array.from(uniformArray(V, 1.5, mulberry32(options.seed)));
      const logits = new Float32Array(DRAWS * V);
      for (let b = 0; b < DRAWS; b++) logits.set(row, b * V);
      const ids = await draw(logits, DRAWS, V, options, 0);
      const p = samplingDistribution(row, { temperature: options.temperature ?? 1, topK: options.topK ?? 0, topP: options.topP ?? 1 });
      const counts = new Float64Array(V);
      for (const id of ids) counts[id]++;
      for (let v = 0; v < V; v++) {
        const sd = Math.sqrt(DRAWS * p[v] * (1 - p[v]));
        if (p[v] === 0) expect(counts[v], `token ${v} is cut`).toBe(0);
        else expect(Math.abs(counts[v] - DRAWS * p[v]), `token ${v}: ${counts[v]} of ${DRAWS}, p ${p[v].toFixed(4)}`).toBeLessThanOrEqual(SIGMAS * sd);
      }
    });
  }

  it('a temperature <= 0, a topK or topP out of range, a bad seed: errors naming the option', () => {
    expect(() => samplingWords('g', { seed: 1, temperature: 0 })).toThrow(/g: temperature must be a finite number > 0, got 0/);
    expect(() => samplingWords('g', { seed: 1, temperature: Number.POSITIVE_INFINITY })).toThrow(/temperature/);
    expect(() => samplingWords('g', { seed: 1, topK: 1.5 })).toThrow(/g: topK must be an integer >= 0/);
    expect(() => samplingWords('g', { seed: 1, topP: 0 })).toThrow(/g: topP must be a number in \(0, 1\], got 0/);
    expect(() => samplingWords('g', { seed: 1, topP: 1.2 })).toThrow(/topP/);
    expect(() => samplingWords('g', { seed: 0.5 })).toThrow(/g/);
  });
});
