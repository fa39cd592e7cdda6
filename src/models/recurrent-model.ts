// What Seq2Seq and SequenceModel share: a Model over the graph of their configuration
// (recurrent-spec.ts), trained like any model, with their own data checks and autoregressive decoding
// on the GPU (src/plan/decode-plan.ts).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { BeamRequest, GenerateResult } from '../plan/beam-plan.js';
import type { DecodeChain } from '../plan/decode-plan.js';
import type { CompileOptions, WeightOwner } from './base-model.js';
import { featureSequences, timeMajorBatch, tokenSequences, type FeatureSequences, type SequenceSet, type TokenSequences } from './data.js';
import { allRows, GraphModel } from './graph-model.js';
import { recurrentGraph, type NetworkSpec, type RecurrentGraph } from './recurrent-spec.js';

export type { CompileOptions, EpochLogs, FitCallbacks, FitOptions, Checkpoint, History, Dataset } from './base-model.js';

export abstract class RecurrentModel extends GraphModel {
  /** The graph's branches and head. */
  readonly parts: RecurrentGraph;
  private loss: { name: 'mse' | 'sparse_categorical_crossentropy'; maskToken?: number } | null = null;

  protected constructor(ctx: GpuContext, spec: NetworkSpec, label: string) {
    const parts = recurrentGraph(spec);
    super(ctx, { inputs: parts.inputs, outputs: parts.output, name: label, seed: spec.seed });
    this.parts = parts;
  }

  protected override configureLoss(options: CompileOptions): string[] {
    const loss = options.loss;
    if (loss !== 'mse' && loss !== 'sparse_categorical_crossentropy') {
      throw new ShapeError(`compile: loss must be 'mse' or 'sparse_categorical_crossentropy', got '${typeof loss === 'string' ? loss : JSON.stringify(loss)}'`);
    }
    const head = this.parts.head;
    if (loss === 'sparse_categorical_crossentropy' && head.activation !== 'softmax' && head.activation !== 'linear') {
      throw new ShapeError(`compile: sparse_categorical_crossentropy needs a 'softmax' or 'linear' head, this one is '${head.activation}'`);
    }
    if (options.metrics?.length) throw new ShapeError('compile: metrics are reported by Model and Sequential; this model reports its loss');
    // A linear head's outputs are the logits of the cross-entropy (as the seeds' token models train).
    const fromLogits = loss === 'sparse_categorical_crossentropy' && head.activation === 'linear';
    super.configureLoss({ ...options, loss: { name: loss, fromLogits } });
    this.loss = { name: loss, maskToken: options.maskToken };
    return [];
  }

  /**
   * Weights branch by branch (encoder, then decoder: Embedding, then the recurrent layers), then the
   * head: the order these models have always listed (and saved) them in.
   */
  protected override get weightOwners(): WeightOwner[] {
    const { encoder, decoder, head, attention } = this.parts;
    const layers = [encoder, decoder].flatMap((branch) => (branch ? [...(branch.embedding ? [branch.embedding] : []), ...branch.layers] : []));
    // The attention's learned scale (Bahdanau), after the head: the order configs without it keep.
    return [...layers, head, ...(attention?.weightLayer?.weights.length ? [attention] : [])].map((layer) => ({ name: layer.name, layer: layer.weightLayer! }));
  }

  /** The targets y for `count` samples of `steps` steps: numbers for mse, token ids for cross-entropy. */
  protected targetSet(y: unknown, what: string, steps: number, count: number): SequenceSet {
    this.requireCompiled(what);
    const { name, maskToken } = this.loss!;
    const units = this.parts.head.units;
    const target = name === 'mse'
      ? featureSequences(y as FeatureSequences, `${what} y`, units)
      : tokenSequences(y as TokenSequences, `${what} y`, units, maskToken);
    if (target.count !== count) throw new ShapeError(`${what}: x has ${count} samples but y has ${target.count}`);
    if (target.steps !== steps) throw new ShapeError(`${what}: the input has ${steps} steps but y has ${target.steps}`);
    return target;
  }

  protected override describeLengths(inputShapes: readonly (readonly number[])[]): string {
    return this.parts.encoder ? `${inputShapes[0][0]} encoder and ${inputShapes[1][0]} decoder steps` : `${inputShapes[0][0]} steps`;
  }

  /** The built layers a decode runs. */
  protected get chain(): DecodeChain {
    const { encoder, decoder, head, attention } = this.parts;
    return { encoder: encoder?.decodeBranch(), decoder: decoder.decodeBranch(), head: head.weightLayer!, registry: this.registry, ...(attention ? { attention } : {}) };
  }

  /**
   * Beam search on the GPU for every question of `prime` at once (src/plan/beam-plan.ts): one submit,
   * one readback. Returns each question's best hypothesis and all its beams, best first.
   */
  protected async beamSearch(prime: SequenceSet, request: BeamRequest): Promise<GenerateResult> {
    this.assertLive();
    request.signal?.throwIfAborted();
    // Loaded on first use, like the decoder.
    const { BeamPlan, beamOptions } = await import('../plan/beam-plan.js');
    const options = beamOptions(prime.count, prime.steps, request, this.parts.head.activation);
    return this.runCached(JSON.stringify({ beam: options }), () => BeamPlan.build(this.ctx, this.chain, options), (plan) => plan.generate(timeMajorBatch(prime, allRows(prime))), request.signal);
  }
}
