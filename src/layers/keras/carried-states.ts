// The states a stateful recurrent layer carries from one batch to the next (Keras' stateful): one
// buffer of its initial / final states' layout [D, S, B, U], in the model's parameter store (not a
// weight), copied into the layer's initial states before its time loop and out of its final states
// after it; a warm-up leaves it as it is. Every batch must have the batch the states were kept for.

import type { GpuContext } from '../../gpu/context.js';
import { ShapeError } from '../../gpu/errors.js';
import type { KernelRegistry, Step } from '../../gpu/kernel-registry.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import type { ParameterStore } from '../parameters.js';
import type { ForwardPass } from './layer.js';

export class CarriedStates {
  private stored?: GPUBuffer;

  /** `floatsPerSequence`: D S U, the states of one sequence; `batch`: fixed ahead (Keras' batch_input_shape), else by the first run. */
  constructor(
    private readonly who: string,
    private readonly ctx: GpuContext,
    private readonly store: ParameterStore,
    private readonly name: string,
    private readonly floatsPerSequence: number,
    private batch?: number,
  ) {}

  /** The buffer of the states of `batch` sequences (made on first use); another batch is an error. */
  buffer(batch: number): GPUBuffer {
    this.batch ??= batch;
    if (batch !== this.batch) {
      throw new ShapeError(`${this.who}: keeps the states of ${this.batch} sequences, got a batch of ${batch}; ` +
        `every batch must have ${this.batch} (fit and evaluate: a sample count that is a multiple of batchSize; warmUp({ batchSize: ${this.batch} }))`);
    }
    this.stored ??= this.store.stateBuffer(`${this.name}.carried_states`, this.floatsPerSequence * batch * 4);
    return this.stored;
  }

  /** The copies around a time loop: the carried states into s0 before, sT into them after (not in a warm-up). */
  async steps(registry: KernelRegistry, label: string, carried: GPUBuffer, s0: GPUBuffer, sT: GPUBuffer, pass?: ForwardPass): Promise<{ before: Step; after: Step[] }> {
    const floats = carried.size / 4;
    return {
      before: await elementwiseStep(registry, `${label}.carried_states`, 'copy', floats, { x: carried, out: s0 }),
      after: pass?.advance === false ? [] : [await elementwiseStep(registry, `${label}.carry_states`, 'copy', floats, { x: sT, out: carried })],
    };
  }

  /** Zeroes them (Keras' reset_states). */
  reset(): void {
    if (this.stored) this.ctx.write(this.stored, new Float32Array(this.stored.size / 4));
  }
}
