// Seq2Seq.generate({ beamWidth }): beam search on the GPU (one submit, one readback) against the plain
// float64 beam search of test/reference/beam-search.ts over the same model's next-token logits, each
// prefix recomputed from the start (so the GPU's reordering of states is checked, not shared).
// Hypotheses must be the same tokens and lengths, scores within 1e-4 (float32 log-softmax sums over <= 7
// steps are off by ~1e-6); a question whose deciding key gap in the reference is under 1e-4 cannot be
// decided in float32 and is left out, and at least 3 in 4 must be decided.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq, ShapeError } from '../../src/index.js';
import type { CellType } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { beamSearchReference } from '../reference/beam-search.js';
import { runCell } from '../reference/decode.js';
import { denseForward } from '../reference/dense.js';
import { embeddingForward } from '../reference/embedding.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

const SCORE_TOLERANCE = 1e-4;
const MARGIN = 1e-4;

interface Case { cell: CellType; V: number; K: number; layers: number; end: number; alpha: number; seed: number }

describe('beam search', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: Seq2Seq[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  const [Q, Ts, E, U, T, START] = [5, 4, 3, 6, 6, 1];

  /** A random model, its weights as float32 and float64, and the reference's next-logits function per question. */
  async function build(c: Case, tweak?: (w: Float32Array[]) => void) {
    const layers = Array.from({ length: c.layers }, (_, i) => ({ cell: c.cell, units: U - i }));
    const model = new Seq2Seq(env.ctx, {
      encoder: { vocabSize: c.V, embeddingDim: E, layers },
      decoder: { vocabSize: c.V, embeddingDim: E, layers },
      head: { units: c.V, activation: 'softmax' },
      seed: c.seed,
    });
    models.push(model);
    const rng = mulberry32(c.seed);
    const weights = (await model.getWeights()).map((w) => Float32Array.from(uniformArray(w.length, 1.2, rng)));
    const headBias = weights[weights.length - 1];
    if (c.end >= 0) headBias[c.end] += 1; // make ending likely enough to happen
    tweak?.(weights);
    model.setWeights(weights);
    const w = weights.map((x) => Float64Array.from(x));
    const n = c.layers;
    const encoderLayers = Array.from({ length: n }, (_, i) => ({ cell: c.cell, kernel: w[1 + 3 * i], recurrentKernel: w[2 + 3 * i], bias: w[3 + 3 * i] }));
    const decoderTable = w[1 + 3 * n];
    const decoderLayers = Array.from({ length: n }, (_, i) => ({ cell: c.cell, kernel: w[2 + 3 * n + 3 * i], recurrentKernel: w[3 + 3 * n + 3 * i], bias: w[4 + 3 * n + 3 * i] }));
    const head = { kernel: w[2 + 6 * n], bias: w[3 + 6 * n] };
    const source = Int32Array.from(randomInts(Q * Ts, c.V, rng));
    const nextLogits = (q: number) => {
      let x = embeddingForward(w[0], c.V, source.subarray(q * Ts, (q + 1) * Ts));
      const states = encoderLayers.map((layer) => {
        const r = runCell(layer, x, 1, Ts);
        x = r.sequence;
        return r.state;
      });
      return (prefix: readonly number[]) => {
        const steps = prefix.length + 1;
        let y = embeddingForward(decoderTable, c.V, Int32Array.from([START, ...prefix]));
        decoderLayers.forEach((layer, i) => {
          y = runCell(layer, y, 1, steps, states[i]).sequence;
        });
        const last = y.subarray((steps - 1) * (U - n + 1), steps * (U - n + 1));
        return denseForward(head, last, 1, 'linear').output;
      };
    };
    return { model, source: { data: source, shape: [Q, Ts] as [number, number] }, nextLogits };
  }

  async function compare(c: Case, tweak?: (w: Float32Array[]) => void) {
    const { model, source, nextLogits } = await build(c, tweak);
    const before = env.ctx.stats();
    const out = await model.generate(source, { maxLength: T, startToken: START, endToken: c.end, beamWidth: c.K, lengthPenalty: c.alpha });
    const after = env.ctx.stats();
    expect(after.submits - before.submits, 'one submit').toBe(1);
    expect(after.readbacks - before.readbacks, 'one readback').toBe(1);
    const beams = out.beams!;
    expect(beams.shape).toEqual([Q, c.K, T]);
    let decided = 0;
    const references = [];
    for (let q = 0; q < Q; q++) {
      const ref = beamSearchReference(nextLogits(q), { width: c.K, vocab: c.V, maxLength: T, endToken: c.end, lengthPenalty: c.alpha });
      references.push(ref);
      if (ref.margin < MARGIN) continue;
      decided++;
      for (let k = 0; k < c.K; k++) {
        const row = q * c.K + k;
        const where = `${JSON.stringify(c)} question ${q} beam ${k}`;
        if (k >= ref.beams.length) {
          expect(beams.scores[row], where).toBe(-Infinity);
          continue;
        }
        const hypothesis = ref.beams[k];
        expect(Array.from(beams.data.subarray(row * T, (row + 1) * T)), where).toEqual(hypothesis.tokens);
        expect(beams.lengths[row], where).toBe(hypothesis.length);
        expect(Math.abs(beams.scores[row] - hypothesis.score), where).toBeLessThan(SCORE_TOLERANCE);
      }
      expect(Array.from(out.data.subarray(q * T, (q + 1) * T))).toEqual(ref.beams[0].tokens);
    }
    return { decided, references, out };
  }

  const cases: Case[] = [
    { cell: 'lstm', V: 7, K: 1, layers: 1, end: 2, alpha: 0, seed: 1 },
    { cell: 'lstm', V: 7, K: 8, layers: 1, end: 2, alpha: 0, seed: 2 },
    { cell: 'gru', V: 13, K: 3, layers: 1, end: 0, alpha: 0.6, seed: 3 },
    { cell: 'gru', V: 50, K: 5, layers: 2, end: 7, alpha: 0, seed: 4 },
    { cell: 'simple_rnn', V: 29, K: 2, layers: 1, end: -1, alpha: 0, seed: 5 },
    { cell: 'lstm', V: 50, K: 8, layers: 2, end: 3, alpha: 1, seed: 6 },
    { cell: 'lstm', V: 11, K: 4, layers: 1, end: -1, alpha: 0, seed: 7 },
  ];

  it('finds the hypotheses and scores of a float64 beam search (vocabulary 7 to 50, width 1 to 8)', async () => {
    let decided = 0;
    let finished = 0;
    for (const c of cases) {
      const r = await compare(c);
      decided += r.decided;
      finished += r.references.flatMap((ref) => ref.beams).filter((b) => b.finished && b.length < T).length;
    }
    expect(decided, 'questions decided').toBeGreaterThanOrEqual(0.75 * Q * cases.length);
    expect(finished, 'hypotheses that ended early').toBeGreaterThan(10);
  });

  it('ties go the same documented way: the lower beam, then the lower token', async () => {
    // Tokens 4 and 5 are the same token twice (the same embedding row, head column and bias): every
    // hypothesis through 5 ties exactly with its twin through 4, at every step.
    const c: Case = { cell: 'lstm', V: 9, K: 4, layers: 1, end: -1, alpha: 0, seed: 8 };
    const V = c.V;
    const { decided, references } = await compare(c, (w) => {
      const decoderTable = w[4];
      decoderTable.copyWithin(5 * E, 4 * E, 5 * E);
      const kernel = w[w.length - 2];
      for (let u = 0; u < U; u++) kernel[u * V + 5] = kernel[u * V + 4];
      // Both twins likely enough to reach the beams.
      w[w.length - 1][4] += 3;
      w[w.length - 1][5] = w[w.length - 1][4];
    });
    expect(decided).toBeGreaterThanOrEqual(3);
    const tied = references.flatMap((r) => r.beams.slice(1).filter((b, k) => b.score === r.beams[k].score));
    expect(tied.length, 'ties the search had to break').toBeGreaterThan(0);
  });

  it('width 1 is greedy decoding, with and without an end token, for every cell', async () => {
    for (const cell of ['lstm', 'gru', 'simple_rnn'] as const) {
      for (const end of [-1, 2]) {
        const { model, source } = await build({ cell, V: 10, K: 1, layers: 2, end, alpha: 0, seed: 9 });
        const options = { maxLength: 7, startToken: START, endToken: end };
        const greedy = await model.generate(source, { ...options, strategy: 'step' });
        const beam = await model.generate(source, { ...options, beamWidth: 1, lengthPenalty: 0.8 });
        expect(Array.from(beam.data), `${cell} end ${end}`).toEqual(Array.from(greedy.data));
      }
    }
  });

  it('1,000 questions of width 4 in one call, one plan per shape, and refuses what it cannot run', async () => {
    const { model } = await build({ cell: 'gru', V: 12, K: 4, layers: 1, end: 2, alpha: 0, seed: 10 });
    const rng = mulberry32(11);
    const many = { data: Int32Array.from(randomInts(1000 * Ts, 12, rng)), shape: [1000, Ts] as [number, number] };
    const before = env.ctx.stats();
    const out = await model.generate(many, { maxLength: 5, startToken: START, endToken: 2, beamWidth: 4 });
    expect(env.ctx.stats().submits - before.submits).toBe(1);
    expect(out.beams!.shape).toEqual([1000, 4, 5]);
    // Beams come best first: their ranking keys (lengthPenalty 0: the scores) never increase.
    for (let q = 0; q < 1000; q++) for (let k = 1; k < 4; k++) expect(out.beams!.scores[q * 4 + k]).toBeLessThanOrEqual(out.beams!.scores[q * 4 + k - 1]);
    const plans = model.decodePlanDispatches().length;
    await model.generate(many, { maxLength: 5, startToken: START, endToken: 2, beamWidth: 4 });
    expect(model.decodePlanDispatches().length).toBe(plans);

    const small = { data: many.data.subarray(0, 2 * Ts), shape: [2, Ts] as [number, number] };
    const base = { maxLength: 4, startToken: START };
    await expect(model.generate(small, { ...base, beamWidth: 0 })).rejects.toThrow(/beamWidth must be an integer in \[1, 16\], got 0/);
    await expect(model.generate(small, { ...base, beamWidth: 17 })).rejects.toThrow(ShapeError);
    await expect(model.generate(small, { ...base, beamWidth: 2, lengthPenalty: -1 })).rejects.toThrow(/lengthPenalty must be a finite number >= 0/);
    await expect(model.generate(small, { ...base, beamWidth: 2, sampling: { seed: 1 } })).rejects.toThrow(/pass one of them/);
    await expect(model.generate(small, { ...base, beamWidth: 2, strategy: 'loop' })).rejects.toThrow(/strategy 'loop'/);
  });

  it('releases everything it allocated', async () => {
    const live = env.ctx.liveBuffers;
    const { model, source } = await build({ cell: 'lstm', V: 8, K: 3, layers: 2, end: 1, alpha: 0, seed: 12 });
    const withModel = env.ctx.liveBuffers;
    await model.generate(source, { maxLength: 4, startToken: START, beamWidth: 3 });
    expect(env.ctx.liveBuffers).toBeGreaterThan(withModel);
    models.splice(models.indexOf(model), 1);
    model.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
  });
});
