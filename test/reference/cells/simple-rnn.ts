// Keras SimpleRNN cell in float64: h = act(zx + h[t-1] U), act tanh by default.

import { activate, activationDerivative } from '../activations.js';
import { recurrentProduct, recurrentProductBackward, type ReferenceCell } from '../recurrent.js';

interface Cache { z: Float64Array; hPrev: Float64Array }

export const simpleRnnReference: ReferenceCell = {
  name: 'simple_rnn',
  gates: 1,
  extraStates: 0,
  step(zx, hPrev, _extra, w, s) {
    const z = recurrentProduct(hPrev, w, s.units);
    for (let j = 0; j < s.units; j++) z[j] += zx[j];
    const h = z.map((v) => activate(s.activation, v));
    return { h, extra: [], cache: { z, hPrev } satisfies Cache };
  },
  stepBackward(dh, _dExtra, cache, w, s, grads) {
    const { z, hPrev } = cache as Cache;
    const dz = z.map((v, j) => dh[j] * activationDerivative(s.activation, v));
    return { dzx: dz, dhPrev: recurrentProductBackward(hPrev, dz, w, grads.dRecurrentKernel), dExtraPrev: [] };
  },
};
