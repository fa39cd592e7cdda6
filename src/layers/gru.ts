// GRU layer (Keras semantics: gates z, r, h; sigmoid recurrent activation; tanh; resetAfter = true with a
// [2, 3u] bias by default, or resetAfter = false with a [3u] bias).

import { gruCell } from '../cells/gru.js';
import type { GpuContext } from '../gpu/context.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentConfig } from './recurrent.js';

export type GRUConfig = RecurrentConfig;

export class GRU extends RecurrentLayer {
  private constructor(ctx: GpuContext, config: GRUConfig, options: LayerOptions) {
    super(ctx, gruCell, { name: 'gru', ...config }, options);
  }

  /**
   * A GRU layer. Standalone (no `options.parameters`), it owns its weights, initialized as Keras does
   * (glorot_uniform kernel, orthogonal recurrent kernel, zero biases), seeded.
   */
  static create(ctx: GpuContext, config: GRUConfig, options: LayerOptions = {}): GRU {
    const layer = new GRU(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }
}
