// What Seq2Seq and SequenceModel share: compile, fit, evaluate, trainOnBatch, weights, dispose.
// The training loop stays on the host; each step is one submit of a prebuilt plan, and losses are read
// back once per epoch from an accumulator on the GPU.

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, NonFiniteError, ShapeError, WebRnnError } from '../gpu/errors.js';
import { KernelRegistry } from '../gpu/kernel-registry.js';
import { rowWeightsFromMask } from '../kernels/loss.js';
import { ParameterStore } from '../layers/parameters.js';
import { seededRandom } from '../layers/random.js';
import { createOptimizer, type ClipOptions, type NonFinitePolicy, type NonFiniteSteps, type Optimizer, type OptimizerName } from '../optim/index.js';
import { featureSequences, sliceSet, timeMajorBatch, tokenSequences, type FeatureSequences, type SequenceSet, type TokenSequences } from './data.js';
import type { DecodePlan, DecodeOptions } from './autoregressive.js';
import { Network, type BufferLimits, type NetworkSpec } from './network.js';
import { expectPositiveInteger } from '../layers/validate.js';
import { TrainingShape, type LossName } from './training-shape.js';

export interface CompileOptions {
  /** 'adam' (default), 'sgd', 'rmsprop', or an optimizer instance. */
  optimizer?: OptimizerName | Optimizer;
  loss: LossName;
  /** Learning rate of a named optimizer (its Keras default otherwise). */
  learningRate?: number;
  /** Clip gradients by global norm (Keras global_clipnorm). */
  clipNorm?: number;
  /** Clip each gradient to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Cross-entropy: target positions holding this token are padding and excluded from the loss. */
  maskToken?: number;
  /**
   * A training step whose gradients hold a NaN or an Infinity changes nothing, whatever this says; then
   * 'stop' (default) stops training there: fit (or readLoss) throws a NonFiniteError naming the step,
   * and the weights and optimizer state are those after the last finite step. 'skip' skips such steps
   * and trains on (each epoch's logs count them; its loss is the mean over the finite steps).
   * Detected on the GPU: no readback per step.
   */
  onNonFinite?: NonFinitePolicy;
}

export interface EpochLogs {
  loss: number;
  val_loss?: number;
  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'), when there were any. */
  skipped_steps?: number;
}

export interface FitCallbacks {
  /** After each epoch, with that epoch's losses. Return `false` to stop training. */
  onEpochEnd?(epoch: number, logs: EpochLogs): void | boolean | Promise<void | boolean>;
  /** After each batch is submitted (no loss: reading it would cost a round trip per step). */
  onBatchEnd?(batch: number): void | Promise<void>;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Shuffle the training samples every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  seed?: number;
  callbacks?: FitCallbacks;
  /**
   * Stops training before the next step once aborted: fit rejects with the signal's reason, and the
   * weights are those of the last step run.
   */
  signal?: AbortSignal;
  /**
   * Keep a host copy of the weights every this many epochs (one readback each), from which restore()
   * rebuilds the model on a new device should this one be lost.
   */
  checkpointEvery?: number;
}

/** A host copy of a model's weights (Keras order), taken by checkpoint() or fit's checkpointEvery. */
export interface Checkpoint {
  weights: Float32Array[];
  /** Optimizer steps taken when it was made. */
  iterations: number;
}

export interface History {
  epoch: number[];
  history: { loss: number[]; val_loss?: number[] };
}

/** A model's inputs and targets, normalized. */
export interface Dataset {
  source?: SequenceSet;
  input: SequenceSet;
  target: SequenceSet;
}

export abstract class RecurrentModel {
  protected readonly ctx: GpuContext;
  protected readonly registry: KernelRegistry;
  protected readonly store: ParameterStore;
  readonly network: Network;
  private compiled: { loss: LossName; optimizer: Optimizer; maskToken?: number } | null = null;
  private readonly shapes = new Map<string, TrainingShape>();
  private readonly decodePlans = new Map<string, DecodePlan>();
  private readonly trainLoss: GPUBuffer;
  private readonly evalLoss: GPUBuffer;
  private trainSamples = 0;
  private disposed = false;
  /** Set while fit() runs. */
  private training: 'fit' | null = null;
  private compileOptions: CompileOptions | null = null;
  private lastCheckpoint: Checkpoint | null = null;

  protected constructor(ctx: GpuContext, spec: NetworkSpec, label: string) {
    this.ctx = ctx;
    this.registry = KernelRegistry.of(ctx);
    this.store = new ParameterStore(ctx, `${label}.parameters`);
    try {
      this.network = new Network(ctx, spec, this.store, this.registry);
    } catch (error) {
      this.store.dispose();
      throw error;
    }
    // [loss sum, samples of non-finite batches, and (copied in for the readback) the optimizer's guard].
    this.trainLoss = ctx.createStorageBuffer(`${label}.train_loss`, 16);
    this.evalLoss = ctx.createStorageBuffer(`${label}.eval_loss`, 4);
  }

  /** Chooses the loss and the optimizer. Compiling again replaces both (and the optimizer's state). */
  compile(options: CompileOptions): void {
    this.assertLive();
    const loss = options.loss;
    if (loss !== 'mse' && loss !== 'sparse_categorical_crossentropy') {
      throw new ShapeError(`compile: loss must be 'mse' or 'sparse_categorical_crossentropy', got '${String(loss)}'`);
    }
    const head = this.network.head;
    if (loss === 'sparse_categorical_crossentropy' && head.activation !== 'softmax' && head.activation !== 'linear') {
      throw new ShapeError(`compile: sparse_categorical_crossentropy needs a 'softmax' or 'linear' head, this one is '${head.activation}'`);
    }
    const onNonFinite = options.onNonFinite ?? 'stop';
    if (onNonFinite !== 'stop' && onNonFinite !== 'skip') throw new ShapeError(`compile: onNonFinite must be 'stop' or 'skip', got '${String(onNonFinite)}'`);
    const optimizer = createOptimizer(options.optimizer ?? 'adam', {
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
      ...(options.clipNorm !== undefined ? { clipNorm: options.clipNorm } : {}),
      ...(options.clipValue !== undefined ? { clipValue: options.clipValue } : {}),
    });
    optimizer.nonFinitePolicy = onNonFinite;
    this.releaseShapes();
    this.compiled?.optimizer.dispose();
    optimizer.attach(this.ctx, this.registry, {
      valueBuffer: this.store.valueBuffer,
      gradientBuffer: this.store.gradientBuffer,
      byteLength: this.store.byteLength,
      label: this.store.label,
    });
    this.compiled = { loss, optimizer, maskToken: options.maskToken };
    this.compileOptions = { ...options };
  }

  get optimizer(): Optimizer {
    return this.requireCompiled('optimizer').optimizer;
  }

  /** Turns the user's x and y into a Dataset, checking shapes against the model. */
  protected abstract dataset(x: unknown, y: unknown, what: string): Dataset;

  /** A new, uncompiled model of the same configuration on `ctx`. */
  protected abstract rebuild(ctx: GpuContext): RecurrentModel;

  /**
   * The largest batch whose training shape fits this device's buffer limits (maxStorageBufferBindingSize,
   * maxBufferSize) at `steps` time steps (encoder and decoder alike), or other `limits`; 0 if none.
   */
  largestBatch(steps: number, limits: BufferLimits = this.ctx.limits): number {
    expectPositiveInteger('largestBatch steps', steps);
    return this.network.maxBatch(this.network.encoder ? steps : 0, steps, limits);
  }

  /** Takes a checkpoint now (one readback): what restore() rebuilds from. */
  async checkpoint(): Promise<Checkpoint> {
    this.assertLive();
    this.lastCheckpoint = { weights: await this.getWeights(), iterations: this.compiled?.optimizer.iterations ?? 0 };
    return this.lastCheckpoint;
  }

  /** The last checkpoint, or null. */
  get lastCheckpointTaken(): Checkpoint | null {
    return this.lastCheckpoint;
  }

  /**
   * The model rebuilt on `ctx` (typically a new device after this one was lost) from its last checkpoint:
   * the same configuration, compiled as this one was (a named optimizer with its settings; an Optimizer
   * instance is replaced by a new one of its kind with the same learning rate and clipping), its
   * optimizer state starting afresh. This model is left as it is: dispose() it.
   */
  async restore(ctx: GpuContext): Promise<this> {
    const checkpoint = this.lastCheckpoint;
    if (!checkpoint) throw new WebRnnError('restore: no checkpoint to restore from: call checkpoint(), or fit({ checkpointEvery })');
    const model = this.rebuild(ctx) as this;
    try {
      if (this.compileOptions) {
        const given = this.compileOptions.optimizer;
        const optimizer = given === undefined || typeof given === 'string' ? given : given.name;
        const clip = typeof given === 'object' ? (given as Partial<ClipOptions>) : {};
        const carried = typeof given === 'object' ? { learningRate: given.learningRate, clipNorm: clip.clipNorm, clipValue: clip.clipValue } : {};
        model.compile({ ...this.compileOptions, ...Object.fromEntries(Object.entries(carried).filter(([, v]) => v !== undefined)), optimizer });
      }
      model.setWeights(checkpoint.weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  /** The targets y for `count` samples of `steps` steps: numbers for mse, token ids for cross-entropy. */
  protected targetSet(y: unknown, what: string, steps: number, count: number): SequenceSet {
    const { loss, maskToken } = this.requireCompiled(what);
    const units = this.network.head.units;
    const target = loss === 'mse'
      ? featureSequences(y as FeatureSequences, `${what} y`, units)
      : tokenSequences(y as TokenSequences, `${what} y`, units, maskToken);
    if (target.count !== count) throw new ShapeError(`${what}: x has ${count} samples but y has ${target.count}`);
    if (target.steps !== steps) throw new ShapeError(`${what}: the input has ${steps} steps but y has ${target.steps}`);
    return target;
  }

  /**
   * Trains for `epochs` epochs; returns the loss (and validation loss) of each epoch. One submit per
   * batch; the last, smaller batch of an epoch gets its own plan, so no sample is dropped.
   */
  async fit(x: unknown, y: unknown, options: FitOptions = {}): Promise<History> {
    this.assertLive();
    options.signal?.throwIfAborted();
    this.assertNotTraining('fit');
    this.training = 'fit';
    try {
      return await this.fitEpochs(x, y, options);
    } finally {
      this.training = null;
    }
  }

  private async fitEpochs(x: unknown, y: unknown, options: FitOptions): Promise<History> {
    const data = this.dataset(x, y, 'fit');
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 32;
    const split = options.validationSplit ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0) throw new ShapeError(`fit: epochs must be a non-negative integer, got ${epochs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ShapeError(`fit: batchSize must be a positive integer, got ${batchSize}`);
    if (!(split >= 0 && split < 1)) throw new ShapeError(`fit: validationSplit must be in [0, 1), got ${split}`);
    const checkpointEvery = options.checkpointEvery ?? 0;
    if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new ShapeError(`fit: checkpointEvery must be a non-negative integer (epochs), got ${checkpointEvery}`);
    const total = data.input.count;
    const validationCount = Math.floor(total * split);
    const trainCount = total - validationCount;
    if (trainCount < 1) throw new ShapeError(`fit: validationSplit ${split} leaves no training samples out of ${total}`);
    const train = subset(data, 0, trainCount);
    const validation = validationCount > 0 ? subset(data, trainCount, total) : undefined;
    const random = seededRandom(options.seed ?? 0);
    const history: History = { epoch: [], history: { loss: [], ...(validation ? { val_loss: [] } : {}) } };
    const { optimizer } = this.requireCompiled('fit');
    const batches = Math.ceil(trainCount / batchSize);

    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = Array.from({ length: trainCount }, (_, i) => i);
      if (options.shuffle ?? true) shuffle(order, random);
      this.ctx.write(this.trainLoss, new Float32Array(2));
      const firstStep = optimizer.iterations + 1;
      for (let start = 0, batch = 0; start < trainCount; start += batchSize, batch++) {
        options.signal?.throwIfAborted();
        await this.runTrainingBatch(train, order.slice(start, start + batchSize));
        await options.callbacks?.onBatchEnd?.(batch);
      }
      const { sum, unfinished, nonFinite } = await this.readTraining();
      this.trainSamples = 0;
      const skipped = this.checkNonFinite('fit', nonFinite, (step) => `epoch ${epoch + 1} of ${epochs}, batch ${step - firstStep + 1} of ${batches}`);
      const logs: EpochLogs = { loss: unfinished < trainCount ? sum / (trainCount - unfinished) : Number.NaN };
      if (skipped > 0) logs.skipped_steps = skipped;
      if (validation) logs.val_loss = await this.evaluateSet(validation, batchSize);
      history.epoch.push(epoch);
      history.history.loss.push(logs.loss);
      if (logs.val_loss !== undefined) history.history.val_loss!.push(logs.val_loss);
      if (checkpointEvery && (epoch + 1) % checkpointEvery === 0) await this.checkpoint();
      if ((await options.callbacks?.onEpochEnd?.(epoch, logs)) === false) break;
    }
    return history;
  }

  /**
   * Compiles what training and evaluation run, ahead of the first step, so the first epoch costs what the
   * others do: builds the plans of a one-step batch of `batchSize` rows and runs its forward, loss and
   * backward once on zeros (the update itself is compiled, not run: parameters, optimizer state and the
   * epoch's loss stay as they are). Batch size and sequence length are run-time values of every kernel,
   * so other shapes reuse these pipelines; on CPU drivers batches of up to 4 rows and larger ones use
   * two variants of the recurrent kernels, and warmUp compiles the one of `batchSize` (default 32).
   */
  async warmUp(options: { batchSize?: number } = {}): Promise<void> {
    this.assertLive();
    const { optimizer, loss } = this.requireCompiled('warmUp');
    const batch = options.batchSize ?? 32;
    if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`warmUp: batchSize must be a positive integer, got ${batch}`);
    const scratch = this.ctx.createStorageBuffer(`${this.store.label}.warm_up_loss`, 8);
    const shape = this.ctx.allocating(() => new TrainingShape(this.ctx, this.network, loss, batch, this.network.encoder ? 1 : 0, 1));
    try {
      const [plan] = await Promise.all([shape.gradientPlan(scratch), shape.evaluation(scratch), optimizer.steps()]);
      try {
        plan.run();
        await this.ctx.finish();
      } finally {
        plan.dispose();
      }
    } finally {
      shape.dispose();
      this.ctx.destroyBuffer(scratch);
    }
  }

  /** Mean loss over a dataset (forward only). */
  async evaluate(x: unknown, y: unknown, options: { batchSize?: number } = {}): Promise<number> {
    this.assertLive();
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ShapeError(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
    return this.evaluateSet(this.dataset(x, y, 'evaluate'), batchSize);
  }

  /**
   * One training step on one batch, with no readback: the loss is added to the running sum that
   * readLoss() returns (and resets).
   */
  async trainOnBatch(x: unknown, y: unknown): Promise<void> {
    this.assertLive();
    this.assertNotTraining('trainOnBatch');
    const data = this.dataset(x, y, 'trainOnBatch');
    await this.runTrainingBatch(data, Array.from({ length: data.input.count }, (_, i) => i));
  }

  /** Mean training loss of the steps since the last readLoss() (or fit epoch). One readback. */
  async readLoss(): Promise<number> {
    this.assertLive();
    if (this.trainSamples === 0) throw new WebRnnError('readLoss: no training step since the last read');
    const { sum, unfinished, nonFinite } = await this.readTraining();
    const samples = this.trainSamples;
    this.ctx.write(this.trainLoss, new Float32Array(2));
    this.trainSamples = 0;
    this.checkNonFinite('readLoss', nonFinite, () => 'since the last readLoss');
    return unfinished < samples ? sum / (samples - unfinished) : Number.NaN;
  }

  private async runTrainingBatch(data: Dataset, indices: number[]): Promise<void> {
    const { optimizer } = this.requireCompiled('training');
    const shape = this.trainingShape(indices.length, data);
    const plan = await shape.training(optimizer, this.trainLoss);
    this.upload(shape, data, indices);
    optimizer.prepareStep();
    plan.run();
    this.trainSamples += indices.length;
  }

  private async evaluateSet(data: Dataset, batchSize: number): Promise<number> {
    this.ctx.write(this.evalLoss, new Float32Array(1));
    const count = data.input.count;
    for (let start = 0; start < count; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const shape = this.trainingShape(indices.length, data, 'evaluation');
      const plan = await shape.evaluation(this.evalLoss);
      this.upload(shape, data, indices);
      plan.run();
    }
    return (await this.readAccumulator(this.evalLoss)) / count;
  }

  private upload(shape: TrainingShape, data: Dataset, indices: number[]): void {
    if (data.source) shape.shape.writeInput('encoder', timeMajorBatch(data.source, indices));
    shape.shape.writeInput('decoder', timeMajorBatch(data.input, indices));
    const target = timeMajorBatch(data.target, indices);
    this.ctx.write(shape.target, target);
    if (shape.maskedRows) {
      const mask = this.compiled?.maskToken;
      this.ctx.write(shape.rowWeight, rowWeightsFromMask(Float32Array.from(target, (id) => (id === mask ? 0 : 1))));
    }
  }

  private trainingShape(batch: number, data: Dataset, what = 'training'): TrainingShape {
    const { loss } = this.requireCompiled('training');
    const sourceSteps = data.source?.steps ?? 0;
    const key = `${batch}:${sourceSteps}:${data.input.steps}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      this.network.checkShape(what, batch, sourceSteps, data.input.steps, this.ctx.limits);
      shape = this.ctx.allocating(() => new TrainingShape(this.ctx, this.network, loss, batch, sourceSteps, data.input.steps));
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private async readAccumulator(buffer: GPUBuffer): Promise<number> {
    return new Float32Array(await this.ctx.read(buffer, 4))[0];
  }

  /**
   * One readback: the training loss accumulator (the sum of finite batch losses x samples, and the
   * samples of non-finite ones) with the optimizer's non-finite guard, copied behind it on the GPU.
   */
  private async readTraining(): Promise<{ sum: number; unfinished: number; nonFinite: NonFiniteSteps }> {
    const guard = this.requireCompiled('training').optimizer.nonFiniteBuffer;
    const bytes = await this.ctx.read(this.trainLoss, 16, 0, {
      encode: (encoder) => encoder.copyBufferToBuffer(guard, 0, this.trainLoss, 8, 8),
      dispatchCount: 0,
    });
    const [sum, unfinished] = new Float32Array(bytes, 0, 2);
    const [count, first] = new Uint32Array(bytes, 8, 2);
    return { sum, unfinished, nonFinite: { count, first } };
  }

  /**
   * Acts on what the non-finite guard saw, and clears it. With 'stop', a non-finite step throws
   * NonFiniteError (the step count set back to the last finite step); with 'skip', returns how many
   * steps were skipped.
   */
  private checkNonFinite(what: string, seen: NonFiniteSteps, where: (step: number) => string): number {
    const { optimizer } = this.requireCompiled(what);
    if (seen.count === 0) return 0;
    optimizer.clearNonFinite();
    if (optimizer.nonFinitePolicy === 'skip') return seen.count;
    optimizer.rewindTo(seen.first - 1);
    throw new NonFiniteError(
      `${what}: the gradients of training step ${seen.first} (${where(seen.first)}) hold a NaN or an Infinity; training stopped ` +
        'there, and the weights and optimizer state are those after the last finite step. Lower the learning rate, clip the ' +
        "gradients (compile({ clipNorm })), or compile({ onNonFinite: 'skip' }) to skip such steps and train on.",
    );
  }

  private requireCompiled(what: string) {
    if (!this.compiled) throw new WebRnnError(`${what}: call compile({ loss, optimizer }) first`);
    return this.compiled;
  }

  /** Every weight, in Keras layout, layer by layer (embedding, recurrent layers, head). */
  async getWeights(): Promise<Float32Array[]> {
    this.assertLive();
    const all: Float32Array[] = [];
    for (const { layer } of this.network.weightLayers) all.push(...(await layer.getWeights()));
    return all;
  }

  /** Sets every weight from getWeights() order; shapes are checked before anything is written. */
  setWeights(weights: ArrayLike<number>[]): void {
    this.assertLive();
    const layers = this.network.weightLayers;
    const expected = layers.reduce((n, { layer }) => n + layer.weightShapes.length, 0);
    if (!Array.isArray(weights) || weights.length !== expected) {
      throw new ShapeError(`setWeights: expected ${expected} arrays, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    let k = 0;
    const perLayer = layers.map(({ name, layer }) => {
      const part = weights.slice(k, k + layer.weightShapes.length);
      layer.weightShapes.forEach((shape, i) => {
        const size = shape.reduce((a, b) => a * b, 1);
        if (part[i]?.length !== size) throw new ShapeError(`setWeights: ${name} weight ${i} must have shape [${shape.join(', ')}] (${size} values), got ${part[i]?.length}`);
      });
      k += layer.weightShapes.length;
      return part;
    });
    layers.forEach(({ layer }, i) => layer.setWeights(perLayer[i]));
  }

  /** Names and shapes of getWeights(), in order. */
  get weightSpecs(): { name: string; shape: number[] }[] {
    return this.network.weightLayers.flatMap(({ layer }) => layer.weightShapes.map((shape, i) => ({ name: layer.weightNames[i], shape })));
  }

  /** GPU dispatches and submits of one training step for a batch size (tests, benchmarks). */
  async trainingPlanInfo(x: unknown, y: unknown): Promise<{ dispatches: number }> {
    const data = this.dataset(x, y, 'trainingPlanInfo');
    const plan = await this.trainingShape(data.input.count, data).training(this.requireCompiled('training').optimizer, this.trainLoss);
    return { dispatches: plan.dispatchCount };
  }

  /**
   * Autoregressive decoding on the GPU for every sequence of `prime` at once: one submit, one readback.
   * Returns batch-major outputs ([N, steps, units] numbers, or [N, steps] token ids).
   */
  protected async decode(prime: SequenceSet, options: Omit<DecodeOptions, 'batch' | 'primeSteps'>, signal?: AbortSignal): Promise<Float32Array | Int32Array> {
    this.assertLive();
    signal?.throwIfAborted();
    if (!Number.isInteger(options.outputSteps) || options.outputSteps < 1) {
      throw new ShapeError(`decode: the number of steps must be a positive integer, got ${options.outputSteps}`);
    }
    const full: DecodeOptions = { ...options, batch: prime.count, primeSteps: prime.steps };
    const key = JSON.stringify(full);
    let plan = this.decodePlans.get(key);
    if (!plan) {
      // Loaded on first use: an app that only trains does not download the decoder.
      const { DecodePlan } = await import('./autoregressive.js');
      plan = await DecodePlan.build(this.ctx, this.network, full);
      this.decodePlans.set(key, plan);
    }
    const result = await plan.run(timeMajorBatch(prime, Array.from({ length: prime.count }, (_, i) => i)));
    // A submitted decode cannot be recalled: an abort during it rejects as soon as it returns.
    signal?.throwIfAborted();
    return result;
  }

  /** Dispatches in the decode plan of a call (tests, benchmarks). */
  decodePlanDispatches(): number[] {
    return [...this.decodePlans.values()].map((p) => p.plan.dispatchCount);
  }

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError('the model was disposed');
  }

  /** One training run at a time: a second would interleave its steps and its loss with the first's. */
  private assertNotTraining(what: string): void {
    if (this.training) throw new WebRnnError(`${what}: the model is already training (a fit() has not finished); await it, or abort it with its signal, first`);
  }

  private releaseShapes(): void {
    for (const shape of this.shapes.values()) shape.dispose();
    this.shapes.clear();
  }

  private releaseDecodePlans(): void {
    for (const plan of this.decodePlans.values()) plan.dispose();
    this.decodePlans.clear();
  }

  /** Releases every GPU buffer the model made. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseShapes();
    this.releaseDecodePlans();
    this.compiled?.optimizer.dispose();
    this.store.dispose();
    this.ctx.destroyBuffer(this.trainLoss);
    this.ctx.destroyBuffer(this.evalLoss);
    this.disposed = true;
  }
}

function subset(data: Dataset, from: number, to: number): Dataset {
  return {
    ...(data.source ? { source: sliceSet(data.source, from, to) } : {}),
    input: sliceSet(data.input, from, to),
    target: sliceSet(data.target, from, to),
  };
}

function shuffle(order: number[], random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}
