// Keras' LayerNormalization's weights: gamma (scale) and beta (center) over the last axis, in Keras'
// order and initialized as Keras does (ones, zeros). The normalization itself is shaders/layer-norm.wgsl,
// driven by the model layer (src/layers/keras/layer-norm.ts); this layer only holds the parameters.

import type { GpuContext } from '../gpu/context.js';
import { initialize, type InitializerSpec } from './initializers.js';
import { plainWeight, WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';
import { expectPositiveInteger } from './validate.js';

/** Options of the LayerNormalization weights. */
export interface LayerNormConfig {
  /** Features (the last axis). */
  features: number;
  /** A learned gamma. Default true. */
  scale?: boolean;
  /** A learned beta. Default true. */
  center?: boolean;
  /** Default 'ones'. */
  gammaInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  betaInitializer?: InitializerSpec;
  /** Seed of the initializers. */
  seed?: number;
  /** Name in weight names, labels and errors. */
  name?: string;
}

/** gamma [features] then beta [features] (each when enabled), as Keras' LayerNormalization.get_weights(). */
export class LayerNormWeights extends WeightLayer {
  /** Features normalized. */
  readonly features: number;
  /** Whether gamma scales the result. */
  readonly scale: boolean;
  /** Whether beta is added. */
  readonly center: boolean;
  private readonly gammaInitializer: InitializerSpec;
  private readonly betaInitializer: InitializerSpec;

  private constructor(ctx: GpuContext, config: LayerNormConfig, options: LayerOptions) {
    expectPositiveInteger(`${config.name ?? 'layer_normalization'} features`, config.features);
    super(ctx, config.name ?? 'layer_normalization', config.seed ?? 0, options);
    this.features = config.features;
    this.scale = config.scale ?? true;
    this.center = config.center ?? true;
    this.gammaInitializer = config.gammaInitializer ?? 'ones';
    this.betaInitializer = config.betaInitializer ?? 'zeros';
  }

  /** The weights, in the model's store (or their own when standalone). */
  static create(ctx: GpuContext, config: LayerNormConfig, options: LayerOptions = {}): LayerNormWeights {
    const layer = new LayerNormWeights(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weights(): LayerWeight[] {
    const shape = [this.features];
    return [
      ...(this.scale ? [plainWeight('gamma', 'gamma', shape, (seed) => initialize(this.gammaInitializer, shape, seed))] : []),
      ...(this.center ? [plainWeight('beta', 'beta', shape, (seed) => initialize(this.betaInitializer, shape, seed + 1))] : []),
    ];
  }

  protected get storedParameters(): { name: string; floats: number }[] {
    return this.weights.map((w) => ({ name: w.name, floats: this.features }));
  }

  protected releaseBuffers(): void {}
}
