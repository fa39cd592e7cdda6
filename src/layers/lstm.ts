// LSTM layer (Keras semantics: gates i, f, c, o; sigmoid recurrent activation; tanh; unit forget bias).

import { lstmCell } from '../cells/lstm.js';
import type { GpuContext } from '../gpu/context.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentConfig } from './recurrent.js';

/** An LSTM layer's configuration: {@link RecurrentConfig}. */
export type LSTMConfig = RecurrentConfig;

/**
 * Keras' LSTM layer: gates i, f, c, o; sigmoid recurrent activation and tanh by default; unit forget bias.
 * Make one with {@link LSTM.create}.
 */
export class LSTM extends RecurrentLayer {
  private constructor(ctx: GpuContext, config: LSTMConfig, options: LayerOptions) {
    super(ctx, lstmCell, { name: 'lstm', ...config }, options);
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
}
