// LSTM layer (Keras semantics: gates i, f, c, o; sigmoid recurrent activation; tanh; unit forget bias).

import type { GpuContext } from '../gpu/context.js';
import type { Step } from '../gpu/kernel-registry.js';
import { lstmBackwardSteps, lstmForwardSteps } from '../kernels/lstm.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentBuffers, type RecurrentConfig } from './recurrent.js';

export type LSTMConfig = RecurrentConfig;

export class LSTM extends RecurrentLayer {
  readonly gates = 4;
  readonly stateCount = 2;
  // forward: h ping-pong, one f32 per (unit, row) twice; backward: dz ping-pong, one vec4 twice.
  protected readonly sequenceBytes = { forward: 8, backward: 32 };

  private constructor(ctx: GpuContext, config: LSTMConfig, options: LayerOptions) {
    super(ctx, config, 'lstm', options);
  }

  /**
   * An LSTM layer. Standalone (no `options.parameters`), it owns its weights, initialized as Keras does
   * (glorot_uniform kernel, orthogonal recurrent kernel, zero bias with the forget gate at 1), seeded.
   */
  static create(ctx: GpuContext, config: LSTMConfig, options: LayerOptions = {}): LSTM {
    const layer = new LSTM(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  /**
   * CPU drivers: 4 units per invocation, so every h value read feeds 4 vec4 FMAs (LSTM(75), batch 10,
   * 24 steps on lavapipe: forward 2.2 -> 1.34 ms, backward 3.5 -> 1.73 ms). GPUs: 1, for parallelism.
   */
  protected override unitsPerInvocation(): number {
    return this.requestedUnitsPerInvocation ?? (this.ctx.adapterInfo.isFallbackAdapter ? 4 : 1);
  }

  protected initialBias(): Float32Array {
    const bias = new Float32Array(4 * this.units);
    bias.fill(1, this.units, 2 * this.units); // Keras unit_forget_bias: gate block f
    return bias;
  }

  protected createSavedBuffers(batch: number, steps: number, buffer: (what: string, bytes: number) => GPUBuffer) {
    const seq = batch * steps * this.units * 4;
    return { cseq: buffer('cseq', seq), gates: buffer('gates', seq * 4) };
  }

  private dims(buffers: RecurrentBuffers) {
    return { batch: buffers.batch, steps: buffers.steps, units: this.units, goBackwards: this.goBackwards };
  }

  protected recurrenceForward(buffers: RecurrentBuffers): Promise<Step[]> {
    const [, recurrent] = this.weightNames;
    return lstmForwardSteps(this.registry, `${this.name}.forward.recurrence`, this.dims(buffers), buffers.forwardLaunch, {
      xw: buffers.xw,
      rk: this.parameters.value(recurrent),
      h0: buffers.h0,
      c0: buffers.c0!,
      hseq: buffers.hseq,
      hprev: buffers.hprev,
      cseq: buffers.saved.cseq,
      gates: buffers.saved.gates,
      hT: buffers.hT,
      cT: buffers.cT!,
    }, buffers.stepIndex);
  }

  protected recurrenceBackward(buffers: RecurrentBuffers, withSequenceGradient: boolean): Promise<Step[]> {
    const [, recurrent] = this.weightNames;
    return lstmBackwardSteps(this.registry, `${this.name}.backward.recurrence`, this.dims(buffers), buffers.backwardLaunch, {
      rk: this.parameters.value(recurrent),
      c0: buffers.c0!,
      gates: buffers.saved.gates,
      cseq: buffers.saved.cseq,
      ...(withSequenceGradient ? { dhseq: buffers.dhseq } : {}),
      dhT: buffers.dhT,
      dcT: buffers.dcT!,
      dz: buffers.dz,
      dh0: buffers.dh0,
      dc0: buffers.dc0!,
    }, buffers.stepIndex);
  }
}
