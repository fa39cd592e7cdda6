// Keras' MaxPooling1D / AveragePooling1D over the time axis of a sequence [T, C] -> [To, C]
// (channels_last): windows of poolSize steps moved `strides` at a time, padding 'valid' or 'same' as
// TensorFlow pads (padded steps ignored: the average counts only real steps), over the kernels of
// shaders/pooling1d.wgsl. The max's gradient goes to the first step reaching each maximum.

import { ShapeError } from '../../gpu/errors.js';
import type { PoolMode } from '../../kernels/pooling.js';
import { pool1dArgBytes, pool1dBackwardStep, pool1dForwardStep, type Pooling1DShape, type PoolPadding } from '../../kernels/pooling1d.js';
import { windowGeometry } from '../../kernels/window1d.js';
import { makeValue, WeightlessLayer, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value } from './layer.js';
import { channelsLastOnly, windowSize } from './window-options.js';

/** Options of MaxPooling1D and AveragePooling1D (Keras' names, camelCase; sizes a number or a list of one). */
export interface Pooling1DConfig extends LayerConfig {
  /** Steps of a window. Default 2. */
  poolSize?: number | readonly [number];
  /** Steps between two windows. Default (or null): poolSize. */
  strides?: number | readonly [number] | null;
  /** Default 'valid'. */
  padding?: PoolPadding;
  /** Only 'channels_last' (the default): webrnn's sequences are [steps, channels]. */
  dataFormat?: 'channels_last' | 'channels_first';
}

/** Keras' MaxPooling1D ('max') or AveragePooling1D ('avg'). */
export class Pooling1DLayer extends WeightlessLayer {
  readonly className: string;
  /** Maximum or mean of each window. */
  readonly mode: PoolMode;
  /** Steps of a window. */
  readonly poolSize: number;
  /** Steps between two windows. */
  readonly strides: number;
  /** 'valid' or 'same'. */
  readonly padding: PoolPadding;

  constructor(mode: PoolMode, config: Pooling1DConfig = {}) {
    const className = mode === 'max' ? 'MaxPooling1D' : 'AveragePooling1D';
    super(className, config);
    this.className = className;
    if (mode !== 'max' && mode !== 'avg') throw new ShapeError(`Pooling1D: mode must be 'max' or 'avg', got ${JSON.stringify(mode)}`);
    this.mode = mode;
    const who = `${className} '${this.name}'`;
    this.poolSize = windowSize(who, 'poolSize', config.poolSize ?? 2);
    this.strides = windowSize(who, 'strides', config.strides ?? this.poolSize);
    const padding = config.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw new ShapeError(`${who}: padding must be 'valid' or 'same', got ${JSON.stringify(config.padding)}`);
    this.padding = padding;
    channelsLastOnly(who, config.dataFormat);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32', pool_size: [this.poolSize], padding: this.padding, strides: [this.strides], data_format: 'channels_last',
    };
  }

  /** Output steps for `steps` input steps; a ShapeError naming the layer when no output step is left. */
  outputSteps(steps: number, shape: Shape): number {
    const { outSteps } = windowGeometry(steps, { size: this.poolSize, stride: this.strides, dilation: 1, padding: this.padding });
    if (outSteps < 1) {
      throw new ShapeError(`${this.className} '${this.name}': its input of ${steps} steps (shape ${JSON.stringify(shape)}) is shorter than one window ` +
        `(poolSize ${this.poolSize}), so padding 'valid' leaves no output step`);
    }
    return outSteps;
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.length !== 2) throw new ShapeError(`${this.className} '${this.name}': takes sequences of shape [steps, channels], got ${JSON.stringify(x)}`);
    const [steps, channels] = x;
    if (channels === null) throw new ShapeError(`${this.className} '${this.name}': the channels (last axis) of its input must have a size, got ${JSON.stringify(x)}`);
    return [[steps === null ? null : this.outputSteps(steps, x), channels]];
  }

  private dims(batch: number, [steps, channels]: readonly number[]): Pooling1DShape {
    return { steps, batch, channels, poolSize: this.poolSize, stride: this.strides, padding: this.padding };
  }

  override bufferBytes(batch: number, [x]: readonly (readonly number[])[]): Record<string, number> {
    return { ...super.bufferBytes(batch, [x]), ...(this.mode === 'max' ? { argmax: pool1dArgBytes(this.name, this.dims(batch, x)) } : {}) };
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const outSteps = this.outputSteps(x.shape[0], x.shape);
    const output = makeValue(context, 'y', [outSteps, x.shape[1]], owned);
    const { batch, registry, label } = context;
    const dims = this.dims(batch, x.shape);
    const arg = this.mode === 'max' ? context.ctx.createStorageBuffer(`${label}.argmax`, pool1dArgBytes(label, dims)) : undefined;
    if (arg) owned.push(arg);
    const args = arg ? { arg: { buffer: arg, offset: 0 } } : {};
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    return {
      outputs: [output],
      forwardSteps: async () => [await pool1dForwardStep(registry, `${label}.forward`, this.mode, dims, { x: region(x.value), out: region(output.value), ...args })],
      backwardSteps: async (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        return [await pool1dBackwardStep(registry, `${label}.backward`, this.mode, dims, { dout: region(output.grad!), dx: region(x.grad), ...args }, { accumulate: dx.accumulate })];
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
