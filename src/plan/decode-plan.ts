// Autoregressive decoding on the GPU: one plan, one submit, one readback per call, however many steps
// and sequences. The decoder state never leaves the GPU.
//
//   prime:  a branch runs over a whole input sequence (a Seq2Seq's encoder, or a SequenceModel's own
//           stack over its priming window); its final states become decoder state A.
//   decode: step t runs every decoder layer for one time step, reading state A and writing state B on
//           even steps and the reverse on odd ones, then the head. Its output goes into slot t + 1 of an
//           output buffer, and slot t + 1 is the next step's input:
//             numbers: the head's output is the next input as it is (the seeds' sin -> cos decoding);
//             tokens:  argmax of the head's logits is the next token, looked up in the decoder Embedding.
//   Slots sit at the device's storage offset alignment, so each step binds its own slot directly.
//   window: (SequenceModel, numbers) seed 004's loop without its host round trips: each prediction runs
//           the whole stack from a zero state over the last `primeSteps` values, then the window slides
//           by one step (slide_window), its newest step being that prediction. Two window buffers ping-pong.

import type { GpuContext } from '../gpu/context.js';
import type { BufferRange, KernelRegistry, Step } from '../gpu/kernel-registry.js';
import { attentionForwardStep, type AttentionParameters } from '../kernels/attention.js';
import { copyColumnsStep } from '../kernels/columns.js';
import { argmaxStep, sampleStep, slideWindowStep } from '../kernels/decode.js';

export { samplingWords } from '../kernels/sampling-options.js';
import { decodeLoopFits, decodeLoopStep } from '../kernels/decode-loop.js';
import { ROWS_PER_WORKGROUP } from '../kernels/recurrence.js';
import { ShapeError } from '../gpu/errors.js';
import { gatherStep } from '../kernels/embedding.js';
import type { Dense, DenseBuffers } from '../layers/dense.js';
import type { Embedding } from '../layers/embedding.js';
import type { RecurrentBuffers, RecurrentLayer } from '../layers/recurrent.js';
import { copyStep, Plan } from './plan.js';

/** A chain of layers a decode runs: optional Embedding, then recurrent layers, over its input. */
export interface DecodeBranch {
  readonly embedding?: Embedding;
  readonly layers: readonly RecurrentLayer[];
  /** Features per step entering the first recurrent layer. */
  readonly inputFeatures: number;
  /** Whether it takes token ids (through the Embedding). */
  readonly tokens: boolean;
}

/**
 * What a decode needs of a model: the branch that primes (a seq2seq's encoder, whose layer i hands its
 * final states to decoder layer i), the decoder, and the Dense head at every decoder step.
 */
export interface DecodeChain {
  readonly encoder?: DecodeBranch;
  readonly decoder: DecodeBranch;
  readonly head: Dense;
  readonly registry: KernelRegistry;
  /**
   * Attention of the decoder's last output over the encoder's last output sequence: the head reads
   * [context, decoder output] (a Seq2Seq's attention layer).
   */
  readonly attention?: DecodeAttention;
}

/** What a decode needs of an attention layer. */
export interface DecodeAttention {
  readonly score: 'dot' | 'concat';
  kernelParameters(ctx: GpuContext): AttentionParameters;
}

/**
 * One decoder step's attention: the context of `query` [B, U] over `encoded` [T, B, U] (the encoder's
 * last output sequence), then [context, query] into a [B, 2U] buffer for the head. Returns its steps
 * and that buffer; its buffers are owned by `made`.
 */
export async function attentionStepBuilder(ctx: GpuContext, chain: DecodeChain, batch: number, encodedSteps: number, units: number, made: Allocations) {
  const attention = chain.attention!;
  const storage = ownedStorage(ctx, made);
  const context = storage('decode.attention.context', batch * units * 4);
  const weights = storage('decode.attention.weights', batch * encodedSteps * 4);
  const joined = storage('decode.attention.joined', batch * 2 * units * 4);
  const parameters = attention.kernelParameters(ctx);
  const shape = { batch, querySteps: 1, valueSteps: encodedSteps, dim: units, valueDim: units, score: attention.score, causal: false };
  return {
    joined,
    weights,
    steps: async (label: string, query: GPUBuffer, encoded: GPUBuffer): Promise<Step[]> => [
      await attentionForwardStep(chain.registry, `${label}.attention`, shape, { query: { buffer: query, offset: 0 }, value: { buffer: encoded, offset: 0 } }, parameters, { out: context, weights }),
      await copyColumnsStep(chain.registry, `${label}.context`, batch, units, { buffer: context, stride: units, column: 0 }, { buffer: joined, stride: 2 * units, column: 0 }),
      await copyColumnsStep(chain.registry, `${label}.output`, batch, units, { buffer: query, stride: units, column: 0 }, { buffer: joined, stride: 2 * units, column: units }),
    ],
  };
}

/** What a decode plan decodes: the batch, the priming sequence's length, the outputs, the mode and the strategy. */
export interface DecodeOptions {
  /** Sequences decoded together. */
  batch: number;
  /** Steps of the priming sequence (the encoder input, or a SequenceModel's window). */
  primeSteps: number;
  /** Outputs to produce. */
  outputSteps: number;
  /**
   * 'seq2seq': the encoder primes, the decoder starts from input 0 (numbers) or `startToken` (tokens);
   * 'continue': the decoder stack primes itself and its first output is the first prediction;
   * 'window': every prediction re-reads the last primeSteps values from a zero state (numbers only).
   */
  mode: 'seq2seq' | 'continue' | 'window';
  /** Token decoding: the token that starts every sequence. */
  startToken?: number;
  /** Token decoding: the token that ends a sequence (-1: none). */
  endToken?: number;
  /**
   * 'loop': the whole decode in one dispatch (one-layer decoders that fit a workgroup); 'step': a few
   * dispatches per step; 'auto' (default): 'loop' when it fits.
   */
  strategy?: 'auto' | 'loop' | 'step';
  /**
   * Token decoding: draw each token from the logits (temperature, top-k, top-p, seed: written at each run)
   * instead of taking the argmax, in either strategy.
   */
  sampling?: boolean;
  /** With attention: read back each step's attention weights over the encoder's steps too (same readback). */
  returnAttention?: boolean;
}

/** A decode's outputs, and with returnAttention each step's attention weights, batch-major [batch, steps, encoder steps]. */
export interface DecodeResult {
  data: Float32Array | Int32Array;
  attention?: Float32Array;
}

/** A decoder layer's states, ping-ponged between two buffers (A, B) from step to step. */
interface StatePair {
  a: GPUBuffer;
  b: GPUBuffer;
}

/** The GPU memory a decode plan holds, released together by dispose() or by a build that fails. */
export interface Allocations {
  owned: GPUBuffer[];
  recurrent: { branch: DecodeBranch; index: number; buffers: RecurrentBuffers }[];
  head?: DenseBuffers;
  /** The priming branch's Embedding buffers (token input). */
  primeEmbedding?: { branch: DecodeBranch; buffers: ReturnType<NonNullable<DecodeBranch['embedding']>['createBuffers']> };
}

/** A storage buffer the allocations own (released with them). */
export function ownedStorage(ctx: GpuContext, made: Allocations): (label: string, bytes: number) => GPUBuffer {
  return (label, bytes) => {
    const buffer = ctx.createStorageBuffer(label, bytes);
    made.owned.push(buffer);
    return buffer;
  };
}

/**
 * A priming branch over its whole input of `batch` sequences of `steps` steps (the encoder of a seq2seq,
 * or a stack over its window), its layer i's final states into `finalStates[i]`. Returns the steps and
 * the buffer the input is written to (its Embedding's ids, or the time-major features).
 */
export async function primeBranchSteps(
  ctx: GpuContext, branch: DecodeBranch, batch: number, steps: number, finalStates: readonly GPUBuffer[], made: Allocations,
): Promise<{ steps: Step[]; input: GPUBuffer }> {
  const rows = batch * steps;
  const embedding = branch.embedding?.createBuffers(rows);
  if (embedding) made.primeEmbedding = { branch, buffers: embedding };
  const input = embedding ? embedding.ids : ownedStorage(ctx, made)('decode.prime_input', rows * branch.inputFeatures * 4);
  const out: Step[] = embedding ? [...(await branch.embedding!.forwardSteps(embedding))] : [];
  let x: BufferRange = embedding ? embedding.out : input;
  for (let i = 0; i < branch.layers.length; i++) {
    const layer = branch.layers[i];
    const buffers = layer.createBuffers(batch, steps, { sT: finalStates[i] });
    made.recurrent.push({ branch, index: i, buffers });
    out.push(...(await layer.forwardSteps(buffers, x)));
    x = buffers.hseq;
  }
  return { steps: out, input };
}

/** Releases what a decode plan holds. */
export function release(ctx: GpuContext, chain: DecodeChain, made: Allocations): void {
  for (const { branch, index, buffers } of made.recurrent) branch.layers[index].destroyBuffers(buffers);
  if (made.primeEmbedding) made.primeEmbedding.branch.embedding!.destroyBuffers(made.primeEmbedding.buffers);
  if (made.head) chain.head.destroyBuffers(made.head);
  for (const buffer of made.owned) ctx.destroyBuffer(buffer);
}

export class DecodePlan {
  readonly plan: Plan;
  /** Output slots: f32 [slots, batch, units] (numbers) or i32 [slots, batch] (tokens), at `slotStride` bytes apart. */
  readonly outputs: GPUBuffer;
  readonly slotStride: number;
  /** Primed branch input (time-major), or the ids buffer of its Embedding. */
  readonly primeInput: { buffer: GPUBuffer; tokens: boolean };
  readonly tokens: boolean;
  /** True when the decode loop is one dispatch and `outputs` is batch-major [batch, steps, units] / [batch, steps]. */
  readonly fused: boolean;
  readonly finished?: GPUBuffer;
  /** With sampling: the parameters' words (samplingWords), written at each run. */
  private readonly sampling?: GPUBuffer;
  private readonly made: Allocations;

  private constructor(
    private readonly ctx: GpuContext,
    readonly chain: DecodeChain,
    readonly options: DecodeOptions,
    parts: {
      plan: Plan; outputs: GPUBuffer; slotStride: number; primeInput: { buffer: GPUBuffer; tokens: boolean }; finished?: GPUBuffer; fused: boolean;
      made: Allocations; sampling?: GPUBuffer;
    },
  ) {
    this.plan = parts.plan;
    this.outputs = parts.outputs;
    this.slotStride = parts.slotStride;
    this.primeInput = parts.primeInput;
    this.tokens = chain.decoder.tokens;
    this.fused = parts.fused;
    this.finished = parts.finished;
    this.made = parts.made;
    this.sampling = parts.sampling;
  }

  static async build(ctx: GpuContext, chain: DecodeChain, options: DecodeOptions): Promise<DecodePlan> {
    const made: Allocations = { owned: [], recurrent: [] };
    try {
      return options.mode === 'window'
        ? await DecodePlan.buildWindow(ctx, chain, options, made)
        : await DecodePlan.buildDecode(ctx, chain, options, made);
    } catch (error) {
      release(ctx, chain, made); // nothing half-built stays allocated
      throw error;
    }
  }

  /** 'seq2seq' and 'continue': prime, then the decode loop (one dispatch) or a few dispatches per step. */
  private static async buildDecode(ctx: GpuContext, chain: DecodeChain, options: DecodeOptions, made: Allocations): Promise<DecodePlan> {
    const { batch, primeSteps, outputSteps, mode } = options;
    if (options.returnAttention && !chain.attention) throw new ShapeError('generate: returnAttention needs a model with attention');
    const decoder = chain.decoder;
    const primeBranch = mode === 'seq2seq' ? chain.encoder! : decoder;
    const tokens = decoder.tokens;
    const { recurrent } = made;
    const storage = ownedStorage(ctx, made);

    // State pairs: A is where priming leaves the state, B the other half of the ping-pong.
    const pairs: StatePair[] = decoder.layers.map((layer, i) => ({
      a: storage(`decode.${i}.states_a`, layer.stateBytes(batch)),
      b: storage(`decode.${i}.states_b`, layer.stateBytes(batch)),
    }));

    // Prime: the branch over the whole input, final states into A.
    const { steps, input: primeInputBuffer } = await primeBranchSteps(ctx, primeBranch, batch, primeSteps, pairs.map((p) => p.a), made);

    const head = chain.head;
    const layer = decoder.layers[0];
    const rows = ROWS_PER_WORKGROUP;
    const sampling = (options.sampling ?? false) && tokens;
    const loopFits = decoder.layers.length === 1 && !chain.attention && decodeLoopFits(ctx.limits, layer.resolvedCell, decoder.inputFeatures, head.units);
    if (options.strategy === 'loop' && !loopFits) {
      throw new ShapeError(`decode: the one-dispatch decode loop needs a one-layer decoder that fits one workgroup${chain.attention ? ', without attention' : ''}; use strategy 'step'`);
    }
    // On CPU drivers the per-step plan's vec4 matmuls beat the loop's scalar gate loads once a batch
    // spans several workgroups (LSTM(75), 1,000 windows on lavapipe: 466 ms per step vs 1,153 ms loop;
    // one window: 2.0 ms either way), so 'auto' takes the loop there only for one workgroup of rows.
    const preferLoop = !ctx.adapterInfo.isFallbackAdapter || batch <= rows;
    const samplingWords = sampling ? storage('decode.sampling', 20) : undefined;
    if (loopFits && (options.strategy === 'loop' || (options.strategy !== 'step' && preferLoop))) {
      const tokenCount = outputSteps * batch;
      const outputs = storage('decode.outputs', tokens ? tokenCount * 4 : tokenCount * head.units * 4);
      const { range, offsets } = layer.weightsRange();
      steps.push(await decodeLoopStep(chain.registry, 'decode.loop', layer.resolvedCell, {
        batch, inputs: decoder.inputFeatures, outputs: head.units, steps: outputSteps, tokens,
        continuePrimed: mode === 'continue', startToken: options.startToken ?? 0, endToken: options.endToken ?? -1, sampling,
      }, {
        weights: range, offsets, s0: pairs[0].a, ...head.parametersRange(),
        ...(decoder.embedding ? { table: decoder.embedding.param('embeddings') } : {}),
        out: outputs, ...(samplingWords ? { sampling: samplingWords } : {}),
      }));
      const plan = new Plan(ctx, `decode[batch ${batch}, ${outputSteps} steps, one loop]`, steps);
      return new DecodePlan(ctx, chain, options, {
        plan, outputs, slotStride: 0, primeInput: { buffer: primeInputBuffer, tokens: primeBranch.tokens }, made, fused: true, sampling: samplingWords,
      });
    }

    // Output slots, aligned so that every step binds its own.
    const slotValues = tokens ? batch : batch * head.units;
    const alignment = ctx.limits.minStorageBufferOffsetAlignment;
    const slotStride = Math.ceil((slotValues * 4) / alignment) * alignment;
    const slotCount = outputSteps + 1;
    // With returnAttention, each step's weights [B, Ts] follow the slots in the same buffer (one readback).
    const attentionAt = slotStride * slotCount;
    const attentionBytes = chain.attention && options.returnAttention ? outputSteps * batch * primeSteps * 4 : 0;
    const outputs = storage('decode.outputs', attentionAt + attentionBytes);
    const slot = (s: number) => ({ buffer: outputs, offset: s * slotStride, size: slotValues * 4 });
    const headBuffers = head.createBuffers(batch);
    made.head = headBuffers;
    const finished = tokens ? storage('decode.finished', batch * 4) : undefined;
    const embeddingOut = tokens ? storage('decode.embedded', batch * decoder.inputFeatures * 4) : undefined;

    // Tokens: the argmax of the head's logits (its pre-activation), or a draw from them, for output
    // `position` into `ids`; a row that emitted the end token keeps emitting it.
    const chooseToken = async (label: string, position: number, ids: BufferRange) => samplingWords
      ? await sampleStep(chain.registry, `decode.sample[${label}]`, batch, head.units, options.endToken ?? -1, position,
        { logits: headBuffers.pre, ids, finished: finished!, sampling: samplingWords })
      : await argmaxStep(chain.registry, `decode.argmax[${label}]`, batch, head.units, options.endToken ?? -1,
        { logits: headBuffers.pre, ids, finished: finished! });

    // 'continue': the first prediction is the head applied to the primed stack's last output (= its final h).
    if (mode === 'continue') {
      const primed = pairs[pairs.length - 1].a;
      if (tokens) {
        steps.push(...(await head.forwardSteps(headBuffers, primed, headBuffers.y, 'decode.head[prime]')));
        steps.push(await chooseToken('prime', 0, slot(0)));
      } else {
        steps.push(...(await head.forwardSteps(headBuffers, primed, slot(0), 'decode.head[prime]')));
      }
    }

    // With attention, the head reads [context, decoder output]; the context attends over the encoder's last output sequence.
    const encoded = chain.attention ? made.recurrent.filter((r) => r.branch === primeBranch).at(-1)!.buffers.hseq : undefined;
    const attend = chain.attention ? await attentionStepBuilder(ctx, chain, batch, primeSteps, decoder.layers.at(-1)!.units, made) : undefined;

    const stepBuffers = [0, 1].map((parity) =>
      decoder.layers.map((layer, i) => {
        const [from, to] = parity === 0 ? [pairs[i].a, pairs[i].b] : [pairs[i].b, pairs[i].a];
        const buffers = layer.createBuffers(batch, 1, { s0: from, sT: to });
        recurrent.push({ branch: decoder, index: i, buffers });
        return buffers;
      }),
    );
    // seq2seq: steps 0..N-1 read slots 0..N-1 (slot 0: the start input) and fill slots 1..N;
    // continue: slot 0 is already the first prediction, so N-1 steps fill slots 1..N-1.
    const decodeSteps = mode === 'seq2seq' ? outputSteps : outputSteps - 1;
    for (let t = 0; t < decodeSteps; t++) {
      const layers = stepBuffers[t % 2];
      let x: BufferRange = slot(t);
      if (tokens) {
        steps.push(await gatherStep(chain.registry, `decode.embedding[${t}]`, batch, decoder.embedding!.vocabSize, decoder.inputFeatures,
          slot(t), decoder.embedding!.param('embeddings'), embeddingOut!));
        x = embeddingOut!;
      }
      for (let i = 0; i < decoder.layers.length; i++) {
        steps.push(...(await decoder.layers[i].forwardSteps(layers[i], x)));
        x = layers[i].hseq;
      }
      if (attend) {
        steps.push(...(await attend.steps(`decode[${t}]`, x as GPUBuffer, encoded!)));
        if (attentionBytes > 0) steps.push(copyStep(`decode.attention_weights[${t}]`, attend.weights, 0, outputs, attentionAt + t * batch * primeSteps * 4, batch * primeSteps * 4));
        x = attend.joined;
      }
      if (tokens) {
        // Greedy choice from the logits (argmax of softmax = argmax of logits), or a draw from them. The
        // draw's numbers are those of the output's index (slot t + 1 is output t, or t + 1 when continuing),
        // as the one-dispatch loop numbers them.
        steps.push(...(await head.forwardSteps(headBuffers, x, headBuffers.y, `decode.head[${t}]`)));
        steps.push(await chooseToken(String(t), mode === 'continue' ? t + 1 : t, slot(t + 1)));
      } else {
        steps.push(...(await head.forwardSteps(headBuffers, x, slot(t + 1), `decode.head[${t}]`)));
      }
    }

    const plan = new Plan(ctx, `decode[batch ${batch}, ${outputSteps} steps]`, steps);
    return new DecodePlan(ctx, chain, options, {
      plan, outputs, slotStride, primeInput: { buffer: primeInputBuffer, tokens: primeBranch.tokens }, finished, made, fused: false, sampling: samplingWords,
    });
  }

  /**
   * 'window' mode: per prediction, the stack over the current window (zero initial state), the head on
   * its final h into output slot t, then the window slides onto the other window buffer.
   */
  private static async buildWindow(ctx: GpuContext, chain: DecodeChain, options: DecodeOptions, made: Allocations): Promise<DecodePlan> {
    const { batch, primeSteps, outputSteps } = options;
    const stack = chain.decoder;
    const head = chain.head;
    if (stack.tokens || head.units !== stack.inputFeatures) {
      throw new ShapeError(`decode: window mode feeds the head's ${head.units} outputs back as the ${stack.inputFeatures} input features of a numeric stack`);
    }
    const storage = ownedStorage(ctx, made);
    const windowBytes = primeSteps * batch * stack.inputFeatures * 4;
    const windows = [storage('decode.window_a', windowBytes), storage('decode.window_b', windowBytes)];
    // Fresh state buffers that nothing writes: every window starts from a zero state.
    stack.layers.forEach((layer, index) => made.recurrent.push({ branch: stack, index, buffers: layer.createBuffers(batch, primeSteps) }));
    const headBuffers = head.createBuffers(batch);
    made.head = headBuffers;
    const slotValues = batch * head.units;
    const alignment = ctx.limits.minStorageBufferOffsetAlignment;
    const slotStride = Math.ceil((slotValues * 4) / alignment) * alignment;
    const outputs = storage('decode.outputs', slotStride * outputSteps);
    const slot = (t: number) => ({ buffer: outputs, offset: t * slotStride, size: slotValues * 4 });

    // The stack's dispatches read one window or the other: built once for each.
    const stackSteps = await Promise.all(windows.map(async (window) => {
      const steps: Step[] = [];
      let x: BufferRange = window;
      for (const { index, buffers } of made.recurrent) {
        steps.push(...(await stack.layers[index].forwardSteps(buffers, x)));
        x = buffers.hseq;
      }
      return steps;
    }));
    const last = made.recurrent[made.recurrent.length - 1].buffers;
    const steps: Step[] = [];
    for (let t = 0; t < outputSteps; t++) {
      const [current, next] = t % 2 === 0 ? [0, 1] : [1, 0];
      steps.push(...stackSteps[current]);
      steps.push(...(await head.forwardSteps(headBuffers, last.sT, slot(t), `decode.head[${t}]`)));
      if (t + 1 < outputSteps) {
        steps.push(await slideWindowStep(chain.registry, `decode.slide[${t}]`, primeSteps, batch, stack.inputFeatures,
          { window_in: windows[current], next_value: slot(t), window_out: windows[next] }));
      }
    }
    const plan = new Plan(ctx, `decode[batch ${batch}, ${outputSteps} steps, window of ${primeSteps}]`, steps);
    return new DecodePlan(ctx, chain, options, { plan, outputs, slotStride, primeInput: { buffer: windows[0], tokens: false }, made, fused: false });
  }

  /** Slot of the first output in `outputs`: 1 for seq2seq (slot 0 holds the start input), 0 otherwise. */
  get firstOutputSlot(): number {
    return this.options.mode === 'seq2seq' ? 1 : 0;
  }

  /**
   * Uploads the priming batch (time-major) and the start inputs, runs the plan and reads every output
   * back, in one submit. Returns values batch-major: [batch, outputSteps, units] or [batch, outputSteps].
   */
  async run(primeTimeMajor: Float32Array | Int32Array, sampling?: Uint32Array): Promise<DecodeResult> {
    const { batch, outputSteps, mode } = this.options;
    if ((sampling !== undefined) !== (this.sampling !== undefined)) throw new ShapeError('decode: a sampling plan runs with sampling words, a greedy one without');
    if (this.sampling) this.ctx.write(this.sampling, sampling!);
    const primeBranch = mode === 'seq2seq' ? this.chain.encoder! : this.chain.decoder;
    if (primeBranch.embedding) primeBranch.embedding.writeIds(this.made.primeEmbedding!.buffers, primeTimeMajor, 'prime input');
    else this.ctx.write(this.primeInput.buffer, primeTimeMajor);
    if (this.fused) {
      const bytes = await this.plan.runAndRead(this.outputs, batch * outputSteps * (this.tokens ? 1 : this.chain.head.units) * 4);
      // The loop writes token ids as f32 (exact below 2^24).
      return { data: this.tokens ? Int32Array.from(new Float32Array(bytes)) : new Float32Array(bytes) };
    }
    if (mode === 'seq2seq') {
      const start = this.tokens ? new Int32Array(batch).fill(this.options.startToken ?? 0) : new Float32Array(batch * this.chain.head.units);
      this.ctx.write(this.outputs, start, 0);
    }
    if (this.finished) this.ctx.write(this.finished, new Uint32Array(batch));
    const first = this.firstOutputSlot;
    const attentionAt = this.slotStride * (outputSteps + 1);
    const withAttention = this.options.returnAttention === true && this.chain.attention !== undefined;
    const encoderSteps = this.options.primeSteps;
    const bytes = await this.plan.runAndRead(this.outputs, withAttention ? this.outputs.size : this.slotStride * (first + outputSteps));
    const width = this.tokens ? 1 : this.chain.head.units;
    const out = this.tokens ? new Int32Array(batch * outputSteps) : new Float32Array(batch * outputSteps * width);
    for (let s = 0; s < outputSteps; s++) {
      const slot = this.tokens
        ? new Int32Array(bytes, (first + s) * this.slotStride, batch)
        : new Float32Array(bytes, (first + s) * this.slotStride, batch * width);
      for (let b = 0; b < batch; b++) {
        for (let f = 0; f < width; f++) out[(b * outputSteps + s) * width + f] = slot[b * width + f];
      }
    }
    if (!withAttention) return { data: out };
    const steps = new Float32Array(bytes, attentionAt, outputSteps * batch * encoderSteps); // [steps, B, Ts]
    const attention = new Float32Array(batch * outputSteps * encoderSteps);
    for (let s = 0; s < outputSteps; s++) {
      for (let b = 0; b < batch; b++) attention.set(steps.subarray((s * batch + b) * encoderSteps, (s * batch + b + 1) * encoderSteps), (b * outputSteps + s) * encoderSteps);
    }
    return { data: out, attention };
  }

  dispose(): void {
    this.plan.dispose();
    release(this.ctx, this.chain, this.made);
  }
}
