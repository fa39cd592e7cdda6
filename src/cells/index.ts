// The recurrent cells webrnn has, by webrnn name and by Keras class name.

import { ShapeError } from '../gpu/errors.js';
import type { CellDescriptor } from './descriptor.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { simpleRnnCell } from './simple-rnn.js';

export type { CellDescriptor, CellOptions, CellConfig, CellWeight } from './descriptor.js';
export { lstmCell, gruCell, simpleRnnCell };

/** Every cell's descriptor, by webrnn name. */
export const CELLS: Readonly<Record<string, CellDescriptor>> = { lstm: lstmCell, gru: gruCell, simple_rnn: simpleRnnCell };
/** The recurrent cells, by name: what a layer spec's `cell` takes. */
export type CellType = 'lstm' | 'gru' | 'simple_rnn';

/** The descriptor of a cell by name; a ShapeError naming `who` for an unknown one. */
export function cellByName(name: unknown, who: string): CellDescriptor {
  if (typeof name === 'string' && Object.hasOwn(CELLS, name)) return CELLS[name];
  throw new ShapeError(`${who}: cell must be one of ${Object.keys(CELLS).map((n) => `'${n}'`).join(', ')}, got '${String(name)}'`);
}
