// Keras' Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise and AlphaDropout: the identity at
// inference (predict, evaluate: one copy), their noise in training (fit, trainOnBatch, warmUp), drawn on
// the GPU by src/kernels/dropout.ts as Keras draws it:
//   Dropout(rate, noiseShape)  y = x mask / (1 - rate), mask ~ Bernoulli(1 - rate), one mask element per
//                              entry of noiseShape (a 1 there shares it over that axis: [null, 1, F] over time)
//   SpatialDropout1D(rate)     Dropout with one mask per (sample, channel), the same at every step
//   GaussianDropout(rate)      y = x N(1, rate / (1 - rate))
//   GaussianNoise(stddev)      y = x + N(0, stddev^2)
//   AlphaDropout(rate)         y = a x + b kept, a alpha_p + b dropped (Keras' formula, alpha_p = -SELU alpha scale)
// and dx = dy times the forward's multiplier (recomputed from the same random numbers, not stored).
//
// The noise of a training step is a function of the layer's seed (its `seed`, else the model's seed and
// the layer's place, as the initializers' seeds), the call (node index) and a step counter the layer
// keeps in its model's parameter store, which each training step's plan advances on the GPU (one tick
// dispatch, no host write). Models with the same seeds draw the same noise step by step; a warm-up draws
// without advancing. The counter is model state outside the weights: a checkpoint does not hold it, and
// restore() starts it afresh at 0 (as it does the optimizer's state), so the noise after a restore
// repeats the noise of the first steps, with other weights and data order.
//
// Layout: a sequence [T, F] is [T, B, F] in memory (row t B + b), so "shared over time" is a mask
// element per (b, f). Rate 0 (stddev 0) is the identity in training too. None has weights, as in Keras,
// so get_weights() order is unchanged.

import { ShapeError, WebRnnError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import type { NoiseKind, NoiseOptions, NoiseShape } from '../../kernels/dropout.js';
import { checkNoiseRate, seedWords } from '../../kernels/noise-rate.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import { describeValue as describe } from '../../kernels/regions.js';
import { noiseKernels } from '../../kernels/lazy.js';
import {
  makeValue, ShapePreservingLayer,
  type BuildContext, type ForwardPass, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value,
} from './layer.js';


/** The Keras classes of the dropout and noise layers (the identity at inference, noise in training). */
export const NOISE_LAYER_CLASSES = ['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'] as const;

/** One of NOISE_LAYER_CLASSES. */
export type NoiseLayerClass = (typeof NOISE_LAYER_CLASSES)[number];

/** Keras' noise_shape: per axis (batch first), null for the input's size or 1 to share the mask over that axis. */
export type NoiseShapeSpec = readonly (number | null)[];

/** Options every dropout and noise layer takes. */
export interface NoiseLayerConfig extends LayerConfig {
  /**
   * Seed of its noise (Keras' seed). Default: from the model's seed and the layer's place, as the
   * initializers' seeds, so a model built twice with one seed draws the same noise.
   */
  seed?: number;
}

/** Options of Dropout (TensorFlow.js' tf.layers.dropout). */
export interface DropoutLayerConfig extends NoiseLayerConfig {
  /** Fraction of the units dropped, in [0, 1). */
  rate: number;
  /**
   * Keras' noise_shape, batch axis first: [null, 1, F] (or [null, 1, null]) shares a sample's mask over
   * every time step of a sequence [T, F]. Default null: a mask element per value.
   */
  noiseShape?: NoiseShapeSpec | null;
}

/** Options of SpatialDropout1D. */
export interface SpatialDropout1DConfig extends NoiseLayerConfig {
  /** Fraction of the channels dropped (each for every step of a sample), in [0, 1). */
  rate: number;
}

/** Options of GaussianDropout. */
export interface GaussianDropoutConfig extends NoiseLayerConfig {
  /** Drop probability in [0, 1): the multiplicative noise N(1, rate / (1 - rate)). */
  rate: number;
}

/** Options of GaussianNoise. */
export interface GaussianNoiseConfig extends NoiseLayerConfig {
  /** Standard deviation of the additive noise (>= 0). */
  stddev: number;
}

/** Options of AlphaDropout. */
export interface AlphaDropoutConfig extends NoiseLayerConfig {
  /** Drop probability in [0, 1). */
  rate: number;
  /** Keras' noise_shape, as Dropout's. Default null. */
  noiseShape?: NoiseShapeSpec | null;
}

/** The step counter of a random layer in its model's parameter store (zero at first; src/kernels/dropout.ts). */
export function noiseCounter(context: BuildContext, layerName: string): GPUBuffer {
  return context.store.stateBuffer(`${layerName}.noise_counter`, 4);
}

/** Where a value lies in elements (kernels that take element offsets). */
function region(range: Range): { buffer: GPUBuffer; offset: number } {
  return { buffer: range.buffer, offset: range.offset / 4 };
}

/** The dropout and noise layers: the identity at inference, their noise in training. */
export abstract class NoiseLayer extends ShapePreservingLayer {
  /** Keras class name ('Dropout', 'GaussianNoise', ...). */
  abstract override readonly className: NoiseLayerClass;
  /** The noise it draws. */
  readonly kind: NoiseKind;
  /** Keras' noise_shape, or null (a mask element per value). */
  readonly noiseShape: NoiseShapeSpec | null;
  /** The drop rate, or GaussianNoise's stddev. */
  protected readonly amount: number;
  private counter?: GPUBuffer;
  private noiseSeed?: number;

  protected constructor(className: NoiseLayerClass, kind: NoiseKind, amount: number, noiseShape: NoiseShapeSpec | null | undefined, config: LayerConfig) {
    super(className, config);
    const who = `${className} '${this.name}'`;
    this.kind = kind;
    checkNoiseRate(who, kind, amount);
    this.amount = amount;
    if (config.seed !== undefined && config.seed !== null) seedWords(who, config.seed);
    if (noiseShape !== undefined && noiseShape !== null) {
      if (!Array.isArray(noiseShape) || noiseShape.length < 2 || noiseShape.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) {
        throw new ShapeError(`${who}: noise_shape must be a list of positive integers or nulls, batch axis first, got ${describe(noiseShape)}`);
      }
    }
    this.noiseShape = noiseShape ? [...noiseShape] : null;
  }

  /** Whether it draws noise in training (rate or stddev above 0). */
  get active(): boolean {
    return this.amount > 0;
  }

  /** Keras' config keys of the class, beyond name, trainable and dtype. */
  protected abstract kerasSettings(): Record<string, unknown>;

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', ...this.kerasSettings() };
  }

  // WeightlessLayer's create() takes nothing; Layer.build() passes the context.
  protected override create(context?: BuildContext): void {
    if (!this.active || !context) return;
    this.counter = noiseCounter(context, this.name);
    this.noiseSeed = context.seed;
  }

  /** The input's shape; a ShapeError naming the layer when noise_shape (SpatialDropout1D: a sequence) does not fit it. */
  override outputShapes(inputs: readonly Shape[]): Shape[] {
    this.sharing(inputs[0]);
    return [inputs[0]];
  }

  /** Which axes share a mask, for a per-sample shape (a ShapeError when noise_shape does not fit it). */
  protected sharing(x: Shape): Pick<NoiseOptions, 'shareOverTime' | 'shareOverBatch' | 'shareOverFeatures'> {
    const spec = this.noiseShape;
    if (!spec) return {};
    const who = `${this.className} '${this.name}'`;
    if (x.length > 2) throw new ShapeError(`${who}: noise_shape is supported for inputs of shape [features] and [steps, features], got ${JSON.stringify(x)}`);
    if (spec.length !== x.length + 1) {
      throw new ShapeError(`${who}: noise_shape ${describe(spec)} has ${spec.length} axes; the input (with its batch axis) has ${x.length + 1}: ${JSON.stringify([null, ...x])}`);
    }
    spec.slice(1).forEach((d, i) => {
      if (d !== null && d !== 1 && x[i] !== null && d !== x[i]) throw new ShapeError(`${who}: noise_shape ${describe(spec)} axis ${i + 1} is ${d}; it must be null, 1 or the input's ${x[i]}`);
    });
    // The batch axis: 1 shares one mask over the samples; any other size is one per sample.
    const shares = (d: number | null, size: number | null) => d === 1 && size !== 1;
    return {
      shareOverBatch: spec[0] === 1,
      shareOverTime: x.length === 2 && shares(spec[1], x[0]),
      shareOverFeatures: shares(spec[spec.length - 1], x[x.length - 1]),
    };
  }

  runtime(context: RuntimeContext, node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', x.shape, owned);
    const features = x.shape[x.shape.length - 1];
    const n = x.rows * features;
    const { registry, label, batch } = context;
    const copy = async (what: string, from: Range, to: Range, accumulate = false): Promise<Step> =>
      elementwiseStep(registry, `${label}.${what}`, 'copy', n, { x: from.buffer, out: to.buffer }, { xOffset: from.offset / 4, outOffset: to.offset / 4, accumulate });
    const dispose = () => owned.forEach((b) => context.ctx.destroyBuffer(b));
    if (!this.active) {
      return {
        outputs: [output],
        forwardSteps: async () => [await copy('forward', x.value, output.value)],
        backwardSteps: async (gradients: Gradients) => {
          const dx = gradients.inbound[0];
          if (!dx || !x.grad) return [];
          return [await copy('backward', output.grad!, x.grad, dx.accumulate)];
        },
        dispose,
      };
    }
    const counter = this.counter;
    const seed = this.noiseSeed;
    if (!counter || seed === undefined) throw new WebRnnError(`${this.className} '${this.name}': not built (build the model before asking for a runtime)`);
    const sharing = this.sharing(x.shape);
    // A mask shared over some axis: over [T, B, F] (a vector: T = 1); else the values as they lie, a mask element each.
    const shape: NoiseShape = Object.values(sharing).some(Boolean)
      ? { steps: x.shape.length === 2 ? x.shape[0] : 1, batch, features }
      : { steps: 1, batch: x.rows, features };
    const state = context.ctx.createStorageBuffer(`${label}.noise_step`, 4);
    owned.push(state);
    const stateRegion = { buffer: state, offset: 0 };
    const options: NoiseOptions = { kind: this.kind, rate: this.amount, seed, stream: node.index, ...sharing };
    return {
      outputs: [output],
      forwardSteps: async (pass?: ForwardPass) => {
        if (!pass?.training) return [await copy('forward', x.value, output.value)];
        const { dropoutStep, noiseTickStep } = await noiseKernels();
        return [
          await noiseTickStep(registry, `${label}.noise_tick`, { counter: { buffer: counter, offset: 0 }, state: stateRegion }, { advance: pass.advance ?? true }),
          await dropoutStep(registry, `${label}.forward`, shape, { x: region(x.value), out: region(output.value), state: stateRegion }, options),
        ];
      },
      backwardSteps: async (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        // GaussianNoise adds its noise: dx = dy.
        if (this.kind === 'gaussian_noise') return [await copy('backward', output.grad!, x.grad, dx.accumulate)];
        return [await (await noiseKernels()).dropoutStep(registry, `${label}.backward`, shape, { x: region(output.grad!), out: region(x.grad), state: stateRegion },
          { ...options, backward: true, accumulate: dx.accumulate })];
      },
      dispose,
    };
  }
}

/** Keras' Dropout: in training, each unit is dropped with probability `rate` and the others scaled by 1 / (1 - rate). */
export class DropoutLayer extends NoiseLayer {
  readonly className = 'Dropout';

  constructor(config: DropoutLayerConfig) {
    super('Dropout', 'dropout', config?.rate, config?.noiseShape, config ?? {});
  }

  /** The fraction of units dropped in training. */
  get rate(): number {
    return this.amount;
  }

  protected kerasSettings(): Record<string, unknown> {
    return { rate: this.amount, noise_shape: this.noiseShape ? [...this.noiseShape] : null, seed: this.seed ?? null };
  }
}

/** Keras' SpatialDropout1D: Dropout of whole channels of a sequence [T, F] (one mask per sample and channel, every step). */
export class SpatialDropout1DLayer extends NoiseLayer {
  readonly className = 'SpatialDropout1D';

  constructor(config: SpatialDropout1DConfig) {
    super('SpatialDropout1D', 'dropout', config?.rate, null, config ?? {});
  }

  /** The fraction of channels dropped in training. */
  get rate(): number {
    return this.amount;
  }

  protected override sharing(x: Shape): Pick<NoiseOptions, 'shareOverTime'> {
    if (x.length !== 2) throw new ShapeError(`SpatialDropout1D '${this.name}': takes sequences of shape [steps, features], got ${JSON.stringify(x)}`);
    return { shareOverTime: true };
  }

  protected kerasSettings(): Record<string, unknown> {
    return { rate: this.amount, seed: this.seed ?? null };
  }
}

/** Keras' GaussianDropout: in training, x times Gaussian noise of mean 1 and variance rate / (1 - rate). */
export class GaussianDropoutLayer extends NoiseLayer {
  readonly className = 'GaussianDropout';

  constructor(config: GaussianDropoutConfig) {
    super('GaussianDropout', 'gaussian_dropout', config?.rate, null, config ?? {});
  }

  /** The drop probability the noise's variance comes from. */
  get rate(): number {
    return this.amount;
  }

  protected kerasSettings(): Record<string, unknown> {
    return { rate: this.amount, seed: this.seed ?? null };
  }
}

/** Keras' GaussianNoise: in training, x plus Gaussian noise of mean 0 and standard deviation stddev. */
export class GaussianNoiseLayer extends NoiseLayer {
  readonly className = 'GaussianNoise';

  constructor(config: GaussianNoiseConfig) {
    super('GaussianNoise', 'gaussian_noise', config?.stddev, null, config ?? {});
  }

  /** The standard deviation of the noise. */
  get stddev(): number {
    return this.amount;
  }

  protected kerasSettings(): Record<string, unknown> {
    return { stddev: this.amount, seed: this.seed ?? null };
  }
}

/** Keras' AlphaDropout: dropout that keeps a SELU network's mean and variance (dropped units at SELU's saturation, then an affine map). */
export class AlphaDropoutLayer extends NoiseLayer {
  readonly className = 'AlphaDropout';

  constructor(config: AlphaDropoutConfig) {
    super('AlphaDropout', 'alpha_dropout', config?.rate, config?.noiseShape, config ?? {});
  }

  /** The drop probability. */
  get rate(): number {
    return this.amount;
  }

  protected kerasSettings(): Record<string, unknown> {
    return { rate: this.amount, noise_shape: this.noiseShape ? [...this.noiseShape] : null, seed: this.seed ?? null };
  }
}

/** A noise layer of a Keras class from its Keras settings (rate or stddev, noise_shape, seed): what fromConfig makes. */
export function noiseLayerOf(className: NoiseLayerClass, config: LayerConfig & { rate?: number; stddev?: number; noiseShape?: NoiseShapeSpec | null }): NoiseLayer {
  const rate = config.rate as number;
  switch (className) {
    case 'Dropout':
      return new DropoutLayer({ ...config, rate });
    case 'SpatialDropout1D':
      return new SpatialDropout1DLayer({ ...config, rate });
    case 'GaussianDropout':
      return new GaussianDropoutLayer({ ...config, rate });
    case 'GaussianNoise':
      return new GaussianNoiseLayer({ ...config, stddev: config.stddev as number });
    case 'AlphaDropout':
      return new AlphaDropoutLayer({ ...config, rate });
  }
}
