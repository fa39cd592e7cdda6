// Workgroup grids for 1-D work: fold into 2-D when one dimension would exceed the device limit.

import { LimitError } from '../gpu/errors.js';

export function grid1d(count: number, perGroup: number, maxPerDimension: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  if (groups <= maxPerDimension) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) throw new LimitError(`${count} elements need more than ${maxPerDimension}^2 workgroups`);
  return [maxPerDimension, y, 1];
}
