// Shapes over the device's buffer limits fail before anything is allocated, with an error that names
// the buffer, the limit, the factor over it and the largest batch that fits; largestBatch() computes
// that batch from the limits, and one more sample is exactly where the check starts to fail.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitError, Seq2Seq, SequenceModel, type Seq2SeqConfig } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';

const WIDE: Seq2SeqConfig = {
  encoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 300 }] },
  decoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 300 }] },
  head: { units: 1 },
};
const DEFAULT_LIMITS = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 }; // WebGPU's defaults
const T = 24;

describe('device limits', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: { dispose(): void }[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('a batch one sample over the largest that fits fails before any allocation, saying what and by how much', async () => {
    const model = new Seq2Seq(env.ctx, WIDE);
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const most = model.largestBatch(T);
    expect(most).toBeGreaterThan(0);
    const n = most + 1;
    const seq = () => ({ data: new Float32Array(n * T), shape: [n, T, 1] as [number, number, number] });
    const live = env.ctx.liveBuffers;
    const error = await model.fit([seq(), seq()], seq(), { batchSize: n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toMatch(
      new RegExp(`^training: a batch of ${n} at 24 encoder and 24 decoder steps needs buffer '[\\w.]+' of \\d+ MiB, 1\\.\\d\\dx this device's max(StorageBufferBinding|Buffer)Size of \\d+ MiB; at these lengths at most batch ${most} fits$`),
    );
    expect(env.ctx.liveBuffers, 'nothing was allocated').toBe(live);
  });

  it('largestBatch follows the limits: WebGPU defaults, a tiny device, more steps', () => {
    const seed = new Seq2Seq(env.ctx, { encoder: { inputSize: 1, layers: [{ units: 75 }] }, decoder: { inputSize: 1, layers: [{ units: 75 }] }, head: { units: 1 } });
    const lm = new SequenceModel(env.ctx, { vocabSize: 30, embeddingDim: 8, layers: [{ cell: 'gru', units: 256 }], head: { units: 30, activation: 'softmax' } });
    models.push(seed, lm);
    const atDefaults = seed.largestBatch(T, DEFAULT_LIMITS);
    expect(atDefaults).toBeGreaterThan(1000);
    expect(seed.largestBatch(2 * T, DEFAULT_LIMITS)).toBe(Math.floor(atDefaults / 2));
    expect(seed.largestBatch(T, { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 28 })).toBeLessThan(atDefaults / 100);
    expect(seed.largestBatch(10_000_000, { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 28 })).toBe(0);
    expect(lm.largestBatch(100, DEFAULT_LIMITS)).toBeGreaterThan(0);
    expect(() => seed.largestBatch(0)).toThrow(/largestBatch steps/);
  });
});
