// Element-wise comparison of GPU results (f32) with the float64 reference: |a - e| <= atol + rtol * |e|
// for every element; on failure the message names the worst element.

import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!Number.isFinite(a) || excess > worstExcess) {
      worst = i;
      worstExcess = Number.isFinite(a) ? excess : Infinity;
      if (!Number.isFinite(a)) break;
    }
  }
  if (process.env.WEBRNN_REPORT_ERRORS) {
    let ratio = 0;
    for (let i = 0; i < expected.length; i++) ratio = Math.max(ratio, Math.abs(actual[i] - expected[i]) / (tol.atol + tol.rtol * Math.abs(expected[i])));
    console.log(`${what}: worst error is ${(ratio * 100).toFixed(1)}% of the tolerance`);
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol}, exceeded by ${worstExcess})`,
    );
  }
}

/** Whether two lists of arrays (a model's weights) are equal bit for bit. */
export function sameBits(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  return a.length === b.length && a.every((w, i) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
}
