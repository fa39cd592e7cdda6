// GRU layer (Keras semantics: gates z, r, h; sigmoid recurrent activation; tanh; resetAfter = true with a
// [2, 3u] bias by default, or resetAfter = false with a [3u] bias).

import { gruCell } from '../cells/gru.js';
import type { GpuContext } from '../gpu/context.js';
import type { LayerOptions } from './weight-layer.js';
import { RecurrentLayer, type RecurrentConfig } from './recurrent.js';

/** A GRU layer's configuration: {@link RecurrentConfig} (`resetAfter` picks the variant). */
export type GRUConfig = RecurrentConfig;

/**
 * Keras' GRU layer: gates z, r, h; sigmoid recurrent activation and tanh by default; `resetAfter: true`
 * (Keras 2/3's default, bias [2, 3 * units]) or `false` (bias [3 * units]). Make one with {@link GRU.create}.
 */
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
