// Matmul (shaders/matmul.wgsl): c (+)= op(a) . op(b) (+ bias), the input projections and the weight
// and input gradients of every layer.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';

export interface MatmulShape {
  /** Rows of op(a) and c. */
  M: number;
  /** Inner dimension. */
  K: number;
  /** Columns of op(b) and c. */
  N: number;
  /** a is stored [K, M] and used transposed. */
  transA?: boolean;
  /** b is stored [N, K] and used transposed. */
  transB?: boolean;
  /** c += result instead of c = result. */
  accumulate?: boolean;
}

type MatmulConstants = { M: number; K: number; N: number; TRANS_A: boolean; TRANS_B: boolean; ACCUMULATE: boolean; COLSUM?: boolean };

const sizes = (c: MatmulConstants) => ({ a: c.M * c.K * 4, b: c.K * c.N * 4, c: c.M * c.N * 4 });

export const matmulSpec: KernelSpec<MatmulConstants> = { shader: 'matmul.wgsl', entry: 'matmul', bindingBytes: sizes };
export const matmulBiasSpec: KernelSpec<MatmulConstants> = {
  shader: 'matmul.wgsl',
  entry: 'matmul_bias',
  bindingBytes: (c) => ({ ...sizes(c), bias: c.N * 4 }),
};

export const matmulColsumSpec: KernelSpec<MatmulConstants> = {
  shader: 'matmul.wgsl',
  entry: 'matmul_colsum',
  bindingBytes: (c) => ({ ...sizes(c), colsum: c.N * 4 }),
};

/** Each workgroup computes an 8-row x 64-column tile of c (8 invocations, 8x8 each). */
const TILE_ROWS = 8;
const TILE_COLS = 64;

/** c = op(a) . op(b) (+ bias broadcast over rows) (c += ... with accumulate). */
export async function matmulStep(
  registry: KernelRegistry,
  label: string,
  shape: MatmulShape,
  a: BufferRange,
  b: BufferRange,
  c: BufferRange,
  bias?: BufferRange,
): Promise<Step> {
  return bias === undefined
    ? dispatch(registry, label, shape, matmulSpec, { a, b, c })
    : dispatch(registry, label, shape, matmulBiasSpec, { a, b, c, bias });
}

/**
 * c (+)= op(a) . b and colsum (+)= the column sums of b [K, N], in one dispatch: a layer's weight gradient
 * x^T . dz (transA) with its bias gradient sum over rows of dz.
 */
export async function matmulColsumStep(
  registry: KernelRegistry,
  label: string,
  shape: MatmulShape,
  a: BufferRange,
  b: BufferRange,
  c: BufferRange,
  colsum: BufferRange,
): Promise<Step> {
  if (shape.transB) throw new ShapeError(`${label}: the column sums are of b as stored [K, N]; transB is not supported`);
  return dispatch(registry, label, shape, matmulColsumSpec, { a, b, c, colsum }, { COLSUM: true });
}

/** Checks the shape, then one dispatch of an 8 x 64 tile per workgroup. */
async function dispatch(
  registry: KernelRegistry, label: string, shape: MatmulShape, spec: KernelSpec<MatmulConstants>,
  buffers: Record<string, BufferRange>, extra: Partial<MatmulConstants> = {},
): Promise<Step> {
  const { M, K, N } = shape;
  for (const [name, value] of Object.entries({ M, K, N })) {
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: matmul ${name} must be a positive integer, got ${value}`);
  }
  const constants: MatmulConstants = {
    M, K, N, TRANS_A: shape.transA ?? false, TRANS_B: shape.transB ?? false, ACCUMULATE: shape.accumulate ?? false, ...extra,
  };
  const grid: [number, number] = [Math.ceil(N / TILE_COLS), Math.ceil(M / TILE_ROWS)];
  return (await registry.kernel(spec, constants)).step(label, buffers, grid);
}
