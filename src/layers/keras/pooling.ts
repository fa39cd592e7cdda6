// Keras' GlobalAveragePooling1D / GlobalMaxPooling1D (a sequence [T, F] to one vector [F]: the mean or
// the maximum over time) and Flatten ([T, F] -> [T F], batch-major) over the kernels of
// shaders/pooling.wgsl. Only Keras' default data_format, channels_last, is what webrnn's sequences are.

import { ShapeError } from '../../gpu/errors.js';
import { flattenSequenceBackwardStep, flattenSequenceStep, globalPoolArgBytes, globalPoolBackwardStep, globalPoolForwardStep } from '../../kernels/pooling.js';
import { makeValue, WeightlessLayer, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value } from './layer.js';
import { maskingKernels } from '../../kernels/lazy.js';


/** Options of the global pooling layers. */
export interface GlobalPooling1DConfig extends LayerConfig {
  /** Keep the time axis, of size 1: [1, F]. Default false. */
  keepdims?: boolean;
}

/** Keras' GlobalAveragePooling1D ('avg') or GlobalMaxPooling1D ('max') over the time axis. */
export class GlobalPooling1DLayer extends WeightlessLayer {
  readonly className: string;
  /** Mean or maximum over time. */
  readonly mode: 'avg' | 'max';
  /** Whether the output keeps a time axis of size 1. */
  readonly keepdims: boolean;

  constructor(mode: 'avg' | 'max', config: GlobalPooling1DConfig = {}) {
    const className = mode === 'avg' ? 'GlobalAveragePooling1D' : 'GlobalMaxPooling1D';
    super(className, config);
    this.className = className;
    this.mode = mode;
    this.keepdims = config.keepdims ?? false;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', data_format: 'channels_last', keepdims: this.keepdims };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.length !== 2 || x[1] === null) throw new ShapeError(`${this.className} '${this.name}': takes sequences of shape [steps, features], got ${JSON.stringify(x)}`);
    return [this.keepdims ? [1, x[1]] : [x[1]]];
  }

  override bufferBytes(batch: number, [x]: readonly (readonly number[])[]): Record<string, number> {
    return { ...super.bufferBytes(batch, [x]), ...(this.mode === 'max' ? { argmax: globalPoolArgBytes(batch, x[1]) } : {}) };
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const [steps, features] = x.shape;
    const output = makeValue(context, 'y', this.keepdims ? [1, features] : [features], owned);
    const { batch, registry, label } = context;
    const arg = this.mode === 'max' ? context.ctx.createStorageBuffer(`${label}.argmax`, globalPoolArgBytes(batch, features)) : undefined;
    if (arg) owned.push(arg);
    const dims = { steps, batch, features };
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    // Keras' GlobalAveragePooling1D with a mask: the mean over the real steps (a sample with none: 0,
    // where Keras divides 0 by 0). GlobalMaxPooling1D ignores a mask, as Keras does.
    const mask = this.mode === 'avg' ? x.mask : undefined;
    if (mask) {
      const maskRegion = region(mask);
      return {
        outputs: [output],
        forwardSteps: async () => [await (await maskingKernels()).maskedMeanForwardStep(registry, `${label}.forward`, dims, { x: region(x.value), mask: maskRegion, out: region(output.value) })],
        backwardSteps: async (gradients: Gradients) => {
          const dx = gradients.inbound[0];
          if (!dx || !x.grad) return [];
          return [await (await maskingKernels()).maskedMeanBackwardStep(registry, `${label}.backward`, dims, { dout: region(output.grad!), mask: maskRegion, dx: region(x.grad) }, { accumulate: dx.accumulate })];
        },
        dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
      };
    }
    return {
      outputs: [output],
      forwardSteps: async () => [await globalPoolForwardStep(registry, `${label}.forward`, this.mode, dims,
        { x: region(x.value), out: region(output.value), ...(arg ? { arg: { buffer: arg, offset: 0 } } : {}) })],
      backwardSteps: async (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        return [await globalPoolBackwardStep(registry, `${label}.backward`, this.mode, dims,
          { dout: region(output.grad!), dx: region(x.grad), ...(arg ? { arg: { buffer: arg, offset: 0 } } : {}) }, { accumulate: dx.accumulate })];
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}

/** Keras' Flatten of a sequence: [T, F] -> [T F] (a vector [F] stays as it is). */
export class FlattenLayer extends WeightlessLayer {
  readonly className = 'Flatten';

  constructor(config: LayerConfig = {}) {
    super('Flatten', config);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', data_format: 'channels_last' };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.some((d) => d === null)) throw new ShapeError(`Flatten '${this.name}': every axis of its input must have a size (Keras too needs the steps), got ${JSON.stringify(x)}`);
    if (x.length > 2) throw new ShapeError(`Flatten '${this.name}': takes vectors or sequences [steps, features], got ${JSON.stringify(x)}`);
    return [[(x as number[]).reduce((a, b) => a * b, 1)]];
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const { batch, registry, label } = context;
    const steps = x.shape.length === 2 ? x.shape[0] : 1;
    const features = x.shape[x.shape.length - 1];
    const output = makeValue(context, 'y', [steps * features], owned);
    const dims = { steps, batch, features };
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    return {
      outputs: [output],
      forwardSteps: async () => [await flattenSequenceStep(registry, `${label}.forward`, dims, { x: region(x.value), out: region(output.value) })],
      backwardSteps: async (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        return [await flattenSequenceBackwardStep(registry, `${label}.backward`, dims, { dout: region(output.grad!), dx: region(x.grad) }, { accumulate: dx.accumulate })];
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
