// Embedding gather and gradient scatter (shaders/embedding.wgsl), and the host-side grouping of rows
// by id that the scatter needs.

import type { BufferRange, KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';

type EmbeddingConstants = { N: number; V: number; D: number };

export const gatherSpec: KernelSpec<EmbeddingConstants> = {
  shader: 'embedding.wgsl', entry: 'gather', bindingBytes: (c) => ({ ids: c.N * 4, table: c.V * c.D * 4, out: c.N * c.D * 4 }),
};
export const scatterAddSpec: KernelSpec<EmbeddingConstants> = {
  shader: 'embedding.wgsl',
  entry: 'scatter_add',
  bindingBytes: (c) => ({ dout: c.N * c.D * 4, row_start: (c.V + 1) * 4, rows_by_id: c.N * 4, dtable: c.V * c.D * 4 }),
};

const WORKGROUP = 64;

export async function gatherStep(
  registry: KernelRegistry, label: string, rows: number, vocab: number, dim: number, ids: BufferRange, table: BufferRange, out: BufferRange,
): Promise<Step> {
  const kernel = await registry.kernel(gatherSpec, { N: rows, V: vocab, D: dim });
  return kernel.step(label, { ids, table, out }, [Math.ceil(dim / WORKGROUP), rows]);
}

export async function scatterAddStep(
  registry: KernelRegistry, label: string, rows: number, vocab: number, dim: number,
  buffers: { dout: BufferRange; rowStart: BufferRange; rowsById: BufferRange; dtable: BufferRange },
): Promise<Step> {
  const kernel = await registry.kernel(scatterAddSpec, { N: rows, V: vocab, D: dim });
  return kernel.step(label, { dout: buffers.dout, row_start: buffers.rowStart, rows_by_id: buffers.rowsById, dtable: buffers.dtable },
    [Math.ceil(dim / WORKGROUP), vocab]);
}

/** Rows grouped by id (a counting sort): rowsById sorted by id, rowStart[v]..rowStart[v+1] its slice. */
export function groupRowsById(ids: ArrayLike<number>, vocab: number): { rowStart: Uint32Array; rowsById: Uint32Array } {
  const rowStart = new Uint32Array(vocab + 1);
  for (let r = 0; r < ids.length; r++) rowStart[ids[r] + 1]++;
  for (let v = 0; v < vocab; v++) rowStart[v + 1] += rowStart[v];
  const next = rowStart.slice(0, vocab);
  const rowsById = new Uint32Array(Math.max(ids.length, 1));
  for (let r = 0; r < ids.length; r++) rowsById[next[ids[r]]++] = r;
  return { rowStart, rowsById };
}
