// Keras' Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise and AlphaDropout at inference: the
// identity, y = x (one copy); dx = dy. Keras applies them only in training, which webrnn does not do
// yet, so one whose rate (stddev) is above 0 refuses to be trained through unless told otherwise. Each
// keeps its Keras class name and settings, so a model's config writes it back; it has no weights, as in
// Keras, so get_weights() order is unchanged.

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import { ShapePreservingLayer, makeValue, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Value } from './layer.js';

/** The Keras classes that are the identity at inference. */
export const INFERENCE_IDENTITY_CLASSES = ['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'] as const;

/** One of INFERENCE_IDENTITY_CLASSES. */
export type InferenceIdentityClass = (typeof INFERENCE_IDENTITY_CLASSES)[number];

/** Options of an inference identity layer. */
export interface InferenceIdentityLayerConfig extends LayerConfig {
  /** Its Keras settings (rate or stddev, noise_shape, seed), written back by getConfig. Default none. */
  keras?: Record<string, unknown>;
  /**
   * Training through it is an error (its rate is above 0: Keras would train it differently). Default false:
   * it trains as the identity.
   */
  refuseTraining?: boolean;
}

/** Dropout and the other layers Keras applies only in training, at inference: the identity. */
export class InferenceIdentityLayer extends ShapePreservingLayer {
  /** Keras class name ('Dropout', 'GaussianNoise', ...). */
  readonly className: InferenceIdentityClass;
  private readonly keras: Record<string, unknown>;
  private readonly refuseTraining: boolean;

  constructor(className: InferenceIdentityClass, config: InferenceIdentityLayerConfig = {}) {
    super(className, config);
    this.className = className;
    this.keras = { ...config.keras };
    this.refuseTraining = config.refuseTraining ?? false;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', ...this.keras };
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', x.shape, owned);
    const n = x.rows * x.shape[x.shape.length - 1];
    const { registry, label } = context;
    const who = `${this.className} '${this.name}'`;
    const refuseTraining = this.refuseTraining;
    return {
      outputs: [output],
      forwardSteps: async () => [await elementwiseStep(registry, `${label}.forward`, 'copy', n, { x: x.value, out: output.value })],
      backwardSteps: async (gradients: Gradients): Promise<Step[]> => {
        if (refuseTraining) throw new ShapeError(`${who}: dropout and noise are not applied in training yet (the layer is the identity at inference only)`);
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        return [await elementwiseStep(registry, `${label}.backward`, 'copy', n, { x: output.grad!, out: x.grad }, { accumulate: dx.accumulate })];
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}
