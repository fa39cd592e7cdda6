// shaders/bidirectional.wgsl (the merge of a Bidirectional layer's two directions, forward and backward)
// against the float64 reference (test/reference/bidirectional.ts), every merge mode, on odd sizes: the
// sequence case (T 5, B 3, U 7, past one workgroup; and T 9, B 5, U 33 over several), and the final
// states (T 1) with S 2 (LSTM: h and c per direction, only h merged) and S 1. Every region starts at a
// nonzero element offset (one case at 0) in a buffer with values around it, which must stay as they were.
//
// Tolerances: the inputs are f32 values in [-1, 1), the reference computes on exactly those values in
// float64, so the kernel differs only by its own f32 roundings: none for a copy (concat and none
// forward: compared exactly), one or two (a sum, a product, a kept value plus a gradient) of results
// below 2 in size, each at most 2^-23 = 1.2e-7, otherwise: atol 1e-6 (a misplaced element is off by
// O(0.1)).

import { describe, expect, it } from 'vitest';
import { Plan, ShapeError, type Tensor } from '../../src/advanced.js';
import { mergeBackwardStep, mergedWidth, mergeForwardStep, type MergeMode } from '../../src/kernels/bidirectional.js';
import type { Tolerance } from '../helpers/compare.js';
import { expectRegion, filled, kernelTensors } from '../helpers/regions.js';
import { MERGE_MODES, mergeDirections, mergeDirectionsBackward } from '../reference/bidirectional.js';
import { mulberry32 } from '../reference/random.js';

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ROUNDED: Tolerance = { atol: 1e-6, rtol: 0 };

interface MergeCase {
  name: string;
  T: number;
  B: number;
  U: number;
  /** States per direction in the source / target region. */
  S: number;
  /** Element offsets of src, out (and dout), target. */
  offsets: { src: number; out: number; target: number };
}

const CASES: MergeCase[] = [
  { name: 'sequences T 5 B 3 U 7', T: 5, B: 3, U: 7, S: 1, offsets: { src: 3, out: 5, target: 2 } },
  { name: 'sequences T 9 B 5 U 33', T: 9, B: 5, U: 33, S: 1, offsets: { src: 0, out: 0, target: 0 } },
  { name: 'final states T 1 B 3 U 7 S 2', T: 1, B: 3, U: 7, S: 2, offsets: { src: 1, out: 6, target: 9 } },
  { name: 'final states T 1 B 4 U 5 S 1', T: 1, B: 4, U: 5, S: 1, offsets: { src: 7, out: 1, target: 3 } },
];

/** Direction d's h at place p (state 0 of the [2, S, T, B, U] region), as hseq [2, T, B, U]. */
function hOf(c: MergeCase, region: Float32Array, offset: number): Float64Array {
  const block = c.T * c.B * c.U;
  const h = new Float64Array(2 * block);
  for (let d = 0; d < 2; d++) h.set(region.subarray(offset + d * c.S * block, offset + d * c.S * block + block), d * block);
  return h;
}

function outFloats(mode: MergeMode, c: MergeCase): number {
  return (mode === 'none' ? 2 : 1) * c.T * c.B * mergedWidth(mode, c.U);
}

describe('Bidirectional merge kernels vs float64 reference', () => {
  const env = kernelTensors();
  const tensor = env.tensor;

  for (const c of CASES) {
    const block = c.T * c.B * c.U;
    for (const mode of MERGE_MODES) {
      it(`merge_forward ${mode}, ${c.name}`, async () => {
        const rng = mulberry32(11 + c.T + c.S);
        const srcData = filled(rng, c.offsets.src, 2 * c.S * block);
        const outStart = filled(rng, c.offsets.out, outFloats(mode, c));
        const src = tensor(srcData, 'merge.src');
        const out = tensor(outStart, 'merge.out');
        Plan.runOnce(env.ctx, 'merge', [await mergeForwardStep(env.registry, 'merge', mode, { steps: c.T, batch: c.B, units: c.U, states: c.S },
          { src: { buffer: src, offset: c.offsets.src }, out: { buffer: out, offset: c.offsets.out } })]);
        const expected = mergeDirections(mode, hOf(c, srcData, c.offsets.src), c.T, c.B, c.U);
        const joined = new Float64Array(expected.reduce((n, y) => n + y.length, 0));
        expected.forEach((y, i) => joined.set(y, i * y.length));
        expectRegion(await out.read(), outStart, c.offsets.out, joined, mode === 'concat' || mode === 'none' ? EXACT : ROUNDED, 'out');
      });

      // Keep masks: none kept, all kept, alternating; the gradient of every output, or (mode none) of one
      // half, or of none (the target is then only what was kept). A half without gradient holds NaN.
      const keeps = [Array(2 * c.S).fill(false), Array(2 * c.S).fill(true), Array.from({ length: 2 * c.S }, (_, i) => i % 3 === 0)];
      const gradients: [boolean, boolean][] = mode === 'none' ? [[true, true], [true, false], [false, true], [false, false]] : [[true, true], [false, false]];
      it(`merge_backward ${mode}, ${c.name}`, async () => {
        const rng = mulberry32(23 + c.T + c.S);
        const srcData = filled(rng, c.offsets.src, 2 * c.S * block);
        const src = tensor(srcData, 'merge.src');
        const h = hOf(c, srcData, c.offsets.src);
        for (const keep of keeps) {
          for (const outputGradients of gradients) {
            const what = `keep [${keep.join(', ')}] gradients [${outputGradients.join(', ')}]`;
            const doutData = filled(rng, c.offsets.out, outFloats(mode, c));
            const half = mode === 'none' ? block : outFloats(mode, c);
            outputGradients.forEach((g, i) => {
              if (!g) doutData.fill(NaN, c.offsets.out + i * half, c.offsets.out + (i + 1) * half);
            });
            const targetStart = filled(rng, c.offsets.target, 2 * c.S * block);
            const dout = tensor(doutData, 'merge.dout');
            const target = tensor(targetStart, 'merge.target');
            // The layer passes src whatever the mode; without it (not mul) a placeholder is bound.
            const withSource = mode === 'mul' || c.S === 2;
            Plan.runOnce(env.ctx, 'merge.backward', [await mergeBackwardStep(env.registry, 'merge.backward', mode,
              { steps: c.T, batch: c.B, units: c.U, states: c.S },
              { dout: { buffer: dout, offset: c.offsets.out }, ...(withSource ? { src: { buffer: src, offset: c.offsets.src } } : {}), target: { buffer: target, offset: c.offsets.target } },
              { keep, outputGradients })]);
            const dOutputs = (mode === 'none' ? [0, 1] : [0]).map((i) =>
              outputGradients[i] ? Float64Array.from(doutData.subarray(c.offsets.out + i * half, c.offsets.out + (i + 1) * half)) : undefined);
            const dh = mergeDirectionsBackward(mode, h, dOutputs, c.T, c.B, c.U);
            const expected = new Float64Array(2 * c.S * block);
            for (let d = 0; d < 2; d++) {
              for (let s = 0; s < c.S; s++) {
                const slot = d * c.S + s;
                for (let i = 0; i < block; i++) {
                  const kept = keep[slot] ? targetStart[c.offsets.target + slot * block + i] : 0;
                  expected[slot * block + i] = kept + (s === 0 ? dh[d * block + i] : 0);
                }
              }
            }
            expectRegion(await target.read(), targetStart, c.offsets.target, expected, ROUNDED, `target, ${what}`);
          }
        }
      });
    }
  }

  it('mergedWidth: 2U for concat, U for the others (each of the two outputs of none)', () => {
    expect(MERGE_MODES.map((m) => mergedWidth(m, 7))).toEqual([14, 7, 7, 7, 7]);
  });

  it('rejects bad dims, modes, regions that do not fit, and masks of the wrong length', async () => {
    const r = env.registry;
    const big = tensor(new Float32Array(400), 'merge.big');
    const small = tensor(new Float32Array(209), 'merge.small');
    const other = tensor(new Float32Array(400), 'merge.other');
    const shape = { steps: 5, batch: 3, units: 7 };
    const region = (buffer: Tensor, offset = 0) => ({ buffer, offset });
    const forward = (mode: MergeMode, dims: Parameters<typeof mergeForwardStep>[3], src = region(big), out = region(other)) =>
      mergeForwardStep(r, 'bad', mode, dims, { src, out });
    await expect(forward('sum', { ...shape, steps: 0 })).rejects.toThrow(ShapeError);
    await expect(forward('sum', { ...shape, steps: 0 })).rejects.toThrow(/bad: steps must be a positive integer, got 0/);
    await expect(forward('sum', { ...shape, units: 1.5 })).rejects.toThrow(/units must be a positive integer, got 1.5/);
    await expect(forward('sum', { ...shape, states: 0 })).rejects.toThrow(/states must be a positive integer, got 0/);
    await expect(forward('max' as MergeMode, shape)).rejects.toThrow(/mode must be one of 'concat', 'sum', 'mul', 'ave', 'none', got "max"/);
    // Direction 1's h ends at (S + 1) T B U = 210 floats: one float short.
    await expect(forward('sum', shape, region(small))).rejects.toThrow(/src needs 210 elements from element 0 \(210 in all\), buffer 'merge.small' holds 209/);
    await expect(forward('concat', shape, region(big), region(other, 191))).rejects.toThrow(/out needs 210 elements from element 191 \(401 in all\), buffer 'merge.other' holds 400/);
    await expect(forward('sum', shape, region(big), region(other, -1))).rejects.toThrow(/out offset must be a non-negative integer/);
    await expect(forward('sum', shape, region(big), region(big, 210))).rejects.toThrow(/out and src are the same buffer 'merge.big'/);
    const backward = (mode: MergeMode, options: Parameters<typeof mergeBackwardStep>[5], buffers: Partial<Parameters<typeof mergeBackwardStep>[4]> = {}) =>
      mergeBackwardStep(r, 'bad', mode, { ...shape, states: 1 }, { dout: region(big), target: region(other), ...buffers }, options);
    await expect(backward('sum', { keep: [false] })).rejects.toThrow(/keep must be 2 booleans \(per direction d and state s, at d \* 1 \+ s\), got \[false\]/);
    await expect(backward('sum', { keep: [false, false], outputGradients: [true, false] })).rejects.toThrow(/mode 'sum' has one merged output, so outputGradients must agree/);
    await expect(backward('mul', { keep: [false, false] })).rejects.toThrow(/mode 'mul' needs src/);
    await expect(backward('sum', { keep: [false, false] }, { target: region(small) })).rejects.toThrow(/target needs 210 elements from element 0 \(210 in all\), buffer 'merge.small' holds 209/);
    await expect(backward('concat', { keep: [false, false] }, { dout: region(big, 191) })).rejects.toThrow(/dout needs 210 elements from element 191/);
    await expect(backward('sum', { keep: [false, false] }, { dout: region(other) })).rejects.toThrow(/target and dout are the same buffer 'merge.other'/);
    // Mode none with only half 0's gradient reads only that half: 105 floats.
    await expect(backward('none', { keep: [false, false], outputGradients: [true, false] }, { dout: region(big, 295) })).resolves.toBeTruthy();
    await expect(backward('none', { keep: [false, false], outputGradients: [false, true] }, { dout: region(big, 295) })).rejects.toThrow(/dout needs 210 elements from element 295/);
  });
});
