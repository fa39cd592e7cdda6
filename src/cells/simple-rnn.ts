// SimpleRNN (Keras semantics): h = activation(x . kernel + h . recurrent_kernel + bias), activation tanh
// by default. The math is shaders/cells/simple_rnn.wgsl; the float64 reference test/reference/cells/simple-rnn.ts.

import type { CellDescriptor } from './descriptor.js';
import { configureCell, gateWeight, init, kernels } from './common.js';

/** The SimpleRNN cell: h = activation(x . kernel + h . recurrent_kernel + bias). */
export const simpleRnnCell: CellDescriptor = {
  name: 'simple_rnn',
  kerasClass: 'SimpleRNN',
  file: 'cells/simple_rnn.wgsl',
  gates: 1,
  slots: 1,
  extraStates: [],
  gated: false,
  configure: (options, who) => configureCell(options, who, [], false),
  phases: () => 1,
  constants: () => ({}),
  weights(config, inputSize) {
    const u = config.units;
    const all = kernels(config, inputSize, 1, 1);
    if (config.useBias) all.push(gateWeight('bias', 'bias', [u], 1, u, 1, 1, (seed) => init(config.biasInitializer, [u], seed + 2)));
    return all;
  },
  // Nothing: the activation's derivative is read off h itself.
  savedFloats: () => 0,
  carries: 0,
  recurrentGradient: () => 'dz',
  recurrentBias: () => false,
};
