// Keras' Dense over the last axis of any input: [F] -> [units], [T, F] -> [T, units] (rows x F as one
// matmul, src/layers/dense.ts). A softmax or sigmoid output offers its logits to a fused loss.

import { ShapeError } from '../../gpu/errors.js';
import { isActivation, type Activation } from '../../kernels/activation.js';
import { Dense } from '../dense.js';
import type { InitializerSpec } from '../initializers.js';
import { expectPositiveInteger } from '../validate.js';
import { initializerConfig } from './config.js';
import { Layer, wholeBuffer, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';

/** Dense options (Keras' names, camelCase). */
export interface DenseLayerConfig extends LayerConfig {
  /** Output features. */
  units: number;
  /** Default 'linear'. */
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
}

/** Keras' Dense: activation(x . kernel + bias) over the last axis. */
export class DenseLayer extends Layer {
  readonly className: string;
  /** Output features. */
  readonly units: number;
  /** Activation of the output. */
  readonly activation: Activation;
  /** Whether it adds a bias. */
  readonly useBias: boolean;
  /** The options it was made with. */
  readonly config: DenseLayerConfig;
  private readonly kernelInitializer: InitializerSpec;
  private readonly biasInitializer: InitializerSpec;
  private dense?: Dense;

  /** `className`: a subclass's (TimeDistributed, which is Dense at every step). */
  constructor(config: DenseLayerConfig, className = 'Dense') {
    super(className, config);
    this.className = className;
    this.config = { ...config, name: this.name };
    expectPositiveInteger(`Dense '${this.name}' units`, config.units);
    const activation = config.activation ?? 'linear';
    if (!isActivation(activation)) throw new ShapeError(`Dense '${this.name}': unknown activation '${String(activation)}'`);
    this.units = config.units;
    this.activation = activation;
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32', units: this.units, activation: this.activation, use_bias: this.useBias,
      kernel_initializer: initializerConfig(this.kernelInitializer), bias_initializer: initializerConfig(this.biasInitializer),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    const features = x[x.length - 1];
    if (features === null) throw new ShapeError(`Dense '${this.name}': the last axis of its input must have a size, got ${JSON.stringify(x)}`);
    if (this.dense && features !== this.dense.inputSize) {
      throw new ShapeError(`Dense '${this.name}': built for ${this.dense.inputSize} input features, called on ${features} (shape ${JSON.stringify(x)})`);
    }
    return [[...x.slice(0, -1), this.units]];
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.dense = Dense.create(context.ctx, {
      units: this.units, inputSize: x[x.length - 1] as number, activation: this.activation, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer, seed: context.seed, name: this.name,
    }, { parameters: context.store, registry: context.registry });
  }

  get weightLayer(): Dense | undefined {
    return this.dense;
  }

  /** On a sequence, step by step: the steps keep their mask. */
  override outputMask(_index: number, [x]: readonly Value[]): Range | undefined {
    return x.shape.length >= 2 ? x.mask : undefined;
  }

  runtime(_context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const dense = this.dense!;
    const buffers = dense.createBuffers(x.rows);
    const bytes = x.rows * this.units * 4;
    const output: Value = { shape: [...x.shape.slice(0, -1), this.units], kind: 'float32', rows: x.rows, value: wholeBuffer(buffers.y, bytes), grad: wholeBuffer(buffers.dy, bytes) };
    const activation = this.activation;
    return {
      outputs: [output],
      forwardSteps: () => dense.forwardSteps(buffers, x.value),
      backwardSteps: (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        return dense.backwardSteps(buffers, x.value, dx ? x.grad : undefined, gradients.logits[0], dx?.accumulate ?? false);
      },
      logits: () => (activation === 'softmax' || activation === 'sigmoid'
        ? { activation, value: wholeBuffer(buffers.pre, bytes), grad: wholeBuffer(buffers.dpre, bytes) }
        : undefined),
      dispose: () => dense.destroyBuffers(buffers),
    };
  }
}
