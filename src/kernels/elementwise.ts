// Elementwise ops (shaders/elementwise.wgsl) over flat f32 buffers: copy, scale, arithmetic, fill,
// multiply-add, each optionally accumulated into its output. One pipeline for all of them.

import { ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

/** The elementwise ops by name, with the op code the shader takes. */
export const ELEMENTWISE_OPS = {
  /** out = x. */
  copy: 0,
  /** out = alpha x. */
  scale: 1,
  /** out = x + y. */
  add: 2,
  /** out = x - y. */
  sub: 3,
  /** out = x y. */
  mul: 4,
  /** out = x / y. */
  div: 5,
  /** out = alpha. */
  fill: 6,
  /** out = alpha x + y. */
  axpy: 7,
} as const;
/** An elementwise op by name. */
export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

/** Ops that read y. */
const BINARY: ReadonlySet<ElementwiseOp> = new Set(['add', 'sub', 'mul', 'div', 'axpy']);

type ElementwiseDims = { n: number; op: number; flags: number; alpha: number; x_offset: number; y_offset: number; out_offset: number };

/** The elementwise entry point (shaders/elementwise.wgsl). */
export const elementwiseSpec: KernelSpec = { files: ['elementwise.wgsl'], entry: 'elementwise' };

const WORKGROUP = 64;

/** Options of {@link elementwiseStep}. */
export interface ElementwiseOptions {
  /** Scale of `scale`, value of `fill`, factor of x in `axpy` (alpha x + y). Default 1. */
  alpha?: number;
  /** out += result instead of out = result. */
  accumulate?: boolean;
  /** Element offset into x. Default 0. */
  xOffset?: number;
  /** Element offset into y. Default 0. */
  yOffset?: number;
  /** Element offset into out. Default 0. */
  outOffset?: number;
}

/**
 * out[i] (+)= op(x[i], y[i]) for i < n: copy x, scale alpha x, x + y, x - y, x y, x / y, fill alpha,
 * axpy alpha x + y.
 */
export async function elementwiseStep(
  registry: KernelRegistry,
  label: string,
  op: ElementwiseOp,
  n: number,
  buffers: { x?: BufferRange; y?: BufferRange; out: BufferRange },
  options: ElementwiseOptions = {},
): Promise<Step> {
  if (!Number.isInteger(n) || n < 0) throw new ShapeError(`${label}: element count must be a non-negative integer, got ${n}`);
  if (!(op in ELEMENTWISE_OPS)) throw new ShapeError(`${label}: unknown elementwise op '${op}'`);
  const readsX = op !== 'fill';
  const readsY = BINARY.has(op);
  if (readsX && !buffers.x) throw new ShapeError(`${label}: '${op}' needs x`);
  if (readsY && !buffers.y) throw new ShapeError(`${label}: '${op}' needs y`);
  const dims: ElementwiseDims = {
    n, op: ELEMENTWISE_OPS[op], flags: options.accumulate ? 1 : 0, alpha: options.alpha ?? 1,
    x_offset: options.xOffset ?? 0, y_offset: options.yOffset ?? 0, out_offset: options.outOffset ?? 0,
  };
  const ctx = registry.context;
  const kernel = await registry.kernel<ElementwiseDims>(elementwiseSpec);
  return kernel.step(label, { x: buffers.x ?? ctx.placeholder('read'), y: buffers.y ?? ctx.placeholder('read'), out: buffers.out },
    grid1d(n, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension), {
      dims,
      bytes: {
        x: readsX ? (dims.x_offset + n) * 4 : 4,
        y: readsY ? (dims.y_offset + n) * 4 : 4,
        out: Math.max(4, (dims.out_offset + n) * 4),
      },
    });
}
