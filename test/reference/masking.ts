// Float64 reference of Keras' time-step masks (shaders/masking.wgsl): Masking's mask and output, a mask
// applied to rows, a loss's row weights from a mask, and the mean over the real steps with its gradient.
// Rows are time-major: row t B + b of a sequence [T, B, F]; a mask is [T, B] (1 real, 0 masked).

/** Keras' Masking: mask[r] = 1 where some x[r, f] != maskValue; out = x mask. */
export function maskFromValues(x: Float64Array, rows: number, features: number, maskValue: number): { mask: Float64Array; out: Float64Array } {
  const mask = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) if (x[r * features + f] !== maskValue) mask[r] = 1;
  }
  return { mask, out: maskRows(x, mask, features) };
}

/** out[r, f] = x[r, f] mask[r]. */
export function maskRows(x: Float64Array, mask: ArrayLike<number>, features: number): Float64Array {
  return x.map((v, i) => v * mask[Math.floor(i / features)]);
}

/** mask base / sum(mask base) (base 1 when absent); all 0 when the sum is 0. */
export function maskRowWeights(mask: ArrayLike<number>, base?: ArrayLike<number>): Float64Array {
  const weights = Float64Array.from(mask, (m, r) => m * (base ? base[r] : 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (sum === 0 ? 0 : w / sum));
}

/** out[b, f] = sum_t x[t, b, f] mask[t, b] / n_b, n_b = sum_t mask[t, b] (0 when n_b is 0). */
export function maskedMean(x: Float64Array, mask: ArrayLike<number>, T: number, B: number, F: number): Float64Array {
  const out = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    const n = realSteps(mask, T, B, b);
    if (n === 0) continue;
    for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[b * F + f] += (x[(t * B + b) * F + f] * mask[t * B + b]) / n;
  }
  return out;
}

/** dx[t, b, f] = dout[b, f] mask[t, b] / n_b. */
export function maskedMeanBackward(dout: Float64Array, mask: ArrayLike<number>, T: number, B: number, F: number): Float64Array {
  const dx = new Float64Array(T * B * F);
  for (let b = 0; b < B; b++) {
    const n = realSteps(mask, T, B, b);
    if (n === 0) continue;
    for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) dx[(t * B + b) * F + f] = (dout[b * F + f] * mask[t * B + b]) / n;
  }
  return dx;
}

function realSteps(mask: ArrayLike<number>, T: number, B: number, b: number): number {
  let n = 0;
  for (let t = 0; t < T; t++) n += mask[t * B + b];
  return n;
}
