// The float64 sampler (sampling.ts) on cases worked by hand.

import { describe, expect, it } from 'vitest';
import { sampleToken, samplingDistribution } from './sampling.js';

describe('reference sampler', () => {
  const logits = [Math.log(1), Math.log(4), Math.log(2), Math.log(2), Math.log(1)]; // probabilities 0.1, 0.4, 0.2, 0.2, 0.1
  const close = (a: Float64Array, b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));

  it('temperature 1 is the softmax; other temperatures are softmax(l / t)', () => {
    close(samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1 }), [0.1, 0.4, 0.2, 0.2, 0.1]);
    // t = 0.5 squares the weights: 1, 16, 4, 4, 1 over 26.
    close(samplingDistribution(logits, { temperature: 0.5, topK: 0, topP: 1 }), [1 / 26, 16 / 26, 4 / 26, 4 / 26, 1 / 26]);
  });

  it('top-k keeps the k most probable, ties by the lower id; top-p the smallest set reaching p', () => {
    close(samplingDistribution(logits, { temperature: 1, topK: 2, topP: 1 }), [0, 0.4 / 0.6, 0.2 / 0.6, 0, 0]);
    // 0.4 < 0.5, 0.4 + 0.2 >= 0.5: ids 1 and 2 (2 before 3 on the tie).
    close(samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.5 }), [0, 0.4 / 0.6, 0.2 / 0.6, 0, 0]);
    close(samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.3 }), [0, 1, 0, 0, 0]);
    // top-p over the renormalized top-3 (0.4, 0.2, 0.2 of 0.8): 0.5, then 0.75 >= 0.7.
    close(samplingDistribution(logits, { temperature: 1, topK: 3, topP: 0.7 }), [0, 0.4 / 0.6, 0.2 / 0.6, 0, 0]);
  });

  it('u picks by the running sums in id order', () => {
    const all = { temperature: 1, topK: 0, topP: 1 };
    expect(sampleToken(logits, all, 0).token).toBe(0);
    expect(sampleToken(logits, all, 0.45).token).toBe(1);
    expect(sampleToken(logits, all, 0.55).token).toBe(2);
    expect(sampleToken(logits, all, 0.95).token).toBe(4);
    expect(sampleToken(logits, all, 0.45).margin).toBeCloseTo(0.05, 12);
  });
});
