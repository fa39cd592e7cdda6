// Seq2Seq: an encoder whose final states start a teacher-forced decoder, with a Dense head at every
// decoder step (the seeds' sin -> cos translator, and the character-level addition / rotation models).
//
//   fit([encoderInput, decoderInput], target): encoderInput [N, Ts, F] numbers or [N, Ts] token ids,
//   decoderInput [N, Tt, ...] likewise (the target shifted right by one step), target [N, Tt, units]
//   numbers (mse) or [N, Tt] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
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
}
