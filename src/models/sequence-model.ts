// SequenceModel: a stack of recurrent layers with a Dense head at every step (seed 004's next-step
// predictor: SimpleRNN or LSTM with returnSequences, then Dense(1)). Starts from a zero state.
//
//   fit(input, target): input [N, T, F] numbers or [N, T] token ids; target [N, T, units] numbers (mse)
//   or [N, T] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { DecodeOptions } from '../plan/decode-plan.js';
import type { FeatureSequences } from './data.js';
import type { BranchSpec, HeadSpec } from './recurrent-spec.js';
import { RecurrentModel, type Dataset } from './recurrent-model.js';

/** A SequenceModel: its input and recurrent layers (a {@link BranchSpec}), and its head. */
export interface SequenceModelConfig extends BranchSpec {
  /** The Dense layer applied at every step. */
  head: HeadSpec;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

/**
 * A stack of recurrent layers from a zero state with a Dense head at every step (Keras: recurrent layers
 * with `return_sequences=True`, then `Dense`). `fit(input, target)` trains it; `generate` runs it closed
 * loop, each prediction fed back as the next input, on the GPU.
 */
export class SequenceModel extends RecurrentModel {
  /** The configuration the model was made with. */
  readonly config: SequenceModelConfig;

  /** A new model on `ctx`, its weights initialized as Keras does (seeded by `config.seed`). */
  constructor(ctx: GpuContext, config: SequenceModelConfig) {
    const { head, seed, ...branch } = config;
    super(ctx, { decoder: branch, head, seed }, 'sequence_model');
    this.config = config;
  }

  protected override rebuild(ctx: GpuContext): SequenceModel {
    return new SequenceModel(ctx, structuredClone(this.config));
  }

  protected override dataset(x: unknown, y: unknown, what: string): Dataset {
    const input = this.parts.decoder.sequences(x, `${what} x`);
    const target = this.targetSet(y, what, input.steps, input.count);
    return { inputs: [input], targets: [target] };
  }

  /**
   * Closed-loop generation (seed 004): the model predicts the step after each priming window, and every
   * prediction becomes input, `steps` times, all on the GPU in one submit. Returns [N, steps, units].
   *   mode 'continue' (default): the stack primes itself on the window and carries its state on, one
   *     step per prediction;
   *   mode 'window': seed 004's own loop. Every prediction re-reads the last T values (T = the window's
   *     length) from a zero state, as the model saw them in training, so models trained on T-step windows
   *     stay on track; it costs a pass over T steps per prediction.
   * `strategy` picks how 'continue' runs its steps (see DecodeOptions).
   */
  async generate(
    prime: FeatureSequences,
    options: { steps: number; mode?: 'continue' | 'window'; strategy?: DecodeOptions['strategy']; signal?: AbortSignal },
  ): Promise<{
    /** The predictions, batch-major. */
    data: Float32Array;
    /** [N, steps, units]. */
    shape: [number, number, number];
  }> {
    const decoder = this.parts.decoder;
    if (decoder.tokens) throw new ShapeError('generate: closed-loop generation needs numeric input');
    if (this.parts.head.units !== decoder.inputFeatures) {
      throw new ShapeError(`generate: the head gives ${this.parts.head.units} values per step but the input has ${decoder.inputFeatures}; they must match to feed outputs back`);
    }
    const mode = options.mode ?? 'continue';
    if (mode !== 'continue' && mode !== 'window') throw new ShapeError(`generate: mode must be 'continue' or 'window', got '${String(mode)}'`);
    if (mode === 'window' && options.strategy === 'loop') {
      throw new ShapeError("generate: strategy 'loop' decodes by carrying the state; mode 'window' re-reads each window instead");
    }
    const set = decoder.sequences(prime, 'generate prime');
    const data = (await this.decode(this.chain, set, { outputSteps: options?.steps, mode, strategy: options.strategy }, options.signal)).data as Float32Array;
    return { data, shape: [set.count, options.steps, this.parts.head.units] };
  }
}
