// Keras' default initializers: glorot_uniform kernels, orthogonal recurrent kernels, zero biases
// (with the LSTM forget gate at one). All seeded; all return row-major Float32Arrays.

import { normalSampler, seededRandom } from './random.js';

/** Uniform in [-limit, limit], limit = sqrt(6 / (fanIn + fanOut)); for a [fanIn, fanOut] matrix. */
export function glorotUniform(fanIn: number, fanOut: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * limit;
  return out;
}

/**
 * A [rows, cols] matrix with orthonormal rows (rows <= cols) or columns (rows > cols), distributed as
 * Keras' Orthogonal: the Q factor, sign-corrected so R has a positive diagonal, of a Gaussian matrix.
 *
 * Gram-Schmidt on the short side's vectors, each stored contiguously, gives exactly that Q (it makes
 * R's diagonal positive by construction). A vector is projected a second time only when the first pass
 * removed most of it (Kahan-Parlett "twice is enough"), which keeps the result orthonormal to float64
 * precision at the cost of one pass for the well-conditioned Gaussian matrices seen here.
 */
export function orthogonal(rows: number, cols: number, seed: number, gain = 1): Float32Array {
  const count = Math.min(rows, cols); // vectors to orthonormalize
  const length = Math.max(rows, cols); // their dimension
  const normal = normalSampler(seededRandom(seed));
  const vectors = new Float64Array(count * length);
  for (let i = 0; i < vectors.length; i++) vectors[i] = normal();

  const coefficients = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = i * length;
    let norm = Math.sqrt(dot(vectors, v, v, length));
    for (let pass = 0; pass < 2 && i > 0; pass++) {
      // Classical Gram-Schmidt against the finished vectors 0..i-1: all dot products, then one update sweep.
      for (let j = 0; j < i; j++) coefficients[j] = dot(vectors, j * length, v, length);
      for (let j = 0; j < i; j++) {
        const c = coefficients[j];
        const q = j * length;
        for (let k = 0; k < length; k++) vectors[v + k] -= c * vectors[q + k];
      }
      const projected = Math.sqrt(dot(vectors, v, v, length));
      const enough = projected > 0.7 * norm;
      norm = projected;
      if (enough) break;
    }
    for (let k = 0; k < length; k++) vectors[v + k] /= norm;
  }

  const out = new Float32Array(rows * cols);
  if (rows <= cols) {
    for (let i = 0; i < out.length; i++) out[i] = gain * vectors[i];
  } else {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * vectors[c * length + r];
  }
  return out;
}

function dot(x: Float64Array, a: number, b: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += x[a + k] * x[b + k];
    s1 += x[a + k + 1] * x[b + k + 1];
    s2 += x[a + k + 2] * x[b + k + 2];
    s3 += x[a + k + 3] * x[b + k + 3];
  }
  for (; k < n; k++) s0 += x[a + k] * x[b + k];
  return s0 + s1 + s2 + s3;
}
