// What every trainable model shares (Model, Sequential, Seq2Seq, SequenceModel): compile, fit, evaluate,
// trainOnBatch, warmUp, callbacks and history, weights, checkpoints, the non-finite guard, dispose. The
// training loop stays on the host; each step is one submit of a prebuilt plan (made by the model for
// each batch shape), and losses and metrics are read back once per epoch from accumulators on the GPU.

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, NonFiniteError, ShapeError, WebRnnError } from '../gpu/errors.js';
import { KernelRegistry } from '../gpu/kernel-registry.js';
import { ParameterStore } from '../layers/parameters.js';
import { seededRandom } from '../layers/random.js';
import type { WeightLayer } from '../layers/weight-layer.js';
import { createOptimizer, type ClipOptions, type NonFinitePolicy, type NonFiniteSteps, type Optimizer, type OptimizerName } from '../optim/index.js';
import type { Plan } from '../plan/plan.js';
import { batchOf, sliceSet, type SequenceSet } from './data.js';

/** Keras loss names. */
export type LossName = 'mse' | 'mae' | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy';

/** A loss by name, or with Keras' from_logits. */
export type LossOption = LossName | LossAlias | LossWithOptions;

/** Other spellings of the losses: Keras' long names, TensorFlow.js' camelCase ones. */
export type LossAlias =
  | 'mean_squared_error' | 'mean_absolute_error' | 'MSE' | 'MAE' | 'meanSquaredError' | 'meanAbsoluteError'
  | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

/** A loss with Keras' options. */
export interface LossWithOptions {
  /** The loss. */
  name: LossName | LossAlias;
  /** The output holds logits, not probabilities (Keras from_logits). Default false. */
  fromLogits?: boolean;
}

/** What compile() takes: the loss (and metrics), the optimizer and its settings. */
export interface CompileOptions {
  /** 'adam' (default), 'sgd', 'rmsprop', or an optimizer instance. */
  optimizer?: OptimizerName | Optimizer;
  /** One loss for every output, or one per output (a list in output order, or by output layer name). */
  loss: LossOption | LossOption[] | Record<string, LossOption>;
  /** Metrics reported in the logs and history: 'accuracy' (Keras picks binary, categorical or sparse from the loss). */
  metrics?: string[];
  /** Learning rate of a named optimizer (its Keras default otherwise). */
  learningRate?: number;
  /** Clip gradients by global norm (Keras global_clipnorm). */
  clipNorm?: number;
  /** Clip each gradient to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Seq2Seq / SequenceModel cross-entropy: target positions holding this token are padding, left out of the loss. */
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

/** What an epoch reports: its mean loss, the validation loss, the metrics. */
export interface EpochLogs {
  /** Mean training loss of the epoch. */
  loss: number;
  /** Mean loss over the validation samples (with validationSplit). */
  val_loss?: number;
  /** Steps skipped for non-finite gradients (onNonFinite: 'skip'), when there were any. */
  skipped_steps?: number;
  /** Metrics, by name ('accuracy', 'val_accuracy'). */
  [metric: string]: number | undefined;
}

/** Functions fit() calls as training goes. */
export interface FitCallbacks {
  /** After each epoch, with that epoch's losses. Return `false` to stop training. */
  onEpochEnd?(epoch: number, logs: EpochLogs): void | boolean | Promise<void | boolean>;
  /** After each batch is submitted (no loss: reading it would cost a round trip per step). */
  onBatchEnd?(batch: number): void | Promise<void>;
}

/** What fit() takes besides the data. */
export interface FitOptions {
  /** Passes over the training samples. Default 1. */
  epochs?: number;
  /** Samples per training step. Default 32. */
  batchSize?: number;
  /** Shuffle the training samples every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /**
   * 'length': batches of sequences of similar length (the samples sorted by length after the shuffle,
   * cut into batches, the batches shuffled), so sequences of different lengths train with little
   * padding. Without it a batch is padded to its longest sequence.
   */
  bucketBy?: 'length';
  /** Called after each batch and epoch. */
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
  /** Every weight, in getWeights() order. */
  weights: Float32Array[];
  /** Optimizer steps taken when it was made. */
  iterations: number;
}

/** What fit() returns, as Keras' History: each epoch's logs, by name. */
export interface History {
  /** The epochs run (0-based). */
  epoch: number[];
  /** Per name ('loss', 'val_loss', 'accuracy', ...), one value per epoch. */
  history: HistoryLogs;
}

/** The values of History, one per epoch, by name. */
export interface HistoryLogs {
  /** Training loss. */
  loss: number[];
  /** Validation loss (with validationSplit). */
  val_loss?: number[];
  /** Metrics ('accuracy', 'val_accuracy'). */
  [metric: string]: number[] | undefined;
}

/** A weight of a model: its name ('layer/kernel') and Keras shape. */
export interface WeightSpec {
  /** Layer-prefixed Keras name. */
  name: string;
  /** Keras shape. */
  shape: number[];
}

/** Mean loss and metrics over a dataset. */
export interface Evaluation {
  /** Mean loss. */
  loss: number;
  /** Each compiled metric, by name. */
  [metric: string]: number;
}

/** A model's inputs and targets, normalized (every set has the same sample count). */
export interface Dataset {
  inputs: SequenceSet[];
  targets: SequenceSet[];
}

/** The plans of one batch shape, made by the model. */
export interface TrainingPlans {
  /** Forward, losses (and metrics, from slot METRIC_SLOT.train), backward, optimizer. */
  training(optimizer: Optimizer, accumulator: GPUBuffer): Promise<Plan>;
  /** training() without the optimizer. */
  gradientPlan(accumulator: GPUBuffer): Promise<Plan>;
  /** Forward, losses and metrics (from slot METRIC_SLOT.evaluate). */
  evaluation(accumulator: GPUBuffer): Promise<Plan>;
  /** Uploads samples `indices` of a dataset. */
  upload(data: Dataset, indices: readonly number[]): void;
  dispose(): void;
}

/** What a training step runs on the GPU. */
export interface PlanInfo {
  /** Dispatches of one training step. */
  dispatches: number;
}

/** Where the metrics start in the training and evaluation accumulators. */
export const METRIC_SLOT = { train: 4, evaluate: 1 } as const;
/** Metrics a model can report at once. */
const MAX_METRICS = 8;

/** A weight-owning layer of a model, with the name its weights are listed under. */
export interface WeightOwner {
  name: string;
  layer: WeightLayer;
}

/** What every trainable model shares: compile, fit, evaluate, trainOnBatch, weights, checkpoints, dispose. */
export abstract class BaseModel {
  protected readonly ctx: GpuContext;
  protected readonly registry: KernelRegistry;
  protected readonly store: ParameterStore;
  private compiled: { optimizer: Optimizer; metrics: string[] } | null = null;
  private readonly shapes = new Map<string, TrainingPlans>();
  private readonly trainLoss: GPUBuffer;
  private readonly evalLoss: GPUBuffer;
  private trainSamples = 0;
  private disposed = false;
  /** Set while fit() runs. */
  private training: 'fit' | null = null;
  private compileOptions: CompileOptions | null = null;
  private lastCheckpoint: Checkpoint | null = null;

  /**
   * `store`: the parameters of layers this model shares with another (a training model and its inference
   * models); the store lives until the last model using it is disposed.
   */
  protected constructor(ctx: GpuContext, label: string, store?: ParameterStore) {
    this.ctx = ctx;
    this.registry = KernelRegistry.of(ctx);
    this.store = store ?? new ParameterStore(ctx, `${label}.parameters`);
    storeUsers.set(this.store, (storeUsers.get(this.store) ?? 0) + 1);
    // [loss sum, samples of non-finite batches, (copied in for the readback) the optimizer's guard, metrics].
    this.trainLoss = ctx.createStorageBuffer(`${label}.train_loss`, (METRIC_SLOT.train + MAX_METRICS) * 4);
    this.evalLoss = ctx.createStorageBuffer(`${label}.eval_loss`, (METRIC_SLOT.evaluate + MAX_METRICS) * 4);
  }

  /**
   * Checks the loss and metrics against the model and keeps what its plans need; returns the metric
   * names as the logs report them. Called by compile() before anything changes.
   */
  protected abstract configureLoss(options: CompileOptions): string[];

  /** Turns the user's x and y into a Dataset, checking shapes against the model. */
  protected abstract dataset(x: unknown, y: unknown, what: string): Dataset;

  /** A new, uncompiled model of the same configuration on `ctx`. */
  protected abstract rebuild(ctx: GpuContext): BaseModel | Promise<BaseModel>;

  /**
   * Why this model must not be trained, or undefined: fit, trainOnBatch and warmUp then throw a
   * ShapeError with it; evaluate and predict stay allowed. By default what refuseTraining set (fromConfig,
   * for a config with training-only settings webrnn does not apply).
   */
  protected trainingRefusal(): string | undefined {
    return trainingRefusals.get(this);
  }

  /** The plans of a batch of `batch` samples shaped like `data` (checked against the device's limits). */
  protected abstract createPlans(batch: number, data: Dataset, what: string): TrainingPlans;

  /** The layers that own weights, in getWeights() order. */
  protected abstract get weightOwners(): WeightOwner[];

  /** Chooses the loss and the optimizer. Compiling again replaces both (and the optimizer's state). */
  compile(options: CompileOptions): void {
    this.assertLive();
    const onNonFinite = options.onNonFinite ?? 'stop';
    if (onNonFinite !== 'stop' && onNonFinite !== 'skip') throw new ShapeError(`compile: onNonFinite must be 'stop' or 'skip', got '${String(onNonFinite)}'`);
    const metrics = this.configureLoss(options);
    if (metrics.length > MAX_METRICS) throw new ShapeError(`compile: at most ${MAX_METRICS} metrics, got ${metrics.length}`);
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
    this.compiled = { optimizer, metrics };
    this.compileOptions = { ...options };
  }

  /** The compiled optimizer. */
  get optimizer(): Optimizer {
    return this.requireCompiled('optimizer').optimizer;
  }

  /** The options of the last compile(), or null. */
  protected get compiledWith(): CompileOptions | null {
    return this.compileOptions;
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
   * optimizer state and its dropout layers' step counters starting afresh (the noise of the steps after
   * a restore is that of the first steps). This model is left as it is: dispose() it.
   */
  async restore(ctx: GpuContext): Promise<this> {
    const checkpoint = this.lastCheckpoint;
    if (!checkpoint) throw new WebRnnError('restore: no checkpoint to restore from: call checkpoint(), or fit({ checkpointEvery })');
    const model = (await this.rebuild(ctx)) as this;
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

  /**
   * Trains for `epochs` epochs; returns the loss (and validation loss, and metrics) of each epoch. One
   * submit per batch; the last, smaller batch of an epoch gets its own plan, so no sample is dropped.
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
    if (options.bucketBy !== undefined && options.bucketBy !== 'length') throw new ShapeError(`fit: bucketBy must be 'length', got ${JSON.stringify(options.bucketBy)}`);
    const checkpointEvery = options.checkpointEvery ?? 0;
    if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new ShapeError(`fit: checkpointEvery must be a non-negative integer (epochs), got ${checkpointEvery}`);
    const total = sampleCount(data);
    const validationCount = Math.floor(total * split);
    const trainCount = total - validationCount;
    if (trainCount < 1) throw new ShapeError(`fit: validationSplit ${split} leaves no training samples out of ${total}`);
    const train = subset(data, 0, trainCount);
    const validation = validationCount > 0 ? subset(data, trainCount, total) : undefined;
    const random = seededRandom(options.seed ?? 0);
    const { optimizer, metrics } = this.requireCompiled('fit');
    const history: History = { epoch: [], history: { loss: [], ...(validation ? { val_loss: [] } : {}) } };
    for (const m of metrics) {
      history.history[m] = [];
      if (validation) history.history[`val_${m}`] = [];
    }
    const batches = Math.ceil(trainCount / batchSize);

    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = Array.from({ length: trainCount }, (_, i) => i);
      if (options.shuffle ?? true) shuffle(order, random);
      const lengths = options.bucketBy === 'length' ? train.inputs.find((s) => s.lengths)?.lengths : undefined;
      if (lengths) order.sort((a, b) => lengths[a] - lengths[b]); // stable: shuffled within a length
      const epochBatches = Array.from({ length: batches }, (_, b) => order.slice(b * batchSize, (b + 1) * batchSize));
      if (lengths && (options.shuffle ?? true)) shuffle(epochBatches, random);
      this.clearTraining();
      const firstStep = optimizer.iterations + 1;
      for (const [batch, samples] of epochBatches.entries()) {
        options.signal?.throwIfAborted();
        await this.runTrainingBatch(train, samples);
        await options.callbacks?.onBatchEnd?.(batch);
      }
      const { sum, unfinished, nonFinite, metricSums } = await this.readTraining();
      this.trainSamples = 0;
      const skipped = this.checkNonFinite('fit', nonFinite, (step) => `epoch ${epoch + 1} of ${epochs}, batch ${step - firstStep + 1} of ${batches}`);
      const logs: EpochLogs = { loss: unfinished < trainCount ? sum / (trainCount - unfinished) : Number.NaN };
      metrics.forEach((m, i) => (logs[m] = metricSums[i] / trainCount));
      if (skipped > 0) logs.skipped_steps = skipped;
      if (validation) {
        const evaluated = await this.evaluateSet(validation, batchSize);
        logs.val_loss = evaluated.loss;
        metrics.forEach((m, i) => (logs[`val_${m}`] = evaluated.metrics[i]));
      }
      history.epoch.push(epoch);
      for (const [name, value] of Object.entries(logs)) {
        if (name !== 'skipped_steps' && value !== undefined) (history.history[name] ??= []).push(value);
      }
      if (checkpointEvery && (epoch + 1) % checkpointEvery === 0) await this.checkpoint();
      if ((await options.callbacks?.onEpochEnd?.(epoch, logs)) === false) break;
    }
    return history;
  }

  /** A one-step dataset of `batch` zero samples shaped like the model's inputs (what warmUp runs). */
  protected abstract warmUpData(batch: number): Dataset;

  /**
   * Compiles what training and evaluation run, ahead of the first step, so the first epoch costs what the
   * others do: builds the plans of a one-step batch of `batchSize` rows and runs its forward, loss and
   * backward once on zeros (the update itself is compiled, not run: parameters, optimizer state, the
   * dropout layers' step counters and the epoch's loss stay as they are). Batch size and sequence length are run-time values of every kernel,
   * so other shapes reuse these pipelines; on CPU drivers batches of up to 4 rows and larger ones use
   * two variants of the recurrent kernels, and warmUp compiles the one of `batchSize` (default 32).
   */
  async warmUp(options: { batchSize?: number } = {}): Promise<void> {
    this.assertLive();
    const { optimizer } = this.requireCompiled('warmUp');
    const batch = options.batchSize ?? 32;
    if (!Number.isInteger(batch) || batch < 1) throw new ShapeError(`warmUp: batchSize must be a positive integer, got ${batch}`);
    this.assertTrainable('warmUp');
    const scratch = this.ctx.createStorageBuffer(`${this.store.label}.warm_up_loss`, this.trainLoss.size);
    const data = this.warmUpData(batch);
    const shape = this.ctx.allocating(() => this.createPlans(batch, data, 'warmUp'));
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
    return (await this.evaluateWithMetrics(x, y, options)).loss;
  }

  /** Mean loss and the compiled metrics over a dataset, by name (forward only). */
  async evaluateWithMetrics(x: unknown, y: unknown, options: { batchSize?: number } = {}): Promise<Evaluation> {
    this.assertLive();
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ShapeError(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
    const { metrics } = this.requireCompiled('evaluate');
    const result = await this.evaluateSet(this.dataset(x, y, 'evaluate'), batchSize);
    return { loss: result.loss, ...Object.fromEntries(metrics.map((m, i) => [m, result.metrics[i]])) };
  }

  /**
   * One training step on one batch, with no readback: the loss is added to the running sum that
   * readLoss() returns (and resets).
   */
  async trainOnBatch(x: unknown, y: unknown): Promise<void> {
    this.assertLive();
    this.assertNotTraining('trainOnBatch');
    const data = this.dataset(x, y, 'trainOnBatch');
    if (this.trainSamples === 0) this.clearTraining();
    await this.runTrainingBatch(data, Array.from({ length: sampleCount(data) }, (_, i) => i));
  }

  /** Mean training loss of the steps since the last readLoss() (or fit epoch). One readback. */
  async readLoss(): Promise<number> {
    this.assertLive();
    if (this.trainSamples === 0) throw new WebRnnError('readLoss: no training step since the last read');
    const { sum, unfinished, nonFinite } = await this.readTraining();
    const samples = this.trainSamples;
    this.clearTraining();
    this.trainSamples = 0;
    this.checkNonFinite('readLoss', nonFinite, () => 'since the last readLoss');
    return unfinished < samples ? sum / (samples - unfinished) : Number.NaN;
  }

  private clearTraining(): void {
    this.ctx.write(this.trainLoss, new Float32Array(this.trainLoss.size / 4));
  }

  private async runTrainingBatch(all: Dataset, samples: number[]): Promise<void> {
    const { optimizer } = this.requireCompiled('training');
    this.assertTrainable('training');
    const { data, indices } = batchData(all, samples);
    const shape = this.plansFor(indices.length, data, 'training');
    const plan = await shape.training(optimizer, this.trainLoss);
    shape.upload(data, indices);
    optimizer.prepareStep();
    plan.run();
    this.trainSamples += indices.length;
  }

  private async evaluateSet(all: Dataset, batchSize: number): Promise<{ loss: number; metrics: number[] }> {
    this.ctx.write(this.evalLoss, new Float32Array(this.evalLoss.size / 4));
    const count = sampleCount(all);
    for (let start = 0; start < count; start += batchSize) {
      const batch = batchData(all, Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
      const shape = this.plansFor(batch.indices.length, batch.data, 'evaluation');
      const plan = await shape.evaluation(this.evalLoss);
      shape.upload(batch.data, batch.indices);
      plan.run();
    }
    const sums = new Float32Array(await this.ctx.read(this.evalLoss, this.evalLoss.size));
    const metrics = this.requireCompiled('evaluate').metrics.map((_, i) => sums[METRIC_SLOT.evaluate + i] / count);
    return { loss: sums[0] / count, metrics };
  }

  /**
   * The plans of a batch shape, kept for the next batch of that shape. At most MAX_PLAN_SHAPES are kept
   * (the least recently used are released), so batches of many lengths do not hold buffers for each.
   */
  private plansFor(batch: number, data: Dataset, what: string): TrainingPlans {
    this.requireCompiled(what);
    const key = [batch, ...data.inputs.map((s) => s.steps), ...data.targets.map((s) => s.steps)].join(':');
    let shape = this.shapes.get(key);
    if (shape) {
      this.shapes.delete(key);
    } else {
      shape = this.ctx.allocating(() => this.createPlans(batch, data, what));
      while (this.shapes.size >= MAX_PLAN_SHAPES) {
        const [oldest, plans] = this.shapes.entries().next().value!;
        this.shapes.delete(oldest);
        plans.dispose();
      }
    }
    this.shapes.set(key, shape);
    return shape;
  }

  /**
   * One readback: the training loss accumulator (the sum of finite batch losses x samples, and the
   * samples of non-finite ones) with the optimizer's non-finite guard, copied behind it on the GPU, and
   * the metrics' sums.
   */
  private async readTraining(): Promise<{ sum: number; unfinished: number; nonFinite: NonFiniteSteps; metricSums: Float32Array }> {
    const guard = this.requireCompiled('training').optimizer.nonFiniteBuffer;
    const bytes = await this.ctx.read(this.trainLoss, this.trainLoss.size, 0, {
      encode: (encoder) => encoder.copyBufferToBuffer(guard, 0, this.trainLoss, 8, 8),
      dispatchCount: 0,
    });
    const [sum, unfinished] = new Float32Array(bytes, 0, 2);
    const [count, first] = new Uint32Array(bytes, 8, 2);
    return { sum, unfinished, nonFinite: { count, first }, metricSums: new Float32Array(bytes, METRIC_SLOT.train * 4) };
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

  protected requireCompiled(what: string) {
    if (!this.compiled) throw new WebRnnError(`${what}: call compile({ loss, optimizer }) first`);
    return this.compiled;
  }

  /** Every weight, in Keras layout, layer by layer (Keras' get_weights() order). */
  async getWeights(): Promise<Float32Array[]> {
    this.assertLive();
    const all: Float32Array[] = [];
    for (const { layer } of this.weightOwners) all.push(...(await layer.getWeights()));
    return all;
  }

  /** Sets every weight from getWeights() order; shapes are checked before anything is written. */
  setWeights(weights: ArrayLike<number>[]): void {
    this.assertLive();
    const layers = this.weightOwners;
    const expected = layers.reduce((n, { layer }) => n + layer.weightShapes.length, 0);
    if (!Array.isArray(weights) || weights.length !== expected) {
      throw new ShapeError(`setWeights: expected ${expected} arrays (${this.weightSpecs.map((w) => w.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
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
  get weightSpecs(): WeightSpec[] {
    return this.weightOwners.flatMap(({ layer }) => layer.weightShapes.map((shape, i) => ({ name: layer.weightNames[i], shape })));
  }

  /** GPU dispatches of one training step for a batch (tests, benchmarks). */
  async trainingPlanInfo(x: unknown, y: unknown): Promise<PlanInfo> {
    const data = this.dataset(x, y, 'trainingPlanInfo');
    this.assertTrainable('training');
    const plan = await this.plansFor(sampleCount(data), data, 'training').training(this.requireCompiled('training').optimizer, this.trainLoss);
    return { dispatches: plan.dispatchCount };
  }

  protected assertLive(): void {
    if (this.disposed) throw new DisposedError('the model was disposed');
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws the trainingRefusal, if any, as a ShapeError of `what`. */
  private assertTrainable(what: string): void {
    const refusal = this.trainingRefusal();
    if (refusal) throw new ShapeError(`${what}: ${refusal}`);
  }

  /** One training run at a time: a second would interleave its steps and its loss with the first's. */
  private assertNotTraining(what: string): void {
    if (this.training) throw new WebRnnError(`${what}: the model is already training (a fit() has not finished); await it, or abort it with its signal, first`);
  }

  /** Releases every plan of every batch shape (a new compile, or dispose). */
  protected releaseShapes(): void {
    for (const shape of this.shapes.values()) shape.dispose();
    this.shapes.clear();
  }

  /** Releases what a subclass holds beyond the base (decode plans, ...). */
  protected releaseExtras(): void {}

  /** Releases every GPU buffer the model made. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseShapes();
    this.releaseExtras();
    this.compiled?.optimizer.dispose();
    const users = (storeUsers.get(this.store) ?? 1) - 1;
    storeUsers.set(this.store, users);
    if (users === 0) this.store.dispose();
    this.ctx.destroyBuffer(this.trainLoss);
    this.ctx.destroyBuffer(this.evalLoss);
    this.disposed = true;
  }
}

/** Models using each parameter store (models that share layers share their store). */
const storeUsers = new WeakMap<ParameterStore, number>();

/** What refuseTraining set, by model. */
const trainingRefusals = new WeakMap<BaseModel, string>();

/**
 * Refuses training `model` (its trainingRefusal) with `reason`, or allows it again when undefined. For
 * webrnn's own use (fromConfig); the package does not export it.
 */
export function refuseTraining(model: BaseModel, reason: string | undefined): void {
  if (reason === undefined) trainingRefusals.delete(model);
  else trainingRefusals.set(model, reason);
}

/** Samples in a dataset. */
export function sampleCount(data: Dataset): number {
  return data.inputs[0].count;
}

/**
 * Samples `indices` of a dataset as one batch: as they are, or where sequences have different lengths,
 * copied out and cut to the longest among them (so a batch of short sequences runs short).
 */
function batchData(data: Dataset, indices: readonly number[]): { data: Dataset; indices: readonly number[] } {
  const sets = [...data.inputs, ...data.targets];
  if (!sets.some((s) => s.lengths)) return { data, indices };
  const batch = batchOf(sets, indices);
  return { data: { inputs: batch.slice(0, data.inputs.length), targets: batch.slice(data.inputs.length) }, indices: indices.map((_, i) => i) };
}

/** Batch shapes whose plans a model keeps at once (see plansFor). */
const MAX_PLAN_SHAPES = 8;

function subset(data: Dataset, from: number, to: number): Dataset {
  return { inputs: data.inputs.map((s) => sliceSet(s, from, to)), targets: data.targets.map((s) => sliceSet(s, from, to)) };
}

function shuffle<T>(order: T[], random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}
