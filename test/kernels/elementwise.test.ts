// shaders/elementwise.wgsl against float64 math, on sizes that are not multiples of the workgroup (64).

import { beforeAll, describe, expect, it } from 'vitest';
import { Plan, Tensor, unaryStep, binaryStep, axpyStep, fillStep, type UnaryOp, type BinaryOp, type Step } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, uniformArray } from '../reference/random.js';

// f32 rounding of inputs and outputs: 2 ulp relative, plus 1e-7 absolute for results near zero.
const TOL = { atol: 1e-7, rtol: 2.5e-7 };

const SIZES = [1, 63, 65, 1000, 4099];

const unaryReference: Record<UnaryOp, (v: number) => number> = {
  copy: (v) => v,
  scale: (v) => -2.5 * v,
  negate: (v) => -v,
};
const binaryReference: Record<BinaryOp, (u: number, v: number) => number> = {
  add: (u, v) => u + v,
  sub: (u, v) => u - v,
  mul: (u, v) => u * v,
  div: (u, v) => u / v,
};

describe('elementwise kernels', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  async function run(steps: Step[]) {
    new Plan(env.ctx, 'test', steps).run();
  }

  for (const op of Object.keys(unaryReference) as UnaryOp[]) {
    it(`unary ${op} on sizes ${SIZES.join(', ')}`, async () => {
      const rng = mulberry32(1);
      for (const n of SIZES) {
        const xs = f32(uniformArray(n, 6, rng));
        const x = Tensor.from(env.ctx, xs, [n], { label: 'x' });
        const out = Tensor.zeros(env.ctx, [n], { label: 'out' });
        await run([await unaryStep(env.registry, `unary.${op}`, op, n, x.buffer, out.buffer, -2.5)]);
        const expected = Array.from(xs, unaryReference[op]);
        expectClose(await out.read(), expected, TOL, `${op} n=${n}`);
        x.dispose();
        out.dispose();
      }
    });
  }

  for (const op of Object.keys(binaryReference) as BinaryOp[]) {
    it(`binary ${op}`, async () => {
      const rng = mulberry32(2);
      for (const n of SIZES) {
        const xs = f32(uniformArray(n, 3, rng));
        const ys = f32(uniformArray(n, 3, rng).map((v) => (op === 'div' ? v + Math.sign(v) * 0.5 : v)));
        const [x, y, out] = [Tensor.from(env.ctx, xs, [n]), Tensor.from(env.ctx, ys, [n]), Tensor.zeros(env.ctx, [n])];
        await run([await binaryStep(env.registry, op, op, n, x.buffer, y.buffer, out.buffer)]);
        const expected = Array.from(xs, (u, i) => binaryReference[op](u, ys[i]));
        expectClose(await out.read(), expected, TOL, `${op} n=${n}`);
        for (const t of [x, y, out]) t.dispose();
      }
    });
  }

  it('axpy and fill', async () => {
    const rng = mulberry32(3);
    for (const n of SIZES) {
      const xs = f32(uniformArray(n, 1, rng));
      const ys = f32(uniformArray(n, 1, rng));
      const [x, y, filled] = [Tensor.from(env.ctx, xs, [n]), Tensor.from(env.ctx, ys, [n]), Tensor.zeros(env.ctx, [n])];
      await run([
        await axpyStep(env.registry, 'axpy', n, 0.75, x.buffer, y.buffer),
        await fillStep(env.registry, 'fill', n, -1.5, filled.buffer),
      ]);
      expectClose(await y.read(), Array.from(ys, (v, i) => v + 0.75 * xs[i]), TOL, `axpy n=${n}`);
      expect(Array.from(await filled.read()).every((v) => v === -1.5)).toBe(true);
      for (const t of [x, y, filled]) t.dispose();
    }
  });
});

function f32(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values as ArrayLike<number>);
}
