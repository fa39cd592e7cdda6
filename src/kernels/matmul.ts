// Matmul (shaders/matmul.wgsl, shaders/matmul-subgroups.wgsl): C (+)= op(A) . op(B) (+ bias), with the
// column sums of B alongside: the input projections, the recurrent products of the per-step recurrence,
// and the weight and input gradients of every layer. One pipeline for every shape: sizes, strides,
// offsets and flags are dims. Which of the two kernels runs is chosen per device: the subgroup one where
// the device has subgroups of at least 8 lanes (2.4x faster on lavapipe), the portable one elsewhere.

import { ShapeError } from '../gpu/errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';

/** The shape, layout and options of a matmul dispatch: C (+)= op(A) . op(B) (+ bias). */
export interface MatmulShape {
  /** Rows of op(A) and C. */
  M: number;
  /** Inner dimension. */
  K: number;
  /** Columns of op(B) and C. */
  N: number;
  /** A is stored [K, M] and used transposed. */
  transA?: boolean;
  /** B is stored [N, K] and used transposed. */
  transB?: boolean;
  /** C += result (and colsum +=) instead of =. */
  accumulate?: boolean;
  /** Row stride of A as stored, in elements (default: dense). */
  lda?: number;
  /** Row stride of B as stored, in elements (default: dense). */
  ldb?: number;
  /** Row stride of C, in elements (default: dense). */
  ldc?: number;
  /** Element offset of A within its binding (default 0). */
  aOffset?: number;
  /** Element offset of B within its binding (default 0). */
  bOffset?: number;
  /** Element offset of C within its binding (default 0). */
  cOffset?: number;
  /** Element offset of the bias within its binding (default 0). */
  biasOffset?: number;
  /** Element offset of colsum within its binding (default 0). */
  colsumOffset?: number;
  /** Independent products (grid z), default 1; the batch strides below are in elements (0 = shared). */
  batches?: number;
  /** Element stride of A between products. */
  batchA?: number;
  /** Element stride of B between products. */
  batchB?: number;
  /** Element stride of C between products. */
  batchC?: number;
  /** Element stride of the bias between products. */
  batchBias?: number;
  /** Element stride of colsum between products. */
  batchColsum?: number;
}

/** The buffers of a matmul dispatch. */
export interface MatmulBuffers {
  /** A. */
  a: BufferRange;
  /** B. */
  b: BufferRange;
  /** C, the result. */
  c: BufferRange;
  /** Added to every row of C. */
  bias?: BufferRange;
  /** Receives the column sums of B (B as stored [K, N]: no transB). */
  colsum?: BufferRange;
}

type MatmulDims = {
  M: number; N: number; K: number; flags: number; lda: number; ldb: number; ldc: number;
  a_offset: number; b_offset: number; c_offset: number; bias_offset: number; colsum_offset: number;
  batch_a: number; batch_b: number; batch_c: number; batch_bias: number; batch_colsum: number;
};

const FLAGS = { transA: 1, transB: 2, accumulate: 4, bias: 8, colsum: 16 } as const;
const has = (d: MatmulDims, flag: number) => (d.flags & flag) !== 0;

/** Bytes up to and including the last element a strided [rows, cols] block touches, over `batches`. */
function extent(offset: number, rows: number, cols: number, ld: number, batches: number, batchStride: number): number {
  if (rows === 0 || cols === 0) return 4;
  return (offset + (batches - 1) * batchStride + (rows - 1) * ld + cols) * 4;
}

/** The matmul kernels: `portable` runs on every device, `subgroups` needs subgroups of >= 8 lanes. */
export type MatmulKernel = 'portable' | 'subgroups';

const KERNELS: Record<MatmulKernel, { spec: KernelSpec; tileRows: number; tileCols: number }> = {
  portable: { spec: { files: ['common/matmul-interface.wgsl', 'matmul.wgsl'], entry: 'matmul' }, tileRows: 8, tileCols: 64 },
  subgroups: { spec: { files: ['common/subgroups.wgsl', 'common/matmul-interface.wgsl', 'matmul-subgroups.wgsl'], entry: 'matmul' }, tileRows: 32, tileCols: 64 },
};

/** The matmul entry point that runs everywhere (shaders/matmul.wgsl). */
export const matmulSpec: KernelSpec = KERNELS.portable.spec;

/**
 * The matmul kernels this device can run, fastest first. The subgroup kernel shuffles values among the 8
 * invocations of a workgroup, so they must be one subgroup: the device needs the `subgroups` feature
 * (requestGpu asks for it) and an adapter whose subgroups hold at least 8 lanes.
 */
export function matmulKernels(ctx: GpuContext): MatmulKernel[] {
  return ctx.features.has('subgroups') && (ctx.subgroupMinSize ?? 0) >= 8 ? ['subgroups', 'portable'] : ['portable'];
}

/**
 * One dispatch of C (+)= op(A) . op(B) (+ bias), colsum (+)= column sums of B, by the device's fastest
 * matmul kernel unless `kernel` names one of {@link matmulKernels}.
 */
export async function matmulStep(
  registry: KernelRegistry,
  label: string,
  shape: MatmulShape,
  buffers: MatmulBuffers,
  kernel: MatmulKernel = matmulKernels(registry.context)[0],
): Promise<Step> {
  if (!matmulKernels(registry.context).includes(kernel)) {
    throw new ShapeError(`${label}: the '${kernel}' matmul kernel needs subgroups of at least 8 lanes, which this device does not have`);
  }
  const { M, K, N } = shape;
  for (const [name, value] of Object.entries({ M, K, N })) {
    if (!Number.isInteger(value) || value < 0) throw new ShapeError(`${label}: matmul ${name} must be a non-negative integer, got ${value}`);
  }
  const transA = shape.transA ?? false;
  const transB = shape.transB ?? false;
  if (buffers.colsum && transB) throw new ShapeError(`${label}: the column sums are of B as stored [K, N]; transB is not supported`);
  const batches = shape.batches ?? 1;
  if (!Number.isInteger(batches) || batches < 1) throw new ShapeError(`${label}: matmul batches must be a positive integer, got ${batches}`);
  const dims: MatmulDims = {
    M, N, K,
    flags: (transA ? FLAGS.transA : 0) | (transB ? FLAGS.transB : 0) | (shape.accumulate ? FLAGS.accumulate : 0)
      | (buffers.bias ? FLAGS.bias : 0) | (buffers.colsum ? FLAGS.colsum : 0),
    lda: shape.lda ?? (transA ? M : K),
    ldb: shape.ldb ?? (transB ? K : N),
    ldc: shape.ldc ?? N,
    a_offset: shape.aOffset ?? 0,
    b_offset: shape.bOffset ?? 0,
    c_offset: shape.cOffset ?? 0,
    bias_offset: shape.biasOffset ?? 0,
    colsum_offset: shape.colsumOffset ?? 0,
    batch_a: shape.batchA ?? (transA ? K * M : M * K),
    batch_b: shape.batchB ?? K * N,
    batch_c: shape.batchC ?? M * N,
    batch_bias: shape.batchBias ?? 0,
    batch_colsum: shape.batchColsum ?? N,
  };
  const bytes = {
    a: transA ? extent(dims.a_offset, K, M, dims.lda, batches, dims.batch_a) : extent(dims.a_offset, M, K, dims.lda, batches, dims.batch_a),
    b: transB ? extent(dims.b_offset, N, K, dims.ldb, batches, dims.batch_b) : extent(dims.b_offset, K, N, dims.ldb, batches, dims.batch_b),
    c: extent(dims.c_offset, M, N, dims.ldc, batches, dims.batch_c),
    bias: has(dims, FLAGS.bias) ? extent(dims.bias_offset, 1, N, N, batches, dims.batch_bias) : 4,
    colsum: has(dims, FLAGS.colsum) ? extent(dims.colsum_offset, 1, N, N, batches, dims.batch_colsum) : 4,
  };
  const { spec, tileRows, tileCols } = KERNELS[kernel];
  const compiled = await registry.kernel<MatmulDims>(spec);
  const ctx = registry.context;
  return compiled.step(label, {
    a: buffers.a, b: buffers.b, c: buffers.c,
    bias: buffers.bias ?? ctx.placeholder('read'),
    colsum: buffers.colsum ?? ctx.placeholder('write'),
  }, [Math.ceil(N / tileCols), Math.ceil(M / tileRows), batches], { dims, bytes });
}
