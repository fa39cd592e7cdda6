// Seq2Seq: an encoder whose final states start a teacher-forced decoder, with a Dense head at every
// decoder step (the seeds' sin -> cos translator, and the character-level addition / rotation models).
//
//   fit([encoderInput, decoderInput], target): encoderInput [N, Ts, F] numbers or [N, Ts] token ids,
//   decoderInput [N, Tt, ...] likewise (the target shifted right by one step), target [N, Tt, units]
//   numbers (mse) or [N, Tt] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { DecodeOptions } from './autoregressive.js';
import type { FeatureSequences, TokenSequences } from './data.js';
import type { BranchSpec, HeadSpec } from './network.js';
import { RecurrentModel, type Dataset } from './recurrent-model.js';

export interface Seq2SeqConfig {
  encoder: BranchSpec;
  decoder: BranchSpec;
  head: HeadSpec;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

export type Seq2SeqInput = [encoderInput: FeatureSequences | TokenSequences, decoderInput: FeatureSequences | TokenSequences];

export class Seq2Seq extends RecurrentModel {
  readonly config: Seq2SeqConfig;

  constructor(ctx: GpuContext, config: Seq2SeqConfig) {
    super(ctx, { encoder: config.encoder, decoder: config.decoder, head: config.head, seed: config.seed }, 'seq2seq');
    this.config = config;
  }

  protected rebuild(ctx: GpuContext): Seq2Seq {
    return new Seq2Seq(ctx, structuredClone(this.config));
  }

  protected dataset(x: unknown, y: unknown, what: string): Dataset {
    if (!Array.isArray(x) || x.length !== 2) throw new ShapeError(`${what}: x must be [encoderInput, decoderInput]`);
    const source = this.network.encoder!.sequences(x[0], `${what} encoder input`);
    const input = this.network.decoder.sequences(x[1], `${what} decoder input`);
    if (source.count !== input.count) {
      throw new ShapeError(`${what}: encoder input has ${source.count} samples, decoder input ${input.count}`);
    }
    const target = this.targetSet(y, what, input.steps, input.count);
    return { source, input, target };
  }

  /**
   * Translates every encoder input at once (numeric decoder, e.g. sin -> cos): the decoder starts from
   * input 0 and each step's output is the next step's input, all on the GPU. Returns [N, steps, units].
   */
  async predict(encoderInput: FeatureSequences | TokenSequences, options: { steps: number; strategy?: DecodeOptions['strategy']; signal?: AbortSignal }): Promise<{ data: Float32Array; shape: [number, number, number] }> {
    const decoder = this.network.decoder;
    if (decoder.tokens) throw new ShapeError('predict: this decoder takes tokens; use generate()');
    if (this.network.head.units !== decoder.inputFeatures) {
      throw new ShapeError(`predict: the head gives ${this.network.head.units} values per step but the decoder takes ${decoder.inputFeatures}; they must match to feed outputs back`);
    }
    const source = this.network.encoder!.sequences(encoderInput, 'predict encoder input');
    const data = (await this.decode(source, { outputSteps: options?.steps, mode: 'seq2seq', strategy: options.strategy }, options.signal)) as Float32Array;
    return { data, shape: [source.count, options.steps, this.network.head.units] };
  }

  /**
   * Greedy decoding of token sequences (addition, rotation): starts every sequence with `startToken`,
   * feeds each step's argmax back through the decoder's Embedding, stops a sequence at `endToken` (later
   * positions hold endToken), all on the GPU. Returns token ids [N, maxLength].
   */
  async generate(
    encoderInput: FeatureSequences | TokenSequences,
    options: { maxLength: number; startToken: number; endToken?: number; strategy?: DecodeOptions['strategy']; signal?: AbortSignal },
  ): Promise<{ data: Int32Array; shape: [number, number] }> {
    const decoder = this.network.decoder;
    if (!decoder.tokens) throw new ShapeError('generate: this decoder takes numbers; use predict()');
    const vocab = decoder.embedding!.vocabSize;
    for (const [name, token] of [['startToken', options.startToken], ['endToken', options.endToken ?? -1]] as const) {
      if (!Number.isInteger(token) || token < (name === 'endToken' ? -1 : 0) || token >= vocab) {
        throw new ShapeError(`generate: ${name} ${token} is out of range [0, ${vocab})`);
      }
    }
    if (this.network.head.units !== vocab) {
      throw new ShapeError(`generate: the head gives ${this.network.head.units} logits but the decoder vocabulary has ${vocab} tokens`);
    }
    const source = this.network.encoder!.sequences(encoderInput, 'generate encoder input');
    const data = (await this.decode(source, {
      outputSteps: options.maxLength, mode: 'seq2seq', startToken: options.startToken, endToken: options.endToken ?? -1, strategy: options.strategy,
    }, options.signal)) as Int32Array;
    return { data, shape: [source.count, options.maxLength] };
  }
}
