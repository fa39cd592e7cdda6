// A model over a graph of Keras-style layers (src/models/graph.ts): builds every layer into one parameter
// store (or the store of another model it shares layers with), resolves the losses and metrics, makes the
// plans of each batch shape (src/plan), checks shapes against the device's limits before allocating, and
// prints Keras' summary(). Model (model.ts) adds Keras' array data and predict; Seq2Seq and
// SequenceModel (recurrent-model.ts) their own data and GPU decoding.

import type { GpuContext } from '../gpu/context.js';
import { LimitError, ShapeError } from '../gpu/errors.js';
import type { AccuracyKind } from '../kernels/loss.js';
import { InputLayer } from '../layers/keras/input.js';
import { formatShape, SymbolicTensor, type Layer, type Node } from '../layers/keras/layer.js';
import { expectPositiveInteger } from '../layers/validate.js';
import type { ParameterStore } from '../layers/parameters.js';
import { GraphTraining, sparseTarget, type LossSpec, type MetricSpec } from '../plan/graph-training.js';
import { BaseModel, METRIC_SLOT, type CompileOptions, type Dataset, type LossName, type LossOption, type TrainingPlans, type WeightOwner } from './base-model.js';
import { timeMajorBatch, type SequenceSet } from './data.js';
import type { SamplingOptions } from '../kernels/sampling-options.js';
import type { DecodeChain, DecodeOptions, DecodeResult } from '../plan/decode-plan.js';
import { Graph } from './graph.js';

/** A functional model: its input tensors (from input()) and the output tensors they lead to. */
export interface ModelConfig {
  /** The model's inputs, in the order x lists them. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs, in the order predict returns them. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Default 'model'. */
  name?: string;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

/** The largest buffer of a batch shape. */
export interface LargestBuffer {
  /** Its label ('layer.buffer'). */
  label: string;
  /** Its size. */
  bytes: number;
}

/** Keras' long names and TensorFlow.js' camelCase names of the losses. */
const LOSS_ALIASES: Record<string, LossName> = {
  mean_squared_error: 'mse', mean_absolute_error: 'mae', MSE: 'mse', MAE: 'mae', meanSquaredError: 'mse', meanAbsoluteError: 'mae',
  binaryCrossentropy: 'binary_crossentropy', categoricalCrossentropy: 'categorical_crossentropy', sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
};
const LOSSES: readonly LossName[] = ['mse', 'mae', 'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy'];
const ACCURACY_BY_LOSS: Partial<Record<LossName, AccuracyKind>> = {
  binary_crossentropy: 'binary', categorical_crossentropy: 'categorical', sparse_categorical_crossentropy: 'sparse',
};
const ACCURACY_BY_NAME: Record<string, AccuracyKind> = {
  binary_accuracy: 'binary', categorical_accuracy: 'categorical', sparse_categorical_accuracy: 'sparse',
};

/** Deferred construction (Sequential builds its graph when first used). */
export const DEFERRED = Symbol('deferred graph');

/** A plan a model keeps for its decoding calls (greedy, sampled, beam search). */
interface DecodingPlan {
  readonly plan: { readonly dispatchCount: number };
  dispose(): void;
}

/** Every sample of a set, in order. */
export const allRows = (set: SequenceSet) => Array.from({ length: set.count }, (_, i) => i);

/**
 * A model over a graph of layers: training, evaluation, limits and summary. Model adds predict(); Seq2Seq
 * and SequenceModel, which predict by decoding, build on this directly.
 */
export abstract class GraphModel extends BaseModel {
  /** The model's name (Keras' model.name). */
  readonly name: string;
  protected readonly seed: number;
  private graphBuilt: Graph | null = null;
  private losses: LossSpec[] | null = null;
  private metricSpecs: MetricSpec[] = [];
  private readonly decodePlans = new Map<string, DecodingPlan>();

  constructor(gpu: GpuContext, config: ModelConfig | { [DEFERRED]: { name: string; seed?: number; layers: readonly Layer[] } }) {
    const deferred = DEFERRED in config ? config[DEFERRED] : undefined;
    const name = deferred ? deferred.name : (config as ModelConfig).name ?? 'model';
    const layers = deferred ? deferred.layers : reachableLayers(config as ModelConfig);
    super(gpu, name, sharedStore(gpu, layers, name));
    this.name = name;
    this.seed = (deferred ? deferred.seed : (config as ModelConfig).seed) ?? 0;
    if (!deferred) {
      const { inputs, outputs } = config as ModelConfig;
      try {
        this.setGraph(new Graph(asList(inputs), asList(outputs), `Model '${name}'`));
      } catch (error) {
        this.dispose();
        throw error;
      }
    }
  }

  /** The graph, built on first use by a Sequential. */
  get graph(): Graph {
    return this.graphBuilt ?? this.setGraph(this.deferredGraph());
  }

  /** A Sequential's graph from its layers (a Model has it from the start). */
  protected deferredGraph(): Graph {
    throw new ShapeError(`Model '${this.name}' has no graph`);
  }

  /** Whether the graph (and so every weight) exists. */
  protected get hasGraph(): boolean {
    return this.graphBuilt !== null;
  }

  /**
   * Autoregressive decoding with `chain`'s layers on the GPU for every sequence of `prime` at once:
   * one submit, one readback.
   * Returns batch-major outputs ([N, steps, units] numbers, or [N, steps] token ids).
   */
  protected async decode(
    chain: DecodeChain, prime: SequenceSet, options: Omit<DecodeOptions, 'batch' | 'primeSteps'>, signal?: AbortSignal, sampling?: SamplingOptions,
  ): Promise<DecodeResult> {
    this.assertLive();
    signal?.throwIfAborted();
    if (!Number.isInteger(options.outputSteps) || options.outputSteps < 1) {
      throw new ShapeError(`decode: the number of steps must be a positive integer, got ${options.outputSteps}`);
    }
    // Loaded on first use: an app that only trains does not download the decoder.
    const { DecodePlan, samplingWords } = await import('../plan/decode-plan.js');
    const words = sampling && samplingWords('generate sampling', sampling);
    const full: DecodeOptions = { ...options, batch: prime.count, primeSteps: prime.steps, sampling: sampling !== undefined };
    return this.runCached(JSON.stringify(full), () => DecodePlan.build(this.ctx, chain, full), (plan) => plan.run(timeMajorBatch(prime, allRows(prime)), words), signal);
  }

  /**
   * Runs the cached decoding plan of `key` (built on first use; released with the model). A submitted
   * plan cannot be recalled, so an abort during it rejects as soon as it returns.
   */
  protected async runCached<P extends DecodingPlan, R>(key: string, build: () => Promise<P>, run: (plan: P) => Promise<R>, signal?: AbortSignal): Promise<R> {
    let plan = this.decodePlans.get(key) as P | undefined;
    if (!plan) {
      plan = await build();
      this.decodePlans.set(key, plan);
    }
    const result = await run(plan);
    signal?.throwIfAborted();
    return result;
  }

  /** Dispatches in the decode plan of each call made so far (tests, benchmarks). */
  decodePlanDispatches(): number[] {
    return [...this.decodePlans.values()].map((p) => p.plan.dispatchCount);
  }

  protected override releaseExtras(): void {
    // Also runs when the graph fails to build, inside the base constructor, before this class's fields exist.
    for (const plan of this.decodePlans?.values() ?? []) plan.dispose();
    this.decodePlans?.clear();
  }

  /** Builds every layer of the graph into the store (layers already built keep their weights). */
  private setGraph(graph: Graph): Graph {
    const fresh: Layer[] = [];
    graph.layers.forEach((layer, i) => {
      if (layer instanceof InputLayer) return;
      const node = layer.nodes.find((n) => graph.nodes.includes(n))!;
      const wasBuilt = layer.built;
      layer.build({ ctx: this.ctx, store: this.store, registry: this.registry, seed: layer.seed ?? this.seed + 10 * (i + 1) }, node.inbound.map((t) => t.shape));
      if (!wasBuilt && layer.weightLayer) fresh.push(layer);
    });
    if (fresh.length > 0) {
      if (this.store.allocated) {
        throw new ShapeError(`Model '${this.name}': layer '${fresh[0].name}' is new, but the others share their weights with another model; ` +
          'build the model that owns every weighted layer first');
      }
      for (const layer of fresh) layer.weightLayer!.declare();
      this.store.allocate();
      for (const layer of fresh) layer.weightLayer!.initialize();
    } else if (!this.store.allocated) {
      this.store.allocate();
    }
    this.graphBuilt = graph;
    return graph;
  }

  /** The input tensors. */
  get inputs(): readonly SymbolicTensor[] {
    return this.graph.inputs;
  }

  /** The output tensors. */
  get outputs(): readonly SymbolicTensor[] {
    return this.graph.outputs;
  }

  /** Every layer (input layers included for a functional model), in Keras' order. */
  get layers(): readonly Layer[] {
    return this.graph.layers;
  }

  /** The layer of that name. */
  getLayer(name: string): Layer {
    const layer = this.graph.layers.find((l) => l.name === name);
    if (!layer) throw new ShapeError(`Model '${this.name}' has no layer '${name}' (it has ${this.graph.layers.map((l) => `'${l.name}'`).join(', ')})`);
    return layer;
  }

  protected get weightOwners(): WeightOwner[] {
    return this.graph.layers.flatMap((layer) => (layer.weightLayer ? [{ name: layer.name, layer: layer.weightLayer }] : []));
  }

  /** Parameters in Keras' count. */
  countParams(): number {
    return this.graph.layers.reduce((n, l) => n + l.parameterCount, 0);
  }

  protected configureLoss(options: CompileOptions): string[] {
    const outputs = this.graph.outputs;
    const given = options.loss;
    const perOutput: LossOption[] = outputs.map((t, i) => {
      if (Array.isArray(given)) {
        if (given.length !== outputs.length) throw new ShapeError(`compile: ${given.length} losses for ${outputs.length} outputs`);
        return given[i];
      }
      if (typeof given === 'object' && given !== null && !('name' in given)) {
        const byName = (given as Record<string, LossOption>)[t.layer.name];
        if (byName === undefined) throw new ShapeError(`compile: no loss for output '${t.layer.name}' (losses given for ${Object.keys(given).join(', ')})`);
        return byName;
      }
      return given as LossOption;
    });
    const losses = perOutput.map((option, i) => resolveLoss(option, outputs[i], options.maskToken));
    const metricSpecs: MetricSpec[] = [];
    for (const metric of options.metrics ?? []) {
      outputs.forEach((tensor, i) => {
        const kind = metric === 'accuracy' || metric === 'acc' ? ACCURACY_BY_LOSS[losses[i].name] : ACCURACY_BY_NAME[metric];
        if (metric !== 'accuracy' && metric !== 'acc' && !ACCURACY_BY_NAME[metric]) {
          throw new ShapeError(`compile: unknown metric '${metric}' (webrnn reports 'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy')`);
        }
        if (!kind) throw new ShapeError(`compile: metric '${metric}' on output '${tensor.layer.name}' needs a classification loss, not '${losses[i].name}'`);
        const name = metric === 'acc' ? 'accuracy' : metric;
        metricSpecs.push({ output: i, kind, name: outputs.length > 1 ? `${tensor.layer.name}_${name}` : name });
      });
    }
    this.losses = losses;
    this.metricSpecs = metricSpecs;
    return metricSpecs.map((m) => m.name);
  }

  /** The concrete per-sample shape of every output for these inputs. */
  protected outputShapes(inputs: readonly SequenceSet[]): number[][] {
    const concrete = this.concreteShapes(this.inputShapes(inputs));
    return this.graph.outputs.map((t) => [...concrete.get(t)!]);
  }

  /** Every tensor's per-sample shape for these input shapes. */
  private concreteShapes(inputShapes: readonly (readonly number[])[], visit?: (node: Node, inbound: readonly (readonly number[])[]) => void): Map<SymbolicTensor, readonly number[]> {
    const concrete = new Map<SymbolicTensor, readonly number[]>();
    this.graph.inputs.forEach((t, i) => concrete.set(t, inputShapes[i]));
    for (const node of this.graph.nodes) {
      if (node.layer instanceof InputLayer) continue;
      const inbound = node.inbound.map((t) => concrete.get(t)!);
      visit?.(node, inbound);
      const shapes = node.layer.outputShapes(node.inputs.map((t) => concrete.get(t)!), node.initialState.map((t) => concrete.get(t)!));
      node.outputs.forEach((t, i) => concrete.set(t, shapes[i] as number[]));
    }
    return concrete;
  }

  /**
   * The largest buffer a batch at these input shapes makes, found without making any (every buffer
   * grows with the batch).
   */
  largestBuffer(batch: number, inputShapes: readonly (readonly number[])[]): LargestBuffer {
    const found = { label: '', bytes: 0 };
    const consider = (label: string, bytes: number) => {
      if (bytes > found.bytes) Object.assign(found, { label, bytes });
    };
    this.graph.inputs.forEach((t, i) => consider(`${t.layer.name}.value`, batch * inputShapes[i].reduce((a, b) => a * b, 1) * 4));
    this.concreteShapes(inputShapes, (node, inbound) => {
      for (const [name, bytes] of Object.entries(node.layer.bufferBytes(batch, inbound))) consider(`${node.layer.name}.${name}`, bytes);
    });
    return found;
  }

  /** The largest batch whose buffers at these input shapes fit the limits (0 when not even one sample does). */
  maxBatch(inputShapes: readonly (readonly number[])[], limits: BufferLimits): number {
    const limit = bufferLimit(limits).bytes;
    const fits = (batch: number) => this.largestBuffer(batch, inputShapes).bytes <= limit;
    if (!fits(1)) return 0;
    let [good, bad] = [1, 2];
    while (fits(bad)) [good, bad] = [bad, bad * 2];
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (fits(mid)) good = mid;
      else bad = mid;
    }
    return good;
  }

  /**
   * The largest batch whose training buffers fit this device's buffer limits (maxStorageBufferBindingSize,
   * maxBufferSize) when every input of unknown length has `steps` steps, or other `limits`; 0 if none.
   */
  largestBatch(steps: number, limits: BufferLimits = this.ctx.limits): number {
    expectPositiveInteger('largestBatch steps', steps);
    return this.maxBatch(this.graph.inputs.map((t) => (t.layer as InputLayer).shape.map((d) => d ?? steps)), limits);
  }

  /** How the lengths of a batch read in a limit error. */
  protected describeLengths(inputShapes: readonly (readonly number[])[]): string {
    const sequences = this.graph.inputs.map((t, i) => ({ name: t.layer.name, steps: inputShapes[i][0], sequence: (t.layer as InputLayer).sequence }))
      .filter((s) => s.sequence);
    if (sequences.length === 0) return 'its input shapes';
    if (sequences.length === 1) return `${sequences[0].steps} steps`;
    return sequences.map((s) => `${s.steps} steps of '${s.name}'`).join(' and ');
  }

  /**
   * Throws a LimitError, before anything is allocated, when a shape's largest buffer is over what the
   * device can bind: which buffer, which limit, by how much, and the largest batch that fits.
   */
  protected checkShape(what: string, batch: number, inputShapes: readonly (readonly number[])[]): void {
    const largest = this.largestBuffer(batch, inputShapes);
    const limit = bufferLimit(this.ctx.limits);
    if (largest.bytes <= limit.bytes) return;
    const most = this.maxBatch(inputShapes, this.ctx.limits);
    throw new LimitError(
      `${what}: a batch of ${batch} at ${this.describeLengths(inputShapes)} needs buffer '${largest.label}' of ${mebibytes(largest.bytes)}, ` +
        `${(largest.bytes / limit.bytes).toFixed(2)}x this device's ${limit.name} of ${mebibytes(limit.bytes)}; ` +
        (most > 0 ? `at these lengths at most batch ${most} fits` : 'not even one sample of these lengths fits: use shorter sequences'),
    );
  }

  protected requireLosses(what: string): LossSpec[] {
    this.requireCompiled(what);
    return this.losses!;
  }

  protected createPlans(batch: number, data: Dataset, what: string): TrainingPlans {
    this.checkShape(what, batch, this.inputShapes(data.inputs));
    const training = new GraphTraining(this.ctx, this.registry, this.graph, batch, this.inputShapes(data.inputs), this.losses, this.metricSpecs, this.name);
    const unmasked = data.targets.findIndex((s, i) => s.lengths && !training.run.valueOf(this.graph.outputs[i]).mask);
    if (unmasked >= 0) {
      training.dispose();
      throw new ShapeError(`${what}: the targets of output '${this.graph.outputs[unmasked].layer.name}' have different lengths, but the output has no mask of its steps ` +
        'to leave the padding out of the loss: its steps must come from an Embedding with maskZero or a Masking layer');
    }
    const store = this.store;
    return {
      training: (optimizer, accumulator) => training.training(optimizer, store.gradientBuffer, accumulator, METRIC_SLOT.train),
      gradientPlan: (accumulator) => training.gradientPlan(store.gradientBuffer, accumulator, METRIC_SLOT.train),
      evaluation: (accumulator) => training.evaluation(accumulator, METRIC_SLOT.evaluate),
      upload: (set, indices) => training.upload(set.inputs.map((s) => timeMajorBatch(s, indices)), set.targets.map((s) => timeMajorBatch(s, indices))),
      dispose: () => training.dispose(),
    };
  }

  protected inputShapes(inputs: readonly SequenceSet[]): number[][] {
    return this.graph.inputs.map((t, i) => concreteShape((t.layer as InputLayer).shape, inputs[i]));
  }

  protected warmUpData(batch: number): Dataset {
    const zeros = (perSample: readonly (number | null)[], tokens: boolean, sequence: boolean): SequenceSet => {
      const shape = perSample.map((d) => d ?? 1);
      const size = shape.reduce((a, b) => a * b, 1);
      const steps = sequence ? shape[0] : 1;
      return { data: tokens ? new Int32Array(batch * size) : new Float32Array(batch * size), count: batch, steps, features: size / steps, tokens };
    };
    const inputs = this.graph.inputs.map((t) => {
      const layer = t.layer as InputLayer;
      return zeros(layer.shape, layer.outputKind() === 'int32', layer.sequence);
    });
    const shapes = this.outputShapes(inputs);
    const targets = shapes.map((shape, i) => {
      const sparse = sparseTarget(this.losses![i]);
      return zeros(sparse ? [...shape.slice(0, -1), 1] : shape, sparse, shape.length > 1);
    });
    return { inputs, targets };
  }

  /**
   * Zeroes the states its stateful recurrent layers carry from batch to batch (Keras' reset_states), as
   * before their first batch; a model without stateful layers is unchanged.
   */
  resetStates(): void {
    this.assertLive();
    for (const layer of this.graph.layers) layer.resetStates();
  }

  /** Keras' summary(): every layer with its output shape and parameter count, and the totals. */
  summary(print: (line: string) => void = console.log): string {
    const functional = !this.isSequential;
    const rows = this.graph.layers.filter((l) => functional || !(l instanceof InputLayer)).map((layer) => {
      const nodes = layer.nodes.filter((n) => this.graph.nodes.includes(n));
      const shapes = nodes.flatMap((n) => n.outputs.map((t) => formatShape(t.shape)));
      const connected = nodes.flatMap((n) => n.inbound.map((t) => `${t.layer.name}[${this.nodeIndex(t.node)}][${t.index}]`));
      return [`${layer.name} (${layer.className})`, shapes.length === 1 ? shapes[0] : `[${shapes.join(', ')}]`, layer.parameterCount.toLocaleString('en-US'), `[${connected.map((c) => `'${c}'`).join(', ')}]`];
    });
    const header = ['Layer (type)', 'Output Shape', 'Param #', ...(functional ? ['Connected to'] : [])];
    const widths = [Math.max(28, ...rows.map((r) => r[0].length + 2)), Math.max(26, ...rows.map((r) => r[1].length + 2)), 11, 30];
    const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join('').trimEnd();
    const width = widths.slice(0, header.length).reduce((a, b) => a + b, 0);
    const total = this.countParams();
    const out = [
      `Model: "${this.name}"`, '_'.repeat(width), line(header), '='.repeat(width),
      ...rows.map((r) => line(functional ? r : r.slice(0, 3))),
      '='.repeat(width),
      `Total params: ${total.toLocaleString('en-US')}`, `Trainable params: ${total.toLocaleString('en-US')}`, 'Non-trainable params: 0', '_'.repeat(width),
    ].join('\n');
    print(out);
    return out;
  }

  /** A Sequential lists no input layer and no connections. */
  protected get isSequential(): boolean {
    return false;
  }

  /** Which call of its layer a node is, counting only this model's calls (Keras' node index in a config). */
  nodeIndex(node: SymbolicTensor['node']): number {
    return node.layer.nodes.filter((n) => this.graph.nodes.includes(n)).indexOf(node);
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

function asList(t: SymbolicTensor | SymbolicTensor[]): SymbolicTensor[] {
  return Array.isArray(t) ? t : [t];
}

/** Every layer the outputs depend on. */
function reachableLayers(config: ModelConfig): Layer[] {
  const seen = new Set<Layer>();
  const walk = (t: SymbolicTensor) => {
    if (!(t instanceof SymbolicTensor) || seen.has(t.layer)) return;
    seen.add(t.layer);
    for (const u of t.node.inbound) walk(u);
  };
  for (const t of asList(config.outputs)) walk(t);
  return [...seen];
}

/** The store of layers already built in another model (all must share one), or none. */
function sharedStore(ctx: GpuContext, layers: readonly Layer[], name: string): ParameterStore | undefined {
  const stores = new Set(layers.map((l) => l.parameterStore).filter((s): s is ParameterStore => s !== undefined));
  if (stores.size > 1) throw new ShapeError(`Model '${name}': its layers hold weights of ${stores.size} different models; a model's layers share one`);
  const [store] = stores;
  if (store && store.context !== ctx) throw new ShapeError(`Model '${name}': its layers were built on another device`);
  return store;
}

/** The per-sample shape of an input for its data: the time axis from the data's steps. */
function concreteShape(shape: readonly (number | null)[], set: SequenceSet): number[] {
  return shape.map((d, i) => (d === null ? (i === 0 ? set.steps : 1) : d));
}

function resolveLoss(option: LossOption, tensor: SymbolicTensor, maskToken?: number): LossSpec {
  const raw = typeof option === 'string' ? option : option?.name;
  const name = (LOSS_ALIASES[raw as string] ?? raw) as LossName;
  if (!LOSSES.includes(name)) {
    throw new ShapeError(`compile: unknown loss '${String(raw)}' for output '${tensor.layer.name}' (webrnn has ${LOSSES.join(', ')})`);
  }
  const fromLogits = typeof option === 'object' ? option.fromLogits ?? false : false;
  const classes = tensor.shape[tensor.shape.length - 1];
  if ((name === 'categorical_crossentropy' || name === 'sparse_categorical_crossentropy') && classes === 1) {
    throw new ShapeError(`compile: '${name}' on output '${tensor.layer.name}', which has 1 value per row; use binary_crossentropy`);
  }
  if (maskToken !== undefined && (name !== 'sparse_categorical_crossentropy' || !Number.isInteger(maskToken))) {
    throw new ShapeError(`compile: maskToken (${maskToken}) needs an integer and a sparse_categorical_crossentropy loss, got '${name}' on output '${tensor.layer.name}'`);
  }
  return { name, fromLogits, ...(maskToken !== undefined ? { maskToken } : {}) };
}

