// Embedding gather and gradient scatter (shaders/embedding.wgsl), and the host-side grouping of rows
// by id that the scatter needs.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { foldedRows } from './grid.js';

type EmbeddingDims = { rows: number; vocab: number; dim: number; flags: number };

/** The embedding lookup entry point (shaders/embedding.wgsl). */
export const gatherSpec: KernelSpec = { files: ['embedding.wgsl'], entry: 'gather' };
/** The embedding gradient entry point (shaders/embedding.wgsl). */
export const scatterAddSpec: KernelSpec = { files: ['embedding.wgsl'], entry: 'scatter_add' };

const WORKGROUP = 64;

/** out[r, :] = table[ids[r], :] for r < rows. */
export async function gatherStep(
  registry: KernelRegistry, label: string, rows: number, vocab: number, dim: number, ids: BufferRange, table: BufferRange, out: BufferRange,
): Promise<Step> {
  const kernel = await registry.kernel<EmbeddingDims>(gatherSpec);
  const [y, z] = foldedRows(rows, registry.limits.maxComputeWorkgroupsPerDimension);
  return kernel.step(label, { ids, table, out }, [Math.ceil(dim / WORKGROUP), y, z], {
    dims: { rows, vocab, dim, flags: 0 },
    bytes: { ids: rows * 4, table: vocab * dim * 4, out: rows * dim * 4 },
  });
}

/** dtable[v, :] (+)= the sum of dout over the rows with id v (rows grouped by groupRowsById). */
export async function scatterAddStep(
  registry: KernelRegistry, label: string, rows: number, vocab: number, dim: number,
  buffers: { dout: BufferRange; rowStart: BufferRange; rowsById: BufferRange; dtable: BufferRange }, accumulate = false,
): Promise<Step> {
  const kernel = await registry.kernel<EmbeddingDims>(scatterAddSpec);
  const [y, z] = foldedRows(vocab, registry.limits.maxComputeWorkgroupsPerDimension);
  return kernel.step(label, { dout: buffers.dout, row_start: buffers.rowStart, rows_by_id: buffers.rowsById, dtable: buffers.dtable },
    [Math.ceil(dim / WORKGROUP), y, z], {
      dims: { rows, vocab, dim, flags: accumulate ? 1 : 0 },
      bytes: { dout: rows * dim * 4, row_start: (vocab + 1) * 4, rows_by_id: Math.max(rows, 1) * 4, dtable: vocab * dim * 4 },
    });
}

/** Rows grouped by id (a counting sort): rowsById sorted by id, rowStart[v]..rowStart[v+1] its slice. */
export function groupRowsById(ids: ArrayLike<number>, vocab: number): {
  /** [vocab + 1]: where each id's rows start in rowsById. */
  rowStart: Uint32Array;
  /** The row indices, sorted by id. */
  rowsById: Uint32Array;
} {
  const rowStart = new Uint32Array(vocab + 1);
  for (let r = 0; r < ids.length; r++) rowStart[ids[r] + 1]++;
  for (let v = 0; v < vocab; v++) rowStart[v + 1] += rowStart[v];
  const next = rowStart.slice(0, vocab);
  const rowsById = new Uint32Array(Math.max(ids.length, 1));
  for (let r = 0; r < ids.length; r++) rowsById[next[ids[r]]++] = r;
  return { rowStart, rowsById };
}
