// Column sum (shaders/reduce.wgsl): out[j] (+)= sum_i x[i, j], the bias gradient of a layer.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';

type ColsumConstants = { ROWS: number; COLS: number; ACCUMULATE: boolean };

export const colsumSpec: KernelSpec<ColsumConstants> = {
  shader: 'reduce.wgsl',
  entry: 'colsum',
  bindingBytes: (c) => ({ x: c.ROWS * c.COLS * 4, out: c.COLS * 4 }),
};

const COLS_PER_GROUP = 16;

export async function colsumStep(
  registry: KernelRegistry, label: string, rows: number, cols: number, x: BufferRange, out: BufferRange, accumulate = false,
): Promise<Step> {
  const kernel = await registry.kernel(colsumSpec, { ROWS: rows, COLS: cols, ACCUMULATE: accumulate });
  return kernel.step(label, { x, out }, [Math.ceil(cols / COLS_PER_GROUP)]);
}
