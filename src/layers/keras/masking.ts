// Keras' Masking: a step of a sequence [T, F] whose every feature equals maskValue is padding. The
// output is the input with those steps zeroed, and carries Keras' mask (1 at a real step), which the
// layers after it read (recurrent layers keep their state there); dx = dy at the real steps, 0 elsewhere.

import { ShapeError } from '../../gpu/errors.js';
import { ShapePreservingLayer, makeValue, wholeBuffer, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';
import { maskingKernels } from '../../kernels/lazy.js';


/** Masking options. */
export interface MaskingLayerConfig extends LayerConfig {
  /** The value of every feature of a padded step. Default 0. */
  maskValue?: number;
}

/** Keras' Masking layer. */
export class MaskingLayer extends ShapePreservingLayer {
  readonly className = 'Masking';
  /** The value of every feature of a padded step. */
  readonly maskValue: number;

  constructor(config: MaskingLayerConfig = {}) {
    super('Masking', config);
    const value = config.maskValue ?? 0;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new ShapeError(`Masking '${this.name}': maskValue must be a number, got ${JSON.stringify(config.maskValue)}`);
    this.maskValue = value;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', mask_value: this.maskValue };
  }

  /** Its input's shape: a sequence [steps, features] (a ShapeError naming the layer otherwise). */
  override outputShapes(inputs: readonly Shape[]): Shape[] {
    const [x] = inputs;
    if (x.length !== 2) throw new ShapeError(`Masking '${this.name}': takes sequences of shape [steps, features], got ${JSON.stringify(x)}`);
    return super.outputShapes(inputs);
  }

  /** Its own mask replaces the input's (Keras: any(x != mask_value) over the features). */
  override outputMask(): Range | undefined {
    return undefined;
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const { registry, label } = context;
    const features = x.shape[1];
    const rows = x.rows; // T B, time-major
    try {
      const output = makeValue(context, 'y', x.shape, owned);
      const mask = context.ctx.createStorageBuffer(`${label}.mask`, rows * 4);
      owned.push(mask);
      const shape = { rows, features };
      return {
        outputs: [{ ...output, mask: wholeBuffer(mask, rows * 4) }],
        forwardSteps: async () => [await (await maskingKernels()).maskFromValuesStep(registry, `${label}.forward`, shape, this.maskValue,
          { x: { buffer: x.value.buffer, offset: x.value.offset / 4 }, out: { buffer: output.value.buffer, offset: 0 }, mask: { buffer: mask, offset: 0 } })],
        backwardSteps: async (gradients: Gradients) => {
          const dx = gradients.inbound[0];
          if (!dx || !x.grad || !gradients.outputs[0]) return [];
          return [await (await maskingKernels()).maskRowsStep(registry, `${label}.backward`, shape,
            { x: { buffer: output.grad!.buffer, offset: 0 }, mask: { buffer: mask, offset: 0 }, out: { buffer: x.grad.buffer, offset: x.grad.offset / 4 } },
            { accumulate: dx.accumulate })];
        },
        dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
      };
    } catch (error) {
      owned.forEach((b) => context.ctx.destroyBuffer(b));
      throw error;
    }
  }
}
