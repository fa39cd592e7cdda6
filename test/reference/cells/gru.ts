// Keras GRU cell in float64: gates z, r, h in blocks of u.
// resetAfter (Keras 2.x/3 default): bias [2, 3u] (input; recurrent)
//   rz = h[t-1] U + b_rec;  z = ra(zx_z + rz_z), r = ra(zx_r + rz_r), n = act(zx_h + r * rz_h)
// resetAfter = false: bias [3u] (in zx)
//   z = ra(zx_z + (h U)_z), r = ra(zx_r + (h U)_r), n = act(zx_h + ((r * h) U)_h)
// h = z h[t-1] + (1 - z) n

import { activate, activationDerivative } from '../activations.js';
import { recurrentProduct, recurrentProductBackward, type RecurrentWeights, type ReferenceCell } from '../recurrent.js';

interface Cache { zx: Float64Array; hPrev: Float64Array; rz: Float64Array; rh?: Float64Array; rzh?: Float64Array }

/** ((r * h) U) restricted to the h-gate block [u]. */
function hBlockProduct(rh: Float64Array, w: RecurrentWeights, u: number): Float64Array {
  const out = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    let acc = 0;
    for (let k = 0; k < u; k++) acc += rh[k] * w.recurrentKernel[k * 3 * u + 2 * u + j];
    out[j] = acc;
  }
  return out;
}

export const gruReference: ReferenceCell = {
  name: 'gru',
  gates: 3,
  extraStates: 0,
  step(zx, hPrev, _extra, w, s) {
    const u = s.units;
    const ra = s.recurrentActivation;
    const h = new Float64Array(u);
    if (s.resetAfter) {
      const rz = recurrentProduct(hPrev, w, 3 * u, true);
      for (let k = 0; k < u; k++) {
        const z = activate(ra, zx[k] + rz[k]);
        const r = activate(ra, zx[u + k] + rz[u + k]);
        const n = activate(s.activation, zx[2 * u + k] + r * rz[2 * u + k]);
        h[k] = z * hPrev[k] + (1 - z) * n;
      }
      return { h, extra: [], cache: { zx, hPrev, rz } satisfies Cache };
    }
    const rz = recurrentProduct(hPrev, w, 3 * u);
    const rh = new Float64Array(u);
    for (let k = 0; k < u; k++) rh[k] = activate(ra, zx[u + k] + rz[u + k]) * hPrev[k];
    const rzh = hBlockProduct(rh, w, u);
    for (let k = 0; k < u; k++) {
      const z = activate(ra, zx[k] + rz[k]);
      const n = activate(s.activation, zx[2 * u + k] + rzh[k]);
      h[k] = z * hPrev[k] + (1 - z) * n;
    }
    return { h, extra: [], cache: { zx, hPrev, rz, rh, rzh } satisfies Cache };
  },
  stepBackward(dh, _dExtra, cache, w, s, grads) {
    const { zx, hPrev, rz, rh, rzh } = cache as Cache;
    const u = s.units;
    const ra = s.recurrentActivation;
    const dzx = new Float64Array(3 * u);
    if (s.resetAfter) {
      const drz = new Float64Array(3 * u); // gradient of h U + b_rec
      const direct = new Float64Array(u);
      for (let k = 0; k < u; k++) {
        const pz = zx[k] + rz[k];
        const pr = zx[u + k] + rz[u + k];
        const z = activate(ra, pz);
        const r = activate(ra, pr);
        const pn = zx[2 * u + k] + r * rz[2 * u + k];
        const n = activate(s.activation, pn);
        const dn = dh[k] * (1 - z) * activationDerivative(s.activation, pn);
        const dz = dh[k] * (hPrev[k] - n) * activationDerivative(ra, pz);
        const dr = dn * rz[2 * u + k] * activationDerivative(ra, pr);
        dzx[k] = dz;
        dzx[u + k] = dr;
        dzx[2 * u + k] = dn;
        drz[k] = dz;
        drz[u + k] = dr;
        drz[2 * u + k] = dn * r;
        direct[k] = dh[k] * z;
      }
      if (grads.dBias) for (let j = 0; j < 3 * u; j++) grads.dBias[3 * u + j] += drz[j];
      const dhPrev = recurrentProductBackward(hPrev, drz, w, grads.dRecurrentKernel);
      for (let k = 0; k < u; k++) dhPrev[k] += direct[k];
      return { dzx, dhPrev, dExtraPrev: [] };
    }
    // resetAfter = false: the h block's product is over r * h.
    const dn = new Float64Array(u);
    const dzr = new Float64Array(3 * u); // gradient of the z, r blocks of h U
    for (let k = 0; k < u; k++) {
      const pz = zx[k] + rz[k];
      const z = activate(ra, pz);
      const pn = zx[2 * u + k] + rzh![k];
      const n = activate(s.activation, pn);
      dn[k] = dh[k] * (1 - z) * activationDerivative(s.activation, pn);
      dzr[k] = dh[k] * (hPrev[k] - n) * activationDerivative(ra, pz);
      dzx[k] = dzr[k];
      dzx[2 * u + k] = dn[k];
    }
    // d(r h) from the h block: drh[k] = sum_j dn[j] U[k, 2u + j]; dU[k, 2u + j] += rh[k] dn[j].
    const drh = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      let acc = 0;
      for (let j = 0; j < u; j++) {
        grads.dRecurrentKernel[k * 3 * u + 2 * u + j] += rh![k] * dn[j];
        acc += dn[j] * w.recurrentKernel[k * 3 * u + 2 * u + j];
      }
      drh[k] = acc;
    }
    const dhPrev = new Float64Array(u);
    for (let k = 0; k < u; k++) {
      const pz = zx[k] + rz[k];
      const pr = zx[u + k] + rz[u + k];
      const z = activate(ra, pz);
      const r = activate(ra, pr);
      dzr[u + k] = drh[k] * hPrev[k] * activationDerivative(ra, pr);
      dzx[u + k] = dzr[u + k];
      dhPrev[k] = dh[k] * z + drh[k] * r;
    }
    const viaZR = recurrentProductBackward(hPrev, dzr, w, grads.dRecurrentKernel);
    for (let k = 0; k < u; k++) dhPrev[k] += viaZR[k];
    return { dzx, dhPrev, dExtraPrev: [] };
  },
};
