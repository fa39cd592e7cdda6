// Optimizers: Adam, SGD, RMSprop with Keras semantics, and createOptimizer() for names or instances.

import { ShapeError } from '../gpu/errors.js';
import { Adam, type AdamOptions } from './adam.js';
import type { Optimizer, OptimizerName, OptimizerOptions } from './optimizer.js';
import { RMSprop, type RmspropOptions } from './rmsprop.js';
import { SGD, type SgdOptions } from './sgd.js';

export { Adam, adamUpdateSpec, type AdamOptions } from './adam.js';
export { SGD, sgdUpdateSpec, type SgdOptions } from './sgd.js';
export { RMSprop, rmspropUpdateSpec, type RmspropOptions } from './rmsprop.js';
export {
  GpuOptimizer, gradientNormSquaredSpec,
  type Optimizer, type NonFinitePolicy, type NonFiniteSteps, type OptimizerName, type OptimizerOptions, type ClipOptions, type ParameterBuffers,
} from './optimizer.js';

/** Every optimizer name `compile({ optimizer })` accepts: 'adam', 'sgd', 'rmsprop'. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];

/**
 * An optimizer by name (Keras spelling, any case: 'adam', 'SGD', 'RMSprop') with its options, or an
 * Optimizer instance as is. Options go to a named optimizer only: with an instance, set them on it.
 */
export function createOptimizer(name: 'adam', options?: AdamOptions): Adam;
export function createOptimizer(name: 'sgd', options?: SgdOptions): SGD;
export function createOptimizer(name: 'rmsprop', options?: RmspropOptions): RMSprop;
export function createOptimizer(nameOrInstance: OptimizerName | Optimizer, options?: OptimizerOptions): Optimizer;
export function createOptimizer(nameOrInstance: OptimizerName | Optimizer, options: object = {}): Optimizer {
  if (typeof nameOrInstance === 'string') {
    switch (nameOrInstance.toLowerCase()) {
      case 'adam':
        return new Adam(options);
      case 'sgd':
        return new SGD(options);
      case 'rmsprop':
        return new RMSprop(options);
    }
  } else if (isOptimizer(nameOrInstance)) {
    const given = Object.entries(options).filter(([, value]) => value !== undefined).map(([key]) => key);
    if (given.length > 0) {
      throw new ShapeError(`createOptimizer: options (${given.join(', ')}) apply to a named optimizer; set them on the ${nameOrInstance.name} instance itself`);
    }
    return nameOrInstance;
  }
  throw new ShapeError(`optimizer must be one of ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')} or an Optimizer instance, got ${describe(nameOrInstance)}`);
}

function isOptimizer(value: unknown): value is Optimizer {
  const candidate = value as Partial<Optimizer> | null;
  return typeof candidate === 'object' && candidate !== null &&
    ['attach', 'steps', 'prepareStep', 'reset', 'dispose'].every((method) => typeof (candidate as Record<string, unknown>)[method] === 'function');
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : value === null ? 'null' : typeof value;
}
