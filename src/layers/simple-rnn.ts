// SimpleRNN layer (Keras semantics: h_t = act(x_t . kernel + h_{t-1} . recurrent_kernel + bias), act tanh or relu).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { Step } from '../gpu/kernel-registry.js';
import { SIMPLE_RNN_ACTIVATIONS, simpleRnnBackwardSteps, simpleRnnForwardSteps, type SimpleRnnActivation } from '../kernels/simple-rnn.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentBuffers, type RecurrentConfig } from './recurrent.js';

export interface SimpleRNNConfig extends RecurrentConfig {
  /** The cell's activation. Default 'tanh', as Keras. */
  activation?: SimpleRnnActivation;
}

export class SimpleRNN extends RecurrentLayer {
  readonly gates = 1;
  readonly stateCount = 1;
  readonly activation: SimpleRnnActivation;
  // forward: h ping-pong, one f32 per (unit, row) twice; backward: dz ping-pong, one f32 twice.
  protected readonly sequenceBytes = { forward: 8, backward: 8 };

  private constructor(ctx: GpuContext, config: SimpleRNNConfig, options: LayerOptions) {
    super(ctx, config, 'simple_rnn', options);
    const activation = config.activation ?? 'tanh';
    if (!Object.hasOwn(SIMPLE_RNN_ACTIVATIONS, activation)) {
      throw new ShapeError(`${this.name} activation must be 'tanh' or 'relu', got ${String(activation)}`);
    }
    this.activation = activation;
  }

  /**
   * A SimpleRNN layer. Standalone (no `options.parameters`), it owns its weights, initialized as Keras does
   * (glorot_uniform kernel, orthogonal recurrent kernel, zero bias), seeded.
   */
  static create(ctx: GpuContext, config: SimpleRNNConfig, options: LayerOptions = {}): SimpleRNN {
    const layer = new SimpleRNN(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  protected initialBias(): Float32Array {
    return new Float32Array(this.units);
  }

  /** Nothing beyond hseq: the activation's derivative is read off h itself. */
  protected createSavedBuffers(): Record<string, GPUBuffer> {
    return {};
  }

  private dims(buffers: RecurrentBuffers) {
    return { batch: buffers.batch, steps: buffers.steps, units: this.units, goBackwards: this.goBackwards, activation: this.activation };
  }

  protected recurrenceForward(buffers: RecurrentBuffers): Promise<Step[]> {
    const [, recurrent] = this.weightNames;
    return simpleRnnForwardSteps(this.registry, `${this.name}.forward.recurrence`, this.dims(buffers), buffers.forwardLaunch, {
      xw: buffers.xw,
      rk: this.parameters.value(recurrent),
      h0: buffers.h0,
      hseq: buffers.hseq,
      hprev: buffers.hprev,
      hT: buffers.hT,
    }, buffers.stepIndex);
  }

  protected recurrenceBackward(buffers: RecurrentBuffers, withSequenceGradient: boolean): Promise<Step[]> {
    const [, recurrent] = this.weightNames;
    return simpleRnnBackwardSteps(this.registry, `${this.name}.backward.recurrence`, this.dims(buffers), buffers.backwardLaunch, {
      rk: this.parameters.value(recurrent),
      hseq: buffers.hseq,
      ...(withSequenceGradient ? { dhseq: buffers.dhseq } : {}),
      dhT: buffers.dhT,
      dz: buffers.dz,
      dh0: buffers.dh0,
    }, buffers.stepIndex);
  }
}
