// Typed values from one Keras layer's snake_case config, as each writer means them; errors name the layer.
// Activations: Keras 3's 'hard_sigmoid' is relu6(x + 3) / 6, webrnn's 'hard_sigmoid_keras3'; every other
// writer's (Keras 2's, TensorFlow.js' too) is clip(0.2 x + 0.5, 0, 1).

import { ShapeError } from '../../gpu/errors.js';
import type { Activation } from '../../kernels/activation.js';
import type { InitializerSpec } from '../../layers/initializers.js';
import type { Shape, ValueKind } from '../../layers/keras/layer.js';
import { describe, isDict, type Dict } from './config-values.js';
import type { Dialect } from './read-config.js';

/** Reads a layer's snake_case config; errors name the layer, and each key as the config wrote it. */
export class ConfigReader {
  constructor(
    private readonly config: Dict,
    private readonly who: string,
    private readonly dialect: Dialect,
    /** Keras 2 key -> the Keras 1 key it was read from (keras1-config.ts). */
    private readonly origin: Readonly<Record<string, string>> = {},
  ) {}

  /** A key as the config wrote it (its Keras 1 name when it was renamed). */
  key(key: string): string {
    return Object.hasOwn(this.origin, key) ? this.origin[key] : key;
  }

  integer(key: string): number {
    const value = this.config[key];
    if (value === undefined || value === null) throw new ShapeError(`fromConfig: ${this.who}: the config has no '${this.key(key)}'`);
    if (!Number.isInteger(value) || (value as number) < 1) throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be a positive integer, got ${describe(value)}`);
    return value as number;
  }

  number(key: string, fallback: number): number {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be a number, got ${describe(value)}`);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be true or false, got ${describe(value)}`);
    return value;
  }

  /**
   * A 1-D window size (kernel_size, strides, dilation_rate, pool_size) as Keras writes it: a positive
   * integer or a list of one (a tuple); absent or null: `fallback` (required when there is none).
   */
  size1d(key: string, fallback?: number): number {
    let value = this.config[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) throw new ShapeError(`fromConfig: ${this.who}: the config has no '${this.key(key)}'`);
      return fallback;
    }
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be a positive integer or a list of one (a 1-D layer), got ${describe(this.config[key])}`);
    }
    return value as number;
  }

  /** One of `allowed` (Keras takes these names in any case); absent or null: `fallback`. */
  choice<const T extends string>(key: string, allowed: readonly T[], fallback: NoInfer<T>): T {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    const name = typeof value === 'string' ? value.toLowerCase() : value;
    if (!allowed.includes(name as T)) throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
    return name as T;
  }

  /** An activation by Keras name (a Keras 3 function object gives its name); null is Keras' linear. */
  activation(key: string, fallback: Activation): Activation {
    if (!(key in this.config)) return fallback;
    let value = this.config[key];
    if (value === null) return 'linear';
    if (isDict(value) && typeof value.config === 'string') value = value.config; // { module, class_name: 'function', config: 'relu' }
    if (isDict(value) && typeof value.class_name === 'string') {
      throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' is an activation object (${value.class_name}), webrnn takes activations by name`);
    }
    if (typeof value !== 'string') throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be an activation name, got ${describe(value)}`);
    if (value === 'hard_sigmoid' && this.dialect.kind === 'keras3') return 'hard_sigmoid_keras3';
    if (value === 'logSoftmax') return 'log_softmax'; // TensorFlow.js' spelling
    return value as Activation;
  }

  /** An initializer as Keras serializes it (Keras 3's module and registered_name dropped). */
  initializer(key: string): InitializerSpec | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (!isDict(value) || typeof value.class_name !== 'string') throw new ShapeError(`fromConfig: ${this.who}: '${this.key(key)}' must be an initializer { class_name, config }, got ${describe(value)}`);
    const className = Object.hasOwn(INITIALIZER_SPELLINGS, value.class_name) ? INITIALIZER_SPELLINGS[value.class_name] : value.class_name;
    return { class_name: className, config: isDict(value.config) ? { ...value.config } : {} };
  }

  /** A per-sample input shape given on the layer (Keras 2 Sequential's first layer), if any. */
  inputShape(): Shape | undefined {
    const batch = this.config.batch_input_shape ?? this.config.batch_shape;
    if (batch !== undefined && batch !== null) {
      if (!Array.isArray(batch) || batch.length < 2) throw new ShapeError(`fromConfig: ${this.who}: batch_input_shape must list the batch axis and at least one more, got ${describe(batch)}`);
      return batch.slice(1) as Shape;
    }
    const shape = this.config.input_shape;
    if (Array.isArray(shape)) return shape as Shape;
    const dim = this.config.input_dim;
    if (Number.isInteger(dim) && !('output_dim' in this.config)) return [dim as number];
    return undefined;
  }

  /** The input shape and kind a first layer of a Sequential carries. */
  firstLayerInput(): { inputShape?: Shape; inputKind?: ValueKind } {
    const inputShape = this.inputShape();
    return inputShape ? { inputShape, inputKind: this.dtypeKind() } : {};
  }

  /** int32 for integer dtypes (token ids); floats leave it to the consumer (Keras casts them for an Embedding). */
  dtypeKind(): ValueKind | undefined {
    let dtype = this.config.dtype;
    if (isDict(dtype)) dtype = isDict(dtype.config) ? dtype.config.name : undefined; // Keras 3 DTypePolicy
    if (dtype === undefined || dtype === null) return undefined;
    if (typeof dtype !== 'string') throw new ShapeError(`fromConfig: ${this.who}: dtype must be a name, got ${describe(dtype)}`);
    if (/^u?int(8|16|32|64)$/.test(dtype) || dtype === 'bool') return 'int32';
    if (/float|mixed_/.test(dtype)) return undefined;
    throw new ShapeError(`fromConfig: ${this.who}: dtype '${dtype}' is not supported (numbers or integer token ids)`);
  }

  rejectLora(): void {
    if (this.config.lora_rank !== undefined && this.config.lora_rank !== null) {
      throw new ShapeError(`fromConfig: ${this.who}: LoRA (lora_rank ${describe(this.config.lora_rank)}) is not supported`);
    }
  }
}

/** Initializer class names as other writers spell them. */
const INITIALIZER_SPELLINGS: Record<string, string> = {
  LeCunNormal: 'LecunNormal', LeCunUniform: 'LecunUniform', OrthogonalInitializer: 'Orthogonal', IdentityInitializer: 'Identity',
  ZerosInitializer: 'Zeros', OnesInitializer: 'Ones',
};
