// shaders/pooling1d.wgsl (Keras' MaxPooling1D / AveragePooling1D, forward and backward) against the
// float64 reference (test/reference/pooling1d.ts), both paddings, on odd sizes: T 11, B 3, C 5 with pool
// 3 stride 2 (overlapping windows); pool 2 stride 3 (gaps: steps in no window); pool 4 stride 1 (each
// step in up to four windows); pool 5 over T 3 (same only: valid has no output); T 40, B 4, C 17 with
// pool 2 (Keras' default; several workgroups everywhere). The backwards run assigned and accumulated.
// Every region starts at a nonzero element offset in a buffer with values around it, which must stay as
// they were. The max pooling runs on random values (no ties) and on values rounded to multiples of 1/2
// (many ties: the arg must be the first t).
//
// Tolerances: the inputs are f32 values in [-1, 1), the reference computes on exactly those values in
// float64.
//   max forward (out and arg): a copy, compared exactly.
//   max backward: a sum of at most ceil(p / s) values of dout in o order (plus, accumulated, what dx
//     held): compared with that sum done in f32 (Math.fround) on the host, exactly.
//   avg forward and backward: atol 1e-6: at most p f32 adds of values below 1 and a division (forward),
//     at most ceil(p / s) divisions and adds (backward), results below 5. A misplaced or missing window is
//     off by O(0.1).

import { describe, expect, it } from 'vitest';
import { Plan, ShapeError, type Tensor } from '../../src/advanced.js';
import type { PoolMode } from '../../src/kernels/pooling.js';
import { pool1dArgBytes, pool1dBackwardStep, pool1dForwardStep, pool1dGeometry, type Pooling1DShape } from '../../src/kernels/pooling1d.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { expectRegion, filled, kernelTensors, MARGIN } from '../helpers/regions.js';
import { POOL_MODES } from '../reference/pooling.js';
import { pool1d, pool1dBackward, pool1dWindows } from '../reference/pooling1d.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ROUNDED: Tolerance = { atol: 1e-6, rtol: 0 };

interface PoolCase {
  name: string;
  T: number;
  B: number;
  C: number;
  poolSize: number;
  stride: number;
  paddings?: readonly Pooling1DShape['padding'][];
}

const CASES: PoolCase[] = [
  { name: 'T 11 B 3 C 5, pool 3 stride 2', T: 11, B: 3, C: 5, poolSize: 3, stride: 2 },
  { name: 'T 11 B 3 C 5, pool 2 stride 3', T: 11, B: 3, C: 5, poolSize: 2, stride: 3 },
  { name: 'T 7 B 2 C 3, pool 4 stride 1', T: 7, B: 2, C: 3, poolSize: 4, stride: 1 },
  { name: 'T 3 B 2 C 3, pool 5 stride 5 (wider than the sequence)', T: 3, B: 2, C: 3, poolSize: 5, stride: 5, paddings: ['same'] },
  { name: 'T 40 B 4 C 17, pool 2 stride 2', T: 40, B: 4, C: 17, poolSize: 2, stride: 2 },
];

const AT = { x: 3, out: 5, dx: 2, arg: 4 };



/** The max backward as the kernel sums it: each x element's windows in o order, in f32, onto what dx held when accumulating. */
function maxBackwardF32(dout: Float32Array, doutAt: number, arg: ArrayLike<number>, T: number, row: number, windows: number[][], start: Float32Array, dxAt: number, accumulate: boolean): Float64Array {
  const dx = new Float64Array(T * row);
  windows.forEach((steps, o) => {
    for (let i = 0; i < row; i++) {
      const t = arg[o * row + i];
      if (steps.includes(t)) dx[t * row + i] = Math.fround(dx[t * row + i] + dout[doutAt + o * row + i]);
    }
  });
  return accumulate ? dx.map((g, i) => Math.fround(g + start[dxAt + i])) : dx;
}

describe('pooling1d kernels vs float64 reference', () => {
  const env = kernelTensors();
  const tensor = env.tensor;
  /** u32 values (arg) around a region: markers far from any step. */
  const markers = (offset: number, count: number) => Uint32Array.from({ length: offset + count + MARGIN }, (_, i) => 1000 + i);

  for (const c of CASES) {
    const { T, B, C, poolSize, stride } = c;
    for (const padding of c.paddings ?? (['valid', 'same'] as const)) {
      const options = { poolSize, stride, padding };
      const dims: Pooling1DShape = { steps: T, batch: B, channels: C, poolSize, stride, padding };
      const windows = pool1dWindows(T, options);
      const row = B * C;
      const [input, output] = [T * row, windows.length * row];
      const what = `${c.name}, ${padding}`;

      for (const mode of POOL_MODES) {
        for (const ties of mode === 'max' ? [false, true] : [false]) {
          it(`pool1d_forward ${mode}, ${what}${ties ? ', values with ties' : ''}`, async () => {
            expect(pool1dGeometry('geometry', dims).outSteps).toBe(windows.length);
            const rng = mulberry32(41 + T + poolSize + (ties ? 1 : 0));
            const xData = filled(rng, AT.x, input, ties);
            const outStart = filled(rng, AT.out, output);
            const argStart = markers(AT.arg, output);
            const [x, out, arg] = [tensor(xData, 'pool1d.x'), tensor(outStart, 'pool1d.out'), tensor(argStart, 'pool1d.arg')];
            Plan.runOnce(env.ctx, 'pool1d', [await pool1dForwardStep(env.registry, 'pool1d', mode, dims, {
              x: { buffer: x, offset: AT.x }, out: { buffer: out, offset: AT.out }, ...(mode === 'max' ? { arg: { buffer: arg, offset: AT.arg } } : {}),
            })]);
            const expected = pool1d(mode, Float64Array.from(xData.subarray(AT.x, AT.x + input)), T, B, C, options);
            expectRegion(await out.read(), outStart, AT.out, expected.out, mode === 'max' ? EXACT : ROUNDED, 'out');
            if (mode === 'max') expectRegion(await arg.read(), argStart, AT.arg, expected.arg!, EXACT, 'arg');
            else expect(Array.from(await arg.read())).toEqual(Array.from(argStart));
            if (ties && output > 6) {
              // Not vacuous: some maxima are reached at several steps of their window (the one-window
              // case has too few elements to count on a tie).
              const tied = windows.some((steps, o) => Array.from({ length: row }, (_, i) => i)
                .some((i) => steps.filter((t) => xData[AT.x + t * row + i] === expected.out[o * row + i]).length > 1));
              expect(tied, 'maxima reached at several t').toBe(true);
            }
          });
        }

        for (const accumulate of [false, true]) {
          it(`pool1d_backward ${mode}, ${what}${accumulate ? ', accumulated' : ''}`, async () => {
            const rng = mulberry32(59 + T + poolSize + (accumulate ? 1 : 0));
            // Ties, so that a step is the arg of several overlapping windows.
            const xData = filled(rng, 0, input, true);
            const doutData = filled(rng, AT.out, output);
            const dxStart = filled(rng, AT.dx, input);
            const { arg: refArg } = pool1d(mode, Float64Array.from(xData.subarray(0, input)), T, B, C, options);
            const argData = markers(AT.arg, output);
            if (refArg) argData.set(refArg, AT.arg);
            const [dout, dx, arg] = [tensor(doutData, 'pool1d.dout'), tensor(dxStart, 'pool1d.dx'), tensor(argData, 'pool1d.arg')];
            Plan.runOnce(env.ctx, 'pool1d.backward', [await pool1dBackwardStep(env.registry, 'pool1d.backward', mode, dims, {
              dout: { buffer: dout, offset: AT.out }, dx: { buffer: dx, offset: AT.dx }, ...(mode === 'max' ? { arg: { buffer: arg, offset: AT.arg } } : {}),
            }, { accumulate })]);
            const doutRegion = Float64Array.from(doutData.subarray(AT.out, AT.out + output));
            const expected = mode === 'max'
              ? maxBackwardF32(doutData, AT.out, refArg!, T, row, windows, dxStart, AT.dx, accumulate)
              : pool1dBackward(mode, doutRegion, T, B, C, options).map((g, i) => (accumulate ? g + dxStart[AT.dx + i] : g));
            if (mode === 'max') {
              // The f32 sums are the float64 reference's gradient, rounded.
              expectClose(expected.map((v, i) => (accumulate ? v - dxStart[AT.dx + i] : v)), pool1dBackward(mode, doutRegion, T, B, C, options, refArg), { atol: 1e-6, rtol: 0 }, 'f32 sums');
            }
            expectRegion(await dx.read(), dxStart, AT.dx, expected, mode === 'max' ? EXACT : ROUNDED, 'dx');
          });
        }
      }
    }
  }

  it('max forward then backward: the gradient goes to the first t of each window\'s maximum, through the arg it wrote', async () => {
    const [T, B, C] = [9, 3, 5];
    const dims: Pooling1DShape = { steps: T, batch: B, channels: C, poolSize: 3, stride: 2, padding: 'same' };
    const options = { poolSize: 3, stride: 2, padding: 'same' as const };
    const To = pool1dGeometry('g', dims).outSteps;
    const rng = mulberry32(89);
    const xData = Float32Array.from(uniformArray(T * B * C, 1, rng).map((v) => Math.round(v)));
    const doutData = Float32Array.from(uniformArray(To * B * C, 1, rng));
    const x = tensor(xData, 'pool1d.x');
    const out = tensor(new Float32Array(To * B * C), 'pool1d.out');
    const arg = tensor(new Uint32Array(To * B * C), 'pool1d.arg');
    const dout = tensor(doutData, 'pool1d.dout');
    const dx = tensor(new Float32Array(T * B * C), 'pool1d.dx');
    Plan.runOnce(env.ctx, 'pool1d.chain', [
      await pool1dForwardStep(env.registry, 'pool1d', 'max', dims, { x: { buffer: x, offset: 0 }, out: { buffer: out, offset: 0 }, arg: { buffer: arg, offset: 0 } }),
      await pool1dBackwardStep(env.registry, 'pool1d.backward', 'max', dims, { dout: { buffer: dout, offset: 0 }, dx: { buffer: dx, offset: 0 }, arg: { buffer: arg, offset: 0 } }, { accumulate: false }),
    ]);
    const { arg: refArg } = pool1d('max', Float64Array.from(xData), T, B, C, options);
    expect(Array.from(await arg.read())).toEqual(Array.from(refArg!));
    expectClose(await dx.read(), maxBackwardF32(doutData, 0, refArg!, T, B * C, pool1dWindows(T, options), new Float32Array(0), 0, false), EXACT, 'dx');
  });

  it('rejects bad dims, an empty output, modes, args, regions that do not fit, shared buffers and bad options', async () => {
    const r = env.registry;
    const big = tensor(new Float32Array(400), 'pool1d.big');
    const small = tensor(new Float32Array(20), 'pool1d.small');
    const other = tensor(new Float32Array(400), 'pool1d.other');
    const argBuffer = tensor(new Uint32Array(24), 'pool1d.arg');
    // x 5 x 2 x 3 = 30; valid, pool 2: out 2 x 2 x 3 = 12.
    const shape: Pooling1DShape = { steps: 5, batch: 2, channels: 3, poolSize: 2, stride: 2, padding: 'valid' };
    const at = (buffer: Tensor, offset = 0) => ({ buffer, offset });
    expect(pool1dArgBytes('g', shape)).toBe(48);
    expect(pool1dGeometry('g', { ...shape, padding: 'same' })).toEqual({ outSteps: 3, padLeft: 0 });
    type Forward = Parameters<typeof pool1dForwardStep>[4];
    const forward = (mode: PoolMode, dims: Pooling1DShape, buffers: Partial<Forward> = {}) =>
      pool1dForwardStep(r, 'bad', mode, dims, { x: at(big), out: at(other), ...(mode === 'max' ? { arg: at(argBuffer) } : {}), ...buffers });
    await expect(forward('avg', { ...shape, steps: 0 })).rejects.toThrow(ShapeError);
    await expect(forward('avg', { ...shape, poolSize: 0 })).rejects.toThrow(/bad: poolSize must be a positive integer, got 0/);
    await expect(forward('avg', { ...shape, padding: 'causal' as never })).rejects.toThrow(/bad: padding must be 'valid' or 'same', got "causal"/);
    await expect(forward('avg', { ...shape, poolSize: 6 })).rejects.toThrow(/bad: 5 input steps are fewer than one window \(pool size 6\), so padding 'valid' leaves no output step/);
    await expect(forward('sum' as PoolMode, shape)).rejects.toThrow(/bad: mode must be one of 'avg', 'max', got "sum"/);
    await expect(forward('max', shape, { arg: undefined })).rejects.toThrow(/bad: mode 'max' needs arg \(a \[2, 2, 3\] u32 region/);
    await expect(forward('avg', shape, { arg: at(argBuffer) })).rejects.toThrow(/bad: mode 'avg' takes no arg/);
    await expect(forward('avg', shape, { x: at(small) })).rejects.toThrow(/bad: x needs 30 elements from element 0 \(30 in all\), buffer 'pool1d.small' holds 20/);
    await expect(forward('max', shape, { arg: at(argBuffer, 13) })).rejects.toThrow(/bad: arg needs 12 elements from element 13 \(25 in all\), buffer 'pool1d.arg' holds 24/);
    await expect(forward('avg', shape, { out: at(big, 100) })).rejects.toThrow(/bad: out and x are the same buffer 'pool1d.big'/);
    await expect(forward('max', shape, { x: at(big, 370), out: at(other, 388), arg: at(argBuffer, 12) })).resolves.toBeTruthy();

    type Backward = Parameters<typeof pool1dBackwardStep>[4];
    const backward = (mode: PoolMode, options: Parameters<typeof pool1dBackwardStep>[5], buffers: Partial<Backward> = {}) =>
      pool1dBackwardStep(r, 'bad', mode, shape, { dout: at(big), dx: at(other), ...(mode === 'max' ? { arg: at(argBuffer) } : {}), ...buffers }, options);
    await expect(backward('avg', undefined as never)).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got undefined/);
    await expect(backward('max', { accumulate: false }, { arg: undefined })).rejects.toThrow(/bad: mode 'max' needs arg/);
    await expect(backward('avg', { accumulate: false }, { dx: at(small) })).rejects.toThrow(/bad: dx needs 30 elements from element 0 \(30 in all\), buffer 'pool1d.small' holds 20/);
    await expect(backward('avg', { accumulate: false }, { dout: at(other) })).rejects.toThrow(/bad: dx and dout are the same buffer 'pool1d.other'/);
    // dout and arg are only read: they may share a buffer.
    await expect(backward('max', { accumulate: true }, { dout: at(big), arg: at(big, 50) })).resolves.toBeTruthy();
  });
});
