// Keras' merge layers over two or more inputs of the same shape (Concatenate: but for the last axis):
//   Concatenate (axis -1): y = [x_0 | x_1 | ...] along the features;  dx_i = its columns of dy
//   Add:                   y = sum_i x_i;                              dx_i = dy

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { copyColumnsStep } from '../../kernels/columns.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import { WeightlessLayer, makeValue, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';

abstract class MergeLayer extends WeightlessLayer {
  protected override get inputArity(): [number, number] {
    return [2, 64];
  }

  /** Every input's shape must equal the first's, but for axis `except` (-1: none). */
  protected checkShapes(inputs: readonly Shape[], except: number): void {
    const [first] = inputs;
    inputs.forEach((shape, i) => {
      const same = shape.length === first.length && shape.every((d, k) => k === except || d === first[k] || d === null || first[k] === null);
      if (!same) {
        throw new ShapeError(`${this.className} '${this.name}': input ${i} has shape ${JSON.stringify(shape)}, input 0 ${JSON.stringify(first)}; ` +
          (except >= 0 ? 'they must agree but for the last axis' : 'they must be the same'));
      }
    });
  }

  /**
   * Keras' Merge.compute_mask: the AND of the inputs' masks (an input without one counts as all real),
   * the one mask itself when only one is met, else a product made by the forward's first step.
   */
  protected mergedMask(context: RuntimeContext, inputs: readonly Value[], owned: GPUBuffer[]): { mask?: Range; steps: () => Promise<Step[]> } {
    const masks = inputs.flatMap((x) => (x.mask ? [x.mask] : [])).filter((m, i, all) => all.findIndex((o) => o.buffer === m.buffer && o.offset === m.offset) === i);
    if (masks.length <= 1) return { mask: masks[0], steps: async () => [] };
    if (masks.length > 2) throw new ShapeError(`${this.className} '${this.name}': merges ${masks.length} differently masked inputs; at most 2 are supported`);
    const buffer = context.ctx.createStorageBuffer(`${context.label}.mask`, masks[0].size);
    owned.push(buffer);
    const mask: Range = { buffer, offset: 0, size: masks[0].size };
    return {
      mask,
      steps: async () => [await elementwiseStep(context.registry, `${context.label}.mask`, 'mul', masks[0].size / 4,
        { x: masks[0].buffer, y: masks[1].buffer, out: buffer }, { xOffset: masks[0].offset / 4, yOffset: masks[1].offset / 4 })],
    };
  }
}

/** Concatenate options. */
export interface ConcatenateConfig extends LayerConfig {
  /** Only the last axis (-1, the default) is supported. */
  axis?: number;
}

/** Keras' Concatenate along the last axis. */
export class Concatenate extends MergeLayer {
  readonly className = 'Concatenate';

  constructor(config: ConcatenateConfig = {}) {
    super('Concatenate', config);
    if (config.axis !== undefined && config.axis !== -1) {
      throw new ShapeError(`Concatenate '${this.name}': only axis -1 (the features) is supported, got ${config.axis}`);
    }
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', axis: -1 };
  }

  outputShapes(inputs: readonly Shape[]): Shape[] {
    const last = inputs[0].length - 1;
    this.checkShapes(inputs, last);
    const features = inputs.map((s) => s[last]);
    if (features.some((f) => f === null)) throw new ShapeError(`Concatenate '${this.name}': the last axis of every input must have a size`);
    return [[...inputs[0].slice(0, last), features.reduce((a, b) => (a as number) + (b as number), 0)]];
  }

  runtime(context: RuntimeContext, _node: Node, inputs: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const widths = inputs.map((x) => x.shape[x.shape.length - 1]);
    const total = widths.reduce((a, b) => a + b, 0);
    const { mask, steps: maskSteps } = this.mergedMask(context, inputs, owned);
    const output: Value = { ...makeValue(context, 'y', [...inputs[0].shape.slice(0, -1), total], owned), mask };
    const rows = output.rows;
    const starts = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
    const { registry, label } = context;
    return {
      outputs: [output],
      forwardSteps: async () => [...(await maskSteps()), ...(await Promise.all(inputs.map((x, i) => copyColumnsStep(registry, `${label}.forward.${i}`, rows, widths[i],
        { buffer: x.value, stride: widths[i], column: 0 }, { buffer: output.value, stride: total, column: starts[i] }))))],
      backwardSteps: async (gradients: Gradients) => {
        const steps: Step[] = [];
        for (const [i, x] of inputs.entries()) {
          const g = gradients.inbound[i];
          if (!g || !x.grad) continue;
          steps.push(await copyColumnsStep(registry, `${label}.backward.${i}`, rows, widths[i],
            { buffer: output.grad!, stride: total, column: starts[i] }, { buffer: x.grad, stride: widths[i], column: 0 }, g.accumulate));
        }
        return steps;
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}

/** Keras' Add: the elementwise sum of its inputs. */
export class Add extends MergeLayer {
  readonly className = 'Add';

  constructor(config: LayerConfig = {}) {
    super('Add', config);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32' };
  }

  outputShapes(inputs: readonly Shape[]): Shape[] {
    this.checkShapes(inputs, -1);
    return [inputs[0]];
  }

  runtime(context: RuntimeContext, _node: Node, inputs: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const { mask, steps: maskSteps } = this.mergedMask(context, inputs, owned);
    const output: Value = { ...makeValue(context, 'y', inputs[0].shape, owned), mask };
    const n = output.rows * output.shape[output.shape.length - 1];
    const { registry, label } = context;
    return {
      outputs: [output],
      forwardSteps: async () => {
        const steps = [...(await maskSteps()), await elementwiseStep(registry, `${label}.forward`, 'add', n, { x: inputs[0].value, y: inputs[1].value, out: output.value })];
        for (let i = 2; i < inputs.length; i++) {
          steps.push(await elementwiseStep(registry, `${label}.forward.${i}`, 'copy', n, { x: inputs[i].value, out: output.value }, { accumulate: true }));
        }
        return steps;
      },
      backwardSteps: async (gradients: Gradients) => {
        const steps: Step[] = [];
        for (const [i, x] of inputs.entries()) {
          const g = gradients.inbound[i];
          if (!g || !x.grad) continue;
          steps.push(await elementwiseStep(registry, `${label}.backward.${i}`, 'copy', n, { x: output.grad!, out: x.grad }, { accumulate: g.accumulate }));
        }
        return steps;
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
