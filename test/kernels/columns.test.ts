// shaders/columns.wgsl (Concatenate forward, and with the strides swapped its backward) against a plain
// CPU copy, on odd sizes past one workgroup (64), assigned and accumulated. A copy and one f32 add per
// element: exact, so compared bit for bit.

import { beforeAll, describe, expect, it } from 'vitest';
import { Plan, Tensor, copyColumnsStep } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

describe('copy_columns kernel', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  for (const accumulate of [false, true]) {
    it(`copies a block of columns between row-major matrices${accumulate ? ', accumulated' : ''}`, async () => {
      const rng = mulberry32(accumulate ? 2 : 1);
      for (const [rows, cols, xStride, xCol, outStride, outCol] of [[1, 1, 1, 0, 3, 2], [67, 5, 7, 2, 13, 8], [131, 17, 17, 0, 29, 11]]) {
        const xs = Float32Array.from(uniformArray(rows * xStride, 2, rng));
        const start = Float32Array.from(uniformArray(rows * outStride, 2, rng));
        const x = Tensor.from(env.ctx, xs, [rows * xStride]);
        const out = Tensor.from(env.ctx, start, [rows * outStride]);
        Plan.runOnce(env.ctx, 'columns', [await copyColumnsStep(env.registry, 'columns', rows, cols,
          { buffer: x, stride: xStride, column: xCol }, { buffer: out, stride: outStride, column: outCol }, accumulate)]);
        const expected = Float32Array.from(start);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const at = r * outStride + outCol + c;
            expected[at] = (accumulate ? expected[at] : 0) + xs[r * xStride + xCol + c];
          }
        }
        expect(Array.from(await out.read()), `rows ${rows} cols ${cols}`).toEqual(Array.from(expected));
        x.dispose();
        out.dispose();
      }
    });
  }

  it('rejects a block that does not fit its matrix', async () => {
    const x = Tensor.from(env.ctx, new Float32Array(8), [8]);
    await expect(copyColumnsStep(env.registry, 'bad', 2, 3, { buffer: x, stride: 4, column: 2 }, { buffer: x, stride: 4, column: 0 })).rejects.toThrow(/columns \[2, 5\) of x do not fit its 4 columns/);
    x.dispose();
  });
});
