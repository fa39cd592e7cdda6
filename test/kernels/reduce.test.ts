// shaders/reduce.wgsl colsum against the float64 reference, on odd shapes (workgroup: 16 x 16).

import { beforeAll, describe, it } from 'vitest';
import { Plan, Tensor, colsumStep } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { colSum } from '../reference/matmul.js';

// Summing up to 5000 f32 values of magnitude <= 1 in 16 strided lanes: the f32 rounding error stays
// below ~ rows * 2^-24 * max|x|; 1e-5 absolute plus 1e-5 relative covers that with margin.
const TOL = { atol: 1e-5, rtol: 1e-5 };
const SHAPES: [number, number][] = [[1, 1], [1, 17], [7, 13], [240, 300], [5000, 3], [3, 1031]];

describe('colsum kernel', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  for (const [rows, cols] of SHAPES) {
    it(`colsum ${rows}x${cols}, overwrite and accumulate`, async () => {
      const rng = mulberry32(rows * 7 + cols);
      const xs = Float32Array.from(uniformArray(rows * cols, 1, rng));
      const start = Float32Array.from(uniformArray(cols, 1, rng));
      const x = Tensor.from(env.ctx, xs, [rows, cols], { label: 'x' });
      const out = Tensor.from(env.ctx, start, [cols], { label: 'out' });
      const acc = Tensor.from(env.ctx, start, [cols], { label: 'acc' });
      new Plan(env.ctx, 'colsum', [
        await colsumStep(env.registry, 'colsum', rows, cols, x.buffer, out.buffer),
        await colsumStep(env.registry, 'colsum.accumulate', rows, cols, x.buffer, acc.buffer, true),
      ]).run();
      const expected = colSum(Float64Array.from(xs), rows, cols);
      expectClose(await out.read(), expected, TOL, `colsum ${rows}x${cols}`);
      expectClose(await acc.read(), Array.from(expected, (v, j) => v + start[j]), TOL, `colsum+= ${rows}x${cols}`);
      for (const t of [x, out, acc]) t.dispose();
    });
  }
});
