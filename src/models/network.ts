// The layers of a recurrent model and how one batch shape runs through them on the GPU.
//
// A network is an optional encoder branch and a decoder branch (each: optional Embedding, then 1..N
// recurrent layers) and a Dense head applied at every decoder step. Decoder layer i starts from encoder
// layer i's final state: both layers are bound to the same state buffers, so the state never moves, and
// the decoder's initial-state gradient lands where the encoder's backward reads its final-state gradient.
// A SequenceModel is a network without an encoder (zero initial state).

import type { GpuContext } from '../gpu/context.js';
import { LimitError, ShapeError } from '../gpu/errors.js';
import type { BufferRange, KernelRegistry, Step } from '../gpu/kernel-registry.js';
import { cellByName, type CellType } from '../cells/index.js';
import type { Activation, PointwiseActivation } from '../kernels/activation.js';
import type { RecurrentStrategy } from '../kernels/recurrence.js';
import { Dense, type DenseBuffers } from '../layers/dense.js';
import { Embedding, type EmbeddingBuffers } from '../layers/embedding.js';
import type { ParameterStore } from '../layers/parameters.js';
import { RecurrentLayer, type RecurrentBuffers, type SharedStateBuffers } from '../layers/recurrent.js';
import { expectPositiveInteger } from '../layers/validate.js';
import { featureSequences, tokenSequences, type FeatureSequences, type SequenceSet, type TokenSequences } from './data.js';

export type { CellType };

export interface RecurrentLayerSpec {
  /** Default 'lstm'. */
  cell?: CellType;
  units: number;
  /** The cell's activation: default 'tanh' ('relu' is common for SimpleRNN). */
  activation?: PointwiseActivation;
  /** Gated cells (LSTM, GRU): default 'sigmoid'. */
  recurrentActivation?: PointwiseActivation;
  /** GRU: Keras' reset_after, default true. */
  resetAfter?: boolean;
  goBackwards?: boolean;
  strategy?: RecurrentStrategy;
}

export interface BranchSpec {
  /** Features per step of a numeric input (omit with vocabSize). */
  inputSize?: number;
  /** Token input: vocabulary size of the Embedding (omit with inputSize). */
  vocabSize?: number;
  /** Token input: embedding width. */
  embeddingDim?: number;
  layers: RecurrentLayerSpec[];
}

export interface HeadSpec {
  units: number;
  /** Default 'linear'. */
  activation?: Activation;
}

export interface NetworkSpec {
  encoder?: BranchSpec;
  decoder: BranchSpec;
  head: HeadSpec;
  seed?: number;
}

export class Branch {
  readonly embedding?: Embedding;
  readonly layers: RecurrentLayer[];
  /** Features per step entering the first recurrent layer. */
  readonly inputFeatures: number;

  constructor(ctx: GpuContext, spec: BranchSpec, name: string, seed: number, store: ParameterStore, registry: KernelRegistry) {
    if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new ShapeError(`${name}: needs at least one recurrent layer`);
    const options = { parameters: store, registry };
    if (spec.vocabSize !== undefined) {
      if (spec.inputSize !== undefined) throw new ShapeError(`${name}: give either inputSize (numeric input) or vocabSize (tokens), not both`);
      expectPositiveInteger(`${name}.embeddingDim`, spec.embeddingDim ?? NaN);
      this.embedding = Embedding.create(ctx, { vocabSize: spec.vocabSize, outputDim: spec.embeddingDim!, seed, name: `${name}.embedding` }, options);
      this.inputFeatures = spec.embeddingDim!;
    } else {
      expectPositiveInteger(`${name}.inputSize`, spec.inputSize ?? NaN);
      this.inputFeatures = spec.inputSize!;
    }
    let inputSize = this.inputFeatures;
    this.layers = spec.layers.map((layer, i) => {
      const cell = cellByName(layer.cell ?? 'lstm', `${name} layer ${i}`);
      const made = RecurrentLayer.of(ctx, cell, {
        units: layer.units,
        inputSize,
        activation: layer.activation,
        ...(cell.gated ? { recurrentActivation: layer.recurrentActivation } : {}),
        ...(cell.name === 'gru' ? { resetAfter: layer.resetAfter } : {}),
        returnSequences: true,
        goBackwards: layer.goBackwards,
        strategy: layer.strategy,
        seed: seed + 10 * (i + 1),
        name: `${name}.${cell.name}_${i}`,
      }, options);
      inputSize = layer.units;
      return made;
    });
  }

  get tokens(): boolean {
    return this.embedding !== undefined;
  }

  /** A user's input for this branch, checked: token ids when it embeds, feature vectors otherwise. */
  sequences(value: unknown, what: string): SequenceSet {
    if (this.embedding) return tokenSequences(value as TokenSequences, what, this.embedding.vocabSize);
    return featureSequences(value as FeatureSequences, what, this.inputFeatures);
  }

  get outputUnits(): number {
    return this.layers[this.layers.length - 1].units;
  }

  declare(): void {
    this.embedding?.declare();
    for (const layer of this.layers) layer.declare();
  }

  initialize(): void {
    this.embedding?.initialize();
    for (const layer of this.layers) layer.initialize();
  }
}

/** GPU buffers of one branch for one (batch, steps). */
export interface BranchBuffers {
  /** Time-major input [T, B, F] (numeric) or ids [T * B] (tokens, inside `embedding`). */
  readonly input?: GPUBuffer;
  readonly embedding?: EmbeddingBuffers;
  readonly layers: RecurrentBuffers[];
}

export class Network {
  readonly encoder?: Branch;
  readonly decoder: Branch;
  readonly head: Dense;

  constructor(
    private readonly ctx: GpuContext,
    readonly spec: NetworkSpec,
    readonly store: ParameterStore,
    readonly registry: KernelRegistry,
  ) {
    const seed = spec.seed ?? 0;
    if (spec.encoder) this.encoder = new Branch(ctx, spec.encoder, 'encoder', seed + 1000, store, registry);
    this.decoder = new Branch(ctx, spec.decoder, spec.encoder ? 'decoder' : 'rnn', seed + 2000, store, registry);
    if (this.encoder) checkBridge(this.encoder, this.decoder);
    expectPositiveInteger('head.units', spec.head?.units ?? NaN);
    this.head = Dense.create(ctx, { units: spec.head.units, inputSize: this.decoder.outputUnits, activation: spec.head.activation, seed: seed + 3000, name: 'head' },
      { parameters: store, registry });
    this.encoder?.declare();
    this.decoder.declare();
    this.head.declare();
    store.allocate();
    this.encoder?.initialize();
    this.decoder.initialize();
    this.head.initialize();
  }

  /** Every weight-owning layer, in a stable order (the order of getWeights()). */
  get weightLayers(): { name: string; layer: Embedding | RecurrentLayer | Dense }[] {
    const layers: { name: string; layer: Embedding | RecurrentLayer | Dense }[] = [];
    for (const branch of [this.encoder, this.decoder]) {
      if (!branch) continue;
      if (branch.embedding) layers.push({ name: branch.embedding.name, layer: branch.embedding });
      for (const layer of branch.layers) layers.push({ name: layer.name, layer });
    }
    layers.push({ name: this.head.name, layer: this.head });
    return layers;
  }

  /** Allocates the buffers of one batch shape. */
  createShape(batch: number, sourceSteps: number, targetSteps: number): NetworkShape {
    return new NetworkShape(this.ctx, this, batch, sourceSteps, targetSteps);
  }

  /**
   * The largest buffer a shape of (batch, sourceSteps, targetSteps) makes, found without making any:
   * each recurrent layer's activations, the branch inputs, the head's outputs (the loss's buffers are
   * the head's size). Every one grows with batch x steps.
   */
  largestBuffer(batch: number, sourceSteps: number, targetSteps: number): { label: string; bytes: number } {
    const found = { label: '', bytes: 0 };
    const consider = (label: string, bytes: number) => {
      if (bytes > found.bytes) Object.assign(found, { label, bytes });
    };
    for (const [branch, steps] of [[this.encoder, sourceSteps], [this.decoder, targetSteps]] as const) {
      if (!branch) continue;
      consider(branch.embedding ? `${branch.embedding.name}.out` : `${branch.layers[0].name}.input`, batch * steps * branch.inputFeatures * 4);
      for (const layer of branch.layers) {
        for (const [name, bytes] of Object.entries(layer.bufferBytes(batch, steps))) consider(`${layer.name}.${name}`, bytes);
      }
    }
    consider(`${this.head.name}.y`, batch * targetSteps * this.head.units * 4);
    return found;
  }

  /** The largest batch whose shape at these lengths fits the limits (0 when not even one sequence does). */
  maxBatch(sourceSteps: number, targetSteps: number, limits: BufferLimits): number {
    const limit = bufferLimit(limits).bytes;
    if (this.largestBuffer(1, sourceSteps, targetSteps).bytes > limit) return 0;
    let [fits, fails] = [1, 2];
    while (this.largestBuffer(fails, sourceSteps, targetSteps).bytes <= limit) [fits, fails] = [fails, fails * 2];
    while (fails - fits > 1) {
      const mid = Math.floor((fits + fails) / 2);
      if (this.largestBuffer(mid, sourceSteps, targetSteps).bytes <= limit) fits = mid;
      else fails = mid;
    }
    return fits;
  }

  /**
   * Throws a LimitError, before anything is allocated, when a shape's largest buffer is over what the
   * device can bind: which buffer, which limit, by how much, and the largest batch that fits.
   */
  checkShape(what: string, batch: number, sourceSteps: number, targetSteps: number, limits: BufferLimits): void {
    const largest = this.largestBuffer(batch, sourceSteps, targetSteps);
    const limit = bufferLimit(limits);
    if (largest.bytes <= limit.bytes) return;
    const lengths = this.encoder ? `${sourceSteps} encoder and ${targetSteps} decoder steps` : `${targetSteps} steps`;
    const most = this.maxBatch(sourceSteps, targetSteps, limits);
    throw new LimitError(
      `${what}: a batch of ${batch} at ${lengths} needs buffer '${largest.label}' of ${mebibytes(largest.bytes)}, ` +
        `${(largest.bytes / limit.bytes).toFixed(2)}x this device's ${limit.name} of ${mebibytes(limit.bytes)}; ` +
        (most > 0 ? `at these lengths at most batch ${most} fits` : 'not even one sequence of these lengths fits: use shorter sequences'),
    );
  }
}

/** The device limits that bound a shape's buffers. */
export type BufferLimits = Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>;

function bufferLimit(limits: BufferLimits): { name: string; bytes: number } {
  return limits.maxStorageBufferBindingSize <= limits.maxBufferSize
    ? { name: 'maxStorageBufferBindingSize', bytes: limits.maxStorageBufferBindingSize }
    : { name: 'maxBufferSize', bytes: limits.maxBufferSize };
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 24 ? 2 : 0)} MiB`;
}

function checkBridge(encoder: Branch, decoder: Branch): void {
  if (encoder.layers.length !== decoder.layers.length) {
    throw new ShapeError(`seq2seq: encoder has ${encoder.layers.length} recurrent layers, decoder ${decoder.layers.length}; decoder layer i starts from encoder layer i's state, so they must match`);
  }
  encoder.layers.forEach((e, i) => {
    const d = decoder.layers[i];
    if (e.units !== d.units || e.stateNames.join() !== d.stateNames.join()) {
      throw new ShapeError(`seq2seq: encoder layer ${i} (${e.name}, ${e.units} units) and decoder layer ${i} (${d.name}, ${d.units} units) must have the same cell and units to pass the state`);
    }
  });
}

/** The buffers and dispatches of a network for one (batch, source steps, target steps). */
export class NetworkShape {
  readonly encoder?: BranchBuffers;
  readonly decoder: BranchBuffers;
  readonly head: DenseBuffers;
  private readonly bridges: GPUBuffer[] = [];

  constructor(
    private readonly ctx: GpuContext,
    readonly network: Network,
    readonly batch: number,
    readonly sourceSteps: number,
    readonly targetSteps: number,
  ) {
    const { encoder, decoder } = network;
    const bridge = (name: string, bytes: number) => {
      const buffer = ctx.createStorageBuffer(`bridge.${name}`, bytes);
      this.bridges.push(buffer);
      return buffer;
    };
    const encoderShared: SharedStateBuffers[] = [];
    const decoderShared: SharedStateBuffers[] = [];
    if (encoder) {
      encoder.layers.forEach((layer, i) => {
        const bytes = layer.stateBytes(batch);
        const value = bridge(`${i}.states`, bytes);
        const gradient = bridge(`${i}.dstates`, bytes);
        encoderShared.push({ sT: value, dsT: gradient });
        decoderShared.push({ s0: value, ds0: gradient });
      });
      this.encoder = this.branchBuffers(encoder, sourceSteps, encoderShared);
    }
    this.decoder = this.branchBuffers(decoder, targetSteps, decoderShared);
    this.head = network.head.createBuffers(targetSteps * batch);
  }

  private branchBuffers(branch: Branch, steps: number, shared: SharedStateBuffers[]): BranchBuffers {
    const rows = steps * this.batch;
    const embedding = branch.embedding?.createBuffers(rows);
    const input = embedding ? undefined : this.ctx.createStorageBuffer(`${branch.layers[0].name}.input`, rows * branch.inputFeatures * 4);
    const layers = branch.layers.map((layer, i) => layer.createBuffers(this.batch, steps, shared[i] ?? {}));
    return { input, embedding, layers };
  }

  /** What enters the first recurrent layer of a branch. */
  private branchInput(branch: BranchBuffers): BufferRange {
    return branch.embedding ? branch.embedding.out : branch.input!;
  }

  /** Forward through encoder, decoder and head. */
  async forwardSteps(): Promise<Step[]> {
    const steps: Step[] = [];
    const { encoder, decoder } = this.network;
    for (const [branch, buffers] of [[encoder, this.encoder], [decoder, this.decoder]] as const) {
      if (!branch || !buffers) continue;
      if (branch.embedding) steps.push(...(await branch.embedding.forwardSteps(buffers.embedding!)));
      let input = this.branchInput(buffers);
      for (let i = 0; i < branch.layers.length; i++) {
        steps.push(...(await branch.layers[i].forwardSteps(buffers.layers[i], input)));
        input = buffers.layers[i].hseq;
      }
    }
    steps.push(...(await this.network.head.forwardSteps(this.head, this.lastDecoderOutput)));
    return steps;
  }

  /**
   * Backward from the head's output gradient (written by the loss into dy, or into dpre when
   * `gradientAtLogits`: a loss fused with softmax) to every parameter gradient.
   */
  async backwardSteps(gradientAtLogits = false): Promise<Step[]> {
    const { encoder, decoder } = this.network;
    const steps: Step[] = [];
    const lastDecoder = this.decoder.layers[this.decoder.layers.length - 1];
    steps.push(...(await this.network.head.backwardSteps(this.head, lastDecoder.hseq, lastDecoder.dhseq, gradientAtLogits)));
    for (const [branch, buffers, isEncoder] of [[decoder, this.decoder, false], [encoder, this.encoder, true]] as const) {
      if (!branch || !buffers) continue;
      for (let i = branch.layers.length - 1; i >= 0; i--) {
        const below = i > 0 ? buffers.layers[i - 1] : undefined;
        const input = below ? below.hseq : this.branchInput(buffers);
        const dInput = below ? below.dhseq : buffers.embedding?.dout;
        // The encoder's top layer only passes its final state on: no gradient arrives at its sequence.
        const sequenceGradient = !(isEncoder && i === branch.layers.length - 1);
        // Only the encoder's layers hand their final states on (to the decoder).
        steps.push(...(await branch.layers[i].backwardSteps(buffers.layers[i], input, dInput, { sequenceGradient, stateGradient: isEncoder })));
      }
      if (branch.embedding) steps.push(...(await branch.embedding.backwardSteps(buffers.embedding!)));
    }
    return steps;
  }

  get lastDecoderOutput(): GPUBuffer {
    return this.decoder.layers[this.decoder.layers.length - 1].hseq;
  }

  /** Uploads a time-major batch into a branch's input (checking token ids against the embedding). */
  writeInput(which: 'encoder' | 'decoder', data: Float32Array | Int32Array): void {
    const branch = which === 'encoder' ? this.network.encoder : this.network.decoder;
    const buffers = which === 'encoder' ? this.encoder : this.decoder;
    if (!branch || !buffers) throw new ShapeError(`this model has no ${which}`);
    if (branch.embedding) branch.embedding.writeIds(buffers.embedding!, data, `${which} input`);
    else this.ctx.write(buffers.input!, data);
  }

  dispose(): void {
    const { encoder, decoder } = this.network;
    for (const [branch, buffers] of [[encoder, this.encoder], [decoder, this.decoder]] as const) {
      if (!branch || !buffers) continue;
      branch.layers.forEach((layer, i) => layer.destroyBuffers(buffers.layers[i]));
      if (buffers.embedding) branch.embedding!.destroyBuffers(buffers.embedding);
      if (buffers.input) this.ctx.destroyBuffer(buffers.input);
    }
    this.network.head.destroyBuffers(this.head);
    for (const b of this.bridges) this.ctx.destroyBuffer(b);
  }
}
