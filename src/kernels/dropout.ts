// Keras' dropout and noise in training (shaders/dropout.wgsl over the Philox generator of
// shaders/common/random.wgsl): the noise of an element is a pure function of (seed, step, stream, mask
// element), so a backward recomputes exactly what its forward drew, and nothing depends on how the work
// is dispatched.
//
// A training step's noise comes from a step counter (one u32 that a model keeps, zero at first) and a
// state (one u32 per plan): the plan's first noise step is a tick (noiseTickStep: counter + 1 into the
// state, and into the counter unless told not to advance it), then every dropoutStep of that plan, forward
// and backward, reads the state. So each training step draws new noise, from one fixed plan, with no host
// write. A recurrent layer drops its input x [T, B, F] with one mask per sequence (Keras' LSTM dropout=)
// with `shareOverTime`:
//
//   steps.push(await noiseTickStep(registry, `${label}.tick`, { counter: { buffer: counter, offset: 0 }, state: { buffer: state, offset: 0 } }));
//   steps.push(await dropoutStep(registry, `${label}.dropout`, { steps: T, batch: B, features: F },
//     { x: { buffer: x, offset: 0 }, out: { buffer: dropped, offset: 0 }, state: { buffer: state, offset: 0 } },
//     { rate: 0.2, seed, shareOverTime: true }));
//   // backward: the same call with { backward: true } from the gradient of `dropped` to x's.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from './grid.js';
import { checkNoiseRate, seedWords } from './noise-rate.js';

export { checkNoiseRate, seedWords } from './noise-rate.js';
import { checkRegion, describeValue as describe, keepApart, type ElementRegion } from './regions.js';

/** The noise kinds by name, with the kind code the shader takes. */
export const NOISE_KINDS = {
  /** Keras' Dropout (and SpatialDropout1D): x / (1 - rate) kept with probability 1 - rate, else 0. */
  dropout: 0,
  /** Keras' AlphaDropout: a x + b kept, a alpha_p + b dropped (mean and variance kept for SELU). */
  alpha_dropout: 1,
  /** Keras' GaussianDropout: x N(1, rate / (1 - rate)). */
  gaussian_dropout: 2,
  /** Keras' GaussianNoise: x + N(0, stddev^2). */
  gaussian_noise: 3,
} as const;
/** A noise kind by name. */
export type NoiseKind = keyof typeof NOISE_KINDS;

type NoiseDimsValues = {
  steps: number; batch: number; features: number; kind: number; flags: number;
  stride_t: number; stride_b: number; stride_f: number; seed_lo: number; seed_hi: number; stream: number;
  rate: number; scale: number; shift: number; dropped: number;
  x_offset: number; out_offset: number; state_offset: number; counter_offset: number;
};

/** noise_tick (shaders/dropout.wgsl). */
export const noiseTickSpec: KernelSpec = { files: ['common/random.wgsl', 'dropout.wgsl'], entry: 'noise_tick' };
/** noise_apply (shaders/dropout.wgsl). */
export const noiseApplySpec: KernelSpec = { files: ['common/random.wgsl', 'dropout.wgsl'], entry: 'noise_apply' };

const WORKGROUP = 64;
const FLAG_ACCUMULATE = 1;
const FLAG_BACKWARD = 2;
const FLAG_ADVANCE = 4;
const FLAG_MASK_ONLY = 8;
/** SELU's constants, as Keras' AlphaDropout writes them. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** The shape a noise step runs over: [T, B, F], time-major (row t B + b), as webrnn stores a sequence; T = 1 for vectors [B, F]. */
export interface NoiseShape {
  /** T: time steps (1 for a vector). */
  steps: number;
  /** B: samples. */
  batch: number;
  /** F: features. */
  features: number;
}

/** What a noise step draws and how. */
export interface NoiseOptions {
  /** Which noise. Default 'dropout'. */
  kind?: NoiseKind;
  /** Dropout kinds: the probability of dropping a unit, in [0, 1). gaussian_noise: the standard deviation (>= 0). */
  rate: number;
  /** Seed (an integer; its low 64 bits key the generator). */
  seed: number;
  /** Which of a counter's uses this is (a layer's calls, a recurrent layer's input and recurrent masks), 0 to 2^32 - 1. Default 0. */
  stream?: number;
  /** One mask per (sample, feature), the same at every step (Keras' noise_shape [B, 1, F]; SpatialDropout1D). */
  shareOverTime?: boolean;
  /** One mask for every sample (noise_shape [1, T, F]). */
  shareOverBatch?: boolean;
  /** One mask per (step, sample), the same for every feature (noise_shape [B, T, 1]). */
  shareOverFeatures?: boolean;
  /** The backward: out (+)= dy m, x being the output's gradient dy, with the forward's noise. Default false. */
  backward?: boolean;
  /** out += result instead of out = result. Default false. */
  accumulate?: boolean;
  /** Forward: out (+)= m + c, the noise itself (x is not read and may be absent). Default false. */
  maskOnly?: boolean;
}

/** The constants the shader takes for a kind and rate: y = x m + c, m and c from them. */
export function noiseConstants(kind: NoiseKind, rate: number): { rate: number; scale: number; shift: number; dropped: number } {
  switch (kind) {
    case 'dropout':
      return { rate, scale: 1 / (1 - rate), shift: 0, dropped: 0 };
    case 'alpha_dropout': {
      const alphaP = -SELU_ALPHA * SELU_SCALE;
      const a = ((1 - rate) * (1 + rate * alphaP * alphaP)) ** -0.5;
      const b = -a * alphaP * rate;
      return { rate, scale: a, shift: b, dropped: a * alphaP + b };
    }
    case 'gaussian_dropout':
      return { rate, scale: Math.sqrt(rate / (1 - rate)), shift: 0, dropped: 0 };
    case 'gaussian_noise':
      return { rate: 0, scale: rate, shift: 0, dropped: 0 };
  }
}

function dimsOf(values: Partial<NoiseDimsValues>): NoiseDimsValues {
  return {
    steps: 0, batch: 0, features: 0, kind: 0, flags: 0, stride_t: 0, stride_b: 0, stride_f: 0, seed_lo: 0, seed_hi: 0, stream: 0,
    rate: 0, scale: 0, shift: 0, dropped: 0, x_offset: 0, out_offset: 0, state_offset: 0, counter_offset: 0, ...values,
  };
}

/**
 * The tick that starts a plan's noise: state = counter + 1, and counter = counter + 1 unless `advance`
 * is false (a warm-up draws the next step's noise and leaves the counter as it was). One invocation.
 */
export async function noiseTickStep(
  registry: KernelRegistry, label: string, buffers: { counter: ElementRegion; state: ElementRegion }, options: { advance?: boolean } = {},
): Promise<Step> {
  const counter = checkRegion(label, 'counter', buffers.counter, 1);
  const state = checkRegion(label, 'state', buffers.state, 1);
  keepApart(label, [['counter', buffers.counter], ['state', buffers.state]], []);
  const advance = options.advance ?? true;
  if (typeof advance !== 'boolean') throw new ShapeError(`${label}: advance must be a boolean, got ${describe(advance)}`);
  return (await registry.kernel<NoiseDimsValues>(noiseTickSpec)).step(label, { noise_counter: counter.range, noise_state: state.range }, [1, 1, 1], {
    dims: dimsOf({ flags: advance ? FLAG_ADVANCE : 0, counter_offset: buffers.counter.offset, state_offset: buffers.state.offset }),
    bytes: { noise_counter: counter.bytes, noise_state: state.bytes },
  });
}

/**
 * Dropout or noise over x [T, B, F] into out (see NOISE_KINDS), from the step in `state` (written by a
 * noiseTickStep earlier in the plan): forward out (+)= x m + c; with `backward`, out (+)= dy m, the
 * forward's m exactly (same seed, state, stream and sharing). Rate 0 (stddev 0) gives the identity.
 */
export async function dropoutStep(
  registry: KernelRegistry, label: string, shape: NoiseShape,
  buffers: { x?: ElementRegion; out: ElementRegion; state: ElementRegion }, options: NoiseOptions,
): Promise<Step> {
  for (const key of ['steps', 'batch', 'features'] as const) {
    const value = shape?.[key];
    if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${label}: ${key} must be a positive integer, got ${describe(value)}`);
  }
  const { steps, batch, features } = shape;
  const kind = options.kind ?? 'dropout';
  if (!(kind in NOISE_KINDS)) throw new ShapeError(`${label}: unknown noise kind ${describe(kind)} (one of ${Object.keys(NOISE_KINDS).join(', ')})`);
  checkNoiseRate(label, kind, options.rate);
  const [seedLo, seedHi] = seedWords(label, options.seed);
  const stream = options.stream ?? 0;
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) throw new ShapeError(`${label}: stream must be an integer in [0, 2^32 - 1], got ${describe(stream)}`);
  const shareT = options.shareOverTime ?? false;
  const shareB = options.shareOverBatch ?? false;
  const shareF = options.shareOverFeatures ?? false;
  const n = steps * batch * features;
  const maskOnly = options.maskOnly ?? false;
  if (maskOnly && options.backward) throw new ShapeError(`${label}: maskOnly is a forward (the mask itself)`);
  if (!maskOnly && !buffers.x) throw new ShapeError(`${label}: x is missing (only a maskOnly step goes without it)`);
  const xRegion = buffers.x ?? { buffer: registry.context.placeholder('read'), offset: 0 };
  const x = checkRegion(label, 'x', xRegion, maskOnly ? 1 : n);
  const out = checkRegion(label, 'out', buffers.out, n);
  const state = checkRegion(label, 'state', buffers.state, 1);
  keepApart(label, [['out', buffers.out]], [...(buffers.x ? [['x', buffers.x] as [string, ElementRegion]] : []), ['state', buffers.state]]);
  // Mask element of (t, b, f) in a mask of [shareT ? 1 : T, shareB ? 1 : B, shareF ? 1 : F].
  const maskFeatures = shareF ? 1 : features;
  const maskBatch = shareB ? 1 : batch;
  const constants = noiseConstants(kind, options.rate);
  const flags = (options.accumulate ? FLAG_ACCUMULATE : 0) | (options.backward ? FLAG_BACKWARD : 0) | (maskOnly ? FLAG_MASK_ONLY : 0);
  return (await registry.kernel<NoiseDimsValues>(noiseApplySpec)).step(label, { src_values: x.range, dst_values: out.range, noise_step: state.range },
    grid1d(n, WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension), {
      dims: dimsOf({
        steps, batch, features, kind: NOISE_KINDS[kind], flags,
        stride_t: shareT ? 0 : maskBatch * maskFeatures, stride_b: shareB ? 0 : maskFeatures, stride_f: shareF ? 0 : 1,
        seed_lo: seedLo, seed_hi: seedHi, stream, ...constants,
        x_offset: xRegion.offset, out_offset: buffers.out.offset, state_offset: buffers.state.offset,
      }),
      bytes: { src_values: x.bytes, dst_values: out.bytes, noise_step: state.bytes },
    });
}

/** Where a recurrent layer's recurrent dropout masks draw from: its input masks' streams plus this (2^31). */
export const RECURRENT_MASK_STREAM = 0x80000000;

/** What a recurrent layer's dropout draws in a training pass (src/layers/keras/recurrent.ts), per direction d. */
export interface RecurrentNoise {
  /** The layer's model counter and this plan's state. */
  counter: ElementRegion;
  state: ElementRegion;
  seed: number;
  /** Stream of each direction's input mask; its recurrent mask draws from RECURRENT_MASK_STREAM + it. */
  streams: readonly number[];
  /** The input x [T, B, F]. */
  x: ElementRegion;
  shape: NoiseShape;
  /** Input dropout: its rate and the copies [D, T, B, F]. */
  input?: { rate: number; dropped: ElementRegion };
  /** Recurrent dropout: its rate, the units, and the masks [D, B, U] (0 or 1 / (1 - rate)). */
  recurrent?: { rate: number; units: number; masks: ElementRegion };
}

/** The forward of a recurrent layer's dropout: the tick, each direction's input copy and recurrent mask. */
export async function recurrentNoiseForwardSteps(registry: KernelRegistry, label: string, noise: RecurrentNoise, advance: boolean): Promise<Step[]> {
  const { input, recurrent, shape, state } = noise;
  const steps: Step[] = [await noiseTickStep(registry, `${label}.noise_tick`, { counter: noise.counter, state }, { advance })];
  const block = shape.steps * shape.batch * shape.features;
  for (const [d, stream] of noise.streams.entries()) {
    if (input) {
      steps.push(await dropoutStep(registry, `${label}.dropout_${d}`, shape, { x: noise.x, out: { buffer: input.dropped.buffer, offset: input.dropped.offset + d * block }, state },
        { rate: input.rate, seed: noise.seed, stream, shareOverTime: true }));
    }
    if (recurrent) {
      const size = shape.batch * recurrent.units;
      steps.push(await dropoutStep(registry, `${label}.recurrent_dropout_${d}`, { steps: 1, batch: shape.batch, features: recurrent.units },
        { out: { buffer: recurrent.masks.buffer, offset: recurrent.masks.offset + d * size }, state },
        { rate: recurrent.rate, seed: noise.seed, stream: RECURRENT_MASK_STREAM + stream, maskOnly: true }));
    }
  }
  return steps;
}

/** The backward of a recurrent layer's input dropout: every copy's gradient, masked, into dx (the first written or added to as `accumulate` says). */
export async function recurrentNoiseBackwardSteps(
  registry: KernelRegistry, label: string, noise: RecurrentNoise, gradients: { dDropped: ElementRegion; dx: ElementRegion }, accumulate: boolean,
): Promise<Step[]> {
  const { input, shape } = noise;
  if (!input) return [];
  const block = shape.steps * shape.batch * shape.features;
  const steps: Step[] = [];
  for (const [d, stream] of noise.streams.entries()) {
    steps.push(await dropoutStep(registry, `${label}.dropout_${d}.backward`, shape,
      { x: { buffer: gradients.dDropped.buffer, offset: gradients.dDropped.offset + d * block }, out: gradients.dx, state: noise.state },
      { rate: input.rate, seed: noise.seed, stream, shareOverTime: true, backward: true, accumulate: accumulate || d > 0 }));
  }
  return steps;
}
