import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';

const VOCAB = 11;
const DIM = 5;

describe('embedding', () => {
  it('looks rows up by id: [B, T] -> [B, T, dim]', () => {
    const table = Float64Array.from({ length: VOCAB * DIM }, (_, i) => i);
    const out = embeddingForward(table, VOCAB, new Int32Array([3, 0, 10]));
    expect(Array.from(out)).toEqual([15, 16, 17, 18, 19, 0, 1, 2, 3, 4, 50, 51, 52, 53, 54]);
  });

  it('table gradient matches finite differences, repeated ids accumulate (rel err <= 1e-6)', () => {
    const rng = mulberry32(31);
    const table = uniformArray(VOCAB * DIM, 1, rng);
    // B = 3, T = 4; id 2 appears three times, some ids never (their gradient rows must be 0).
    const ids = new Int32Array([2, 5, 2, 9, 0, 10, 2, 7, 5, 1, 3, 4]);
    const r = uniformArray(ids.length * DIM, 1, rng);
    const loss = () => dot(embeddingForward(table, VOCAB, ids), r);
    const dTable = embeddingBackward(VOCAB, DIM, ids, r);
    expectGradient('dTable', dTable, loss, table);
    // Row 6 is never used.
    expect(Array.from(dTable.subarray(6 * DIM, 7 * DIM))).toEqual([0, 0, 0, 0, 0]);
    // Row 2 is the sum of the three rows of r that looked it up (positions 0, 2, 6).
    for (let k = 0; k < DIM; k++) expect(dTable[2 * DIM + k]).toBeCloseTo(r[k] + r[2 * DIM + k] + r[6 * DIM + k], 15);
  });

  it('throws on ids out of range', () => {
    const table = new Float64Array(VOCAB * DIM);
    expect(() => embeddingForward(table, VOCAB, new Int32Array([0, VOCAB]))).toThrow(RangeError);
    expect(() => embeddingForward(table, VOCAB, new Int32Array([-1]))).toThrow(RangeError);
    expect(() => embeddingBackward(VOCAB, DIM, new Int32Array([VOCAB]), new Float64Array(DIM))).toThrow(RangeError);
  });
});
