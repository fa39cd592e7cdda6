// Long runs must not grow: 2,000 training steps and 2,000 predict calls on one small seq2seq model,
// with the JS heap measured after forced GCs. The bound (256 KB over the last 1,750 of each, about
// 0.15 KB per call) is a third of what a per-call leak of the kind once found (0.4 KB per predict)
// would add, and well above the few KB a settled heap moves between samples.
// `npm run soak -- --steps N --decodes N` runs the same loop for as long as wanted and prints the curve.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { soak, type SoakSample } from '../helpers/soak.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const B = 4;
const T = 6;
const COUNT = 2000;
const EVERY = 250;
const BOUND = 256 * 1024;

describe('soak: no growth over long runs', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let model: Seq2Seq;
  let result: { samples: SoakSample[]; losses: number[] };

  beforeAll(async () => {
    env = await gpu();
    model = new Seq2Seq(env.ctx, {
      encoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 8 }] },
      decoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 8 }] },
      head: { units: 1 },
    });
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const rng = mulberry32(7);
    const seq = () => ({ data: Float32Array.from(uniformArray(B * T, 1, rng)), shape: [B, T, 1] as [number, number, number] });
    const x = [seq(), seq()];
    result = await soak(model, {
      steps: COUNT,
      decodes: COUNT,
      every: EVERY,
      batch: { x, y: seq() },
      decode: { input: x[0], steps: T },
      liveBuffers: () => env.ctx.liveBuffers,
    });
  }, 300_000);

  afterAll(() => model?.dispose());

  for (const phase of ['train', 'predict'] as const) {
    it(`${phase}: ${COUNT} ${phase === 'train' ? 'steps' : 'calls'} keep the heap within ${BOUND / 1024} KB and the GPU buffer count flat`, () => {
      const samples = result.samples.filter((s) => s.phase === phase);
      const warmed = samples.find((s) => s.done === EVERY)!;
      // The heap after forced GCs only errs upwards (garbage a GC left for later: one sample of a CI run
      // read 400 KB over its neighbours), so the end of the run is the lowest of its last three samples:
      // a leak raises all three.
      const late = Math.min(...samples.slice(-3).map((s) => s.heapBytes));
      const curve = samples.map((s) => `${s.done}: ${(s.heapBytes / 1024).toFixed(0)} KB`).join(', ');
      expect(late - warmed.heapBytes, `heap after GC: ${curve}`).toBeLessThan(BOUND);
      expect(new Set(samples.slice(1).map((s) => s.liveBuffers)).size, `live buffers: ${samples.map((s) => s.liveBuffers).join(', ')}`).toBe(1);
    });
  }

  it('the loss stays finite and falls', () => {
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.losses[result.losses.length - 1]).toBeLessThan(result.losses[0]);
  });
});
