// The reference beam search on models whose answer is worked out by hand or by exhaustive search.

import { describe, expect, it } from 'vitest';
import { beamSearchReference, logSoftmax, rankingKey } from './beam-search.js';
import { mulberry32 } from './random.js';

describe('reference beam search', () => {
  // A model of fixed next-token distributions by prefix length: the best sequence is found exhaustively.
  const tables = (rng: () => number, V: number, T: number) => Array.from({ length: T }, () => Array.from({ length: V }, () => 3 * rng()));

  it('width V^T finds every sequence, in the order of their total log-probabilities (exhaustive search)', () => {
    const [V, T] = [3, 3];
    const rng = mulberry32(1);
    // Logits depend on the prefix (its last token and its length), so the greedy path is not always best.
    const logits = Array.from({ length: T }, () => Array.from({ length: V }, () => Array.from({ length: V }, () => 4 * rng())));
    const next = (prefix: readonly number[]) => logits[prefix.length][prefix.length ? prefix[prefix.length - 1] : 0];
    const all: { tokens: number[]; score: number }[] = [];
    for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) for (let c = 0; c < V; c++) {
      const tokens = [a, b, c];
      const score = tokens.reduce((s, v, t) => s + logSoftmax(next(tokens.slice(0, t)))[v], 0);
      all.push({ tokens, score });
    }
    all.sort((x, y) => y.score - x.score);
    const { beams } = beamSearchReference(next, { width: V ** T, vocab: V, maxLength: T, endToken: -1, lengthPenalty: 0 });
    expect(beams.map((b) => b.tokens)).toEqual(all.map((x) => x.tokens));
    beams.forEach((b, i) => expect(b.score).toBeCloseTo(all[i].score, 12));
  });

  it('beam search can beat greedy: width 2 finds the better sequence greedy misses', () => {
    // Step 0: token 0 (p .6) or 1 (p .4); after 0 the next step is flat, after 1 it is certain.
    const l = (ps: number[]) => ps.map(Math.log);
    const next = (prefix: readonly number[]) => (prefix.length === 0 ? l([0.6, 0.4]) : prefix[0] === 0 ? l([0.5, 0.5]) : l([0.999, 0.001]));
    const greedy = beamSearchReference(next, { width: 1, vocab: 2, maxLength: 2, endToken: -1, lengthPenalty: 0 });
    const beam = beamSearchReference(next, { width: 2, vocab: 2, maxLength: 2, endToken: -1, lengthPenalty: 0 });
    expect(greedy.beams[0].tokens).toEqual([0, 0]);
    expect(beam.beams[0].tokens).toEqual([1, 0]);
    expect(beam.beams[0].score).toBeCloseTo(Math.log(0.4 * 0.999), 12);
  });

  it('a finished hypothesis keeps its score and length and emits the end token; the length penalty ranks by key', () => {
    const l = (ps: number[]) => ps.map(Math.log);
    // Token 2 ends: likely (.5) at every step; token 0 continues (.4).
    const next = () => l([0.4, 0.1, 0.5]);
    const plain = beamSearchReference(next, { width: 2, vocab: 3, maxLength: 3, endToken: 2, lengthPenalty: 0 });
    expect(plain.beams[0]).toEqual({ tokens: [2, 2, 2], score: Math.log(0.5), length: 1, finished: true });
    expect(plain.beams[1]).toEqual({ tokens: [0, 2, 2], score: Math.log(0.4) + Math.log(0.5), length: 2, finished: true });
    // A strong length penalty divides longer hypotheses' (negative) scores by more: [0, 2] now ranks first.
    const alpha = 6;
    expect(rankingKey(Math.log(0.4) + Math.log(0.5), 2, alpha)).toBeGreaterThan(rankingKey(Math.log(0.5), 1, alpha));
    const long = beamSearchReference(next, { width: 2, vocab: 3, maxLength: 3, endToken: 2, lengthPenalty: alpha });
    expect(long.beams.map((b) => [b.tokens, b.length])).toEqual([[[0, 2, 2], 2], [[2, 2, 2], 1]]);
  });

  it('ties go to the lower beam, then the lower token; fewer candidates than beams leave them out', () => {
    const next = () => [0, 0, 0]; // every token equally likely
    const { beams, margin } = beamSearchReference(next, { width: 4, vocab: 3, maxLength: 2, endToken: -1, lengthPenalty: 0 });
    expect(beams.map((b) => b.tokens)).toEqual([[0, 0], [0, 1], [0, 2], [1, 0]]);
    expect(margin).toBe(Infinity);
    const first = beamSearchReference(next, { width: 4, vocab: 3, maxLength: 1, endToken: -1, lengthPenalty: 0 });
    expect(first.beams.map((b) => b.tokens)).toEqual([[0], [1], [2]]);
  });

  it('reports the smallest deciding gap', () => {
    const rng = mulberry32(3);
    const t = tables(rng, 5, 3);
    const { margin } = beamSearchReference((p) => t[p.length], { width: 2, vocab: 5, maxLength: 3, endToken: -1, lengthPenalty: 0 });
    expect(margin).toBeGreaterThan(0);
    expect(Number.isFinite(margin)).toBe(true);
  });
});
