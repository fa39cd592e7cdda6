// RMSprop (Keras, not centered): ms = rho ms + (1 - rho) g^2; increment = lr g / sqrt(ms + eps);
// p -= increment, or with momentum: mom = momentum mom + increment; p -= mom.
// State: ms [N], and mom [N] only with momentum.

import type { KernelSpec } from '../gpu/kernel-registry.js';
import {
  GpuOptimizer, checkOptionNames, checkPositive, checkUnitInterval, type Hyperparameters, type OptimizerOptions,
} from './optimizer.js';

/** Options of {@link RMSprop} (Keras' names, camelCase; Keras' defaults). */
export interface RmspropOptions extends OptimizerOptions {
  /** Default 1e-3. */
  learningRate?: number;
  /** Decay of the mean square, in [0, 1). Default 0.9. */
  rho?: number;
  /** In [0, 1]. Default 0: no momentum state. */
  momentum?: number;
  /** Added to the mean square inside the square root, > 0. Default 1e-7. */
  epsilon?: number;
}

const OPTION_NAMES = ['learningRate', 'rho', 'momentum', 'epsilon', 'clipNorm', 'clipValue'] as const;

/** RMSprop's update entry point (shaders/optimizer.wgsl). */
export const rmspropUpdateSpec: KernelSpec = { files: ['optimizer.wgsl'], entry: 'rmsprop' };

/**
 * Keras' RMSprop (not centered): ms = rho ms + (1 - rho) g^2; p -= lr g / sqrt(ms + eps), or with
 * momentum through a momentum buffer.
 */
export class RMSprop extends GpuOptimizer {
  /** 'rmsprop'. */
  readonly name = 'rmsprop' as const;
  /** Decay of the mean square. */
  readonly rho: number;
  /** Momentum (0: none). */
  readonly momentum: number;
  /** Added to the mean square inside the square root. */
  readonly epsilon: number;
  protected readonly updateSpec = rmspropUpdateSpec;

  /** An RMSprop optimizer; throws a ShapeError for an unknown option or a value out of range. */
  constructor(options: RmspropOptions = {}) {
    checkOptionNames(options, OPTION_NAMES, 'RMSprop');
    const { learningRate = 1e-3, rho = 0.9, momentum = 0, epsilon = 1e-7, clipNorm, clipValue } = options;
    super('RMSprop', learningRate, { clipNorm, clipValue });
    checkUnitInterval(rho, 'RMSprop: rho');
    checkUnitInterval(momentum, 'RMSprop: momentum', true);
    // epsilon = 0 would make 0 / 0 of every zero gradient (alignment padding included).
    checkPositive(epsilon, 'RMSprop: epsilon');
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
  }

  protected hyperparameters(): Hyperparameters {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }

  protected stateBindings(): Record<string, boolean> {
    return { rms_mean_square: true, rms_momentum: this.momentum > 0 };
  }
}
