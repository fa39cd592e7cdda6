// Keras' initializers, seeded: glorot_uniform kernels, orthogonal recurrent kernels, zero biases by
// default, and the rest of Keras' set by name or by Keras config ({ class_name, config }). Values are
// row-major Float32Arrays in Keras layout; fan-in / fan-out follow Keras (last two dims of a matrix;
// receptive field of a convolution kernel [k, in, out] included).

import { ShapeError } from '../gpu/errors.js';
import { normalSampler, seededRandom } from './random.js';

/** An initializer by Keras name, or a Keras config object { class_name, config }. */
export type InitializerSpec = string | {
  /** Keras class name ('GlorotUniform', 'Orthogonal', 'Constant', ...). */
  class_name?: string;
  /** The same, camelCase spelling. */
  className?: string;
  /** Its arguments ({ seed, gain, value, ... }). */
  config?: Record<string, unknown>;
};

/** Uniform in [-limit, limit], limit = sqrt(6 / (fanIn + fanOut)); for a [fanIn, fanOut] matrix. */
export function glorotUniform(fanIn: number, fanOut: number, seed: number): Float32Array {
  return varianceScaling([fanIn, fanOut], seed, 1, 'fan_avg', 'uniform');
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

/** Keras' fan-in / fan-out: a vector counts its length for both; a kernel [..., in, out] its receptive field. */
function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function varianceScaling(
  shape: readonly number[], seed: number, scale: number, mode: 'fan_in' | 'fan_out' | 'fan_avg', distribution: 'uniform' | 'normal' | 'truncated_normal',
): Float32Array {
  const [fanIn, fanOut] = fans(shape);
  const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
  const variance = scale / Math.max(1, n);
  const size = shape.reduce((a, b) => a * b, 1);
  const random = seededRandom(seed);
  const out = new Float32Array(size);
  if (distribution === 'uniform') {
    const limit = Math.sqrt(3 * variance);
    for (let i = 0; i < size; i++) out[i] = (2 * random() - 1) * limit;
    return out;
  }
  // Keras' truncated normal: stddev corrected for the truncation at 2 stddev (0.87962566103423978).
  const stddev = distribution === 'normal' ? Math.sqrt(variance) : Math.sqrt(variance) / 0.8796256610342398;
  fillNormal(out, 0, stddev, random, distribution !== 'normal');
  return out;
}

function fillNormal(out: Float32Array, mean: number, stddev: number, random: () => number, truncated: boolean): void {
  const normal = normalSampler(random);
  for (let i = 0; i < out.length; i++) {
    let v = normal();
    while (truncated && Math.abs(v) > 2) v = normal();
    out[i] = mean + stddev * v;
  }
}

const number = (config: Record<string, unknown>, key: string, fallback: number): number => {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(`initializer ${key} must be a number, got ${String(value)}`);
  return value;
};

/** snake_case Keras names of the initializers, and their class names. */
const ALIASES: Record<string, string> = {
  Zeros: 'zeros', Ones: 'ones', Constant: 'constant', RandomNormal: 'random_normal', RandomUniform: 'random_uniform',
  TruncatedNormal: 'truncated_normal', GlorotUniform: 'glorot_uniform', GlorotNormal: 'glorot_normal', HeUniform: 'he_uniform',
  HeNormal: 'he_normal', LecunUniform: 'lecun_uniform', LecunNormal: 'lecun_normal', Orthogonal: 'orthogonal', Identity: 'identity',
  VarianceScaling: 'variance_scaling', uniform: 'random_uniform', normal: 'random_normal', zero: 'zeros', one: 'ones',
};

export const INITIALIZER_NAMES = [
  'zeros', 'ones', 'constant', 'random_normal', 'random_uniform', 'truncated_normal', 'glorot_uniform', 'glorot_normal',
  'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'orthogonal', 'identity', 'variance_scaling',
] as const;

/** Values of `shape` (Keras layout) drawn by an initializer given by name or Keras config, seeded. */
export function initialize(spec: InitializerSpec, shape: readonly number[], seed: number, who = 'initializer'): Float32Array {
  const raw = typeof spec === 'string' ? spec : spec.class_name ?? spec.className;
  if (typeof raw !== 'string') throw new ShapeError(`${who}: an initializer is a name or { class_name, config }, got ${JSON.stringify(spec)}`);
  const name = ALIASES[raw] ?? raw;
  const config = (typeof spec === 'string' ? {} : spec.config) ?? {};
  const size = shape.reduce((a, b) => a * b, 1);
  // A seed in the config wins, as in Keras.
  const s = typeof config.seed === 'number' ? config.seed : seed;
  const random = seededRandom(s);
  const rows = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
  const cols = shape.length >= 1 ? shape[shape.length - 1] : 1;
  switch (name) {
    case 'zeros':
      return new Float32Array(size);
    case 'ones':
      return new Float32Array(size).fill(1);
    case 'constant':
      return new Float32Array(size).fill(number(config, 'value', 0));
    case 'random_uniform': {
      const lo = number(config, 'minval', -0.05);
      const hi = number(config, 'maxval', 0.05);
      return Float32Array.from({ length: size }, () => lo + (hi - lo) * random());
    }
    case 'random_normal':
    case 'truncated_normal': {
      const out = new Float32Array(size);
      fillNormal(out, number(config, 'mean', 0), number(config, 'stddev', 0.05), random, name === 'truncated_normal');
      return out;
    }
    case 'glorot_uniform':
      return varianceScaling(shape, s, 1, 'fan_avg', 'uniform');
    case 'glorot_normal':
      return varianceScaling(shape, s, 1, 'fan_avg', 'truncated_normal');
    case 'he_uniform':
      return varianceScaling(shape, s, 2, 'fan_in', 'uniform');
    case 'he_normal':
      return varianceScaling(shape, s, 2, 'fan_in', 'truncated_normal');
    case 'lecun_uniform':
      return varianceScaling(shape, s, 1, 'fan_in', 'uniform');
    case 'lecun_normal':
      return varianceScaling(shape, s, 1, 'fan_in', 'truncated_normal');
    case 'variance_scaling': {
      const mode = (config.mode ?? 'fan_in') as 'fan_in' | 'fan_out' | 'fan_avg';
      const raw = (config.distribution ?? 'truncated_normal') as string;
      const distribution = raw === 'untruncated_normal' ? 'normal' : raw === 'normal' ? 'truncated_normal' : (raw as 'uniform' | 'truncated_normal');
      return varianceScaling(shape, s, number(config, 'scale', 1), mode, distribution);
    }
    case 'orthogonal':
      return orthogonal(rows, cols, s, number(config, 'gain', 1));
    case 'identity': {
      const gain = number(config, 'gain', 1);
      const out = new Float32Array(size);
      for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = gain;
      return out;
    }
    default:
      throw new ShapeError(`${who}: unknown initializer '${raw}' (known: ${INITIALIZER_NAMES.join(', ')})`);
  }
}
