// shaders/conv1d.wgsl (Keras' Conv1D, forward, input gradient and weight gradients) against the float64
// reference (test/reference/conv1d.ts), every padding ('valid', 'same', 'causal') on odd sizes: T 11, B 3,
// C 5, F 7 with k 3, stride 2 and dilation 2 (both at once: Keras' layer refuses the pair, the kernel's
// index math must still hold); k 3 dilation 2; k 4 stride 3 (gaps between windows); k 1; T 2 with k 3
// (same and causal only: valid has no output); T 40, B 4, C 17, F 9, k 5 (several workgroups everywhere,
// long loops). With and without bias; the backwards assigned and accumulated. Every region starts at a
// nonzero element offset in a buffer with values around it, which must stay as they were; dkernel and
// dbias are regions of one buffer, as in a model's gradient buffer.
//
// Tolerances: the inputs are f32 values in [-1, 1), the reference computes on exactly those values in
// float64. Each output is a sum of n f32 products: n = k C + 1 (forward, with the bias), k F (dx), To B
// (dkernel, dbias); as for matmul (test/kernels/matmul.test.ts) the error grows like sqrt(n) 2^-24
// |terms| in practice, so atol 2e-6 sqrt(n), rtol 1e-5; accumulated, one more f32 add of a value below
// 1, within that. A misplaced tap, a wrong padding or a missed window is off by O(0.1).

import { describe, expect, it } from 'vitest';
import { Plan, ShapeError, type Tensor } from '../../src/advanced.js';
import { conv1dBackwardInputStep, conv1dForwardStep, conv1dGeometry, conv1dWeightGradientStep, type Conv1DShape } from '../../src/kernels/conv1d.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { accumulated, expectRegion, filled, kernelTensors } from '../helpers/regions.js';
import { conv1dBackward, conv1dForward, conv1dPadding, CONV1D_PADDINGS } from '../reference/conv1d.js';
import { mulberry32 } from '../reference/random.js';

const tolerance = (terms: number): Tolerance => ({ atol: 2e-6 * Math.sqrt(terms), rtol: 1e-5 });

interface ConvCase {
  name: string;
  T: number;
  B: number;
  C: number;
  F: number;
  k: number;
  stride: number;
  dilation: number;
  paddings?: readonly Conv1DShape['padding'][];
}

const CASES: ConvCase[] = [
  { name: 'T 11 B 3 C 5 F 7, k 3 stride 2 dilation 2', T: 11, B: 3, C: 5, F: 7, k: 3, stride: 2, dilation: 2 },
  { name: 'T 11 B 3 C 5 F 7, k 3 dilation 2', T: 11, B: 3, C: 5, F: 7, k: 3, stride: 1, dilation: 2 },
  { name: 'T 9 B 2 C 3 F 4, k 4 stride 3', T: 9, B: 2, C: 3, F: 4, k: 4, stride: 3, dilation: 1 },
  { name: 'T 5 B 3 C 2 F 3, k 1', T: 5, B: 3, C: 2, F: 3, k: 1, stride: 1, dilation: 1 },
  { name: 'T 2 B 3 C 2 F 5, k 3 (wider than the sequence)', T: 2, B: 3, C: 2, F: 5, k: 3, stride: 1, dilation: 1, paddings: ['same', 'causal'] },
  { name: 'T 40 B 4 C 17 F 9, k 5', T: 40, B: 4, C: 17, F: 9, k: 5, stride: 1, dilation: 1 },
];

/** Element offsets of the regions. */
const AT = { x: 3, kernel: 2, y: 5, dy: 1, dx: 4, dkernel: 6 };


const region = (data: Float32Array, offset: number, count: number) => Float64Array.from(data.subarray(offset, offset + count));



describe('conv1d kernels vs float64 reference', () => {
  const env = kernelTensors();
  const tensor = env.tensor;

  for (const c of CASES) {
    const { T, B, C, F, k, stride, dilation } = c;
    for (const padding of c.paddings ?? CONV1D_PADDINGS) {
      const options = { kernelSize: k, stride, dilation, padding };
      const { outSteps: To } = conv1dPadding(T, options);
      const sizes = { x: T * B * C, kernel: k * C * F, y: To * B * F };
      const what = `${c.name}, ${padding}`;

      for (const bias of [true, false]) {
        it(`conv1d_forward, ${what}${bias ? '' : ', no bias'}`, async () => {
          const dims: Conv1DShape = { steps: T, batch: B, channels: C, filters: F, kernelSize: k, stride, dilation, padding, bias };
          expect(conv1dGeometry('geometry', dims).outSteps).toBe(To);
          const rng = mulberry32(101 + T + k + (bias ? 1 : 0));
          const xData = filled(rng, AT.x, sizes.x);
          // The kernel and the bias in one buffer (the parameter buffer), the bias right after the kernel.
          const params = filled(rng, AT.kernel, sizes.kernel + F);
          const yStart = filled(rng, AT.y, sizes.y);
          const [x, p, y] = [tensor(xData, 'conv.x'), tensor(params, 'conv.params'), tensor(yStart, 'conv.y')];
          Plan.runOnce(env.ctx, 'conv', [await conv1dForwardStep(env.registry, 'conv', dims, {
            x: { buffer: x, offset: AT.x }, kernel: { buffer: p, offset: AT.kernel }, y: { buffer: y, offset: AT.y },
            ...(bias ? { bias: { buffer: p, offset: AT.kernel + sizes.kernel } } : {}),
          })]);
          const expected = conv1dForward(region(xData, AT.x, sizes.x), region(params, AT.kernel, sizes.kernel),
            bias ? region(params, AT.kernel + sizes.kernel, F) : undefined, T, B, C, options).y;
          expectRegion(await y.read(), yStart, AT.y, expected, tolerance(k * C + 1), 'y');
        });
      }

      for (const accumulate of [false, true]) {
        it(`conv1d_backward_input, ${what}${accumulate ? ', accumulated' : ''}`, async () => {
          const dims: Conv1DShape = { steps: T, batch: B, channels: C, filters: F, kernelSize: k, stride, dilation, padding, bias: true };
          const rng = mulberry32(211 + T + k + (accumulate ? 1 : 0));
          const dyData = filled(rng, AT.dy, sizes.y);
          const kernelData = filled(rng, AT.kernel, sizes.kernel);
          const dxStart = filled(rng, AT.dx, sizes.x);
          const [dy, kernel, dx] = [tensor(dyData, 'conv.dy'), tensor(kernelData, 'conv.kernel'), tensor(dxStart, 'conv.dx')];
          Plan.runOnce(env.ctx, 'conv.dx', [await conv1dBackwardInputStep(env.registry, 'conv.dx', dims, {
            dy: { buffer: dy, offset: AT.dy }, kernel: { buffer: kernel, offset: AT.kernel }, dx: { buffer: dx, offset: AT.dx },
          }, { accumulate })]);
          const { dx: gradient } = conv1dBackward(region(dyData, AT.dy, sizes.y), new Float64Array(sizes.x), region(kernelData, AT.kernel, sizes.kernel), T, B, C, options);
          expectRegion(await dx.read(), dxStart, AT.dx, accumulated(dxStart, AT.dx, gradient, accumulate), tolerance(k * F + 1), 'dx');
        });

        for (const bias of accumulate ? [true, false] : [true]) {
          it(`conv1d_weight_gradient, ${what}${accumulate ? ', accumulated' : ''}${bias ? '' : ', no bias'}`, async () => {
            const dims: Conv1DShape = { steps: T, batch: B, channels: C, filters: F, kernelSize: k, stride, dilation, padding, bias };
            const rng = mulberry32(307 + T + k + (accumulate ? 1 : 0));
            const dyData = filled(rng, AT.dy, sizes.y);
            const xData = filled(rng, AT.x, sizes.x);
            // dkernel, then two elements apart, dbias: one gradient buffer.
            const dbiasAt = AT.dkernel + sizes.kernel + 2;
            const gradStart = filled(rng, AT.dkernel, sizes.kernel + 2 + F);
            const [dy, x, grads] = [tensor(dyData, 'conv.dy'), tensor(xData, 'conv.x'), tensor(gradStart, 'conv.gradients')];
            Plan.runOnce(env.ctx, 'conv.dw', [await conv1dWeightGradientStep(env.registry, 'conv.dw', dims, {
              dy: { buffer: dy, offset: AT.dy }, x: { buffer: x, offset: AT.x }, dkernel: { buffer: grads, offset: AT.dkernel },
              ...(bias ? { dbias: { buffer: grads, offset: dbiasAt } } : {}),
            }, { accumulate })]);
            const g = conv1dBackward(region(dyData, AT.dy, sizes.y), region(xData, AT.x, sizes.x), new Float64Array(sizes.kernel), T, B, C, options);
            const actual = await grads.read();
            const tol = tolerance(To * B + 1);
            // dkernel's region, and (with the bias) dbias's; everything else as it was.
            const expected = Float64Array.from(gradStart);
            expected.set(accumulated(gradStart, AT.dkernel, g.dKernel, accumulate), AT.dkernel);
            if (bias) expected.set(accumulated(gradStart, dbiasAt, g.dBias, accumulate), dbiasAt);
            expectClose(actual, expected, tol, 'dkernel and dbias');
            if (!bias) expect(Array.from(actual.slice(dbiasAt)), 'dbias untouched').toEqual(Array.from(gradStart.slice(dbiasAt)));
          });
        }
      }
    }
  }

  it('rejects bad dims, an empty output, biases given or missing, regions that do not fit, shared buffers and bad options', async () => {
    const r = env.registry;
    const big = tensor(new Float32Array(400), 'conv.big');
    const small = tensor(new Float32Array(20), 'conv.small');
    const other = tensor(new Float32Array(400), 'conv.other');
    const third = tensor(new Float32Array(400), 'conv.third');
    // x 5 x 2 x 3 = 30, kernel 3 x 3 x 4 = 36, y (valid, 3 steps) 3 x 2 x 4 = 24.
    const shape: Conv1DShape = { steps: 5, batch: 2, channels: 3, filters: 4, kernelSize: 3, stride: 1, dilation: 1, padding: 'valid', bias: true };
    const at = (buffer: Tensor, offset = 0) => ({ buffer, offset });
    type ForwardBuffers = Parameters<typeof conv1dForwardStep>[3];
    const forward = (dims: Conv1DShape, buffers: Partial<ForwardBuffers> = {}) =>
      conv1dForwardStep(r, 'bad', dims, { x: at(big), kernel: at(other), bias: at(other, 100), y: at(third), ...buffers } as ForwardBuffers);
    await expect(forward({ ...shape, steps: 0 })).rejects.toThrow(ShapeError);
    await expect(forward({ ...shape, steps: 0 })).rejects.toThrow(/bad: steps must be a positive integer, got 0/);
    await expect(forward({ ...shape, dilation: 1.5 })).rejects.toThrow(/bad: dilation must be a positive integer, got 1.5/);
    await expect(forward({ ...shape, padding: 'full' as never })).rejects.toThrow(/bad: padding must be one of 'valid', 'same', 'causal', got "full"/);
    await expect(forward({ ...shape, bias: 1 as never })).rejects.toThrow(/bad: bias must be a boolean, got 1/);
    await expect(forward({ ...shape, steps: 4, dilation: 2 })).rejects.toThrow(/bad: 4 input steps are fewer than one window covers \(5: kernel size 3, dilation 2\), so padding 'valid' leaves no output step/);
    expect(() => conv1dGeometry('g', { ...shape, steps: 2 })).toThrow(/g: 2 input steps are fewer than one window covers/);
    expect(conv1dGeometry('g', { ...shape, steps: 2, padding: 'causal' })).toEqual({ outSteps: 2, padLeft: 2 });
    await expect(forward(shape, { bias: undefined })).rejects.toThrow(/bad: bias is true: needs bias \(a \[4\] region\)/);
    await expect(forward({ ...shape, bias: false })).rejects.toThrow(/bad: bias is false: takes no bias/);
    await expect(forward(shape, { x: at(small) })).rejects.toThrow(/bad: x needs 30 elements from element 0 \(30 in all\), buffer 'conv.small' holds 20/);
    await expect(forward(shape, { kernel: at(other, 370) })).rejects.toThrow(/bad: kernel needs 36 elements from element 370 \(406 in all\), buffer 'conv.other' holds 400/);
    await expect(forward(shape, { y: at(third, 377) })).rejects.toThrow(/bad: y needs 24 elements from element 377 \(401 in all\)/);
    await expect(forward(shape, { y: at(big, 200) })).rejects.toThrow(/bad: y and x are the same buffer 'conv.big'; the kernel needs them apart/);
    await expect(forward(shape, { y: at(other, 200) })).rejects.toThrow(/bad: y and kernel are the same buffer 'conv.other'/);
    // x, the kernel and the bias are only read: they may share a buffer; the largest offsets that fit are accepted.
    await expect(forward(shape, { x: at(big, 370), kernel: at(big, 0), bias: at(big, 396), y: at(third, 376) })).resolves.toBeTruthy();

    type InputBuffers = Parameters<typeof conv1dBackwardInputStep>[3];
    const backInput = (options: Parameters<typeof conv1dBackwardInputStep>[4], buffers: Partial<InputBuffers> = {}) =>
      conv1dBackwardInputStep(r, 'bad', shape, { dy: at(big), kernel: at(other), dx: at(third), ...buffers } as InputBuffers, options);
    await expect(backInput(undefined as never)).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got undefined/);
    await expect(backInput({ accumulate: 'yes' as never })).rejects.toThrow(/bad: options must be \{ accumulate: boolean \}, got \{"accumulate":"yes"\}/);
    await expect(backInput({ accumulate: false }, { dy: at(small) })).rejects.toThrow(/bad: dy needs 24 elements from element 0 \(24 in all\), buffer 'conv.small' holds 20/);
    await expect(backInput({ accumulate: false }, { dx: at(small) })).rejects.toThrow(/bad: dx needs 30 elements from element 0 \(30 in all\), buffer 'conv.small' holds 20/);
    await expect(backInput({ accumulate: false }, { dx: at(big, 100) })).rejects.toThrow(/bad: dx and dy are the same buffer 'conv.big'/);

    type WeightBuffers = Parameters<typeof conv1dWeightGradientStep>[3];
    const weights = (dims: Conv1DShape, buffers: Partial<WeightBuffers> = {}) =>
      conv1dWeightGradientStep(r, 'bad', dims, { dy: at(big), x: at(big, 100), dkernel: at(other), dbias: at(other, 36), ...buffers } as WeightBuffers, { accumulate: true });
    await expect(weights(shape)).resolves.toBeTruthy();
    await expect(weights(shape, { dbias: at(third, 0) })).rejects.toThrow(/bad: dkernel and dbias must be regions of one buffer \(the gradient buffer, bound once\), got 'conv.other' and 'conv.third'/);
    await expect(weights(shape, { dbias: at(other, 35) })).rejects.toThrow(/bad: dkernel \(36 elements from element 0\) and dbias \(4 from element 35\) overlap/);
    await expect(weights(shape, { dkernel: at(other, 4), dbias: at(other, 1) })).rejects.toThrow(/overlap/);
    await expect(weights(shape, { dkernel: at(other, 4), dbias: at(other, 0) })).resolves.toBeTruthy();
    await expect(weights({ ...shape, bias: false })).rejects.toThrow(/bad: bias is false: takes no dbias/);
    await expect(weights(shape, { dbias: undefined })).rejects.toThrow(/bad: bias is true: needs dbias/);
    await expect(weights(shape, { dkernel: at(big, 200), dbias: at(big, 300) })).rejects.toThrow(/bad: dkernel and dy are the same buffer 'conv.big'/);
  });
});
