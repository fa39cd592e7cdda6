// SGD (Keras): without momentum p -= lr g. With momentum: velocity = momentum velocity - lr g, then
// p += velocity, or with Nesterov p += momentum velocity - lr g. State: velocity [N], only with momentum.

import { ShapeError } from '../gpu/errors.js';
import type { KernelSpec } from '../gpu/kernel-registry.js';
import { GpuOptimizer, checkOptionNames, checkUnitInterval, type Hyperparameters, type OptimizerOptions } from './optimizer.js';

/** Options of {@link SGD} (Keras' names, camelCase; Keras' defaults). */
export interface SgdOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** In [0, 1] (as Keras). Default 0: plain gradient descent, no state. */
  momentum?: number;
  /** Nesterov momentum; no effect without momentum. Default false. */
  nesterov?: boolean;
}

const OPTION_NAMES = ['learningRate', 'momentum', 'nesterov', 'clipNorm', 'clipValue'] as const;

/** SGD's update entry point (shaders/optimizer.wgsl). */
export const sgdUpdateSpec: KernelSpec = { files: ['optimizer.wgsl'], entry: 'sgd' };

/**
 * Keras' SGD: p -= lr g; with momentum, velocity = momentum velocity - lr g and p += velocity (Nesterov:
 * p += momentum velocity - lr g).
 */
export class SGD extends GpuOptimizer {
  /** 'sgd'. */
  readonly name = 'sgd' as const;
  /** Momentum (0: none). */
  readonly momentum: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  protected readonly updateSpec = sgdUpdateSpec;

  /** An SGD optimizer; throws a ShapeError for an unknown option or a value out of range. */
  constructor(options: SgdOptions = {}) {
    checkOptionNames(options, OPTION_NAMES, 'SGD');
    const { learningRate = 0.01, momentum = 0, nesterov = false, clipNorm, clipValue } = options;
    super('SGD', learningRate, { clipNorm, clipValue });
    checkUnitInterval(momentum, 'SGD: momentum', true);
    if (typeof nesterov !== 'boolean') throw new ShapeError(`SGD: nesterov must be a boolean, got ${String(nesterov)}`);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected hyperparameters(): Hyperparameters {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }

  protected stateBindings(): Record<string, boolean> {
    return { sgd_velocity: this.momentum > 0 };
  }
}
