// Keras' Conv1D's weights: kernel [kernelSize, inChannels, filters] and bias [filters], in Keras' order
// and layout and initialized as Keras does (glorot_uniform over the kernel's receptive field, zeros).
// The convolution itself is shaders/conv1d.wgsl, driven by the model layer (src/layers/keras/conv1d.ts);
// this layer only holds the parameters.

import type { GpuContext } from '../gpu/context.js';
import { initialize, type InitializerSpec } from './initializers.js';
import { plainWeight, WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';
import { expectPositiveInteger } from './validate.js';

/** Options of the Conv1D weights. */
export interface Conv1DWeightsConfig {
  /** Taps of the kernel. */
  kernelSize: number;
  /** Input channels (features per step). */
  channels: number;
  /** Output channels. */
  filters: number;
  /** A bias. Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Seed of the initializers. */
  seed?: number;
  /** Name in weight names, labels and errors. */
  name?: string;
}

/** kernel [kernelSize, channels, filters] then bias [filters] (when used), as Keras' Conv1D.get_weights(). */
export class Conv1DWeights extends WeightLayer {
  /** Taps of the kernel. */
  readonly kernelSize: number;
  /** Input channels. */
  readonly channels: number;
  /** Output channels. */
  readonly filters: number;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerSpec;
  private readonly biasInitializer: InitializerSpec;

  private constructor(ctx: GpuContext, config: Conv1DWeightsConfig, options: LayerOptions) {
    const name = config.name ?? 'conv1d';
    expectPositiveInteger(`${name} kernelSize`, config.kernelSize);
    expectPositiveInteger(`${name} channels`, config.channels);
    expectPositiveInteger(`${name} filters`, config.filters);
    super(ctx, name, config.seed ?? 0, options);
    this.kernelSize = config.kernelSize;
    this.channels = config.channels;
    this.filters = config.filters;
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
  }

  /** The weights, in the model's store (or their own when standalone). */
  static create(ctx: GpuContext, config: Conv1DWeightsConfig, options: LayerOptions = {}): Conv1DWeights {
    const layer = new Conv1DWeights(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weights(): LayerWeight[] {
    const kernel = [this.kernelSize, this.channels, this.filters];
    const weights = [plainWeight('kernel', 'kernel', kernel, (seed) => initialize(this.kernelInitializer, kernel, seed))];
    if (this.useBias) weights.push(plainWeight('bias', 'bias', [this.filters], (seed) => initialize(this.biasInitializer, [this.filters], seed + 1)));
    return weights;
  }

  protected get storedParameters(): { name: string; floats: number }[] {
    return this.weights.map((w) => ({ name: w.name, floats: w.shape.reduce((a, b) => a * b, 1) }));
  }

  protected releaseBuffers(): void {}
}
