// Keras' Attention (Luong: dot-product scores, or 'concat') and AdditiveAttention (Bahdanau) layers,
// called on [query, value] or [query, value, key] (sequences [Tq, D], [Tv, E], [Tv, D]); the output is
// [Tq, E]. The value's mask keeps padded value steps out of the softmax, the query's mask zeroes the
// output at padded query steps and is the output's mask (Keras' compute_mask). The math and its
// gradients are shaders/attention.wgsl.

import type { GpuContext } from '../../gpu/context.js';
import { ShapeError } from '../../gpu/errors.js';
import type { AttentionParameters, AttentionShape } from '../../kernels/attention.js';
import { attentionKernels } from '../../kernels/lazy.js';
import { AttentionWeights } from '../attention.js';
import { Layer, makeValue, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';

/** Options of Attention (Keras' names, camelCase). */
export interface AttentionLayerConfig extends LayerConfig {
  /** Learn a scalar that scales the scores (dot), or the sum inside tanh (concat). Default false. */
  useScale?: boolean;
  /** 'dot' (default): q . k; 'concat': sum tanh(q + k), times a learned weight. */
  scoreMode?: 'dot' | 'concat';
  /** Query step i attends to value steps <= i only (Keras: use_causal_mask at the call). Default false. */
  useCausalMask?: boolean;
  /** Keras' dropout of the attention weights in training: only 0 (none). */
  dropout?: number;
}

/** Options of AdditiveAttention. */
export interface AdditiveAttentionLayerConfig extends LayerConfig {
  /** Learn a vector [dim] that weights the tanh terms. Default true, as Keras. */
  useScale?: boolean;
  /** Query step i attends to value steps <= i only. Default false. */
  useCausalMask?: boolean;
  /** Keras' dropout of the attention weights in training: only 0 (none). */
  dropout?: number;
}

abstract class BaseAttention extends Layer {
  /** Whether the layer learns its scale (Attention: a scalar; AdditiveAttention: a vector). */
  readonly useScale: boolean;
  /** Whether query step i attends to value steps <= i only. */
  readonly useCausalMask: boolean;
  protected weightsLayer?: AttentionWeights;

  protected constructor(className: string, config: AttentionLayerConfig | AdditiveAttentionLayerConfig, useScaleDefault: boolean) {
    super(className, config);
    this.useScale = config.useScale ?? useScaleDefault;
    this.useCausalMask = config.useCausalMask ?? false;
    if (config.dropout !== undefined && config.dropout !== 0) {
      throw new ShapeError(`${className} '${this.name}': dropout of the attention weights is not supported (got ${config.dropout}); use 0`);
    }
  }

  protected override get inputArity(): [number, number] {
    return [2, 3];
  }

  protected baseConfig(): Record<string, unknown> {
    // tf.keras 2.x reads causal from the config (Keras 3 takes use_causal_mask at the call).
    return { name: this.name, trainable: true, dtype: 'float32', use_scale: this.useScale, dropout: 0, ...(this.useCausalMask ? { causal: true } : {}) };
  }

  outputShapes(inputs: readonly Shape[]): Shape[] {
    const who = `${this.className} '${this.name}'`;
    const [query, value, key = value] = inputs;
    for (const [name, shape] of [['query', query], ['value', value], ['key', key]] as const) {
      if (shape.length !== 2 || shape[1] === null) throw new ShapeError(`${who}: ${name} must be a sequence [steps, features] with a feature size, got ${JSON.stringify(shape)}`);
    }
    if (query[1] !== key[1]) throw new ShapeError(`${who}: query features (${query[1]}) and key features (${key[1]}) must match`);
    if (key[0] !== null && value[0] !== null && key[0] !== value[0]) throw new ShapeError(`${who}: key steps (${key[0]}) and value steps (${value[0]}) must match`);
    if (this.weightsLayer && query[1] !== this.weightsLayer.config.dim) throw new ShapeError(`${who}: built for ${this.weightsLayer.config.dim} query features, called on ${query[1]}`);
    return [[query[0], value[1]]];
  }

  get weightLayer(): AttentionWeights | undefined {
    return this.weightsLayer;
  }

  /** Keras' compute_mask: the query's mask. */
  override outputMask(_index: number, [query]: readonly Value[]): Range | undefined {
    return query.mask;
  }

  /** Where the kernels find the learned weights (none: the read placeholder) and their gradients. */
  kernelParameters(ctx: GpuContext): AttentionParameters {
    const layer = this.weightsLayer;
    if (!layer) throw new ShapeError(`${this.className} '${this.name}': not built (build the model first)`);
    const param = (name: string) => ({ value: layer.param(name, 'value'), gradient: layer.param(name, 'gradient') });
    const first = layer.weights[0] ? param(layer.weights[0].name) : undefined;
    return { params: first?.value.buffer ?? ctx.placeholder('read'), ...(first ? { dparams: first.gradient.buffer } : {}), ...this.parameterOffsets(param) };
  }

  /** The scores the kernels compute. */
  abstract readonly score: 'dot' | 'concat';

  /** Where the learned weights are (element offsets of the store's buffers). */
  protected abstract parameterOffsets(param: (name: string) => { value: Range; gradient: Range }): Omit<AttentionParameters, 'params' | 'dparams'>;

  runtime(context: RuntimeContext, _node: Node, inbound: readonly Value[]): NodeRuntime {
    const [query, value, given] = inbound;
    const key = given && !(given.value.buffer === value.value.buffer && given.value.offset === value.value.offset) ? given : undefined;
    const owned: GPUBuffer[] = [];
    const [Tq, D] = query.shape;
    const [Tv, E] = value.shape;
    const shape: AttentionShape = {
      batch: context.batch, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E, score: this.score, causal: this.useCausalMask,
    };
    const output = makeValue(context, 'y', [Tq, E], owned);
    const bytes = context.batch * Tq * Tv * 4; // [B, Tq, Tv]: the softmax weights, and the score gradients
    const weights = context.ctx.createStorageBuffer(`${context.label}.weights`, bytes);
    const dscores = context.ctx.createStorageBuffer(`${context.label}.dscores`, bytes);
    owned.push(weights, dscores);
    const layer = this.weightsLayer!;
    const parameters = this.kernelParameters(context.ctx);
    const region = (r: Range) => ({ buffer: r.buffer, offset: r.offset / 4 });
    const inputs = {
      query: region(query.value), value: region(value.value), ...(key ? { key: region(key.value) } : {}),
      ...(query.mask ? { queryMask: region(query.mask) } : {}), ...(value.mask ? { valueMask: region(value.mask) } : {}),
    };
    const { registry, label } = context;
    return {
      outputs: [output],
      forwardSteps: async () => {
        const { attentionForwardStep } = await attentionKernels();
        return [await attentionForwardStep(registry, label, shape, inputs, parameters, { out: output.value.buffer, weights })];
      },
      backwardSteps: async (gradients: Gradients) => {
        if (!gradients.outputs[0]) return [];
        const wanted = (i: number, v: Value | undefined) => (v?.grad && gradients.inbound[i] ? { ...region(v.grad), accumulate: gradients.inbound[i]!.accumulate } : undefined);
        const dquery = wanted(0, query);
        const dvalue = wanted(1, value);
        const dkey = key ? wanted(2, key) : undefined;
        const { attentionBackwardSteps } = await attentionKernels();
        return attentionBackwardSteps(registry, `${label}.backward`, shape, inputs, parameters, { weights, dout: output.grad!.buffer, dscores }, {
          ...(dquery ? { dquery } : {}), ...(dvalue ? { dvalue } : {}), ...(dkey ? { dkey } : {}), parameters: layer.weights.length > 0,
        });
      },
      dispose: () => owned.forEach((b) => context.ctx.destroyBuffer(b)),
    };
  }
}

/** Keras' Attention: dot-product (Luong) or 'concat' scores, softmax over the value steps. */
export class AttentionLayer extends BaseAttention {
  readonly className = 'Attention';
  /** 'dot' or 'concat' scores. */
  readonly scoreMode: 'dot' | 'concat';
  get score(): 'dot' | 'concat' {
    return this.scoreMode;
  }

  constructor(config: AttentionLayerConfig = {}) {
    super('Attention', config, false);
    const mode = config.scoreMode ?? 'dot';
    if (mode !== 'dot' && mode !== 'concat') throw new ShapeError(`Attention '${this.name}': scoreMode must be 'dot' or 'concat', got '${String(mode)}'`);
    this.scoreMode = mode;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), score_mode: this.scoreMode };
  }

  protected create(context: BuildContext, [query]: Shape[]): void {
    this.weightsLayer = AttentionWeights.create(context.ctx, {
      dim: query[1] as number, scalarScale: this.useScale, concatScoreWeight: this.scoreMode === 'concat', seed: context.seed, name: this.name,
    }, { parameters: context.store, registry: context.registry });
  }

  protected parameterOffsets(param: (name: string) => { value: Range }): Omit<AttentionParameters, 'params' | 'dparams'> {
    const at = (name: string) => param(name).value.offset / 4;
    // dot: the scores times scale; concat: concat_score_weight times sum tanh(scale (q + k)).
    if (this.scoreMode === 'dot') return this.useScale ? { c: at('scale') } : {};
    return { c: at('concat_score_weight'), ...(this.useScale ? { a: at('scale') } : {}) };
  }
}

/** Keras' AdditiveAttention (Bahdanau): scores sum_d scale[d] tanh(q[d] + k[d]). */
export class AdditiveAttentionLayer extends BaseAttention {
  readonly className = 'AdditiveAttention';
  readonly score = 'concat';

  constructor(config: AdditiveAttentionLayerConfig = {}) {
    super('AdditiveAttention', config, true);
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }

  protected create(context: BuildContext, [query]: Shape[]): void {
    this.weightsLayer = AttentionWeights.create(context.ctx, { dim: query[1] as number, vectorScale: this.useScale, seed: context.seed, name: this.name },
      { parameters: context.store, registry: context.registry });
  }

  protected parameterOffsets(param: (name: string) => { value: Range }): Omit<AttentionParameters, 'params' | 'dparams'> {
    return this.useScale ? { w: param('scale').value.offset / 4 } : {};
  }
}
