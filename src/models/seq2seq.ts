// Seq2Seq: an encoder whose final states start a teacher-forced decoder, with a Dense head at every
// decoder step (the seeds' sin -> cos translator, and the character-level addition / rotation models).
//
//   fit([encoderInput, decoderInput], target): encoderInput [N, Ts, F] numbers or [N, Ts] token ids,
//   decoderInput [N, Tt, ...] likewise (the target shifted right by one step), target [N, Tt, units]
//   numbers (mse) or [N, Tt] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { DecodeOptions } from '../plan/decode-plan.js';
import type { GenerateOptions, GenerateResult } from '../plan/beam-plan.js';
import type { FeatureSequences, TokenSequences } from './data.js';
import type { AttentionKind, BranchSpec, HeadSpec } from './recurrent-spec.js';
import { RecurrentModel, type Dataset } from './recurrent-model.js';

/** A Seq2Seq model: its encoder, its decoder (layer i starts from encoder layer i's final state) and its head. */
export interface Seq2SeqConfig {
  /** The encoder: input (numbers or tokens) and recurrent layers. */
  encoder: BranchSpec;
  /** The decoder: input (numbers or tokens) and recurrent layers, as many as the encoder's. */
  decoder: BranchSpec;
  /** The Dense layer applied at every decoder step. */
  head: HeadSpec;
  /**
   * Attention of each decoder step over the encoder's outputs, its context concatenated with the decoder
   * output before the head (Luong): 'luong' (dot-product scores), 'bahdanau' (additive scores, a learned
   * vector) or 'none' (default: the encoder's final states alone carry the source).
   */
  attention?: AttentionKind;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

/** What a Seq2Seq model's `x` is: the encoder's input and the decoder's (teacher-forced) input. */
export type Seq2SeqInput = [encoderInput: FeatureSequences | TokenSequences, decoderInput: FeatureSequences | TokenSequences];

/**
 * An encoder-decoder: the encoder's final states start a teacher-forced decoder, with a Dense head at
 * every decoder step (Keras: an `LSTM(return_state=True)` encoder, an `LSTM(return_sequences=True)`
 * decoder given those states, `Dense` on each step). `fit([encoderInput, decoderInput], target)` trains
 * it; `predict` decodes numbers and `generate` tokens, feeding each output back, on the GPU.
 */
export class Seq2Seq extends RecurrentModel {
  /** The configuration the model was made with. */
  readonly config: Seq2SeqConfig;

  /** A new model on `ctx`, its weights initialized as Keras does (seeded by `config.seed`). */
  constructor(ctx: GpuContext, config: Seq2SeqConfig) {
    super(ctx, { encoder: config.encoder, decoder: config.decoder, head: config.head, attention: config.attention, seed: config.seed }, 'seq2seq');
    this.config = config;
  }

  protected override rebuild(ctx: GpuContext): Seq2Seq {
    return new Seq2Seq(ctx, structuredClone(this.config));
  }

  protected override dataset(x: unknown, y: unknown, what: string): Dataset {
    if (!Array.isArray(x) || x.length !== 2) throw new ShapeError(`${what}: x must be [encoderInput, decoderInput]`);
    const source = this.parts.encoder!.sequences(x[0], `${what} encoder input`);
    const input = this.parts.decoder.sequences(x[1], `${what} decoder input`);
    if (source.count !== input.count) {
      throw new ShapeError(`${what}: encoder input has ${source.count} samples, decoder input ${input.count}`);
    }
    const target = this.targetSet(y, what, input.steps, input.count);
    return { inputs: [source, input], targets: [target] };
  }

  /**
   * Translates every encoder input at once (numeric decoder, e.g. sin -> cos): the decoder starts from
   * input 0 and each step's output is the next step's input, all on the GPU. Returns [N, steps, units].
   */
  async predict(
    encoderInput: FeatureSequences | TokenSequences,
    options: { steps: number; strategy?: DecodeOptions['strategy']; signal?: AbortSignal },
  ): Promise<{
    /** The outputs, batch-major. */
    data: Float32Array;
    /** [N, steps, units]. */
    shape: [number, number, number];
  }> {
    const decoder = this.parts.decoder;
    if (decoder.tokens) throw new ShapeError('predict: this decoder takes tokens; use generate()');
    if (this.parts.head.units !== decoder.inputFeatures) {
      throw new ShapeError(`predict: the head gives ${this.parts.head.units} values per step but the decoder takes ${decoder.inputFeatures}; they must match to feed outputs back`);
    }
    const source = this.parts.encoder!.sequences(encoderInput, 'predict encoder input');
    const data = (await this.decode(this.chain, source, { outputSteps: options?.steps, mode: 'seq2seq', strategy: options.strategy }, options.signal)).data as Float32Array;
    return { data, shape: [source.count, options.steps, this.parts.head.units] };
  }

  /**
   * Decoding of token sequences (addition, rotation): starts every sequence with `startToken`, feeds
   * each step's token back through the decoder's Embedding, stops a sequence at `endToken` (later
   * positions hold endToken), all on the GPU. The token is the argmax (greedy), or with `sampling` a
   * draw from softmax(logits / temperature) cut to the topK most probable and the topP nucleus, from a
   * seeded generator on the GPU (the same seed, the same tokens; a fresh seed per call without one).
   * With `beamWidth`, a beam search on the GPU instead (shaders/beam.wgsl): each question keeps its
   * `beamWidth` best hypotheses by summed log-probability, divided by ((5 + length) / 6)^lengthPenalty
   * (GNMT; default 0, the plain sum), ties to the lower (beam, token); a hypothesis that emits endToken is
   * finished and competes with its score as it stands. Width 1 is greedy decoding. Returns token ids
   * [N, maxLength] (the best hypothesis), and with a beam search every beam in `beams`.
   */
  async generate(encoderInput: FeatureSequences | TokenSequences, options: GenerateOptions): Promise<GenerateResult> {
    const decoder = this.parts.decoder;
    if (!decoder.tokens) throw new ShapeError('generate: this decoder takes numbers; use predict()');
    const vocab = decoder.vocabSize!;
    for (const [name, token] of [['startToken', options.startToken], ['endToken', options.endToken ?? -1]] as const) {
      if (!Number.isInteger(token) || token < (name === 'endToken' ? -1 : 0) || token >= vocab) {
        throw new ShapeError(`generate: ${name} ${token} is out of range [0, ${vocab})`);
      }
    }
    if (this.parts.head.units !== vocab) {
      throw new ShapeError(`generate: the head gives ${this.parts.head.units} logits but the decoder vocabulary has ${vocab} tokens`);
    }
    const source = this.parts.encoder!.sequences(encoderInput, 'generate encoder input');
    if (options.beamWidth !== undefined || options.lengthPenalty !== undefined) return this.beamSearch(source, options);
    const sampling = options.sampling && { ...options.sampling, seed: options.sampling.seed ?? Math.floor(Math.random() * 2 ** 32) };
    const result = await this.decode(this.chain, source, {
      outputSteps: options.maxLength, mode: 'seq2seq', startToken: options.startToken, endToken: options.endToken ?? -1, strategy: options.strategy,
      ...(options.returnAttention ? { returnAttention: true } : {}),
    }, options.signal, sampling);
    const shape: [number, number] = [source.count, options.maxLength];
    if (!result.attention) return { data: result.data as Int32Array, shape };
    return { data: result.data as Int32Array, shape, attention: { data: result.attention, shape: [...shape, source.steps] } };
  }
}
