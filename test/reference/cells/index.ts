// The reference cells by webrnn name.
import type { ReferenceCell } from '../recurrent.js';
import { gruReference } from './gru.js';
import { lstmReference } from './lstm.js';
import { simpleRnnReference } from './simple-rnn.js';

export { gruReference, lstmReference, simpleRnnReference };
export const REFERENCE_CELLS: Record<string, ReferenceCell> = { lstm: lstmReference, gru: gruReference, simple_rnn: simpleRnnReference };
