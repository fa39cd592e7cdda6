// The beam search kernels (shaders/beam.wgsl) one at a time, on odd sizes, against the float64
// reference step (test/reference/beam-search.ts selectBeams) and plain host loops: the selection with
// live, finished and empty beams mixed (choices exactly, scores within 1e-5: one f32 log-softmax over
// values of magnitude <= 10; a question whose deciding key gap is under 1e-4 is left out), the gather of
// state rows, and the backtrack through parents (exactly).

import { beforeAll, describe, expect, it } from 'vitest';
import { BEAM_BYTES, Plan, backtrackStep, beamSelectStep, gatherRowsStep, type BeamShape } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { selectBeams, type ReferenceBeam } from '../reference/beam-search.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

const ALIVE = 0;
const FINISHED = 1;
const EMPTY = 2;

describe('beam search kernels', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  const shapeOf = (questions: number, width: number, vocab: number, steps: number, slotStride: number, endToken = 3, lengthPenalty = 0.7): BeamShape => (
    { questions, width, vocab, steps, endToken, lengthPenalty, slotStride }
  );

  it('beam_select keeps each question\'s K best candidates of live, finished and empty beams', async () => {
    const [Q, K, V, T, step] = [23, 5, 19, 4, 2];
    const B = Q * K;
    const stride = B + 3;
    const shape = shapeOf(Q, K, V, T, stride);
    const rng = mulberry32(5);
    const logits = Float32Array.from(uniformArray(B * V, 4, rng));
    const status = Int32Array.from({ length: B }, () => { const u = rng(); return u < 0.6 ? ALIVE : u < 0.85 ? FINISHED : EMPTY; });
    status[0] = ALIVE; // question 0: at least one live beam
    for (let k = 0; k < K; k++) status[K + k] = k < 2 ? FINISHED : EMPTY; // question 1: two candidates for five beams
    const scores = Float32Array.from({ length: B }, () => -10 * rng());
    const lengths = Int32Array.from({ length: B }, () => 1 + Math.floor(6 * rng()));
    const beamWords = new Uint32Array(B * 4);
    const beamFloats = new Float32Array(beamWords.buffer);
    for (let r = 0; r < B; r++) [beamFloats[r * 4], beamWords[r * 4 + 1], beamWords[r * 4 + 2]] = [scores[r], lengths[r], status[r]];

    const { ctx, registry } = env;
    const made = [
      ctx.createStorageBuffer('test.logits', B * V * 4, logits),
      ctx.createStorageBuffer('test.beams', B * BEAM_BYTES, beamWords),
      ctx.createStorageBuffer('test.parents', T * B * 4, new Uint32Array(T * B).fill(0xdead)),
      ctx.createStorageBuffer('test.tokens', (T + 1) * stride * 4, new Int32Array((T + 1) * stride).fill(-7)),
    ];
    const [logitsBuffer, beams, parents, tokens] = made;
    try {
      Plan.runOnce(ctx, 'select', [await beamSelectStep(registry, 'select', shape, step, { logits: logitsBuffer, beams, parents, tokens })]);
      const outBeams = new Uint32Array(await ctx.read(beams, B * BEAM_BYTES));
      const outScores = new Float32Array(outBeams.buffer);
      const outParents = new Uint32Array(await ctx.read(parents, T * B * 4));
      const outTokens = new Int32Array(await ctx.read(tokens, (T + 1) * stride * 4));
      let decided = 0;
      for (let q = 0; q < Q; q++) {
        const here: (ReferenceBeam | null)[] = Array.from({ length: K }, (_, k) => {
          const r = q * K + k;
          return status[r] === EMPTY ? null : { score: scores[r], length: lengths[r], finished: status[r] === FINISHED };
        });
        const { choices, margin } = selectBeams(here, (k) => logits.subarray((q * K + k) * V, (q * K + k + 1) * V), { ...shape, width: K, maxLength: T });
        if (margin < 1e-4) continue;
        decided++;
        for (let j = 0; j < K; j++) {
          const r = q * K + j;
          const where = `question ${q} beam ${j}`;
          if (j >= choices.length) {
            expect([outBeams[r * 4 + 2], outParents[step * B + r], outTokens[(step + 1) * stride + r]], where).toEqual([EMPTY, r, 0]);
            continue;
          }
          const c = choices[j];
          expect([outParents[step * B + r], outTokens[(step + 1) * stride + r], outBeams[r * 4 + 1], outBeams[r * 4 + 2]], where)
            .toEqual([q * K + c.parent, c.token, c.length, c.finished ? FINISHED : ALIVE]);
          expect(Math.abs(outScores[r * 4] - c.score), where).toBeLessThan(1e-5);
        }
      }
      expect(decided).toBeGreaterThanOrEqual(Q - 3);
      // Only step `step`'s parents and slot step + 1 were written.
      expect(outParents.subarray(0, step * B).every((p) => p === 0xdead)).toBe(true);
      expect(outTokens.subarray(0, (step + 1) * stride).every((t) => t === -7)).toBe(true);
      expect(outTokens.subarray((step + 1) * stride + B).every((t) => t === -7)).toBe(true);
    } finally {
      made.forEach((b) => ctx.destroyBuffer(b));
    }
  });

  it('gather_rows moves whole state rows after their sources, from any number of rows', async () => {
    const { ctx, registry } = env;
    for (const [Q, K, rowsIn, S, U, step] of [[7, 3, 7, 2, 5, 1], [4, 5, 20, 1, 13, 0]]) {
      const B = Q * K;
      const rng = mulberry32(B);
      const input = Float32Array.from(uniformArray(S * rowsIn * U, 1, rng));
      const sources = Uint32Array.from(randomInts((step + 1) * B, rowsIn, rng));
      const made = [
        ctx.createStorageBuffer('test.in', input.byteLength, input),
        ctx.createStorageBuffer('test.out', S * B * U * 4),
        ctx.createStorageBuffer('test.sources', sources.byteLength, sources),
      ];
      try {
        Plan.runOnce(ctx, 'gather', [await gatherRowsStep(registry, 'gather', shapeOf(Q, K, 2, 1, B), step, { states: S, rowsIn, units: U },
          { state_in: made[0], state_out: made[1], sources: made[2] })]);
        const out = new Float32Array(await ctx.read(made[1], S * B * U * 4));
        const expected = new Float32Array(S * B * U);
        for (let s = 0; s < S; s++) for (let r = 0; r < B; r++) for (let u = 0; u < U; u++) {
          expected[(s * B + r) * U + u] = input[(s * rowsIn + sources[step * B + r]) * U + u];
        }
        expect(Array.from(out)).toEqual(Array.from(expected));
      } finally {
        made.forEach((b) => ctx.destroyBuffer(b));
      }
    }
  });

  it('backtrack reads every beam\'s tokens back through its parents, then its score, length and status', async () => {
    const { ctx, registry } = env;
    const [Q, K, T] = [9, 3, 7];
    const B = Q * K;
    const stride = B + 5;
    const rng = mulberry32(9);
    const parents = Uint32Array.from(randomInts(T * B, B, rng));
    const tokens = Int32Array.from(randomInts((T + 1) * stride, 40, rng));
    const beamWords = Uint32Array.from(randomInts(B * 4, 1000, rng));
    const made = [
      ctx.createStorageBuffer('test.beams', B * BEAM_BYTES, beamWords),
      ctx.createStorageBuffer('test.parents', parents.byteLength, parents),
      ctx.createStorageBuffer('test.tokens', tokens.byteLength, tokens),
      ctx.createStorageBuffer('test.result', (B * T + 3 * B) * 4),
    ];
    try {
      Plan.runOnce(ctx, 'backtrack', [await backtrackStep(registry, 'backtrack', shapeOf(Q, K, 40, T, stride), { beams: made[0], parents: made[1], tokens: made[2], result: made[3] })]);
      const out = new Uint32Array(await ctx.read(made[3], (B * T + 3 * B) * 4));
      for (let r = 0; r < B; r++) {
        let row = r;
        const walk = new Array<number>(T);
        for (let t = T - 1; t >= 0; t--) {
          walk[t] = tokens[(t + 1) * stride + row];
          row = parents[t * B + row];
        }
        expect(Array.from(out.subarray(r * T, (r + 1) * T)), `row ${r}`).toEqual(walk);
        expect([out[B * T + r], out[B * T + B + r], out[B * T + 2 * B + r]]).toEqual([beamWords[r * 4], beamWords[r * 4 + 1], beamWords[r * 4 + 2]]);
      }
    } finally {
      made.forEach((b) => ctx.destroyBuffer(b));
    }
  });
});
