// The sampling settings of token decoding, checked and packed for shaders/decode.wgsl's sample_ids (apart
// from the kernels, so a model checks them without loading the decoder).

import { ShapeError } from '../gpu/errors.js';
import { seedWords } from './noise-rate.js';

/** How a token is drawn from a row's logits (shaders/common/sampling.wgsl). */
export interface SamplingOptions {
  /** The logits are divided by it before the softmax: > 0; below 1 sharpens, above 1 flattens. Default 1. */
  temperature?: number;
  /** Only the k most probable tokens (ties: the lower id first); 0 (default) keeps all. */
  topK?: number;
  /** Only the smallest most-probable set whose probability reaches p (nucleus sampling), in (0, 1]; 1 (default) keeps all. */
  topP?: number;
  /** The seed (an integer): the same seed draws the same tokens. */
  seed: number;
}

/** The u32 [5] the sample entry reads: seed low and high words, top_k, temperature and top_p as f32 bits. */
export function samplingWords(who: string, options: SamplingOptions): Uint32Array {
  const { temperature = 1, topK = 0, topP = 1, seed } = options;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature) || Math.fround(temperature) === 0) {
    throw new ShapeError(`${who}: temperature must be a finite number > 0, got ${String(temperature)}`);
  }
  if (!Number.isInteger(topK) || topK < 0 || topK > 0xffffffff) throw new ShapeError(`${who}: topK must be an integer >= 0 (0: every token), got ${String(topK)}`);
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw new ShapeError(`${who}: topP must be a number in (0, 1], got ${String(topP)}`);
  const [lo, hi] = seedWords(who, seed);
  const words = new Uint32Array(5);
  const floats = new Float32Array(words.buffer);
  words[0] = lo;
  words[1] = hi;
  words[2] = topK;
  floats[3] = temperature;
  floats[4] = topP;
  return words;
}
