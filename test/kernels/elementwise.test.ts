// shaders/elementwise.wgsl against float64 math, on sizes that are not multiples of the workgroup (64):
// every op, accumulated or not, with offsets.

import { beforeAll, describe, expect, it } from 'vitest';
import { ELEMENTWISE_OPS, Plan, Tensor, elementwiseStep, type ElementwiseOp } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, uniformArray } from '../reference/random.js';

// f32 rounding of inputs and outputs: 2 ulp relative, plus 1e-7 absolute for results near zero.
const TOL = { atol: 1e-7, rtol: 2.5e-7 };
// Accumulated (and axpy): the result can cancel terms of up to |start| + |alpha x| + |y| ~ 12, each
// rounded once or twice: 2 ulp of that, absolute.
const ACCUMULATED_TOL = { atol: 2 * 12 * 2 ** -24, rtol: 2.5e-7 };
const SIZES = [1, 63, 65, 1000, 4099];
const ALPHA = -2.5;

const reference: Record<ElementwiseOp, (u: number, v: number) => number> = {
  copy: (u) => u,
  scale: (u) => ALPHA * u,
  add: (u, v) => u + v,
  sub: (u, v) => u - v,
  mul: (u, v) => u * v,
  div: (u, v) => u / v,
  fill: () => ALPHA,
  axpy: (u, v) => ALPHA * u + v,
};

describe('elementwise kernel', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  for (const op of Object.keys(ELEMENTWISE_OPS) as ElementwiseOp[]) {
    for (const accumulate of [false, true]) {
      it(`${op}${accumulate ? ', accumulated' : ''} on sizes ${SIZES.join(', ')}`, async () => {
        const rng = mulberry32(ELEMENTWISE_OPS[op] * 2 + Number(accumulate));
        for (const n of SIZES) {
          const xs = Float32Array.from(uniformArray(n, 3, rng));
          const ys = Float32Array.from(uniformArray(n, 3, rng).map((v) => (op === 'div' ? v + Math.sign(v) * 0.5 : v)));
          const start = Float32Array.from(uniformArray(n, 1, rng));
          const [x, y, out] = [Tensor.from(env.ctx, xs, [n]), Tensor.from(env.ctx, ys, [n]), Tensor.from(env.ctx, start, [n])];
          Plan.runOnce(env.ctx, op, [await elementwiseStep(env.registry, op, op, n, { x, y, out }, { alpha: ALPHA, accumulate })]);
          const expected = Array.from(xs, (u, i) => (accumulate ? start[i] : 0) + reference[op](u, ys[i]));
          expectClose(await out.read(), expected, accumulate || op === 'axpy' ? ACCUMULATED_TOL : TOL, `${op} n=${n}`);
          for (const t of [x, y, out]) t.dispose();
        }
      });
    }
  }

  it('reads and writes at element offsets, leaving the rest alone', async () => {
    const n = 70;
    const xs = Float32Array.from({ length: n + 5 }, (_, i) => i);
    const ys = Float32Array.from({ length: n + 9 }, (_, i) => 100 * i);
    const [x, y, out] = [Tensor.from(env.ctx, xs, [xs.length]), Tensor.from(env.ctx, ys, [ys.length]), Tensor.zeros(env.ctx, [n + 3])];
    Plan.runOnce(env.ctx, 'offsets', [await elementwiseStep(env.registry, 'add', 'add', n, { x, y, out }, { xOffset: 5, yOffset: 9, outOffset: 3 })]);
    const result = await out.read();
    expect(Array.from(result.subarray(0, 3))).toEqual([0, 0, 0]);
    for (let i = 0; i < n; i++) expect(result[3 + i]).toBe(xs[5 + i] + ys[9 + i]);
    for (const t of [x, y, out]) t.dispose();
  });

  it('names a missing operand', async () => {
    const out = Tensor.zeros(env.ctx, [4]);
    await expect(elementwiseStep(env.registry, 'sum', 'add', 4, { x: out, out })).rejects.toThrow(/'add' needs y/);
    out.dispose();
  });
});
