// The plans of a model graph at one batch shape: training (forward in order, the losses, backward in
// reverse, clipping and the optimizer: one submit), evaluation (forward, losses and metrics), and
// prediction (forward, every output gathered into one buffer: one submit, one readback).
//
// Each output with a loss has its target buffer and row weights (1 / rows: the mean over every axis but
// the last, Keras' sum_over_batch_size); the losses add batch x their batch mean to slot 0 of an
// accumulator, the metrics to slots of their own, read once per epoch. A cross-entropy on a softmax
// output (a binary one on a sigmoid output) reads the producer's logits and writes their gradient: the
// softmax (sigmoid) backward is not run, as Keras' from_logits path but fused.
//
// An output sequence with Keras' mask of its steps (from an Embedding with maskZero or a Masking layer)
// weighs only its real steps: its row weights are mask / sum(mask), made on the GPU before the loss
// (Keras 3: the mean over the unmasked steps), times the target's maskToken mask when it has one.

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, Step } from '../gpu/kernel-registry.js';
import { accuracyStep, pointwiseLossStep, rowLossStep, rowWeightsFromMask, sumPartialsStep, type AccuracyKind } from '../kernels/loss.js';
import type { ForwardPass, Range, SymbolicTensor, Value } from '../layers/keras/layer.js';
import type { Graph } from '../models/graph.js';
import type { Optimizer } from '../optim/optimizer.js';
import { argmaxStep } from '../kernels/decode.js';
import { maskingKernels } from '../kernels/lazy.js';
import { GraphRun, type LossWrite } from './graph-run.js';
import { clearStep, copyStep, Plan } from './plan.js';

export type LossName = 'mse' | 'mae' | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy';

/** A loss with its options. */
export interface LossSpec {
  readonly name: LossName;
  /** The output holds logits, not probabilities (Keras from_logits). */
  readonly fromLogits: boolean;
  /** Sparse targets: positions holding this id weigh nothing (padding). */
  readonly maskToken?: number;
}

/** Keras' metric names this scheduler computes on the GPU. */
export type MetricName = 'accuracy' | 'binary_accuracy' | 'categorical_accuracy' | 'sparse_categorical_accuracy';

/** A metric of one output. */
export interface MetricSpec {
  readonly output: number;
  readonly kind: AccuracyKind;
  /** Name in the logs ('accuracy', or 'dense_1_accuracy' with several outputs). */
  readonly name: string;
}

/** The targets of a loss: floats [rows, cols] like the output, or class ids [rows] (sparse). */
export function sparseTarget(loss: LossSpec): boolean {
  return loss.name === 'sparse_categorical_crossentropy';
}

interface PredictPlan {
  plan: Plan;
  gathered: GPUBuffer;
  offsets: number[];
  /** Per output: whether it was reduced to class ids. */
  argmax: boolean[];
  owned: GPUBuffer[];
}

interface OutputLoss {
  readonly tensor: SymbolicTensor;
  readonly loss: LossSpec;
  readonly target: GPUBuffer;
  readonly rowWeight: GPUBuffer;
  readonly partial: GPUBuffer;
  /** The output's mask of steps, which its row weights are made from. */
  readonly mask?: Range;
  /** With a mask and a maskToken: the target's 0/1 mask, which the row weights are multiplied by. */
  readonly maskBase?: GPUBuffer;
}

export class GraphTraining {
  readonly run: GraphRun;
  private readonly outputLosses: OutputLoss[] = [];
  private readonly metricPartials: GPUBuffer[] = [];
  private trainPlan?: Plan;
  private evalPlan?: Plan;
  private readonly predictPlans: (PredictPlan | undefined)[] = [];

  constructor(
    private readonly ctx: GpuContext,
    private readonly registry: KernelRegistry,
    readonly graph: Graph,
    batch: number,
    inputShapes: readonly (readonly number[])[],
    /** Per output: its loss (absent: prediction only). */
    readonly losses: readonly LossSpec[] | null,
    readonly metrics: readonly MetricSpec[],
    private readonly label: string,
  ) {
    this.run = new GraphRun(ctx, registry, graph, batch, inputShapes, label);
    try {
      if (losses) {
        graph.outputs.forEach((tensor, i) => {
          const value = this.run.valueOf(tensor);
          const loss = losses[i];
          const cols = value.shape[value.shape.length - 1];
          const elements = value.rows * (sparseTarget(loss) ? 1 : cols);
          const mask = value.shape.length >= 2 ? value.mask : undefined;
          this.outputLosses.push({
            tensor, loss, mask,
            ...(mask && loss.maskToken !== undefined ? { maskBase: ctx.createStorageBuffer(`${label}.${tensor.layer.name}.target_mask`, value.rows * 4) } : {}),
            target: ctx.createStorageBuffer(`${label}.${tensor.layer.name}.target`, elements * 4),
            rowWeight: ctx.createStorageBuffer(`${label}.${tensor.layer.name}.row_weight`, value.rows * 4, new Float32Array(value.rows).fill(1 / value.rows)),
            partial: ctx.createStorageBuffer(`${label}.${tensor.layer.name}.partial`, value.rows * (loss.name === 'mse' || loss.name === 'mae' || loss.name === 'binary_crossentropy' ? cols : 1) * 4),
          });
        });
        for (const metric of metrics) {
          this.metricPartials.push(ctx.createStorageBuffer(`${label}.${metric.name}.partial`, this.run.valueOf(graph.outputs[metric.output]).rows * 4));
        }
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  get batch(): number {
    return this.run.batch;
  }

  /** Uploads one batch: inputs and targets, time-major. */
  upload(inputs: readonly (Float32Array | Int32Array)[], targets: readonly (Float32Array | Int32Array)[]): void {
    this.run.upload(inputs);
    targets.forEach((data, i) => {
      const out = this.outputLosses[i];
      this.ctx.write(out.target, data);
      const token = out.loss.maskToken;
      if (token === undefined) return;
      const targetMask = Float32Array.from(data, (id) => (id === token ? 0 : 1));
      if (out.maskBase) this.ctx.write(out.maskBase, targetMask);
      else if (!out.mask) this.ctx.write(out.rowWeight, rowWeightsFromMask(targetMask));
    });
  }

  /** Whether output i's loss reads its producer's logits (fused softmax / sigmoid). */
  private usesLogits(i: number): boolean {
    const { tensor, loss } = this.outputLosses[i];
    if (loss.fromLogits || loss.name === 'mse' || loss.name === 'mae' || this.run.isRead(tensor)) return false;
    const logits = this.run.logitsOf(tensor);
    return logits !== undefined && (logits.activation === 'sigmoid') === (loss.name === 'binary_crossentropy');
  }

  private async lossSteps(accumulator: GPUBuffer, withGradient: boolean): Promise<Step[]> {
    const steps: Step[] = [];
    for (const [i, out] of this.outputLosses.entries()) {
      const value: Value = this.run.valueOf(out.tensor);
      if (out.mask) {
        const { maskRowWeightsStep } = await maskingKernels();
        steps.push(await maskRowWeightsStep(this.registry, `${this.label}.loss.${out.tensor.layer.name}.row_weights`, value.rows, {
          mask: { buffer: out.mask.buffer, offset: out.mask.offset / 4 }, out: { buffer: out.rowWeight, offset: 0 },
          ...(out.maskBase ? { base: { buffer: out.maskBase, offset: 0 } } : {}),
        }));
      }
      const cols = value.shape[value.shape.length - 1];
      const fused = this.usesLogits(i);
      const logits = fused ? this.run.logitsOf(out.tensor)! : undefined;
      const pred = logits ? logits.value : value.value;
      const grad = withGradient ? (logits ? logits.grad : value.grad) : undefined;
      const buffers = { pred, target: out.target, rowWeight: out.rowWeight, grad, partial: out.partial };
      const onLogits = fused || out.loss.fromLogits;
      const label = `${this.label}.loss.${out.tensor.layer.name}`;
      const { name } = out.loss;
      let partials: number;
      if (name === 'mse' || name === 'mae' || name === 'binary_crossentropy') {
        const kind = name === 'binary_crossentropy' ? (onLogits ? 'binary_crossentropy_logits' : 'binary_crossentropy') : name;
        steps.push(await pointwiseLossStep(this.registry, label, kind, value.rows, cols, buffers));
        partials = value.rows * cols;
      } else {
        const kind = `${name}${onLogits ? '_logits' : ''}` as Parameters<typeof rowLossStep>[2];
        steps.push(await rowLossStep(this.registry, label, kind, value.rows, cols, buffers));
        partials = value.rows;
      }
      // batch x the batch mean: the accumulator sums over samples, the host divides by their count.
      steps.push(await sumPartialsStep(this.registry, `${label}.sum`, partials, this.batch, 0, { partial: out.partial, accumulator }, { finiteOnly: withGradient }));
    }
    return steps;
  }

  /** Metric steps: metric m adds batch x its batch mean to accumulator[firstSlot + m]. */
  private async metricSteps(accumulator: GPUBuffer, firstSlot: number): Promise<Step[]> {
    const steps: Step[] = [];
    for (const [m, metric] of this.metrics.entries()) {
      const out = this.outputLosses[metric.output];
      const value = this.run.valueOf(out.tensor);
      const cols = value.shape[value.shape.length - 1];
      const label = `${this.label}.metric.${metric.name}`;
      const partial = this.metricPartials[m];
      steps.push(await accuracyStep(this.registry, label, metric.kind, value.rows, cols,
        { pred: value.value, target: out.target, rowWeight: out.rowWeight, partial }, out.loss.fromLogits ? 0 : 0.5));
      steps.push(await sumPartialsStep(this.registry, `${label}.sum`, value.rows, this.batch, firstSlot + m, { partial, accumulator }));
    }
    return steps;
  }

  private lossWrites(): LossWrite[] {
    return this.outputLosses.map((out, i) => ({ value: this.run.idOf(out.tensor), logits: this.usesLogits(i) }));
  }

  private async gradientSteps(parameters: GPUBuffer, accumulator: GPUBuffer, metricSlot: number, pass: ForwardPass): Promise<Step[]> {
    const forward = await this.run.forwardSteps(pass);
    const losses = await this.lossSteps(accumulator, true);
    const metrics = await this.metricSteps(accumulator, metricSlot);
    const backward = await this.run.backwardSteps(this.lossWrites());
    return [clearStep(`${this.label}.clear_gradients`, parameters), ...backward.clears, ...forward, ...losses, ...metrics, ...backward.steps];
  }

  /** The training plan: forward, losses (and metrics), backward, optimizer. */
  async training(optimizer: Optimizer, parameters: GPUBuffer, accumulator: GPUBuffer, metricSlot: number): Promise<Plan> {
    this.trainPlan ??= new Plan(this.ctx, `${this.label}.train`, [...(await this.gradientSteps(parameters, accumulator, metricSlot, { training: true })), ...(await optimizer.steps())]);
    return this.trainPlan;
  }

  /** Forward, losses and backward without the update (a warm-up: dropout draws, its step counters stay). */
  async gradientPlan(parameters: GPUBuffer, accumulator: GPUBuffer, metricSlot: number): Promise<Plan> {
    return new Plan(this.ctx, `${this.label}.warm_up`, await this.gradientSteps(parameters, accumulator, metricSlot, { training: true, advance: false }));
  }

  /** Forward (inference: no dropout), losses and metrics. */
  async evaluation(accumulator: GPUBuffer, metricSlot: number): Promise<Plan> {
    this.evalPlan ??= new Plan(this.ctx, `${this.label}.evaluate`, [
      ...(await this.run.forwardSteps()), ...(await this.lossSteps(accumulator, false)), ...(await this.metricSteps(accumulator, metricSlot)),
    ]);
    return this.evalPlan;
  }

  /**
   * Runs the forward pass on uploaded inputs; returns each output's time-major values, or with `classes`
   * each row's class (argmax over the last axis, on the GPU; one-value outputs come back as values, for
   * the caller's threshold). One submit, one readback.
   */
  async predict(classes = false): Promise<(Float32Array | Int32Array)[]> {
    const which = classes ? 1 : 0;
    this.predictPlans[which] ??= await this.buildPredict(classes);
    const { plan, gathered, offsets, argmax } = this.predictPlans[which]!;
    const bytes = await plan.runAndRead(gathered, gathered.size);
    return offsets.map((offset, i) => {
      const length = ((offsets[i + 1] ?? bytes.byteLength) - offset) / 4;
      return argmax[i] ? new Int32Array(bytes, offset, length).slice() : new Float32Array(bytes, offset, length).slice();
    });
  }

  private async buildPredict(classes: boolean): Promise<PredictPlan> {
    const outputs = this.graph.outputs.map((t) => this.run.valueOf(t));
    const owned: GPUBuffer[] = [];
    try {
      const steps = await this.run.forwardSteps();
      const sources: { buffer: GPUBuffer; offset: number; size: number }[] = [];
      const argmax: boolean[] = [];
      for (const [i, v] of outputs.entries()) {
        const cols = v.shape[v.shape.length - 1];
        if (!classes || cols === 1) {
          sources.push(v.value);
          argmax.push(false);
          continue;
        }
        const ids = this.ctx.createStorageBuffer(`${this.label}.classes.${i}`, v.rows * 4);
        const finished = this.ctx.createStorageBuffer(`${this.label}.classes.${i}.finished`, v.rows * 4);
        owned.push(ids, finished);
        steps.push(await argmaxStep(this.registry, `${this.label}.argmax.${i}`, v.rows, cols, -1, { logits: v.value, ids, finished }));
        sources.push({ buffer: ids, offset: 0, size: v.rows * 4 });
        argmax.push(true);
      }
      const offsets: number[] = [];
      let bytes = 0;
      for (const source of sources) {
        offsets.push(bytes);
        bytes += source.size;
      }
      const gathered = this.ctx.createStorageBuffer(`${this.label}.outputs`, bytes);
      owned.push(gathered);
      const plan = new Plan(this.ctx, `${this.label}.predict${classes ? '_classes' : ''}`, [
        ...steps, ...sources.map((v, i) => copyStep(`${this.label}.gather.${i}`, v.buffer, v.offset, gathered, offsets[i], v.size)),
      ]);
      return { plan, gathered, offsets, argmax, owned };
    } catch (error) {
      owned.forEach((b) => this.ctx.destroyBuffer(b));
      throw error;
    }
  }

  /** The training plan's dispatches (tests, benchmarks). */
  get trainingDispatches(): number | undefined {
    return this.trainPlan?.dispatchCount;
  }

  dispose(): void {
    this.trainPlan?.dispose();
    this.evalPlan?.dispose();
    for (const p of this.predictPlans) {
      p?.plan.dispose();
      p?.owned.forEach((b) => this.ctx.destroyBuffer(b));
    }
    for (const out of this.outputLosses) for (const b of [out.target, out.rowWeight, out.partial, out.maskBase]) if (b) this.ctx.destroyBuffer(b);
    for (const b of this.metricPartials) this.ctx.destroyBuffer(b);
    this.run.dispose();
  }
}

/** Checks a loss against the output it is on; throws a ShapeError naming the output's layer. */
export function checkLoss(loss: LossSpec, tensor: SymbolicTensor): void {
  const cols = tensor.shape[tensor.shape.length - 1];
  const who = `loss '${loss.name}' on output '${tensor.layer.name}'`;
  if (loss.name === 'categorical_crossentropy' || loss.name === 'sparse_categorical_crossentropy') {
    if (cols === 1) throw new ShapeError(`${who}: the output has 1 class; use binary_crossentropy for a single probability`);
  }
}

