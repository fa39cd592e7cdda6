// SequenceModel: a stack of recurrent layers with a Dense head at every step (seed 004's next-step
// predictor: SimpleRNN or LSTM with returnSequences, then Dense(1)). Starts from a zero state.
//
//   fit(input, target): input [N, T, F] numbers or [N, T] token ids; target [N, T, units] numbers (mse)
//   or [N, T] ids (sparse_categorical_crossentropy).

import type { GpuContext } from '../gpu/context.js';
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
}
