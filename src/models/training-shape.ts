// The training and evaluation plans of one batch shape (batch, source steps, target steps).
//
// Training step = one submit of one plan: encoder forward, teacher-forced decoder forward, head, loss
// (its gradient lands in the head's dy), backward in reverse order, gradient clipping, optimizer.
// Evaluation = forward and loss only. Both add the batch's loss to an accumulator on the GPU, which the
// model reads once per epoch (or when asked): no readback per step.

import type { GpuContext } from '../gpu/context.js';
import type { Step } from '../gpu/kernel-registry.js';
import { mseLossSteps, softmaxCrossEntropySteps } from '../kernels/loss.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Plan } from '../plan/plan.js';
import type { Network, NetworkShape } from './network.js';

export type LossName = 'mse' | 'sparse_categorical_crossentropy';

export class TrainingShape {
  readonly shape: NetworkShape;
  /** Targets, time-major: f32 [T, B, F] (mse) or i32 ids [T * B] (cross-entropy). */
  readonly target: GPUBuffer;
  /** Cross-entropy only: per-row weight mask / count. */
  readonly rowWeight?: GPUBuffer;
  private readonly partial: GPUBuffer;
  private trainPlan?: Plan;
  private evalPlan?: Plan;

  constructor(
    private readonly ctx: GpuContext,
    readonly network: Network,
    readonly loss: LossName,
    batch: number,
    sourceSteps: number,
    targetSteps: number,
  ) {
    this.shape = network.createShape(batch, sourceSteps, targetSteps);
    const rows = batch * targetSteps;
    const outputs = network.head.units;
    this.target = ctx.createStorageBuffer('loss.target', rows * (loss === 'mse' ? outputs : 1) * 4);
    this.partial = ctx.createStorageBuffer('loss.partial', rows * (loss === 'mse' ? outputs : 1) * 4);
    if (loss !== 'mse') this.rowWeight = ctx.createStorageBuffer('loss.row_weight', rows * 4);
  }

  get batch(): number {
    return this.shape.batch;
  }

  private async lossSteps(accumulator: GPUBuffer): Promise<Step[]> {
    const { batch, targetSteps, head } = this.shape;
    const rows = batch * targetSteps;
    const units = this.network.head.units;
    const registry = this.network.registry;
    if (this.loss === 'mse') {
      return mseLossSteps(registry, 'loss.mse', { count: rows * units, lossScale: batch / (rows * units) }, {
        pred: head.y, target: this.target, grad: head.dy, partial: this.partial, accumulator,
      });
    }
    // Softmax is fused into the loss: it reads the head's pre-activation (the logits; the same buffer as
    // y for a linear head) and writes the gradient of the logits.
    return softmaxCrossEntropySteps(registry, 'loss.cross_entropy', { rows, vocab: units, lossScale: batch }, {
      logits: head.pre, targets: this.target, rowWeight: this.rowWeight!, grad: head.dpre, partial: this.partial, accumulator,
    });
  }

  /** The training plan (built on first use): forward, loss, backward, optimizer. */
  async training(optimizer: Optimizer, accumulator: GPUBuffer): Promise<Plan> {
    this.trainPlan ??= new Plan(this.ctx, `train[${this.describe()}]`, [
      ...(await this.shape.forwardSteps()),
      ...(await this.lossSteps(accumulator)),
      ...(await this.shape.backwardSteps(this.loss !== 'mse')),
      ...(await optimizer.steps()),
    ]);
    return this.trainPlan;
  }

  /** The evaluation plan: forward and loss. */
  async evaluation(accumulator: GPUBuffer): Promise<Plan> {
    this.evalPlan ??= new Plan(this.ctx, `evaluate[${this.describe()}]`, [
      ...(await this.shape.forwardSteps()),
      ...(await this.lossSteps(accumulator)),
    ]);
    return this.evalPlan;
  }

  private describe(): string {
    const { batch, sourceSteps, targetSteps } = this.shape;
    return `batch ${batch}, source ${sourceSteps}, target ${targetSteps}`;
  }

  dispose(): void {
    this.shape.dispose();
    this.ctx.destroyBuffer(this.target);
    this.ctx.destroyBuffer(this.partial);
    if (this.rowWeight) this.ctx.destroyBuffer(this.rowWeight);
  }
}
