// Keras' LayerNormalization over the last axis (axis -1, Keras' default): per row, x normalized by its
// mean and (biased) variance, then scaled by gamma and shifted by beta. The math and its gradients are
// shaders/layer-norm.wgsl; the weights live in the model's store (src/layers/layer-norm.ts).

import { ShapeError } from '../../gpu/errors.js';
import { layerNormBackwardStep, layerNormForwardStep, layerNormParameterGradientStep, layerNormStatsBytes } from '../../kernels/layer-norm.js';
import type { InitializerSpec } from '../initializers.js';
import { LayerNormWeights } from '../layer-norm.js';
import { initializerConfig } from './config.js';
import { Layer, makeValue, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';

/** Options of LayerNormalization (Keras' names, camelCase). */
export interface LayerNormalizationConfig extends LayerConfig {
  /** The axis normalized, counting the batch axis as Keras does (tf.keras writes [2] for [T, F]): only the last. Default -1. */
  axis?: number;
  /** Added to the variance. Default 1e-3, as Keras. */
  epsilon?: number;
  /** Learn beta. Default true. */
  center?: boolean;
  /** Learn gamma. Default true. */
  scale?: boolean;
  /** Default 'ones'. */
  gammaInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  betaInitializer?: InitializerSpec;
}

/** Keras' LayerNormalization over the last axis. */
export class LayerNormalizationLayer extends Layer {
  readonly className = 'LayerNormalization';
  /** The normalized axis as configured (-1, or the last axis' index with the batch axis counted). */
  readonly axis: number;
  /** Added to the variance. */
  readonly epsilon: number;
  /** Whether beta is learned. */
  readonly center: boolean;
  /** Whether gamma is learned. */
  readonly scale: boolean;
  private readonly gammaInitializer: InitializerSpec;
  private readonly betaInitializer: InitializerSpec;
  private weightsLayer?: LayerNormWeights;

  constructor(config: LayerNormalizationConfig = {}) {
    super('LayerNormalization', config);
    const epsilon = config.epsilon ?? 1e-3;
    if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) throw new ShapeError(`LayerNormalization '${this.name}': epsilon must be a positive number, got ${String(config.epsilon)}`);
    this.epsilon = epsilon;
    this.axis = config.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new ShapeError(`LayerNormalization '${this.name}': axis must be an integer, got ${String(config.axis)}`);
    this.center = config.center ?? true;
    this.scale = config.scale ?? true;
    this.gammaInitializer = config.gammaInitializer ?? 'ones';
    this.betaInitializer = config.betaInitializer ?? 'zeros';
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32', axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale,
      beta_initializer: initializerConfig(this.betaInitializer), gamma_initializer: initializerConfig(this.gammaInitializer),
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    const features = x[x.length - 1];
    if (features === null || features === undefined) throw new ShapeError(`LayerNormalization '${this.name}': the last axis of its input must have a size, got ${JSON.stringify(x)}`);
    const rank = x.length + 1;
    if ((this.axis < 0 ? this.axis + rank : this.axis) !== rank - 1) {
      throw new ShapeError(`LayerNormalization '${this.name}': axis ${this.axis} of its input (batch axis included: rank ${rank}) is not the last; webrnn normalizes over the last axis`);
    }
    if (this.weightsLayer && features !== this.weightsLayer.features) {
      throw new ShapeError(`LayerNormalization '${this.name}': built for ${this.weightsLayer.features} features, called on ${features}`);
    }
    return [x];
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.weightsLayer = LayerNormWeights.create(context.ctx, {
      features: x[x.length - 1] as number, scale: this.scale, center: this.center, gammaInitializer: this.gammaInitializer,
      betaInitializer: this.betaInitializer, seed: context.seed, name: this.name,
    }, { parameters: context.store, registry: context.registry });
  }

  get weightLayer(): LayerNormWeights | undefined {
    return this.weightsLayer;
  }

  override bufferBytes(batch: number, inbound: readonly (readonly number[])[]): Record<string, number> {
    const shape = inbound[0];
    const rows = batch * shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return { ...super.bufferBytes(batch, inbound), stats: layerNormStatsBytes(rows) };
  }

  /** Each step normalized on its own: the steps keep their mask. */
  override outputMask(_index: number, [x]: readonly Value[]): Range | undefined {
    return x.mask;
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const weights = this.weightsLayer!;
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', x.shape, owned);
    const { registry, label } = context;
    const rows = x.rows;
    const stats = context.ctx.createStorageBuffer(`${label}.stats`, layerNormStatsBytes(rows));
    owned.push(stats);
    const dims = { rows, features: weights.features, epsilon: this.epsilon, center: this.center, scale: this.scale };
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    const param = (name: string, which: 'value' | 'gradient') => region(weights.param(name, which));
    const gamma = this.scale ? { gamma: param('gamma', 'value') } : {};
    return {
      outputs: [output],
      forwardSteps: async () => [await layerNormForwardStep(registry, `${label}.forward`, dims,
        { x: region(x.value), y: region(output.value), stats: { buffer: stats, offset: 0 }, ...gamma, ...(this.center ? { beta: param('beta', 'value') } : {}) })],
      backwardSteps: async (gradients: Gradients) => {
        if (!gradients.outputs[0]) return [];
        const steps = [await layerNormParameterGradientStep(registry, `${label}.dparameters`, dims,
          { dy: region(output.grad!), x: region(x.value), stats: { buffer: stats, offset: 0 },
            ...(this.scale ? { dgamma: param('gamma', 'gradient') } : {}), ...(this.center ? { dbeta: param('beta', 'gradient') } : {}) },
          // The store's gradients are cleared once per step; every user of the weights adds.
          { accumulate: true })];
        const dx = gradients.inbound[0];
        if (dx && x.grad) {
          steps.push(await layerNormBackwardStep(registry, `${label}.backward`, dims,
            { dy: region(output.grad!), x: region(x.value), stats: { buffer: stats, offset: 0 }, ...gamma, dx: region(x.grad) }, { accumulate: dx.accumulate }));
        }
        return steps;
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
