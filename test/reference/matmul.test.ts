import { describe, expect, it } from 'vitest';
import { colSum, matmul } from './matmul.js';

// A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[7, 8], [9, 10], [11, 12]] (3x2)
// A B = [[1*7+2*9+3*11, 1*8+2*10+3*12], [4*7+5*9+6*11, 4*8+5*10+6*12]] = [[58, 64], [139, 154]]
const A = new Float64Array([1, 2, 3, 4, 5, 6]);
const Bm = new Float64Array([7, 8, 9, 10, 11, 12]);
const AT = new Float64Array([1, 4, 2, 5, 3, 6]); // A stored transposed, 3x2
const BT = new Float64Array([7, 9, 11, 8, 10, 12]); // B stored transposed, 2x3

describe('matmul', () => {
  it('plain product, hand-computed', () => {
    expect(Array.from(matmul(A, Bm, 2, 3, 2))).toEqual([58, 64, 139, 154]);
  });

  it('transA / transB / both give the same product from transposed storage', () => {
    expect(Array.from(matmul(AT, Bm, 2, 3, 2, { transA: true }))).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(A, BT, 2, 3, 2, { transB: true }))).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(AT, BT, 2, 3, 2, { transA: true, transB: true }))).toEqual([58, 64, 139, 154]);
  });

  it('B A (3x2 by 2x3), hand-computed', () => {
    // row 0: [7*1+8*4, 7*2+8*5, 7*3+8*6] = [39, 54, 69]
    // row 1: [9+40, 18+50, 27+60] = [49, 68, 87]; row 2: [11+48, 22+60, 33+72] = [59, 82, 105]
    expect(Array.from(matmul(Bm, A, 3, 2, 3))).toEqual([39, 54, 69, 49, 68, 87, 59, 82, 105]);
  });

  it('vector cases and shape checks', () => {
    expect(Array.from(matmul(new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6]), 1, 3, 1))).toEqual([32]);
    expect(Array.from(matmul(new Float64Array([1, 2]), new Float64Array([3, 4]), 2, 1, 2))).toEqual([3, 4, 6, 8]);
    expect(() => matmul(A, Bm, 3, 3, 2)).toThrow();
  });
});

describe('colSum', () => {
  it('sums over rows', () => {
    expect(Array.from(colSum(A, 2, 3))).toEqual([5, 7, 9]);
    expect(Array.from(colSum(Bm, 3, 2))).toEqual([27, 30]);
    expect(() => colSum(A, 4, 2)).toThrow();
  });
});
