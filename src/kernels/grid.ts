// Workgroup grids: 1-D work folded into 2-D, and row counts folded across y and z, when one dimension
// would exceed the device limit.

import { LimitError } from '../gpu/errors.js';

/**
 * Workgroups for `count` elements, `perGroup` per workgroup: [groups, 1, 1], folded into [max, y, 1] when
 * more than `maxPerDimension`; a LimitError past max^2.
 */
export function grid1d(count: number, perGroup: number, maxPerDimension: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  if (groups <= maxPerDimension) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) throw new LimitError(`${count} elements need more than ${maxPerDimension}^2 workgroups`);
  return [maxPerDimension, y, 1];
}

/** [y, z] for `rows` rows of workgroups (row = id.y + id.z * groups.y). */
export function foldedRows(rows: number, maxPerDimension: number): [number, number] {
  const count = Math.max(1, rows);
  if (count <= maxPerDimension) return [count, 1];
  const z = Math.ceil(count / maxPerDimension);
  if (z > maxPerDimension) throw new LimitError(`${rows} rows need more than ${maxPerDimension}^2 workgroups`);
  return [maxPerDimension, z];
}
