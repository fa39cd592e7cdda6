// Keras' LayerNormalization over the last axis and its vector-Jacobian products, in float64. x [R, F],
// element (r, f) at r F + f; gamma, beta [F].
//   mean_r = (1/F) sum_f x[r, f];  var_r = (1/F) sum_f (x[r, f] - mean_r)^2  (biased, as Keras)
//   inv_r = 1 / sqrt(var_r + eps);  xhat = (x - mean_r) inv_r
//   y = (scale ? gamma[f] : 1) xhat + (center ? beta[f] : 0)
// Given dy [R, F], with g = dy (scale ? gamma : 1):
//   dx[r, f] = inv_r (g - mean_f g - xhat mean_f(g xhat));  dgamma[f] = sum_r dy xhat;  dbeta[f] = sum_r dy

import { expectLength } from './shapes.js';

/** Shape and options of a layer normalization (as the kernel takes them). */
export interface LayerNormDims {
  rows: number;
  features: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

/** y [R, F], and stats [R, 2]: each row's (mean, 1/sqrt(var + eps)). gamma (scale) and beta (center) [F]. */
export function layerNorm(dims: LayerNormDims, x: Float64Array, gamma?: Float64Array, beta?: Float64Array): { y: Float64Array; stats: Float64Array } {
  const { rows: R, features: F, epsilon, center, scale } = dims;
  expectLength(x, R * F, 'layer norm x');
  if (scale) expectLength(gamma!, F, 'layer norm gamma');
  if (center) expectLength(beta!, F, 'layer norm beta');
  const y = new Float64Array(R * F);
  const stats = new Float64Array(R * 2);
  for (let r = 0; r < R; r++) {
    let sum = 0;
    for (let f = 0; f < F; f++) sum += x[r * F + f];
    const mean = sum / F;
    let squares = 0;
    for (let f = 0; f < F; f++) squares += (x[r * F + f] - mean) ** 2;
    const inv = 1 / Math.sqrt(squares / F + epsilon);
    for (let f = 0; f < F; f++) {
      const xhat = (x[r * F + f] - mean) * inv;
      y[r * F + f] = (scale ? gamma![f] : 1) * xhat + (center ? beta![f] : 0);
    }
    stats[2 * r] = mean;
    stats[2 * r + 1] = inv;
  }
  return { y, stats };
}

/** The vector-Jacobian products for dy [R, F]: dx [R, F]; dgamma [F] when scale, dbeta [F] when center. */
export function layerNormBackward(
  dims: LayerNormDims, x: Float64Array, dy: Float64Array, gamma?: Float64Array,
): { dx: Float64Array; dgamma?: Float64Array; dbeta?: Float64Array } {
  const { rows: R, features: F, center, scale } = dims;
  expectLength(dy, R * F, 'layer norm dy');
  const { stats } = layerNorm({ ...dims, center: false, scale: false }, x);
  if (scale) expectLength(gamma!, F, 'layer norm gamma');
  const dx = new Float64Array(R * F);
  const dgamma = new Float64Array(F);
  const dbeta = new Float64Array(F);
  for (let r = 0; r < R; r++) {
    const [mean, inv] = [stats[2 * r], stats[2 * r + 1]];
    const xhat = (f: number) => (x[r * F + f] - mean) * inv;
    const g = (f: number) => dy[r * F + f] * (scale ? gamma![f] : 1);
    let sumG = 0;
    let sumGX = 0;
    for (let f = 0; f < F; f++) {
      sumG += g(f);
      sumGX += g(f) * xhat(f);
    }
    for (let f = 0; f < F; f++) {
      dx[r * F + f] = inv * (g(f) - sumG / F - xhat(f) * (sumGX / F));
      dgamma[f] += dy[r * F + f] * xhat(f);
      dbeta[f] += dy[r * F + f];
    }
  }
  return { dx, ...(scale ? { dgamma } : {}), ...(center ? { dbeta } : {}) };
}
