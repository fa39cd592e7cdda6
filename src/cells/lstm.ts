// LSTM (Keras semantics): gates i, f, c, o; recurrent activation sigmoid, activation tanh; unit forget
// bias. The cell's math is shaders/cells/lstm.wgsl; its float64 reference test/reference/cells/lstm.ts.

import type { CellDescriptor } from './descriptor.js';
import { configureCell, gateWeight, init, kernels } from './common.js';

/** The LSTM cell (Keras semantics: gates i, f, c, o; states h, c; unit forget bias). */
export const lstmCell: CellDescriptor = {
  name: 'lstm',
  kerasClass: 'LSTM',
  file: 'cells/lstm.wgsl',
  gates: 4,
  slots: 4,
  extraStates: ['c'],
  gated: true,
  configure: (options, who) => configureCell(options, who, ['recurrentActivation', 'unitForgetBias'], true),
  phases: () => 1,
  constants: () => ({}),
  weights(config, inputSize) {
    const u = config.units;
    const all = kernels(config, inputSize, 4, 4);
    if (config.useBias) {
      all.push(gateWeight('bias', 'bias', [4 * u], 1, u, 4, 4, (seed) => {
        const bias = init(config.biasInitializer, [4 * u], seed + 2);
        if (config.unitForgetBias) bias.fill(1, u, 2 * u); // gate block f
        return bias;
      }));
    }
    return all;
  },
  // The activated gates (4) and c.
  savedFloats: () => 5,
  carries: 1,
  recurrentGradient: () => 'dz',
  recurrentBias: () => false,
};
