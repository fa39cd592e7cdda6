import { describe, expect, it } from 'vitest';
import { conv1dBackward, conv1dForward, conv1dPadding, CONV1D_PADDINGS, type Conv1DOptions } from './conv1d.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';

// Odd sizes: T 11, B 3, C 5, F 7; kernels of 3 taps with stride 2 or dilation 2 (and both: the math is
// defined for them, Keras' layer refuses the pair), one of 1 tap, one wider than T with 'same'.
const CASES: { T: number; B: number; C: number; F: number; o: Omit<Conv1DOptions, 'padding'> }[] = [
  { T: 11, B: 3, C: 5, F: 7, o: { kernelSize: 3, stride: 2, dilation: 2 } },
  { T: 11, B: 3, C: 5, F: 7, o: { kernelSize: 3, stride: 1, dilation: 2 } },
  { T: 7, B: 2, C: 3, F: 4, o: { kernelSize: 4, stride: 3, dilation: 1 } },
  { T: 5, B: 2, C: 2, F: 3, o: { kernelSize: 1, stride: 1, dilation: 1 } },
];

describe('Conv1D gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  for (const { T, B, C, F, o } of CASES) {
    it.each(CONV1D_PADDINGS)(`T ${T} B ${B} C ${C} F ${F} k ${o.kernelSize} s ${o.stride} d ${o.dilation}, %s`, (padding) => {
      const opts = { ...o, padding };
      const rng = mulberry32(3 + T + o.kernelSize);
      const x = uniformArray(T * B * C, 1, rng);
      const kernel = uniformArray(o.kernelSize * C * F, 1, rng);
      const bias = uniformArray(F, 1, rng);
      const { outSteps } = conv1dPadding(T, opts);
      const r = uniformArray(outSteps * B * F, 1, rng);
      const loss = () => dot(conv1dForward(x, kernel, bias, T, B, C, opts).y, r);
      const g = conv1dBackward(r, x, kernel, T, B, C, opts);
      expectGradient('dx', g.dx, loss, x);
      expectGradient('dKernel', g.dKernel, loss, kernel);
      expectGradient('dBias', g.dBias, loss, bias);
    });
  }

  it('same with a kernel wider than the sequence (T 3, k 5)', () => {
    const opts: Conv1DOptions = { kernelSize: 5, stride: 1, dilation: 1, padding: 'same' };
    const rng = mulberry32(17);
    const x = uniformArray(3 * 2 * 2, 1, rng);
    const kernel = uniformArray(5 * 2 * 3, 1, rng);
    const r = uniformArray(3 * 2 * 3, 1, rng);
    const loss = () => dot(conv1dForward(x, kernel, undefined, 3, 2, 2, opts).y, r);
    const g = conv1dBackward(r, x, kernel, 3, 2, 2, opts);
    expectGradient('dx', g.dx, loss, x);
    expectGradient('dKernel', g.dKernel, loss, kernel);
  });
});

describe('Conv1D forward', () => {
  it('output lengths and padding as TensorFlow computes them', () => {
    const o = (kernelSize: number, stride: number, dilation: number, padding: Conv1DOptions['padding']) => ({ kernelSize, stride, dilation, padding });
    // valid: floor((T - d (k - 1) - 1) / s) + 1.
    expect(conv1dPadding(11, o(3, 2, 1, 'valid'))).toEqual({ left: 0, right: 0, outSteps: 5 });
    expect(conv1dPadding(11, o(3, 1, 2, 'valid'))).toEqual({ left: 0, right: 0, outSteps: 7 });
    expect(conv1dPadding(4, o(3, 1, 2, 'valid')).outSteps).toBe(0);
    // same: ceil(T / s); total = (To - 1) s + span - T, the extra step on the right.
    expect(conv1dPadding(11, o(3, 2, 1, 'same'))).toEqual({ left: 1, right: 1, outSteps: 6 });
    expect(conv1dPadding(10, o(3, 2, 1, 'same'))).toEqual({ left: 0, right: 1, outSteps: 5 });
    expect(conv1dPadding(11, o(4, 1, 1, 'same'))).toEqual({ left: 1, right: 2, outSteps: 11 });
    // causal: d (k - 1) on the left.
    expect(conv1dPadding(11, o(3, 1, 2, 'causal'))).toEqual({ left: 4, right: 0, outSteps: 11 });
    expect(conv1dPadding(11, o(3, 2, 1, 'causal'))).toEqual({ left: 2, right: 0, outSteps: 6 });
  });

  it('matches a hand-computed example: T 4, B 1, C 1, F 1, kernel [1, 2], causal, then same and valid', () => {
    const x = new Float64Array([1, 2, 3, 4]);
    const kernel = new Float64Array([1, 2]); // [K 2, C 1, F 1]
    const bias = new Float64Array([0.5]);
    const run = (padding: Conv1DOptions['padding'], stride = 1) => Array.from(conv1dForward(x, kernel, bias, 4, 1, 1, { kernelSize: 2, stride, dilation: 1, padding }).y);
    // causal: y[t] = x[t - 1] + 2 x[t] + 0.5.
    expect(run('causal')).toEqual([2.5, 5.5, 8.5, 11.5]);
    // valid: y[t] = x[t] + 2 x[t + 1] + 0.5.
    expect(run('valid')).toEqual([5.5, 8.5, 11.5]);
    // same (total 1, all on the right): the valid outputs, then x[3] + 0.
    expect(run('same')).toEqual([5.5, 8.5, 11.5, 4.5]);
    expect(run('same', 2)).toEqual([5.5, 11.5]);
  });

  it('rejects sizes that do not match', () => {
    const o: Conv1DOptions = { kernelSize: 3, stride: 1, dilation: 1, padding: 'valid' };
    expect(() => conv1dForward(new Float64Array(5), new Float64Array(9), undefined, 3, 2, 1, o)).toThrow(/conv1d x: length 5, expected 6/);
    expect(() => conv1dForward(new Float64Array(6), new Float64Array(10), undefined, 3, 2, 1, o)).toThrow(/conv1d kernel/);
    expect(() => conv1dForward(new Float64Array(4), new Float64Array(3), undefined, 2, 2, 1, o)).toThrow(/no output step/);
  });
});
