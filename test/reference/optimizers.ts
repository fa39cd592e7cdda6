// Reference optimizers with Keras' exact update formulas, plus Keras-style gradient clipping.
// Each update mutates `param` and the optimizer state in place, one parameter array at a time.

import { expectLength } from './shapes.js';

export interface AdamConfig {
  learningRate?: number; // 1e-3
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  epsilon?: number; // 1e-7
}

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** Number of updates applied so far. */
  step: number;
}

export function createAdamState(n: number): AdamState {
  return { m: new Float64Array(n), v: new Float64Array(n), step: 0 };
}

/**
 * One Adam step (Keras): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t m / (sqrt(v) + eps). Note epsilon is added
 * to sqrt(v), not bias-corrected ("epsilon hat").
 */
export function adamUpdate(param: Float64Array, grad: Float64Array, state: AdamState, cfg: AdamConfig = {}): void {
  const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = cfg;
  expectLength(grad, param.length, 'adam grad');
  state.step += 1;
  const t = state.step;
  const lrT = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    state.m[i] = beta1 * state.m[i] + (1 - beta1) * g;
    state.v[i] = beta2 * state.v[i] + (1 - beta2) * g * g;
    param[i] -= (lrT * state.m[i]) / (Math.sqrt(state.v[i]) + epsilon);
  }
}

export interface SgdConfig {
  learningRate?: number; // 0.01
  momentum?: number; // 0
  nesterov?: boolean; // false
}

export interface SgdState {
  velocity: Float64Array;
}

export function createSgdState(n: number): SgdState {
  return { velocity: new Float64Array(n) };
}

/**
 * One SGD step (Keras): without momentum p -= lr g. With momentum:
 * velocity = momentum velocity - lr g; then p += velocity, or with Nesterov
 * p += momentum velocity - lr g.
 */
export function sgdUpdate(param: Float64Array, grad: Float64Array, state: SgdState, cfg: SgdConfig = {}): void {
  const { learningRate = 0.01, momentum = 0, nesterov = false } = cfg;
  expectLength(grad, param.length, 'sgd grad');
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    if (momentum === 0) {
      param[i] -= learningRate * g;
      continue;
    }
    const vel = momentum * state.velocity[i] - learningRate * g;
    state.velocity[i] = vel;
    param[i] += nesterov ? momentum * vel - learningRate * g : vel;
  }
}

export interface RmspropConfig {
  learningRate?: number; // 1e-3
  rho?: number; // 0.9
  momentum?: number; // 0
  epsilon?: number; // 1e-7
}

export interface RmspropState {
  /** Running mean of g^2 (Keras calls it "velocity"). */
  meanSquare: Float64Array;
  /** Only used when momentum > 0. */
  moment: Float64Array;
}

export function createRmspropState(n: number): RmspropState {
  return { meanSquare: new Float64Array(n), moment: new Float64Array(n) };
}

/**
 * One RMSprop step (Keras, not centered): ms = rho ms + (1-rho) g^2;
 * increment = lr g / sqrt(ms + eps); p -= increment, or with momentum
 * moment = momentum moment + increment; p -= moment.
 * Epsilon sits INSIDE the square root: that is what Keras 3 (keras/src/optimizers/rmsprop.py,
 * `sqrt(velocity + epsilon)`) and tf.keras (ApplyRMSProp) compute.
 */
export function rmspropUpdate(
  param: Float64Array,
  grad: Float64Array,
  state: RmspropState,
  cfg: RmspropConfig = {},
): void {
  const { learningRate = 1e-3, rho = 0.9, momentum = 0, epsilon = 1e-7 } = cfg;
  expectLength(grad, param.length, 'rmsprop grad');
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    state.meanSquare[i] = rho * state.meanSquare[i] + (1 - rho) * g * g;
    const inc = (learningRate * g) / Math.sqrt(state.meanSquare[i] + epsilon);
    if (momentum > 0) {
      state.moment[i] = momentum * state.moment[i] + inc;
      param[i] -= state.moment[i];
    } else {
      param[i] -= inc;
    }
  }
}

/** L2 norm over all arrays together. */
export function globalNorm(grads: readonly Float64Array[]): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  return Math.sqrt(sq);
}

/**
 * Keras global_clipnorm (tf.clip_by_global_norm): every array is scaled by
 * clipNorm / max(globalNorm, clipNorm), so nothing changes when the norm is within bounds.
 * Returns new arrays and the norm measured before clipping.
 */
export function clipByGlobalNorm(
  grads: readonly Float64Array[],
  clipNorm: number,
): { grads: Float64Array[]; norm: number } {
  const norm = globalNorm(grads);
  if (norm <= clipNorm) return { grads: grads.map((g) => g.slice()), norm };
  const scale = clipNorm / norm;
  return { grads: grads.map((g) => g.map((v) => v * scale)), norm };
}

/** Keras clipnorm: each array clipped to L2 norm <= clipNorm on its own. */
export function clipByNorm(grad: Float64Array, clipNorm: number): Float64Array {
  const norm = globalNorm([grad]);
  if (norm <= clipNorm) return grad.slice();
  const scale = clipNorm / norm;
  return grad.map((v) => v * scale);
}

/** Keras clipvalue: every element clamped to [-clipValue, clipValue]. */
export function clipByValue(grad: Float64Array, clipValue: number): Float64Array {
  return grad.map((v) => Math.min(clipValue, Math.max(-clipValue, v)));
}
