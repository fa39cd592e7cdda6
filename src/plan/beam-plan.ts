// Beam search decoding on the GPU: one plan, one submit, one readback per call for a whole batch of
// questions (shaders/beam.wgsl has the search's rules).
//
//   prime:   the encoder over the Q questions; its final states spread to the K beams of each (B = Q K
//            decoder rows, row q K + k is beam k of question q). Only beam 0 starts live.
//   step t:  the decoder Embedding over slot t's tokens, every decoder layer one step (states A -> B),
//            the head's logits, beam_select (each question's K best candidates: scores, parents, the
//            tokens into slot t + 1), then each layer's states gathered B -> A after their parents.
//   end:     backtrack follows every beam's parents back to its tokens, and writes its score, length
//            and status after them: the one buffer read back.

import type { GpuContext } from '../gpu/context.js';
import type { SamplingOptions } from '../kernels/sampling-options.js';
import { ShapeError } from '../gpu/errors.js';
import type { BufferRange } from '../gpu/kernel-registry.js';
import { BEAM_BYTES, backtrackStep, beamSelectStep, gatherRowsStep, MAX_BEAM_WIDTH, type BeamShape } from '../kernels/beam.js';
import { gatherStep } from '../kernels/embedding.js';
import { attentionStepBuilder, ownedStorage, primeBranchSteps, release, type Allocations, type DecodeChain, type DecodeOptions } from './decode-plan.js';
import { Plan } from './plan.js';

/** What Seq2Seq.generate takes. */
export interface GenerateOptions {
  /** Tokens to generate per sequence. */
  maxLength: number;
  /** The token that starts every sequence. */
  startToken: number;
  /** The token that ends a sequence (later positions hold it); none by default. */
  endToken?: number;
  /** Greedy and sampled decoding: the one-dispatch loop, a plan of steps, or 'auto' (default). */
  strategy?: DecodeOptions['strategy'];
  /** Rejects the call when aborted (a submitted decode finishes first). */
  signal?: AbortSignal;
  /** Draw the tokens instead of taking the argmax: temperature, topK, topP, seed. */
  sampling?: Partial<SamplingOptions>;
  /** Beam search with this many beams per question (1 to 16; 1 is greedy decoding). */
  beamWidth?: number;
  /** Beam search: GNMT's length penalty alpha (>= 0, default 0: hypotheses rank by their summed log-probability). */
  lengthPenalty?: number;
  /** With attention, greedy or sampled: read back each step's attention weights over the source steps too. */
  returnAttention?: boolean;
}

/** What Seq2Seq.generate returns. */
export interface GenerateResult {
  /** The token ids, batch-major (with a beam search: each question's best hypothesis). */
  data: Int32Array;
  /** [N, maxLength]. */
  shape: [number, number];
  /** With returnAttention: each step's attention weights over the source steps [N, maxLength, source steps] (the alignment). */
  attention?: {
    /** Batch-major weights, each step's summing to 1 over the source steps. */
    data: Float32Array;
    /** [N, maxLength, source steps]. */
    shape: [number, number, number];
  };
  /** With beamWidth: every beam of every question, best first. */
  beams?: {
    /** Token ids [N, beamWidth, maxLength]; after a hypothesis' end token, the end token. */
    data: Int32Array;
    /** Summed log-probabilities of each hypothesis' tokens (its end token included) [N, beamWidth]; -Infinity for a beam left empty. */
    scores: Float32Array;
    /** Tokens up to and including the end token (maxLength when it never ended) [N, beamWidth]; 0 for a beam left empty. */
    lengths: Int32Array;
    /** [N, beamWidth, maxLength]. */
    shape: [number, number, number];
  };
}

/** The options of a beam search request (generate's, checked by beamOptions). */
export type BeamRequest = GenerateOptions;

/** A beam plan's options from generate's, checked (the head's activation: log-softmax needs logits). */
export function beamOptions(questions: number, primeSteps: number, request: BeamRequest, headActivation: string): BeamOptions {
  if (request.sampling) throw new ShapeError('generate: beamWidth searches for the most probable tokens, sampling draws them; pass one of them');
  if (request.returnAttention) throw new ShapeError('generate: returnAttention comes with greedy or sampled decoding, not with a beam search');
  if (request.strategy === 'loop') throw new ShapeError("generate: a beam search runs as a plan of steps; strategy 'loop' decodes greedily or by sampling");
  if (headActivation !== 'softmax' && headActivation !== 'linear') {
    throw new ShapeError(`generate: beam search scores tokens by the log-softmax of the head's logits; this head's activation is '${headActivation}', not 'softmax' or 'linear'`);
  }
  const { maxLength, beamWidth: width = 1, lengthPenalty = 0 } = request;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ShapeError(`generate: maxLength must be a positive integer, got ${maxLength}`);
  if (!Number.isInteger(width) || width < 1 || width > MAX_BEAM_WIDTH) throw new ShapeError(`generate: beamWidth must be an integer in [1, ${MAX_BEAM_WIDTH}], got ${width}`);
  if (!Number.isFinite(lengthPenalty) || lengthPenalty < 0) throw new ShapeError(`generate: lengthPenalty must be a finite number >= 0, got ${lengthPenalty}`);
  return { questions, primeSteps, maxLength, width, startToken: request.startToken, endToken: request.endToken ?? -1, lengthPenalty };
}

/** What a beam plan searches. */
export interface BeamOptions {
  /** Questions (encoder inputs) searched together. */
  questions: number;
  /** Steps of each question. */
  primeSteps: number;
  /** Tokens per hypothesis. */
  maxLength: number;
  /** Beams per question, 1 to MAX_BEAM_WIDTH (1: greedy decoding). */
  width: number;
  /** The token that starts every hypothesis. */
  startToken: number;
  /** The token that ends a hypothesis (-1: none). */
  endToken: number;
  /** GNMT's alpha: hypotheses rank by score / ((5 + length) / 6)^alpha; 0 ranks by the score alone. */
  lengthPenalty: number;
}

/** The beams of every question, best first. */
export interface BeamResult {
  /** Tokens [Q, K, maxLength]; positions after a hypothesis' end token hold the end token. */
  tokens: Int32Array;
  /** Sum of the log-probabilities of each hypothesis' tokens (its end token included), [Q, K]; -Infinity for an empty beam. */
  scores: Float32Array;
  /** Tokens up to and including the end token (maxLength when it never ended), [Q, K]; 0 for an empty beam. */
  lengths: Int32Array;
}

/** A beam search plan for one shape of questions, built once and run per call. */
export class BeamPlan {
  private constructor(
    private readonly ctx: GpuContext,
    readonly chain: DecodeChain,
    readonly options: BeamOptions,
    readonly plan: Plan,
    private readonly buffers: { input: GPUBuffer; beams: GPUBuffer; tokens: GPUBuffer; result: GPUBuffer },
    private readonly made: Allocations,
  ) {}

  /** Builds the plan (pipelines, buffers); nothing stays allocated when it fails. */
  static async build(ctx: GpuContext, chain: DecodeChain, options: BeamOptions): Promise<BeamPlan> {
    const { questions: Q, width: K, maxLength: T, primeSteps } = options;
    const made: Allocations = { owned: [], recurrent: [] };
    try {
      return await BeamPlan.assemble(ctx, chain, options, made, { Q, K, T, primeSteps });
    } catch (error) {
      release(ctx, chain, made); // nothing half-built stays allocated
      throw error;
    }
  }

  private static async assemble(
    ctx: GpuContext, chain: DecodeChain, options: BeamOptions, made: Allocations, sizes: { Q: number; K: number; T: number; primeSteps: number },
  ): Promise<BeamPlan> {
    const { Q, K, T, primeSteps } = sizes;
    const B = Q * K;
    const { decoder, head, registry } = chain;
    const embedding = decoder.embedding!;
    const storage = ownedStorage(ctx, made);
    const alignment = ctx.limits.minStorageBufferOffsetAlignment;
    const slotBytes = Math.ceil((B * 4) / alignment) * alignment;
    const shape: BeamShape = {
      questions: Q, width: K, vocab: head.units, steps: T, endToken: options.endToken, lengthPenalty: options.lengthPenalty, slotStride: slotBytes / 4,
    };
    const layout = decoder.layers.map((layer) => ({ states: layer.stateCount, units: layer.units }));

    // Prime at Q rows, then spread each question's states to its K beams.
    const primed = decoder.layers.map((layer, i) => storage(`beam.${i}.primed`, layer.stateBytes(Q)));
    const { steps, input } = await primeBranchSteps(ctx, chain.encoder!, Q, primeSteps, primed, made);
    const states = decoder.layers.map((layer, i) => ({ a: storage(`beam.${i}.states_a`, layer.stateBytes(B)), b: storage(`beam.${i}.states_b`, layer.stateBytes(B)) }));
    const spread = storage('beam.spread', B * 4);
    ctx.write(spread, Uint32Array.from({ length: B }, (_, r) => Math.floor(r / K)));
    for (let i = 0; i < decoder.layers.length; i++) {
      steps.push(await gatherRowsStep(registry, `beam.spread[${i}]`, shape, 0, { ...layout[i], rowsIn: Q }, { state_in: primed[i], state_out: states[i].a, sources: spread }));
    }

    // With attention: the encoder's last output sequence [Ts, Q, U] spread to the beams, [Ts, B, U].
    const units = decoder.layers.at(-1)!.units;
    let encoded: GPUBuffer | undefined;
    if (chain.attention) {
      encoded = storage('beam.encoded', primeSteps * B * units * 4);
      const sequence = made.recurrent.filter((r) => r.branch === chain.encoder).at(-1)!.buffers.hseq;
      steps.push(await gatherRowsStep(registry, 'beam.spread_encoded', shape, 0, { states: primeSteps, rowsIn: Q, units }, { state_in: sequence, state_out: encoded, sources: spread }));
    }
    const attend = chain.attention ? await attentionStepBuilder(ctx, chain, B, primeSteps, units, made) : undefined;

    const tokens = storage('beam.tokens', slotBytes * (T + 1));
    const slot = (t: number) => ({ buffer: tokens, offset: t * slotBytes, size: B * 4 });
    const beams = storage('beam.beams', B * BEAM_BYTES);
    const parents = storage('beam.parents', T * B * 4);
    const result = storage('beam.result', (B * T + 3 * B) * 4);
    const embedded = storage('beam.embedded', B * decoder.inputFeatures * 4);
    const headBuffers = head.createBuffers(B);
    made.head = headBuffers;
    const layerBuffers = decoder.layers.map((layer, i) => {
      const buffers = layer.createBuffers(B, 1, { s0: states[i].a, sT: states[i].b });
      made.recurrent.push({ branch: decoder, index: i, buffers });
      return buffers;
    });
    for (let t = 0; t < T; t++) {
      steps.push(await gatherStep(registry, `beam.embedding[${t}]`, B, embedding.vocabSize, decoder.inputFeatures, slot(t), embedding.param('embeddings'), embedded));
      let x: BufferRange = embedded;
      for (let i = 0; i < decoder.layers.length; i++) {
        steps.push(...(await decoder.layers[i].forwardSteps(layerBuffers[i], x)));
        x = layerBuffers[i].hseq;
      }
      if (attend) {
        steps.push(...(await attend.steps(`beam[${t}]`, x as GPUBuffer, encoded!)));
        x = attend.joined;
      }
      steps.push(...(await head.forwardSteps(headBuffers, x, headBuffers.y, `beam.head[${t}]`)));
      steps.push(await beamSelectStep(registry, `beam.select[${t}]`, shape, t, { logits: headBuffers.pre, beams, parents, tokens }));
      if (t + 1 < T) {
        for (let i = 0; i < decoder.layers.length; i++) {
          steps.push(await gatherRowsStep(registry, `beam.reorder[${t}][${i}]`, shape, t, { ...layout[i], rowsIn: B }, { state_in: states[i].b, state_out: states[i].a, sources: parents }));
        }
      }
    }
    steps.push(await backtrackStep(registry, 'beam.backtrack', shape, { beams, parents, tokens, result }));
    const plan = new Plan(ctx, `beam search[${Q} questions, width ${K}, ${T} steps]`, steps);
    return new BeamPlan(ctx, chain, options, plan, { input, beams, tokens, result }, made);
  }

  /** Uploads the questions (time-major) and the start of every beam, runs the search and reads the beams back, in one submit. */
  async run(primeTimeMajor: Float32Array | Int32Array): Promise<BeamResult> {
    const { questions: Q, width: K, maxLength: T, startToken } = this.options;
    const B = Q * K;
    const encoder = this.chain.encoder!;
    if (encoder.embedding) encoder.embedding.writeIds(this.made.primeEmbedding!.buffers, primeTimeMajor, 'encoder input');
    else this.ctx.write(this.buffers.input, primeTimeMajor);
    // Beam 0 of each question live with score 0 and length 0, the others empty (status 2).
    const beams = new Uint32Array(B * 4);
    for (let r = 0; r < B; r++) beams[r * 4 + 2] = r % K === 0 ? 0 : 2;
    this.ctx.write(this.buffers.beams, beams);
    this.ctx.write(this.buffers.tokens, new Int32Array(B).fill(startToken));
    const bytes = await this.plan.runAndRead(this.buffers.result, (B * T + 3 * B) * 4);
    const words = new Uint32Array(bytes);
    const scores = new Float32Array(bytes, B * T * 4, B).slice();
    const lengths = Int32Array.from(words.subarray(B * T + B, B * T + 2 * B));
    const status = words.subarray(B * T + 2 * B, B * T + 3 * B);
    for (let r = 0; r < B; r++) {
      if (status[r] === 2) {
        scores[r] = -Infinity;
        lengths[r] = 0;
      }
    }
    return { tokens: new Int32Array(bytes, 0, B * T).slice(), scores, lengths };
  }

  /** run(), as generate returns it: each question's best hypothesis, and every beam. */
  async generate(primeTimeMajor: Float32Array | Int32Array): Promise<GenerateResult> {
    const { questions: N, width: K, maxLength: T } = this.options;
    const beams = await this.run(primeTimeMajor);
    const best = new Int32Array(N * T);
    for (let q = 0; q < N; q++) best.set(beams.tokens.subarray(q * K * T, q * K * T + T), q * T);
    return { data: best, shape: [N, T], beams: { data: beams.tokens, scores: beams.scores, lengths: beams.lengths, shape: [N, K, T] } };
  }

  /** Releases the plan and every buffer it made. */
  dispose(): void {
    this.plan.dispose();
    release(this.ctx, this.chain, this.made);
  }
}
