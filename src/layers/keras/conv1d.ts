// Keras' Conv1D over a sequence [T, C] -> [To, filters] (channels_last, groups 1): the convolution and
// its gradients are shaders/conv1d.wgsl (padding 'valid', 'same' or 'causal' as TensorFlow pads, with
// strides and dilation), the activation the one Dense uses; the weights live in the model's store
// (src/layers/conv1d.ts). A softmax or sigmoid output offers its logits to a fused loss, as Dense does.

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { activationBackwardStep, activationStep, isActivation, type Activation } from '../../kernels/activation.js';
import { conv1dBackwardInputStep, conv1dForwardStep, conv1dWeightGradientStep, type Conv1DShape } from '../../kernels/conv1d.js';
import { PADDINGS_1D, windowGeometry, type Padding1D } from '../../kernels/window1d.js';
import { Conv1DWeights } from '../conv1d.js';
import type { InitializerSpec } from '../initializers.js';
import { initializerConfig } from './config.js';
import { Layer, makeValue, wholeBuffer, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value } from './layer.js';
import { channelsLastOnly, windowSize } from './window-options.js';

/** Conv1D options (Keras' names, camelCase; 1-D sizes as a number or a list of one, as Keras takes them). */
export interface Conv1DLayerConfig extends LayerConfig {
  /** Output channels. */
  filters: number;
  /** Taps of the kernel. */
  kernelSize: number | readonly [number];
  /** Steps between two outputs. Default 1. */
  strides?: number | readonly [number];
  /** Default 'valid'. 'causal': output t sees the input up to t (Keras pads the left, then runs 'valid'). */
  padding?: Padding1D;
  /** Steps between two taps. Default 1 (strides and dilation above 1 together are refused, as Keras does). */
  dilationRate?: number | readonly [number];
  /** Default 'linear'. */
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Only 'channels_last' (the default): webrnn's sequences are [steps, channels]. */
  dataFormat?: 'channels_last' | 'channels_first';
  /** Only 1 (the default). */
  groups?: number;
}

/** Keras' Conv1D: activation(conv1d(x, kernel) + bias) over the time axis of a sequence [T, C]. */
export class Conv1DLayer extends Layer {
  readonly className = 'Conv1D';
  /** Output channels. */
  readonly filters: number;
  /** Taps of the kernel. */
  readonly kernelSize: number;
  /** Steps between two outputs. */
  readonly strides: number;
  /** 'valid', 'same' or 'causal'. */
  readonly padding: Padding1D;
  /** Steps between two taps. */
  readonly dilationRate: number;
  /** Activation of the output. */
  readonly activation: Activation;
  /** Whether it adds a bias. */
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerSpec;
  private readonly biasInitializer: InitializerSpec;
  private weightsLayer?: Conv1DWeights;

  constructor(config: Conv1DLayerConfig) {
    super('Conv1D', config);
    const who = `Conv1D '${this.name}'`;
    if (!config || typeof config !== 'object') throw new ShapeError(`${who}: takes { filters, kernelSize, ... }`);
    if (!Number.isInteger(config.filters) || config.filters < 1) throw new ShapeError(`${who}: filters must be a positive integer, got ${JSON.stringify(config.filters)}`);
    this.filters = config.filters;
    this.kernelSize = windowSize(who, 'kernelSize', config.kernelSize);
    this.strides = windowSize(who, 'strides', config.strides ?? 1);
    this.dilationRate = windowSize(who, 'dilationRate', config.dilationRate ?? 1);
    const padding = config.padding ?? 'valid';
    if (!PADDINGS_1D.includes(padding)) throw new ShapeError(`${who}: padding must be one of ${PADDINGS_1D.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(config.padding)}`);
    this.padding = padding;
    if (this.strides > 1 && this.dilationRate > 1) {
      throw new ShapeError(`${who}: strides > 1 together with dilationRate > 1 is not supported (Keras refuses it too), got strides ${this.strides} and dilationRate ${this.dilationRate}`);
    }
    channelsLastOnly(who, config.dataFormat);
    if (config.groups !== undefined && config.groups !== 1) {
      throw new ShapeError(`${who}: groups ${JSON.stringify(config.groups)} is not supported: webrnn's Conv1D convolves all input channels together (groups 1)`);
    }
    const activation = config.activation ?? 'linear';
    if (!isActivation(activation)) throw new ShapeError(`${who}: unknown activation '${String(activation)}'`);
    this.activation = activation;
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32', filters: this.filters, kernel_size: [this.kernelSize], strides: [this.strides],
      padding: this.padding, data_format: 'channels_last', dilation_rate: [this.dilationRate], groups: 1, activation: this.activation,
      use_bias: this.useBias, kernel_initializer: initializerConfig(this.kernelInitializer), bias_initializer: initializerConfig(this.biasInitializer),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    };
  }

  /** Output steps for `steps` input steps; a ShapeError naming the layer when no output step is left. */
  outputSteps(steps: number, shape: Shape): number {
    const { outSteps, span } = windowGeometry(steps, { size: this.kernelSize, stride: this.strides, dilation: this.dilationRate, padding: this.padding });
    if (outSteps < 1) {
      throw new ShapeError(`Conv1D '${this.name}': its input of ${steps} steps (shape ${JSON.stringify(shape)}) is shorter than one window ` +
        `(kernelSize ${this.kernelSize}, dilationRate ${this.dilationRate}: ${span} steps), so padding 'valid' leaves no output step`);
    }
    return outSteps;
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.length !== 2) throw new ShapeError(`Conv1D '${this.name}': takes sequences of shape [steps, channels], got ${JSON.stringify(x)}`);
    const [steps, channels] = x;
    if (channels === null) throw new ShapeError(`Conv1D '${this.name}': the channels (last axis) of its input must have a size, got ${JSON.stringify(x)}`);
    if (this.weightsLayer && channels !== this.weightsLayer.channels) {
      throw new ShapeError(`Conv1D '${this.name}': built for ${this.weightsLayer.channels} input channels, called on ${channels} (shape ${JSON.stringify(x)})`);
    }
    return [[steps === null ? null : this.outputSteps(steps, x), this.filters]];
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.weightsLayer = Conv1DWeights.create(context.ctx, {
      kernelSize: this.kernelSize, channels: x[1] as number, filters: this.filters, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer, seed: context.seed, name: this.name,
    }, { parameters: context.store, registry: context.registry });
  }

  get weightLayer(): Conv1DWeights | undefined {
    return this.weightsLayer;
  }

  override bufferBytes(batch: number, inbound: readonly (readonly number[])[]): Record<string, number> {
    const bytes = super.bufferBytes(batch, inbound);
    return this.activation === 'linear' ? bytes : { ...bytes, pre: bytes.output_0 };
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const weights = this.weightsLayer!;
    const [steps, channels] = x.shape;
    const outSteps = this.outputSteps(steps, x.shape);
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', [outSteps, this.filters], owned);
    const { batch, registry, label } = context;
    const rows = outSteps * batch;
    const bytes = rows * this.filters * 4;
    const linear = this.activation === 'linear';
    const own = (name: string) => {
      const buffer = context.ctx.createStorageBuffer(`${label}.${name}`, bytes);
      owned.push(buffer);
      return wholeBuffer(buffer, bytes);
    };
    // The convolution's own output and its gradient: the layer's output itself when linear.
    const pre = linear ? output.value : own('pre');
    const dpre = linear ? output.grad! : own('dpre');
    const dims: Conv1DShape = {
      steps, batch, channels, filters: this.filters, kernelSize: this.kernelSize, stride: this.strides, dilation: this.dilationRate,
      padding: this.padding, bias: this.useBias,
    };
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    const param = (name: string, which: 'value' | 'gradient') => region(weights.param(name, which));
    const activation = this.activation;
    return {
      outputs: [output],
      forwardSteps: async () => {
        const list: Step[] = [await conv1dForwardStep(registry, `${label}.forward`, dims, {
          x: region(x.value), kernel: param('kernel', 'value'), y: region(pre), ...(this.useBias ? { bias: param('bias', 'value') } : {}),
        })];
        if (!linear) list.push(await activationStep(registry, `${label}.forward.${activation}`, activation, rows, this.filters, pre, output.value));
        return list;
      },
      backwardSteps: async (gradients: Gradients) => {
        const list: Step[] = [];
        // A loss fused with softmax or sigmoid has written dpre already.
        if (!linear && !gradients.logits[0]) {
          list.push(await activationBackwardStep(registry, `${label}.backward.${activation}`, activation, rows, this.filters, { pre, y: output.value, dy: output.grad!, dpre }));
        }
        // The store's gradients are cleared once per step; every user of the weights adds.
        list.push(await conv1dWeightGradientStep(registry, `${label}.dweights`, dims, {
          dy: region(dpre), x: region(x.value), dkernel: param('kernel', 'gradient'), ...(this.useBias ? { dbias: param('bias', 'gradient') } : {}),
        }, { accumulate: true }));
        const dx = gradients.inbound[0];
        if (dx && x.grad) {
          list.push(await conv1dBackwardInputStep(registry, `${label}.backward`, dims,
            { dy: region(dpre), kernel: param('kernel', 'value'), dx: region(x.grad) }, { accumulate: dx.accumulate }));
        }
        return list;
      },
      logits: () => (activation === 'softmax' || activation === 'sigmoid' ? { activation, value: pre, grad: dpre } : undefined),
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
