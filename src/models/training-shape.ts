// The training and evaluation plans of one batch shape (batch, source steps, target steps).
//
// Training step = one submit of one plan: encoder forward, teacher-forced decoder forward, head, loss
// (its gradient lands in the head's dy), backward in reverse order, gradient clipping, optimizer.
// Evaluation = forward and loss only. Both add the batch's loss to an accumulator on the GPU, which the
// model reads once per epoch (or when asked): no readback per step.

import type { GpuContext } from '../gpu/context.js';
import type { Step } from '../gpu/kernel-registry.js';
import { pointwiseLossStep, rowLossStep, sumPartialsStep } from '../kernels/loss.js';
import type { Optimizer } from '../optim/optimizer.js';
import { clearStep, Plan } from '../plan/plan.js';
import type { Network, NetworkShape } from './network.js';

export type LossName = 'mse' | 'sparse_categorical_crossentropy';

export class TrainingShape {
  readonly shape: NetworkShape;
  /** Targets, time-major: f32 [T, B, F] (mse) or i32 ids [T * B] (cross-entropy). */
  readonly target: GPUBuffer;
  /** Per-row weight: mask / count (cross-entropy, written per batch), 1 / rows (mse, fixed). */
  readonly rowWeight: GPUBuffer;
  /** Whether the host writes rowWeight per batch (a mask token). */
  readonly maskedRows: boolean;
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
    this.maskedRows = loss !== 'mse';
    this.rowWeight = ctx.createStorageBuffer('loss.row_weight', rows * 4, new Float32Array(rows).fill(1 / rows));
  }

  get batch(): number {
    return this.shape.batch;
  }

  private async lossSteps(accumulator: GPUBuffer, withGradient: boolean): Promise<Step[]> {
    const { batch, targetSteps, head } = this.shape;
    const rows = batch * targetSteps;
    const units = this.network.head.units;
    const registry = this.network.registry;
    const partialCount = this.loss === 'mse' ? rows * units : rows;
    // Softmax is fused into the cross-entropy: it reads the head's pre-activation (the logits; the same
    // buffer as y for a linear head) and writes the gradient of the logits.
    const loss = this.loss === 'mse'
      ? await pointwiseLossStep(registry, 'loss.mse', 'mse', rows, units, {
        pred: head.y, target: this.target, rowWeight: this.rowWeight, grad: withGradient ? head.dy : undefined, partial: this.partial,
      })
      : await rowLossStep(registry, 'loss.cross_entropy', 'sparse_categorical_crossentropy_logits', rows, units, {
        pred: head.pre, target: this.target, rowWeight: this.rowWeight, grad: withGradient ? head.dpre : undefined, partial: this.partial,
      });
    // The accumulator sums batch size x batch mean loss over the batches of an epoch; in training, a
    // batch whose loss is not finite is left out and its samples counted in slot 1 (see loss.wgsl).
    return [loss, await sumPartialsStep(registry, 'loss.sum', partialCount, batch, 0, { partial: this.partial, accumulator }, { finiteOnly: withGradient })];
  }

  /** The training plan (built on first use): forward, loss, backward, optimizer. */
  async training(optimizer: Optimizer, accumulator: GPUBuffer): Promise<Plan> {
    this.trainPlan ??= new Plan(this.ctx, `train[${this.describe()}]`, [
      clearStep('parameters.clear_gradients', this.network.store.gradientBuffer),
      ...(await this.shape.forwardSteps()),
      ...(await this.lossSteps(accumulator, true)),
      ...(await this.shape.backwardSteps(this.loss !== 'mse')),
      ...(await optimizer.steps()),
    ]);
    return this.trainPlan;
  }

  /**
   * A training step without its update (warmUp): gradients, cleared by every training step, and the loss,
   * added to `accumulator`, are all it writes; parameters and optimizer state stay as they are.
   */
  async gradientPlan(accumulator: GPUBuffer): Promise<Plan> {
    return new Plan(this.ctx, `warm_up[${this.describe()}]`, [
      clearStep('parameters.clear_gradients', this.network.store.gradientBuffer),
      ...(await this.shape.forwardSteps()),
      ...(await this.lossSteps(accumulator, true)),
      ...(await this.shape.backwardSteps(this.loss !== 'mse')),
    ]);
  }

  /** The evaluation plan: forward and loss. */
  async evaluation(accumulator: GPUBuffer): Promise<Plan> {
    this.evalPlan ??= new Plan(this.ctx, `evaluate[${this.describe()}]`, [
      ...(await this.shape.forwardSteps()),
      ...(await this.lossSteps(accumulator, false)),
    ]);
    return this.evalPlan;
  }

  private describe(): string {
    const { batch, sourceSteps, targetSteps } = this.shape;
    return `batch ${batch}, source ${sourceSteps}, target ${targetSteps}`;
  }

  dispose(): void {
    this.trainPlan?.dispose();
    this.evalPlan?.dispose();
    this.shape.dispose();
    this.ctx.destroyBuffer(this.target);
    this.ctx.destroyBuffer(this.partial);
    this.ctx.destroyBuffer(this.rowWeight);
  }
}
