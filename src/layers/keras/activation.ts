// Keras' Activation layer: y = activation(x) elementwise, or softmax over the last axis. Softmax and
// sigmoid offer their input as logits to a fused loss, whose gradient the backward then passes on.

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { activationBackwardStep, activationStep, isActivation, type Activation } from '../../kernels/activation.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import { ShapePreservingLayer, makeValue, wholeBuffer, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Value } from './layer.js';

/** Activation options. */
export interface ActivationLayerConfig extends LayerConfig {
  /** A Keras activation name. */
  activation: Activation;
}

/** Keras' Activation layer. */
export class ActivationLayer extends ShapePreservingLayer {
  readonly className = 'Activation';
  /** The activation. */
  readonly activation: Activation;

  constructor(config: ActivationLayerConfig) {
    super('Activation', config);
    if (!isActivation(config.activation)) throw new ShapeError(`Activation '${this.name}': unknown activation '${String(config.activation)}'`);
    this.activation = config.activation;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', activation: this.activation };
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', x.shape, owned);
    const cols = x.shape[x.shape.length - 1];
    const fusable = this.activation === 'softmax' || this.activation === 'sigmoid';
    // The fused loss's gradient of the logits, passed on to x's gradient by the backward.
    const logitsGrad = fusable ? context.ctx.createStorageBuffer(`${context.label}.dlogits`, output.value.size) : undefined;
    if (logitsGrad) owned.push(logitsGrad);
    const { registry } = context;
    const activation = this.activation;
    const label = context.label;
    return {
      outputs: [output],
      forwardSteps: async () => [await activationStep(registry, `${label}.forward`, activation, x.rows, cols, x.value, output.value)],
      backwardSteps: async (gradients: Gradients): Promise<Step[]> => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        if (gradients.logits[0]) {
          return [await elementwiseStep(registry, `${label}.backward`, 'copy', x.rows * cols, { x: logitsGrad!, out: x.grad }, { accumulate: dx.accumulate })];
        }
        return [await activationBackwardStep(registry, `${label}.backward`, activation, x.rows, cols,
          { pre: x.value, y: output.value, dy: output.grad!, dpre: x.grad }, dx.accumulate)];
      },
      logits: () => (fusable ? { activation: activation as 'softmax' | 'sigmoid', value: x.value, grad: wholeBuffer(logitsGrad!, output.value.size) } : undefined),
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
