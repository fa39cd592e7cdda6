// Keras' Embedding: token ids [T] -> [T, outputDim] (time-major rows t * B + b). Its ids come from the
// host (a model input), checked against the vocabulary when they are written. With maskZero, id 0 is
// padding: the output carries Keras' mask (1 where the id is not 0), made on the host from the same ids
// and written with them, which the layers downstream read (recurrent layers keep their state there).

import { ShapeError } from '../../gpu/errors.js';
import { Embedding } from '../embedding.js';
import type { InitializerSpec } from '../initializers.js';
import { expectPositiveInteger } from '../validate.js';
import { initializerConfig } from './config.js';
import { InputLayer } from './input.js';
import { Layer, wholeBuffer, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type RuntimeContext, type Shape, type Value, type ValueKind } from './layer.js';

/** Embedding options. */
export interface EmbeddingLayerConfig extends LayerConfig {
  /** Vocabulary size (Keras input_dim). */
  inputDim: number;
  /** Vector width. */
  outputDim: number;
  /** Default 'random_uniform' in [-0.05, 0.05], as Keras. */
  embeddingsInitializer?: InitializerSpec;
  /** Id 0 is padding: the steps holding it are masked (Keras mask_zero). Default false. */
  maskZero?: boolean;
}

/** Keras' Embedding: token ids to vectors. */
export class EmbeddingLayer extends Layer {
  readonly className = 'Embedding';
  /** Vocabulary size. */
  readonly inputDim: number;
  /** Vector width. */
  readonly outputDim: number;
  /** Id 0 is padding, masked downstream. */
  readonly maskZero: boolean;
  private readonly embeddingsInitializer: InitializerSpec;
  private embedding?: Embedding;

  constructor(config: EmbeddingLayerConfig) {
    super('Embedding', config);
    expectPositiveInteger(`Embedding '${this.name}' inputDim`, config.inputDim);
    expectPositiveInteger(`Embedding '${this.name}' outputDim`, config.outputDim);
    if (config.maskZero !== undefined && typeof config.maskZero !== 'boolean') throw new ShapeError(`Embedding '${this.name}': maskZero must be a boolean, got ${JSON.stringify(config.maskZero)}`);
    this.maskZero = config.maskZero ?? false;
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    this.embeddingsInitializer = config.embeddingsInitializer ?? { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32', input_dim: this.inputDim, output_dim: this.outputDim,
      embeddings_initializer: initializerConfig(this.embeddingsInitializer), embeddings_regularizer: null, activity_regularizer: null,
      embeddings_constraint: null, mask_zero: this.maskZero, input_length: null,
    };
  }

  override inputKind(): ValueKind {
    return 'int32';
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    if (x.length !== 1) throw new ShapeError(`Embedding '${this.name}': takes token ids of shape [steps], got ${JSON.stringify(x)}`);
    return [[x[0], this.outputDim]];
  }

  override apply(...args: Parameters<Layer['apply']>): ReturnType<Layer['apply']> {
    const [inputs] = args;
    const first = Array.isArray(inputs) ? inputs[0] : inputs;
    if (first && !(first.layer instanceof InputLayer)) {
      throw new ShapeError(`Embedding '${this.name}': must take a model input (its token ids come from the host), got '${first.name}'`);
    }
    return super.apply(...args);
  }

  protected create(context: BuildContext): void {
    this.embedding = Embedding.create(context.ctx, {
      vocabSize: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.embeddingsInitializer, seed: context.seed, name: this.name,
    }, { parameters: context.store, registry: context.registry });
  }

  get weightLayer(): Embedding | undefined {
    return this.embedding;
  }

  runtime(context: RuntimeContext, _node: Node, [ids]: readonly Value[]): NodeRuntime {
    const embedding = this.embedding!;
    const rows = ids.rows; // time-major ids [T, B]
    const buffers = embedding.createBuffers(rows);
    const bytes = rows * this.outputDim * 4;
    let mask: GPUBuffer | undefined;
    try {
      if (this.maskZero) mask = context.ctx.createStorageBuffer(`${context.label}.mask`, rows * 4);
    } catch (error) {
      embedding.destroyBuffers(buffers);
      throw error;
    }
    return {
      outputs: [{
        shape: [ids.shape[0], this.outputDim], kind: 'float32', rows, value: wholeBuffer(buffers.out, bytes), grad: wholeBuffer(buffers.dout, bytes),
        ...(mask ? { mask: wholeBuffer(mask, rows * 4) } : {}),
      }],
      forwardSteps: () => embedding.forwardSteps(buffers),
      backwardSteps: (gradients: Gradients) => (gradients.outputs[0] ? embedding.backwardSteps(buffers) : Promise.resolve([])),
      hostInput: (_index, data) => {
        embedding.writeIds(buffers, data, `Embedding '${this.name}' input`);
        if (mask) context.ctx.write(mask, maskOfIds(data));
      },
      dispose: () => {
        embedding.destroyBuffers(buffers);
        if (mask) context.ctx.destroyBuffer(mask);
      },
    };
  }
}

/** Keras' mask of padded token ids (mask_zero): 1 where the id is not 0, else 0. */
function maskOfIds(ids: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: ids.length }, (_, i) => (ids[i] === 0 ? 0 : 1));
}
