// slide_window (shaders/decode.wgsl): the window of re-primed closed-loop generation drops its oldest
// step and appends the prediction. A pure copy, so results must equal the inputs exactly; sizes that are
// not multiples of the workgroup (64), and one large enough to fold the grid into two dimensions.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan, Tensor, slideWindowStep } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

describe('slide_window kernel', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let liveBefore = 0;
  beforeAll(async () => {
    env = await gpu();
    liveBefore = env.ctx.liveBuffers;
  });
  afterAll(() => expect(env.ctx.liveBuffers).toBe(liveBefore));

  // [steps, batch, features]; the last has 3 * 1,400,003 elements: more than 65,535 workgroups of 64.
  const cases: [number, number, number][] = [[1, 1, 1], [7, 3, 1], [6, 5, 2], [20, 13, 3], [3, 1_400_003, 1]];
  for (const [T, B, F] of cases) {
    it(`window [${T}, ${B}, ${F}]`, async () => {
      const rng = mulberry32(T * 1000 + B);
      const window = Float32Array.from(uniformArray(T * B * F, 1, rng));
      const next = Float32Array.from(uniformArray(B * F, 1, rng));
      const input = Tensor.from(env.ctx, window, [T, B, F], { label: 'window_in' });
      const value = Tensor.from(env.ctx, next, [B, F], { label: 'next_value' });
      const output = Tensor.zeros(env.ctx, [T, B, F], { label: 'window_out' });
      const step = await slideWindowStep(env.registry, 'slide', T, B, F, { window_in: input.buffer, next_value: value.buffer, window_out: output.buffer });
      if (T * B * F > 64 * env.ctx.limits.maxComputeWorkgroupsPerDimension) expect(step.kind === 'dispatch' && step.workgroups[1]).toBeGreaterThan(1);
      Plan.runOnce(env.ctx, 'slide', [step]);
      const expected = new Float32Array(T * B * F);
      expected.set(window.subarray(B * F));
      expected.set(next, (T - 1) * B * F);
      const actual = await output.read();
      let mismatches = 0;
      for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) mismatches++;
      expect(mismatches, 'elements that differ from the shifted window').toBe(0);
      [input, value, output].forEach((t) => t.dispose());
    });
  }
});
