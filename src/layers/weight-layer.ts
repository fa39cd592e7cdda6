// What every layer with weights shares: its parameters in a ParameterStore (its own when standalone, a
// model's otherwise), Keras-layout weights checked by name and shape, and dispose().

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, ShapeError } from '../gpu/errors.js';
import { KernelRegistry } from '../gpu/kernel-registry.js';
import { ParameterStore } from './parameters.js';
import { expectFinite, expectLength } from './validate.js';

export interface LayerOptions {
  /** Store to put the weights in (a model shares one); the layer makes its own otherwise. */
  parameters?: ParameterStore;
  registry?: KernelRegistry;
}

export abstract class WeightLayer {
  readonly name: string;
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
    this.registry = options.registry ?? new KernelRegistry(ctx);
    this.ownsParameters = options.parameters === undefined;
    this.parameters = options.parameters ?? new ParameterStore(ctx, name);
  }

  /** Names of the weights in the store, in getWeights() order. */
  abstract get weightNames(): string[];
  /** Keras shapes of getWeights(). */
  abstract get weightShapes(): number[][];
  /** Keras names of the weights, for error messages (e.g. 'kernel', 'bias'). */
  protected abstract get weightLabels(): string[];
  /** Writes the layer's default initial weights (seeded). The store must be allocated. */
  abstract initialize(): void;

  /** Declares the weights in the store; a model calls this for every layer, then allocates once. */
  declare(): void {
    this.weightNames.forEach((name, i) => this.parameters.add(name, this.weightShapes[i]));
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
    const labels = this.weightLabels;
    if (!Array.isArray(weights) || weights.length !== labels.length) {
      throw new ShapeError(`${this.name}.setWeights: expected [${labels.join(', ')}], got ${Array.isArray(weights) ? weights.length : typeof weights} arrays`);
    }
    weights.forEach((w, i) => {
      const shape = this.weightShapes[i];
      expectLength(`${this.name}.setWeights ${labels[i]}`, w, shape.reduce((a, b) => a * b, 1), `[${shape.join(', ')}]`);
      expectFinite(`${this.name}.setWeights ${labels[i]}`, w);
    });
    weights.forEach((w, i) => this.parameters.write(this.weightNames[i], this.toStored(Float32Array.from(w), i)));
  }

  /** The weights in Keras layout. */
  async getWeights(): Promise<Float32Array[]> {
    this.assertLive();
    return Promise.all(this.weightNames.map(async (name, i) => this.fromStored(await this.parameters.read(name), i)));
  }

  /** Keras layout -> the layout the kernels use (identity unless a layer interleaves gates). */
  protected toStored(keras: Float32Array, _index: number): Float32Array {
    return keras;
  }

  /** The kernels' layout -> Keras layout. */
  protected fromStored(stored: Float32Array, _index: number): Float32Array {
    return stored;
  }

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError(`${this.name} was disposed`);
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
