// Argument checks at the layer boundary: each error names the argument and what was expected.

import { ShapeError } from '../gpu/errors.js';

/** Throws unless `data` has exactly `length` numbers; `shape` describes the expected shape. */
export function expectLength(what: string, data: ArrayLike<number> | undefined, length: number, shape: string): void {
  if (data === undefined || typeof data.length !== 'number') throw new ShapeError(`${what}: expected ${shape} numbers, got nothing`);
  if (data.length !== length) {
    throw new ShapeError(`${what}: expected shape ${shape} (${length} values), got ${data.length}`);
  }
}

/** Throws on the first NaN or infinity, naming its index. */
export function expectFinite(what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ShapeError(`${what}: element ${i} is ${data[i]}; values must be finite`);
  }
}

export function expectPositiveInteger(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${what} must be a positive integer, got ${value}`);
}
