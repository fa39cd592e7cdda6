// The learned weights of Keras' Attention and AdditiveAttention, in Keras' order and initialized as
// Keras does: Attention(use_scale) 'scale' [] (ones), Attention(score_mode 'concat')
// 'concat_score_weight' [] (ones); AdditiveAttention(use_scale) 'scale' [dim] (glorot_uniform). The
// attention itself is shaders/attention.wgsl, driven by the model layer (src/layers/keras/attention.ts).

import type { GpuContext } from '../gpu/context.js';
import { initialize } from './initializers.js';
import { expectPositiveInteger } from './validate.js';
import { plainWeight, WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';

/** Which of the attention weights a layer learns. */
export interface AttentionWeightsConfig {
  /** Query and key features. */
  dim: number;
  /** Attention 'scale' (a scalar). */
  scalarScale?: boolean;
  /** Attention('concat') 'concat_score_weight' (a scalar). */
  concatScoreWeight?: boolean;
  /** AdditiveAttention 'scale' [dim]. */
  vectorScale?: boolean;
  seed?: number;
  name?: string;
}

/** The weights of an attention layer (none, one or two). */
export class AttentionWeights extends WeightLayer {
  readonly config: AttentionWeightsConfig;

  private constructor(ctx: GpuContext, config: AttentionWeightsConfig, options: LayerOptions) {
    expectPositiveInteger(`${config.name ?? 'attention'} dim`, config.dim);
    super(ctx, config.name ?? 'attention', config.seed ?? 0, options);
    this.config = config;
  }

  /** The weights, in the model's store (or their own when standalone). */
  static create(ctx: GpuContext, config: AttentionWeightsConfig, options: LayerOptions = {}): AttentionWeights {
    const layer = new AttentionWeights(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weights(): LayerWeight[] {
    const { dim, scalarScale, concatScoreWeight, vectorScale } = this.config;
    const ones = () => Float32Array.of(1);
    return [
      ...(scalarScale ? [plainWeight('scale', 'scale', [], ones)] : []),
      ...(vectorScale ? [plainWeight('scale', 'scale', [dim], (seed) => initialize('glorot_uniform', [dim], seed))] : []),
      ...(concatScoreWeight ? [plainWeight('concat_score_weight', 'concat_score_weight', [], ones)] : []),
    ];
  }

  protected get storedParameters(): { name: string; floats: number }[] {
    return this.weights.map((w) => ({ name: w.name, floats: w.shape.reduce((a, b) => a * b, 1) }));
  }

  protected releaseBuffers(): void {}
}
