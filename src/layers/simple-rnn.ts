// SimpleRNN layer (Keras semantics: h_t = act(x_t . kernel + h_{t-1} . recurrent_kernel + bias), act tanh by default).

import { simpleRnnCell } from '../cells/simple-rnn.js';
import type { GpuContext } from '../gpu/context.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentConfig } from './recurrent.js';

/** A SimpleRNN layer's configuration: {@link RecurrentConfig}. */
export type SimpleRNNConfig = RecurrentConfig;

/**
 * Keras' SimpleRNN layer: h_t = activation(x_t . kernel + h_{t-1} . recurrent_kernel + bias), tanh by
 * default. Make one with {@link SimpleRNN.create}.
 */
export class SimpleRNN extends RecurrentLayer {
  private constructor(ctx: GpuContext, config: SimpleRNNConfig, options: LayerOptions) {
    super(ctx, simpleRnnCell, { name: 'simple_rnn', ...config }, options);
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

  /** The cell's activation. */
  get activation(): string {
    return this.config.activation;
  }
}
