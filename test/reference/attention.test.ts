// The float64 attention reference's gradients against finite differences (gradcheck.ts: rel err <=
// 1e-6), on odd sizes: dot and concat scores, with and without a key, learned c / a / w, masks of query
// and value steps, causal; and its forward against values worked by hand.

import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionSpec, type AttentionTensors } from './attention.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';

describe('attention reference', () => {
  it('one query over two values: softmax of the dot products, masks and causality', () => {
    const s: AttentionSpec = { batch: 1, querySteps: 1, valueSteps: 2, dim: 1, valueDim: 1, score: 'dot' };
    const t: AttentionTensors = { query: Float64Array.of(2), value: Float64Array.of(1, 3) };
    const w1 = Math.exp(2) / (Math.exp(2) + Math.exp(6));
    expect(attentionForward(s, t).out[0]).toBeCloseTo(w1 * 1 + (1 - w1) * 3, 12);
    expect(attentionForward(s, { ...t, valueMask: Float64Array.of(1, 0) }).out[0]).toBeCloseTo(1, 12);
    expect(attentionForward(s, { ...t, queryMask: Float64Array.of(0) }).out[0]).toBe(0);
    expect(attentionForward({ ...s, causal: true }, t).out[0]).toBeCloseTo(1, 12);
    // concat: scores c sum_d w tanh(a (q + k)).
    const concat = attentionForward({ ...s, score: 'concat' }, { ...t, c: 2, a: 0.5, w: Float64Array.of(3) });
    const [s1, s2] = [2 * 3 * Math.tanh(0.5 * 3), 2 * 3 * Math.tanh(0.5 * 5)];
    const p1 = Math.exp(s1) / (Math.exp(s1) + Math.exp(s2));
    expect(concat.out[0]).toBeCloseTo(p1 * 1 + (1 - p1) * 3, 12);
  });

  const CASES: (AttentionSpec & { key?: boolean; learned: ('c' | 'a' | 'w')[]; masks?: boolean })[] = [
    { batch: 2, querySteps: 3, valueSteps: 5, dim: 3, valueDim: 3, score: 'dot', learned: [] },
    { batch: 3, querySteps: 4, valueSteps: 3, dim: 2, valueDim: 5, score: 'dot', key: true, learned: ['c'], masks: true },
    { batch: 2, querySteps: 5, valueSteps: 5, dim: 3, valueDim: 3, score: 'dot', learned: ['c'], causal: true },
    { batch: 2, querySteps: 3, valueSteps: 4, dim: 3, valueDim: 3, score: 'concat', learned: ['c', 'a'], masks: true },
    { batch: 1, querySteps: 2, valueSteps: 3, dim: 4, valueDim: 2, score: 'concat', key: true, learned: ['w'] },
  ];
  for (const c of CASES) {
    it(`gradients by finite differences: ${JSON.stringify(c)}`, () => {
      const rng = mulberry32(c.batch * 100 + c.querySteps * 10 + c.valueSteps);
      const { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E } = c;
      const t: AttentionTensors = {
        query: uniformArray(Tq * B * D, 1, rng), value: uniformArray(Tv * B * E, 1, rng),
        ...(c.key ? { key: uniformArray(Tv * B * D, 1, rng) } : {}),
        ...(c.masks ? { queryMask: Float64Array.from({ length: Tq * B }, (_, n) => (n === 1 ? 0 : 1)), valueMask: Float64Array.from({ length: Tv * B }, (_, n) => (n === B ? 0 : 1)) } : {}),
        ...(c.learned.includes('c') ? { c: 1.3 } : {}), ...(c.learned.includes('a') ? { a: 0.7 } : {}),
        ...(c.learned.includes('w') ? { w: uniformArray(D, 1, rng) } : {}),
      };
      const r = uniformArray(Tq * B * E, 1, rng);
      const loss = () => dot(attentionForward(c, t).out, r);
      const g = attentionBackward(c, t, r);
      expectGradient('dquery', g.dquery, loss, t.query);
      expectGradient('dvalue', g.dvalue, loss, t.value);
      if (t.key) expectGradient('dkey', g.dkey!, loss, t.key);
      const scalar = (name: 'c' | 'a', analytic: number) => {
        const box = Float64Array.of(t[name]!);
        expectGradient(`d${name}`, Float64Array.of(analytic), () => {
          t[name] = box[0];
          return loss();
        }, box);
        t[name] = box[0]; // the last call left the perturbed value
      };
      if (t.c !== undefined) scalar('c', g.dc);
      if (t.a !== undefined) scalar('a', g.da);
      if (t.w) expectGradient('dw', g.dw, loss, t.w);
    });
  }
});
