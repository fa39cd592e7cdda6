// Keras Embedding: a lookup of integer ids into table [vocab, dim]. Out-of-range ids throw
// (as Keras on CPU) rather than silently reading garbage.

import { exactDiv, expectLength } from './shapes.js';

function checkIds(ids: Int32Array, vocab: number): void {
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id < 0 || id >= vocab) throw new RangeError(`embedding: id ${id} at position ${n} is outside [0, ${vocab})`);
  }
}

/**
 * table [vocab, dim], ids [B, T] (any shape: N ids) -> output [B, T, dim] (N rows of dim).
 */
export function embeddingForward(table: Float64Array, vocab: number, ids: Int32Array): Float64Array {
  const dim = exactDiv(table.length, vocab, 'embedding table');
  checkIds(ids, vocab);
  const out = new Float64Array(ids.length * dim);
  for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n] * dim, (ids[n] + 1) * dim), n * dim);
  return out;
}

/**
 * Gradient w.r.t. the table [vocab, dim]: each row of dOutput [N, dim] is added into the row of
 * its id, so repeated ids accumulate.
 */
export function embeddingBackward(vocab: number, dim: number, ids: Int32Array, dOutput: Float64Array): Float64Array {
  checkIds(ids, vocab);
  expectLength(dOutput, ids.length * dim, 'embedding dOutput');
  const dTable = new Float64Array(vocab * dim);
  for (let n = 0; n < ids.length; n++) {
    const r = ids[n] * dim;
    for (let k = 0; k < dim; k++) dTable[r + k] += dOutput[n * dim + k];
  }
  return dTable;
}
