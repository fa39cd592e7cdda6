// Keras' RepeatVector and TimeDistributed(Dense): the two layers of the classic Keras encoder-decoder
// (encoder LSTM -> RepeatVector(n) -> decoder LSTM(return_sequences) -> TimeDistributed(Dense)).
//
//   RepeatVector(n): [F] -> [n, F], y[t] = x for every t; dx = sum over t of dy[t].
//   TimeDistributed(Dense): Dense at every step of [T, F]: Dense already works on the last axis of any
//   rank, so it is that Dense under the wrapper's name (its weights are the wrapped Dense's).

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import { expectPositiveInteger } from '../validate.js';
import { DenseLayer, type DenseLayerConfig } from './dense.js';
import { makeValue, WeightlessLayer, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value } from './layer.js';

/** Options of RepeatVector. */
export interface RepeatVectorConfig extends LayerConfig {
  /** How many steps the output has. */
  n: number;
}

/** Keras' RepeatVector: a vector [F] as a sequence of n copies [n, F]. */
export class RepeatVectorLayer extends WeightlessLayer {
  readonly className = 'RepeatVector';
  /** Steps of the output. */
  readonly n: number;

  constructor(config: RepeatVectorConfig) {
    super('RepeatVector', config);
    expectPositiveInteger(`RepeatVector '${this.name}' n`, config.n);
    this.n = config.n;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', n: this.n };
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.length !== 1 || x[0] === null) throw new ShapeError(`RepeatVector '${this.name}': takes vectors of shape [features], got ${JSON.stringify(x)}`);
    return [[this.n, x[0]]];
  }

  runtime(context: RuntimeContext, _node: Node, [x]: readonly Value[]): NodeRuntime {
    const owned: GPUBuffer[] = [];
    const output = makeValue(context, 'y', [this.n, x.shape[0]], owned);
    // Time-major rows (t * batch + b): step t is one block of batch x features.
    const block = context.batch * x.shape[0];
    const { registry, label } = context;
    const steps = Array.from({ length: this.n }, (_, t) => t);
    return {
      outputs: [output],
      forwardSteps: () => Promise.all(steps.map((t) => elementwiseStep(registry, `${label}.forward.${t}`, 'copy', block,
        { x: x.value, out: output.value }, { xOffset: x.value.offset / 4, outOffset: t * block }))),
      backwardSteps: async (gradients: Gradients) => {
        const dx = gradients.inbound[0];
        if (!dx || !x.grad) return [];
        const out: Step[] = [];
        for (const t of steps) {
          out.push(await elementwiseStep(registry, `${label}.backward.${t}`, 'copy', block, { x: output.grad!, out: x.grad },
            { xOffset: t * block, outOffset: x.grad.offset / 4, accumulate: t > 0 || dx.accumulate }));
        }
        return out;
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}

/** Options of TimeDistributed: the wrapped Dense's. */
export interface TimeDistributedConfig extends LayerConfig {
  /** The Dense to apply at every step (a layers.dense not used elsewhere). */
  layer: DenseLayer;
}

/** Keras' TimeDistributed(Dense): the Dense at every step of a sequence. */
export class TimeDistributedLayer extends DenseLayer {
  /** The wrapped Dense (its configuration). */
  readonly inner: DenseLayer;

  constructor(config: TimeDistributedConfig) {
    const inner = config.layer;
    if (!(inner instanceof DenseLayer) || inner instanceof TimeDistributedLayer) {
      throw new ShapeError(`TimeDistributed '${config.name ?? 'time_distributed'}': webrnn wraps a Dense layer (layers.dense(...)), got ${inner && typeof inner === 'object' && 'className' in inner ? (inner as { className: string }).className : typeof inner}`);
    }
    if (inner.nodes.length > 0 || inner.weightLayer) throw new ShapeError(`TimeDistributed: the wrapped layer '${inner.name}' is already used in a model; give TimeDistributed a layer of its own`);
    const { name: _innerName, ...dense } = inner.config;
    super({ ...dense, ...(config.name !== undefined ? { name: config.name } : {}), ...(config.seed !== undefined ? { seed: config.seed } : {}),
      ...(config.inputShape !== undefined ? { inputShape: config.inputShape } : {}) } as DenseLayerConfig, 'TimeDistributed');
    this.inner = inner;
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: true, dtype: 'float32', layer: { class_name: 'Dense', config: { ...super.getConfig(), name: this.inner.name } } };
  }

  override outputShapes(inputs: readonly Shape[]): Shape[] {
    if (inputs[0].length < 2) throw new ShapeError(`TimeDistributed '${this.name}': takes sequences of shape [steps, ...features], got ${JSON.stringify(inputs[0])}`);
    return super.outputShapes(inputs);
  }
}
