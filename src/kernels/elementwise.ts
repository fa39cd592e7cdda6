// Elementwise ops (shaders/elementwise.wgsl): copy, scale and negate, binary arithmetic, axpy and fill
// over flat f32 buffers.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';

export const UNARY_OPS = { copy: 0, scale: 1, negate: 2 } as const;
export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;

type ElementwiseConstants = { N: number; OP?: number; ALPHA?: number };
const bytes = (c: ElementwiseConstants) => c.N * 4;

const spec = (entry: string, bindings: string[]): KernelSpec<ElementwiseConstants> => ({
  shader: 'elementwise.wgsl',
  entry,
  bindingBytes: (c) => Object.fromEntries(bindings.map((name) => [name, bytes(c)])),
});

export const unarySpec = spec('unary', ['x', 'out']);
export const binarySpec = spec('binary', ['x', 'y', 'out']);
export const axpySpec = spec('axpy', ['x', 'out']);
export const fillSpec = spec('fill', ['out']);

const WORKGROUP = 64;

function grid(registry: KernelRegistry, n: number) {
  return grid1d(n, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension);
}

/** out = op(x) (scale: alpha * x). */
export async function unaryStep(
  registry: KernelRegistry, label: string, op: UnaryOp, n: number, x: BufferRange, out: BufferRange, alpha = 1,
): Promise<Step> {
  const kernel = await registry.kernel(unarySpec, { N: n, OP: UNARY_OPS[op], ALPHA: alpha });
  return kernel.step(label, { x, out }, grid(registry, n));
}

/** out = x op y. */
export async function binaryStep(
  registry: KernelRegistry, label: string, op: BinaryOp, n: number, x: BufferRange, y: BufferRange, out: BufferRange,
): Promise<Step> {
  const kernel = await registry.kernel(binarySpec, { N: n, OP: BINARY_OPS[op] });
  return kernel.step(label, { x, y, out }, grid(registry, n));
}

/** out += alpha * x. */
export async function axpyStep(
  registry: KernelRegistry, label: string, n: number, alpha: number, x: BufferRange, out: BufferRange,
): Promise<Step> {
  const kernel = await registry.kernel(axpySpec, { N: n, ALPHA: alpha });
  return kernel.step(label, { x, out }, grid(registry, n));
}

/** out = value. */
export async function fillStep(registry: KernelRegistry, label: string, n: number, value: number, out: BufferRange): Promise<Step> {
  const kernel = await registry.kernel(fillSpec, { N: n, ALPHA: value });
  return kernel.step(label, { out }, grid(registry, n));
}
