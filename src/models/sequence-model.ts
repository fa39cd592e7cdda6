// SequenceModel: a stack of recurrent layers with a Dense head at every step (seed 004's next-step
// predictor: SimpleRNN or LSTM with returnSequences, then Dense(1)). Starts from a zero state.
//
//   fit(input, target): input [N, T, F] numbers or [N, T] token ids; target [N, T, units] numbers (mse)
//   or [N, T] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { DecodeOptions } from './autoregressive.js';
import type { FeatureSequences } from './data.js';
import type { BranchSpec, HeadSpec } from './network.js';
import { RecurrentModel, type Dataset } from './recurrent-model.js';

export interface SequenceModelConfig extends BranchSpec {
  head: HeadSpec;
  seed?: number;
}

export class SequenceModel extends RecurrentModel {
  readonly config: SequenceModelConfig;

  constructor(ctx: GpuContext, config: SequenceModelConfig) {
    const { head, seed, ...branch } = config;
    super(ctx, { decoder: branch, head, seed }, 'sequence_model');
    this.config = config;
  }

  protected dataset(x: unknown, y: unknown, what: string): Dataset {
    const input = this.network.decoder.sequences(x, `${what} x`);
    const target = this.targetSet(y, what, input.steps, input.count);
    return { input, target };
  }

  /**
   * Closed-loop generation (seed 004): primes the stack with each window, then feeds every prediction
   * back as the next input for `steps` steps, all on the GPU. Returns [N, steps, units].
   */
  async generate(prime: FeatureSequences, options: { steps: number; strategy?: DecodeOptions['strategy'] }): Promise<{ data: Float32Array; shape: [number, number, number] }> {
    const decoder = this.network.decoder;
    if (decoder.tokens) throw new ShapeError('generate: closed-loop generation needs numeric input');
    if (this.network.head.units !== decoder.inputFeatures) {
      throw new ShapeError(`generate: the head gives ${this.network.head.units} values per step but the input has ${decoder.inputFeatures}; they must match to feed outputs back`);
    }
    const set = decoder.sequences(prime, 'generate prime');
    const data = (await this.decode(set, { outputSteps: options?.steps, mode: 'continue', strategy: options.strategy })) as Float32Array;
    return { data, shape: [set.count, options.steps, this.network.head.units] };
  }
}
