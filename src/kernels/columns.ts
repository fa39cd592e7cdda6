// Column-block copies (shaders/columns.wgsl): Concatenate along the last axis, forward and backward.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

type ColumnDims = { rows: number; cols: number; flags: number; x_stride: number; x_col: number; out_stride: number; out_col: number };

export const copyColumnsSpec: KernelSpec = { files: ['columns.wgsl'], entry: 'copy_columns' };

const WORKGROUP = 64;

/** Where a block of `cols` columns sits in a row-major matrix of `stride` columns. */
export interface ColumnBlock {
  buffer: BufferRange;
  stride: number;
  column: number;
}

/** out[r, out.column + c] (+)= x[r, x.column + c] for r < rows, c < cols. */
export async function copyColumnsStep(
  registry: KernelRegistry, label: string, rows: number, cols: number, x: ColumnBlock, out: ColumnBlock, accumulate = false,
): Promise<Step> {
  for (const [name, value] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${value}`);
  }
  for (const [name, block] of [['x', x], ['out', out]] as const) {
    if (block.column < 0 || block.column + cols > block.stride) {
      throw new ShapeError(`${label}: columns [${block.column}, ${block.column + cols}) of ${name} do not fit its ${block.stride} columns`);
    }
  }
  const dims: ColumnDims = { rows, cols, flags: accumulate ? 1 : 0, x_stride: x.stride, x_col: x.column, out_stride: out.stride, out_col: out.column };
  return (await registry.kernel<ColumnDims>(copyColumnsSpec)).step(label, { x: x.buffer, out: out.buffer },
    grid1d(rows * cols, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
    { dims, bytes: { x: rows * x.stride * 4, out: rows * out.stride * 4 } });
}
