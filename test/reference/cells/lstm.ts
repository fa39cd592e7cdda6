// Keras LSTM cell in float64: gates i, f, c (g), o in blocks of u.
//   z = zx + h[t-1] U;  i = ra(z_i), f = ra(z_f), g = act(z_g), o = ra(z_o)
//   c = f c[t-1] + i g;  h = o act(c)

import { activate, activationDerivative } from '../activations.js';
import { recurrentProduct, recurrentProductBackward, type ReferenceCell } from '../recurrent.js';

interface Cache { z: Float64Array; hPrev: Float64Array; cPrev: Float64Array; c: Float64Array }

export const lstmReference: ReferenceCell = {
  name: 'lstm',
  gates: 4,
  extraStates: 1,
  step(zx, hPrev, [cPrev], w, s) {
    const u = s.units;
    const z = recurrentProduct(hPrev, w, 4 * u);
    for (let j = 0; j < 4 * u; j++) z[j] += zx[j];
    const h = new Float64Array(u);
    const c = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      const i = activate(s.recurrentActivation, z[k]);
      const f = activate(s.recurrentActivation, z[u + k]);
      const g = activate(s.activation, z[2 * u + k]);
      const o = activate(s.recurrentActivation, z[3 * u + k]);
      c[k] = f * cPrev[k] + i * g;
      h[k] = o * activate(s.activation, c[k]);
    }
    return { h, extra: [c], cache: { z, hPrev, cPrev, c } satisfies Cache };
  },
  stepBackward(dh, [dcIn], cache, w, s, grads) {
    const { z, hPrev, cPrev, c } = cache as Cache;
    const u = s.units;
    const dz = new Float64Array(4 * u);
    const dcPrev = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      const ra = s.recurrentActivation;
      const i = activate(ra, z[k]);
      const f = activate(ra, z[u + k]);
      const g = activate(s.activation, z[2 * u + k]);
      const o = activate(ra, z[3 * u + k]);
      const tc = activate(s.activation, c[k]);
      const dc = dcIn[k] + dh[k] * o * activationDerivative(s.activation, c[k]);
      dz[k] = dc * g * activationDerivative(ra, z[k]);
      dz[u + k] = dc * cPrev[k] * activationDerivative(ra, z[u + k]);
      dz[2 * u + k] = dc * i * activationDerivative(s.activation, z[2 * u + k]);
      dz[3 * u + k] = dh[k] * tc * activationDerivative(ra, z[3 * u + k]);
      dcPrev[k] = dc * f;
    }
    const dhPrev = recurrentProductBackward(hPrev, dz, w, grads.dRecurrentKernel);
    return { dzx: dz, dhPrev, dExtraPrev: [dcPrev] };
  },
};
