// Regions of buffers given as an element offset (4-byte elements) rather than a binding offset, so a
// kernel can read any place of a buffer (binding offsets must be 256-byte aligned): the checks the
// kernels that take them share.

import { ShapeError } from '../gpu/errors.js';
import { Tensor } from '../gpu/tensor.js';

/** A buffer from an element offset. */
export interface ElementRegion {
  /** The buffer. */
  buffer: GPUBuffer | Tensor;
  /** First 4-byte element of the region. */
  offset: number;
}

/** The buffer to bind and the bytes the dispatch may touch; `elements` 0: not read (still bound). */
export function checkRegion(label: string, name: string, region: ElementRegion, elements: number): { range: GPUBuffer | Tensor; bytes: number } {
  if (!region || typeof region !== 'object' || !region.buffer) throw new ShapeError(`${label}: ${name} must be { buffer, offset }, got ${describeValue(region)}`);
  const { buffer, offset } = region;
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`${label}: ${name} offset must be a non-negative integer (elements), got ${offset}`);
  const available = Math.floor((buffer instanceof Tensor ? buffer.byteLength : buffer.size) / 4);
  const needed = elements === 0 ? 0 : offset + elements;
  if (needed > available) {
    throw new ShapeError(`${label}: ${name} needs ${elements} elements from element ${offset} (${needed} in all), buffer '${bufferLabel(buffer)}' holds ${available}`);
  }
  return { range: buffer, bytes: Math.max(4, needed * 4) };
}

/** WebGPU refuses a buffer bound for writing and bound again: each written region's buffer must appear once. */
export function keepApart(label: string, written: readonly (readonly [string, ElementRegion])[], read: readonly (readonly [string, ElementRegion])[]): void {
  const gpu = (r: ElementRegion) => (r.buffer instanceof Tensor ? r.buffer.buffer : r.buffer);
  const all = [...written, ...read];
  written.forEach(([name, region], i) => {
    for (const [other, o] of all.slice(i + 1)) {
      if (gpu(o) === gpu(region)) throw new ShapeError(`${label}: ${name} and ${other} are the same buffer '${bufferLabel(region.buffer)}'; the kernel needs them apart`);
    }
  });
}

/** A buffer's label, for errors. */
export function bufferLabel(buffer: GPUBuffer | Tensor): string {
  return buffer instanceof Tensor ? buffer.buffer.label : buffer.label;
}

/** A value as an error message shows it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
