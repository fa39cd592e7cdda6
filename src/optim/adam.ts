// Adam (Keras): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps). State: m and v, [N] each.
// The bias correction is folded into the step's rate on the host, in float64 (shaders/optimizer.wgsl).

import type { KernelSpec } from '../gpu/kernel-registry.js';
import {
  GpuOptimizer, checkOptionNames, checkPositive, checkUnitInterval, type Hyperparameters, type OptimizerOptions,
} from './optimizer.js';

/** Options of {@link Adam} (Keras' names, camelCase; Keras' defaults). */
export interface AdamOptions extends OptimizerOptions {
  /** Default 1e-3. */
  learningRate?: number;
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v), > 0. Default 1e-7. */
  epsilon?: number;
}

const OPTION_NAMES = ['learningRate', 'beta1', 'beta2', 'epsilon', 'clipNorm', 'clipValue'] as const;

/** Adam's update entry point (shaders/optimizer.wgsl). */
export const adamUpdateSpec: KernelSpec = { files: ['optimizer.wgsl'], entry: 'adam' };

/**
 * Keras' Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps).
 * `compile({ optimizer: 'adam' })` makes one with the defaults; `new Adam({ learningRate: 0.01 })` sets them.
 */
export class Adam extends GpuOptimizer {
  /** 'adam'. */
  readonly name = 'adam' as const;
  /** Decay of the first moment. */
  readonly beta1: number;
  /** Decay of the second moment. */
  readonly beta2: number;
  /** Added to sqrt(v). */
  readonly epsilon: number;
  protected readonly updateSpec = adamUpdateSpec;

  /** An Adam optimizer; throws a ShapeError for an unknown option or a value out of range. */
  constructor(options: AdamOptions = {}) {
    checkOptionNames(options, OPTION_NAMES, 'Adam');
    const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, clipNorm, clipValue } = options;
    super('Adam', learningRate, { clipNorm, clipValue });
    checkUnitInterval(beta1, 'Adam: beta1');
    checkUnitInterval(beta2, 'Adam: beta2');
    // epsilon = 0 would make 0 / 0 of every zero gradient (alignment padding included).
    checkPositive(epsilon, 'Adam: epsilon');
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected hyperparameters(): Hyperparameters {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  protected stateBindings(): Record<string, boolean> {
    return { adam_m: true, adam_v: true };
  }

  /** lr sqrt(1 - beta2^t) / (1 - beta1^t): 1 - beta1^t > 0 for t >= 1 since beta1 < 1. */
  protected override stepRate(t: number): number {
    return (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
  }
}
