// GRU (Keras semantics): gates z, r, h; recurrent activation sigmoid, activation tanh. resetAfter = true
// (Keras 2.x/3 default, cuDNN-compatible): bias [2, 3u] (input bias; recurrent bias), the reset gate
// applied to the recurrent product; resetAfter = false: bias [3u], the reset gate applied to h before its
// product (two recurrent products per step). The math is shaders/cells/gru.wgsl; the float64 reference
// test/reference/cells/gru.ts.

import { fromInterleaved, toInterleaved } from '../layers/gate-layout.js';
import type { CellDescriptor } from './descriptor.js';
import { configureCell, gateWeight, init, kernels } from './common.js';

/** The GRU cell (Keras semantics: gates z, r, h; resetAfter true by default, or false). */
export const gruCell: CellDescriptor = {
  name: 'gru',
  kerasClass: 'GRU',
  file: 'cells/gru.wgsl',
  gates: 3,
  slots: 4,
  extraStates: [],
  gated: true,
  configure: (options, who) => configureCell(options, who, ['recurrentActivation', 'resetAfter'], true),
  phases: (config) => (config.resetAfter ? 1 : 2),
  constants: (config) => ({ RESET_AFTER: config.resetAfter, HAS_RBIAS: config.resetAfter && config.useBias }),
  weights(config, inputSize) {
    const u = config.units;
    const all = kernels(config, inputSize, 3, 4);
    if (!config.useBias) return all;
    if (!config.resetAfter) {
      all.push(gateWeight('bias', 'bias', [3 * u], 1, u, 3, 4, (seed) => init(config.biasInitializer, [3 * u], seed + 2)));
      return all;
    }
    all.push({
      name: 'bias',
      shape: [2, 3 * u],
      parts: [{ part: 'bias', floats: 4 * u }, { part: 'recurrent_bias', floats: 4 * u }],
      toStored: (keras) => [toInterleaved(keras.subarray(0, 3 * u), 1, u, 3, 4), toInterleaved(keras.subarray(3 * u), 1, u, 3, 4)],
      fromStored: ([input, recurrent]) => {
        const out = new Float32Array(6 * u);
        out.set(fromInterleaved(input, 1, u, 3, 4), 0);
        out.set(fromInterleaved(recurrent, 1, u, 3, 4), 3 * u);
        return out;
      },
      initial: (seed) => init(config.biasInitializer, [2, 3 * u], seed + 2),
    });
    return all;
  },
  // z, r, n and the recurrent product of the h gate.
  savedFloats: () => 4,
  carries: 0,
  recurrentGradient: () => 'dz_rec',
  recurrentBias: (config) => config.resetAfter && config.useBias,
};
