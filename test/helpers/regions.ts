// Kernel tests write regions at element offsets inside buffers holding other values: the region is
// compared with the reference, and everything around it must come back unchanged.

import { afterAll, beforeAll, expect } from 'vitest';
import { Tensor, type GpuContext, type KernelRegistry } from '../../src/advanced.js';
import { uniformArray } from '../reference/random.js';
import { expectClose, type Tolerance } from './compare.js';
import { gpu } from './gpu.js';

/** Elements around each region, on both sides. */
export const MARGIN = 5;

/** `count` values in [-1, 1) with MARGIN more than `offset + count` (rounded to multiples of 1/2 with `ties`). */
export function filled(rng: () => number, offset: number, count: number, ties = false): Float32Array {
  const values = uniformArray(offset + count + MARGIN, 1, rng);
  return Float32Array.from(ties ? values.map((v) => Math.round(2 * v) / 2) : values);
}

/** The region [offset, offset + expected.length) of `actual` against `expected`, and everything else unchanged from `before`. */
export function expectRegion(actual: ArrayLike<number>, before: ArrayLike<number>, offset: number, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  expectClose(Array.from(actual).slice(offset, offset + expected.length), expected, tol, what);
  const outside = (a: ArrayLike<number>) => [...Array.from(a).slice(0, offset), ...Array.from(a).slice(offset + expected.length)];
  expect(outside(actual), `${what}: outside the region`).toEqual(outside(before));
}

/** What a backward leaves in its output: the gradient, plus (accumulated) what it held, that add done in f32 when `f32Add`. */
export function accumulated(start: Float32Array, offset: number, gradient: Float64Array, accumulate: boolean, f32Add = false): Float64Array {
  return gradient.map((g, i) => {
    if (!accumulate) return g;
    const sum = start[offset + i] + g;
    return f32Add ? Math.fround(sum) : sum;
  });
}

/**
 * The GPU of a kernel test and the tensors it makes, registered in the calling describe: acquired before
 * its tests, every tensor disposed after them.
 */
export function kernelTensors(): { readonly ctx: GpuContext; readonly registry: KernelRegistry; tensor(data: Float32Array | Uint32Array, label: string): Tensor } {
  let env: Awaited<ReturnType<typeof gpu>> | undefined;
  const tensors: Tensor[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => tensors.forEach((t) => t.dispose()));
  const ready = () => {
    if (!env) throw new Error('kernelTensors: used before beforeAll ran');
    return env;
  };
  return {
    get ctx() {
      return ready().ctx;
    },
    get registry() {
      return ready().registry;
    },
    tensor(data, label) {
      const t = Tensor.from(ready().ctx, data, [data.length], { label });
      tensors.push(t);
      return t;
    },
  };
}
