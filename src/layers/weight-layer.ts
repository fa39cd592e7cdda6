// What every layer with weights shares: its Keras weights (names, shapes, initial values) stored as
// parameters in a ParameterStore (its own when standalone, a model's otherwise), possibly in another
// layout (gates interleaved) and several weights to one parameter (a Bidirectional layer's two
// directions side by side), checked by name and shape; and dispose().

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, ShapeError } from '../gpu/errors.js';
import { KernelRegistry, type Step } from '../gpu/kernel-registry.js';
import { clearStep } from '../plan/plan.js';
import { ParameterStore, type ParameterRange } from './parameters.js';
import { expectFinite, expectLength } from './validate.js';

/** Where a layer keeps its weights and finds its kernels: a model's, or (by default) its own. */
export interface LayerOptions {
  /** Store to put the weights in (a model shares one); the layer makes its own otherwise. */
  parameters?: ParameterStore;
  /** Kernel registry to take pipelines from; by default the context's shared one. */
  registry?: KernelRegistry;
}

/** Where a Keras weight lives: `floats` values of parameter `param` from element `offset`. */
export interface StoredPart {
  /** The stored parameter's name, without the layer's prefix. */
  readonly param: string;
  /** First element of the part in the parameter. */
  readonly offset: number;
  /** Elements of the part. */
  readonly floats: number;
}

/** A Keras weight of a layer. */
export interface LayerWeight {
  /** Keras name ('kernel', 'recurrent_kernel', 'bias', 'embeddings'). */
  readonly name: string;
  /** Keras shape. */
  readonly shape: readonly number[];
  /** Where its values are stored, part by part. */
  readonly parts: readonly StoredPart[];
  /** Keras layout -> one array per part (identity by default). */
  toStored(keras: Float32Array): Float32Array[];
  /** One array per part -> Keras layout (the inverse of toStored). */
  fromStored(parts: readonly Float32Array[]): Float32Array;
  /** Keras' initial value from the layer's seed (each weight offsets it as it needs). */
  initial(seed: number): Float32Array;
}

/** A weight stored as it is, in one parameter of its own. */
export function plainWeight(name: string, param: string, shape: readonly number[], initial: (seed: number) => Float32Array): LayerWeight {
  const floats = shape.reduce((a, b) => a * b, 1);
  return { name, shape, parts: [{ param, offset: 0, floats }], toStored: (keras) => [keras], fromStored: ([stored]) => stored, initial };
}

/**
 * What every layer with weights shares: Keras weights (names, shapes, seeded initial values) kept in a
 * parameter store (its own when standalone, a model's inside one), get / set in Keras layout, and
 * dispose().
 */
export abstract class WeightLayer {
  /** The layer's name: the prefix of its weights' names, and what labels and errors call it. */
  readonly name: string;
  /** The store that holds the layer's weights and their gradients. */
  readonly parameters: ParameterStore;
  protected readonly ctx: GpuContext;
  protected readonly registry: KernelRegistry;
  protected readonly seed: number;
  private readonly ownsParameters: boolean;
  private disposed = false;

  protected constructor(ctx: GpuContext, name: string, seed: number, options: LayerOptions) {
    this.ctx = ctx;
    this.name = name;
    this.seed = seed;
    this.registry = options.registry ?? KernelRegistry.of(ctx);
    this.ownsParameters = options.parameters === undefined;
    this.parameters = options.parameters ?? new ParameterStore(ctx, name);
  }

  /** The Keras weights, in get_weights() order. */
  abstract get weights(): readonly LayerWeight[];

  /** The parameters the weights are stored in: name and floats. */
  protected abstract get storedParameters(): readonly { name: string; floats: number }[];

  /** Names of the weights in Keras' get_weights() order, prefixed with the layer name. */
  get weightNames(): string[] {
    return this.weights.map((w) => `${this.name}/${w.name}`);
  }

  /** Keras shapes of getWeights(). */
  get weightShapes(): number[][] {
    return this.weights.map((w) => [...w.shape]);
  }

  /** Parameters in Keras' count (alignment padding and interleaving slots not counted). */
  get parameterCount(): number {
    return this.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Declares the parameters in the store; a model calls this for every layer, then allocates once. */
  declare(): void {
    for (const p of this.storedParameters) this.parameters.add(`${this.name}.${p.name}`, [p.floats]);
  }

  /** The binding range of one stored parameter's values (or gradients). */
  param(name: string, which: 'value' | 'gradient' = 'value'): ParameterRange {
    const full = `${this.name}.${name}`;
    return which === 'value' ? this.parameters.value(full) : this.parameters.gradient(full);
  }

  /**
   * Steps that zero this layer's parameter gradients: every backward dispatch adds to them, so a plan
   * that runs a backward pass starts with these (a model's training plan clears its whole store once).
   */
  clearGradientSteps(): Step[] {
    return this.storedParameters.map((p) => {
      const range = this.param(p.name, 'gradient');
      return clearStep(`${this.name}.${p.name}.clear_gradient`, range.buffer, range.offset, range.size);
    });
  }

  /** Writes Keras' default initial weights (seeded). The store must be allocated. */
  initialize(): void {
    this.setWeights(this.weights.map((w) => w.initial(this.seed)));
  }

  /** Declares, allocates and initializes the layer's own store (standalone use). */
  protected setUpStandalone(): void {
    if (!this.ownsParameters) return;
    this.declare();
    this.parameters.allocate();
    this.initialize();
  }

  /** Sets the weights from Keras layout; every shape is checked before anything is written. */
  setWeights(weights: ArrayLike<number>[]): void {
    this.assertLive();
    const specs = this.weights;
    if (!Array.isArray(weights) || weights.length !== specs.length) {
      throw new ShapeError(`${this.name}.setWeights: expected [${specs.map((w) => w.name).join(', ')}], got ${Array.isArray(weights) ? weights.length : typeof weights} arrays`);
    }
    weights.forEach((w, i) => {
      const shape = specs[i].shape;
      expectLength(`${this.name}.setWeights ${specs[i].name}`, w, shape.reduce((a, b) => a * b, 1), `[${shape.join(', ')}]`);
      expectFinite(`${this.name}.setWeights ${specs[i].name}`, w);
    });
    weights.forEach((w, i) => {
      const spec = specs[i];
      const stored = spec.toStored(Float32Array.from(w));
      spec.parts.forEach((part, k) => {
        if (stored[k].length !== part.floats) throw new ShapeError(`${this.name}.setWeights ${spec.name}: ${part.param} needs ${part.floats} values, got ${stored[k].length}`);
        this.parameters.write(`${this.name}.${part.param}`, stored[k], part.offset);
      });
    });
  }

  /** The weights in Keras layout. */
  async getWeights(): Promise<Float32Array[]> {
    this.assertLive();
    return Promise.all(this.weights.map(async (spec) => spec.fromStored(await Promise.all(
      spec.parts.map((part) => this.parameters.read(`${this.name}.${part.param}`, 'value', part.offset, part.floats)),
    ))));
  }

  /** The gradients of the weights (after a backward pass), in Keras layout. */
  async getGradients(): Promise<Float32Array[]> {
    this.assertLive();
    return Promise.all(this.weights.map(async (spec) => spec.fromStored(await Promise.all(
      spec.parts.map((part) => this.parameters.read(`${this.name}.${part.param}`, 'gradient', part.offset, part.floats)),
    ))));
  }

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.name} was disposed`);
  }

  protected get ownsStore(): boolean {
    return this.ownsParameters;
  }

  /** Releases the buffers the layer made for its standalone use. */
  protected abstract releaseBuffers(): void;

  /** Releases every buffer the layer made (and its parameters, when it owns them). */
  dispose(): void {
    if (this.disposed) return;
    this.releaseBuffers();
    if (this.ownsParameters) this.parameters.dispose();
    this.disposed = true;
  }
}
