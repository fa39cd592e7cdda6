// shaders/pooling.wgsl (global average / max pooling over time and Flatten of a sequence, forward and
// backward) against the float64 reference (test/reference/pooling.ts), on odd sizes: T 5, B 3, F 7
// (one workgroup for the pooled [B, F], two for the whole sequence); T 1; T 6, B 5, F 33 (several
// workgroups everywhere); T 40, B 4, F 17 (a long loop over t, B F = 68 just past one workgroup). The
// backwards run assigned and accumulated. Every region starts at a nonzero element offset (one case at
// 0) in a buffer with values around it, which must stay as they were. The max pooling runs on random
// values (no ties) and on values rounded to multiples of 1/2 (many ties: the arg must be the first t).
//
// Tolerances: the inputs are f32 values in [-1, 1), the reference computes on exactly those values in
// float64.
//   max forward (out and arg), flatten forward: a copy, compared exactly.
//   max and flatten backward: dout copied (or 0), plus, accumulated, one f32 add of what dx held, which
//     WGSL rounds correctly: compared exactly with that add done in f32 (Math.fround) on the host.
//   avg forward and backward: atol 1e-6. Forward: T f32 adds of partial sums below 8 in size (each
//     rounding at most 2^-24 8 = 4.8e-7, divided by T with the others: their mean) and a division
//     (2.5 ulp of a result below 1: 1.5e-7); backward: a division and, accumulated, an add, results
//     below 2. A misplaced or missing element is off by O(0.1).

import { describe, expect, it } from 'vitest';
import { Plan, ShapeError, type Tensor } from '../../src/advanced.js';
import {
  flattenSequenceBackwardStep, flattenSequenceStep, globalPoolArgBytes, globalPoolBackwardStep, globalPoolForwardStep, type PoolMode,
} from '../../src/kernels/pooling.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { accumulated, expectRegion, filled, kernelTensors, MARGIN } from '../helpers/regions.js';
import { flattenSequence, flattenSequenceBackward, globalPool, globalPoolBackward, POOL_MODES } from '../reference/pooling.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ROUNDED: Tolerance = { atol: 1e-6, rtol: 0 };

interface PoolCase {
  name: string;
  T: number;
  B: number;
  F: number;
  /** Element offsets of x, out (and dout), dx, arg. */
  offsets: { x: number; out: number; dx: number; arg: number };
}

const CASES: PoolCase[] = [
  { name: 'T 5 B 3 F 7', T: 5, B: 3, F: 7, offsets: { x: 3, out: 5, dx: 2, arg: 4 } },
  { name: 'T 1 B 3 F 7', T: 1, B: 3, F: 7, offsets: { x: 1, out: 6, dx: 9, arg: 3 } },
  { name: 'T 6 B 5 F 33', T: 6, B: 5, F: 33, offsets: { x: 0, out: 0, dx: 0, arg: 0 } },
  { name: 'T 40 B 4 F 17', T: 40, B: 4, F: 17, offsets: { x: 7, out: 1, dx: 3, arg: 2 } },
];




describe('pooling kernels vs float64 reference', () => {
  const env = kernelTensors();
  const tensor = env.tensor;
  /** u32 values (arg) around a region: markers far from any step. */
  const markers = (offset: number, count: number) => Uint32Array.from({ length: offset + count + MARGIN }, (_, i) => 1000 + i);

  for (const c of CASES) {
    const { T, B, F, offsets } = c;
    const dims = { steps: T, batch: B, features: F };
    const block = T * B * F;
    const row = B * F;

    for (const mode of POOL_MODES) {
      for (const ties of mode === 'max' ? [false, true] : [false]) {
        const data = ties ? ', values with ties' : '';
        it(`pool_forward ${mode}, ${c.name}${data}`, async () => {
          const rng = mulberry32(31 + T + (ties ? 1 : 0));
          const xData = filled(rng, offsets.x, block, ties);
          const outStart = filled(rng, offsets.out, row);
          const argStart = markers(offsets.arg, row);
          const x = tensor(xData, 'pool.x');
          const out = tensor(outStart, 'pool.out');
          const arg = tensor(argStart, 'pool.arg');
          Plan.runOnce(env.ctx, 'pool', [await globalPoolForwardStep(env.registry, 'pool', mode, dims, {
            x: { buffer: x, offset: offsets.x }, out: { buffer: out, offset: offsets.out }, ...(mode === 'max' ? { arg: { buffer: arg, offset: offsets.arg } } : {}),
          })]);
          const expected = globalPool(mode, Float64Array.from(xData.subarray(offsets.x, offsets.x + block)), T, B, F);
          expectRegion(await out.read(), outStart, offsets.out, expected.out, mode === 'max' ? EXACT : ROUNDED, 'out');
          // Mode avg leaves the arg buffer alone (a placeholder is bound instead).
          if (mode === 'max') expectRegion(await arg.read(), argStart, offsets.arg, expected.arg!, EXACT, 'arg');
          else expect(Array.from(await arg.read())).toEqual(Array.from(argStart));
          if (ties && T > 1) {
            // Not vacuous: some maxima are reached at several t.
            const tied = expected.out.filter((m, i) => Array.from({ length: T }, (_, t) => xData[offsets.x + t * row + i]).filter((v) => v === m).length > 1);
            expect(tied.length, 'maxima reached at several t').toBeGreaterThan(0);
          }
        });
      }

      for (const accumulate of [false, true]) {
        it(`pool_backward ${mode}, ${c.name}${accumulate ? ', accumulated' : ''}`, async () => {
          const rng = mulberry32(47 + T + (accumulate ? 1 : 0));
          const xData = filled(rng, offsets.x, block);
          const doutData = filled(rng, offsets.out, row);
          const dxStart = filled(rng, offsets.dx, block);
          const { arg: refArg } = globalPool(mode, Float64Array.from(xData.subarray(offsets.x, offsets.x + block)), T, B, F);
          const argData = markers(offsets.arg, row);
          if (refArg) argData.set(refArg, offsets.arg);
          const dout = tensor(doutData, 'pool.dout');
          const dx = tensor(dxStart, 'pool.dx');
          const arg = tensor(argData, 'pool.arg');
          Plan.runOnce(env.ctx, 'pool.backward', [await globalPoolBackwardStep(env.registry, 'pool.backward', mode, dims, {
            dout: { buffer: dout, offset: offsets.out }, dx: { buffer: dx, offset: offsets.dx }, ...(mode === 'max' ? { arg: { buffer: arg, offset: offsets.arg } } : {}),
          }, { accumulate })]);
          const gradient = globalPoolBackward(mode, Float64Array.from(doutData.subarray(offsets.out, offsets.out + row)), T, B, F, refArg);
          const expected = accumulated(dxStart, offsets.dx, gradient, accumulate, mode === 'max');
          expectRegion(await dx.read(), dxStart, offsets.dx, expected, mode === 'max' ? EXACT : ROUNDED, 'dx');
        });
      }
    }

    it(`flatten_sequence, ${c.name}`, async () => {
      const rng = mulberry32(61 + T);
      const xData = filled(rng, offsets.x, block);
      const outStart = filled(rng, offsets.out, block);
      const x = tensor(xData, 'flatten.x');
      const out = tensor(outStart, 'flatten.out');
      Plan.runOnce(env.ctx, 'flatten', [await flattenSequenceStep(env.registry, 'flatten', dims,
        { x: { buffer: x, offset: offsets.x }, out: { buffer: out, offset: offsets.out } })]);
      const expected = flattenSequence(Float64Array.from(xData.subarray(offsets.x, offsets.x + block)), T, B, F);
      expectRegion(await out.read(), outStart, offsets.out, expected, EXACT, 'out');
    });

    for (const accumulate of [false, true]) {
      it(`flatten_sequence_backward, ${c.name}${accumulate ? ', accumulated' : ''}`, async () => {
        const rng = mulberry32(73 + T + (accumulate ? 1 : 0));
        const doutData = filled(rng, offsets.out, block);
        const dxStart = filled(rng, offsets.dx, block);
        const dout = tensor(doutData, 'flatten.dout');
        const dx = tensor(dxStart, 'flatten.dx');
        Plan.runOnce(env.ctx, 'flatten.backward', [await flattenSequenceBackwardStep(env.registry, 'flatten.backward', dims,
          { dout: { buffer: dout, offset: offsets.out }, dx: { buffer: dx, offset: offsets.dx } }, { accumulate })]);
        const gradient = flattenSequenceBackward(Float64Array.from(doutData.subarray(offsets.out, offsets.out + block)), T, B, F);
        expectRegion(await dx.read(), dxStart, offsets.dx, accumulated(dxStart, offsets.dx, gradient, accumulate, true), EXACT, 'dx');
      });
    }
  }

  it('max forward then backward: the gradient goes to the first t of each maximum, through the arg it wrote', async () => {
    const [T, B, F] = [4, 3, 5];
    const dims = { steps: T, batch: B, features: F };
    const rng = mulberry32(89);
    const xData = Float32Array.from(uniformArray(T * B * F, 1, rng).map((v) => Math.round(v)));
    const doutData = Float32Array.from(uniformArray(B * F, 1, rng));
    const x = tensor(xData, 'pool.x');
    const out = tensor(new Float32Array(B * F), 'pool.out');
    const arg = tensor(new Uint32Array(B * F), 'pool.arg');
    const dout = tensor(doutData, 'pool.dout');
    const dx = tensor(new Float32Array(T * B * F), 'pool.dx');
    Plan.runOnce(env.ctx, 'pool.chain', [
      await globalPoolForwardStep(env.registry, 'pool', 'max', dims, { x: { buffer: x, offset: 0 }, out: { buffer: out, offset: 0 }, arg: { buffer: arg, offset: 0 } }),
      await globalPoolBackwardStep(env.registry, 'pool.backward', 'max', dims, { dout: { buffer: dout, offset: 0 }, dx: { buffer: dx, offset: 0 }, arg: { buffer: arg, offset: 0 } }, { accumulate: false }),
    ]);
    const { arg: refArg } = globalPool('max', Float64Array.from(xData), T, B, F);
    expect(Array.from(await arg.read())).toEqual(Array.from(refArg!));
    expectClose(await dx.read(), globalPoolBackward('max', Float64Array.from(doutData), T, B, F, refArg), EXACT, 'dx');
  });

  it('globalPoolArgBytes: 4 bytes per (b, f)', () => {
    expect(globalPoolArgBytes(3, 7)).toBe(84);
    expect(() => globalPoolArgBytes(0, 7)).toThrow(/globalPoolArgBytes: batch must be a positive integer, got 0/);
  });

  it('rejects bad dims, modes, args, regions that do not fit, shared buffers and bad options', async () => {
    const r = env.registry;
    const big = tensor(new Float32Array(400), 'pool.big');
    const small = tensor(new Float32Array(104), 'pool.small');
    const other = tensor(new Float32Array(400), 'pool.other');
    const argBuffer = tensor(new Uint32Array(21), 'pool.arg');
    const shape = { steps: 5, batch: 3, features: 7 }; // x: 105 elements, pooled: 21
    const region = (buffer: Tensor, offset = 0) => ({ buffer, offset });
    const forward = (mode: PoolMode, dims: Parameters<typeof globalPoolForwardStep>[3], buffers: Partial<Parameters<typeof globalPoolForwardStep>[4]> = {}) =>
      globalPoolForwardStep(r, 'bad', mode, dims, { x: region(big), out: region(other), ...(mode === 'max' ? { arg: region(argBuffer) } : {}), ...buffers });
    await expect(forward('avg', { ...shape, steps: 0 })).rejects.toThrow(ShapeError);
    await expect(forward('avg', { ...shape, steps: 0 })).rejects.toThrow(/bad: steps must be a positive integer, got 0/);
    await expect(forward('avg', { ...shape, features: 1.5 })).rejects.toThrow(/bad: features must be a positive integer, got 1.5/);
    await expect(forward('sum' as PoolMode, shape)).rejects.toThrow(/bad: mode must be one of 'avg', 'max', got "sum"/);
    await expect(forward('max', shape, { arg: undefined })).rejects.toThrow(/bad: mode 'max' needs arg \(a \[3, 7\] u32 region/);
    await expect(forward('avg', shape, { arg: region(argBuffer) })).rejects.toThrow(/bad: mode 'avg' takes no arg/);
    await expect(forward('avg', shape, { x: region(small) })).rejects.toThrow(/bad: x needs 105 elements from element 0 \(105 in all\), buffer 'pool.small' holds 104/);
    await expect(forward('avg', shape, { out: region(other, 380) })).rejects.toThrow(/bad: out needs 21 elements from element 380 \(401 in all\), buffer 'pool.other' holds 400/);
    await expect(forward('max', shape, { arg: region(argBuffer, 1) })).rejects.toThrow(/bad: arg needs 21 elements from element 1 \(22 in all\), buffer 'pool.arg' holds 21/);
    await expect(forward('avg', shape, { out: region(other, -1) })).rejects.toThrow(/bad: out offset must be a non-negative integer \(elements\), got -1/);
    await expect(forward('avg', shape, { out: region(big, 200) })).rejects.toThrow(/bad: out and x are the same buffer 'pool.big'; the kernel needs them apart/);
    await expect(forward('max', shape, { arg: region(other, 100) })).rejects.toThrow(/bad: out and arg are the same buffer 'pool.other'/);
    // The largest offsets that fit are accepted.
    await expect(forward('max', shape, { x: region(big, 295), out: region(other, 379), arg: region(argBuffer, 0) })).resolves.toBeTruthy();

    const backward = (mode: PoolMode, options: Parameters<typeof globalPoolBackwardStep>[5], buffers: Partial<Parameters<typeof globalPoolBackwardStep>[4]> = {}) =>
      globalPoolBackwardStep(r, 'bad', mode, shape, { dout: region(big), dx: region(other), ...(mode === 'max' ? { arg: region(argBuffer) } : {}), ...buffers }, options);
    await expect(backward('avg', undefined as never)).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got undefined/);
    await expect(backward('avg', { accumulate: 1 as never })).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got \{"accumulate":1\}/);
    await expect(backward('max', { accumulate: false }, { arg: undefined })).rejects.toThrow(/bad: mode 'max' needs arg/);
    await expect(backward('avg', { accumulate: false }, { dx: region(small) })).rejects.toThrow(/bad: dx needs 105 elements from element 0 \(105 in all\), buffer 'pool.small' holds 104/);
    await expect(backward('avg', { accumulate: false }, { dout: region(big, 380) })).rejects.toThrow(/bad: dout needs 21 elements from element 380 \(401 in all\)/);
    await expect(backward('avg', { accumulate: false }, { dout: region(other) })).rejects.toThrow(/bad: dx and dout are the same buffer 'pool.other'/);
    await expect(backward('max', { accumulate: false }, { arg: region(other, 300) })).rejects.toThrow(/bad: dx and arg are the same buffer 'pool.other'/);
    // dout and arg are only read: they may share a buffer.
    await expect(backward('max', { accumulate: true }, { dout: region(big), arg: region(big, 50) })).resolves.toBeTruthy();

    const flatten = (dims: Parameters<typeof flattenSequenceStep>[2], x = region(big), out = region(other)) => flattenSequenceStep(r, 'bad', dims, { x, out });
    await expect(flatten({ ...shape, batch: -2 })).rejects.toThrow(/bad: batch must be a positive integer, got -2/);
    await expect(flatten(shape, region(small))).rejects.toThrow(/bad: x needs 105 elements from element 0 \(105 in all\), buffer 'pool.small' holds 104/);
    await expect(flatten(shape, region(big), region(other, 296))).rejects.toThrow(/bad: out needs 105 elements from element 296 \(401 in all\), buffer 'pool.other' holds 400/);
    await expect(flatten(shape, region(big), region(big, 105))).rejects.toThrow(/bad: out and x are the same buffer 'pool.big'/);
    await expect(flatten(shape, { buffer: undefined as never, offset: 0 })).rejects.toThrow(/bad: x must be \{ buffer, offset \}/);
    const flattenBack = (options: Parameters<typeof flattenSequenceBackwardStep>[4], dout = region(big), dx = region(other)) =>
      flattenSequenceBackwardStep(r, 'bad', shape, { dout, dx }, options);
    await expect(flattenBack({ accumulate: 'yes' as never })).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}/);
    await expect(flattenBack({ accumulate: false }, region(small))).rejects.toThrow(/bad: dout needs 105 elements from element 0 \(105 in all\), buffer 'pool.small' holds 104/);
    await expect(flattenBack({ accumulate: false }, region(big), region(other, 296))).rejects.toThrow(/bad: dx needs 105 elements from element 296/);
    await expect(flattenBack({ accumulate: false }, region(big), region(big, 200))).rejects.toThrow(/bad: dx and dout are the same buffer 'pool.big'/);
  });
});
