// Device loss, as a driver reset or a backgrounded tab causes it: destroying the device mid-fit and
// mid-predict makes the pending call reject with DeviceLostError (never hang), and restore() rebuilds the
// model on a new device from its last checkpoint (fit's checkpointEvery), which then trains on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceLostError, Seq2Seq, WebRnnError, requestGpu, type GpuContext, type Seq2SeqConfig } from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const CONFIG: Seq2SeqConfig = {
  encoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 6 }] },
  decoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 6 }] },
  head: { units: 1 },
  seed: 21,
};

function data() {
  const rng = mulberry32(22);
  const seq = () => ({ data: Float32Array.from(uniformArray(12 * 5, 1, rng)), shape: [12, 5, 1] as [number, number, number] });
  return { x: [seq(), seq()], y: seq() };
}


describe('device loss', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const contexts: GpuContext[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => contexts.forEach((c) => c.destroy()));

  it('mid-fit: fit rejects with DeviceLostError; restore() on a new device gives the checkpoint, and it trains on', async () => {
    const doomed = await requestGpu();
    contexts.push(doomed);
    const model = new Seq2Seq(doomed, CONFIG);
    model.compile({ loss: 'mse', optimizer: 'adam', learningRate: 0.01, clipNorm: 1 });
    const { x, y } = data();
    let atCheckpoint: Float32Array[] = [];
    const run = model.fit(x, y, {
      epochs: 5, batchSize: 4, checkpointEvery: 2,
      callbacks: {
        onEpochEnd: async (epoch) => {
          if (epoch === 1) atCheckpoint = await model.getWeights();
        },
        onBatchEnd: async (batch) => {
          if (model.lastCheckpointTaken && batch === 1) {
            doomed.device.destroy();
            await doomed.device.lost;
          }
        },
      },
    });
    await expect(run).rejects.toThrow(DeviceLostError);
    expect(model.lastCheckpointTaken!.iterations).toBe(6); // 2 epochs of 3 steps
    expect(sameBits(model.lastCheckpointTaken!.weights, atCheckpoint)).toBe(true);

    const restored = await model.restore(env.ctx);
    model.dispose();
    try {
      expect(restored).toBeInstanceOf(Seq2Seq);
      expect(sameBits(await restored.getWeights(), atCheckpoint)).toBe(true);
      expect(restored.optimizer).toMatchObject({ name: 'adam', learningRate: 0.01, clipNorm: 1 });
      const history = await restored.fit(x, y, { epochs: 2, batchSize: 4 });
      expect(history.history.loss.every(Number.isFinite)).toBe(true);
    } finally {
      restored.dispose();
    }
  });

  it('mid-predict: the call rejects with DeviceLostError instead of hanging', async () => {
    const doomed = await requestGpu();
    contexts.push(doomed);
    const model = new Seq2Seq(doomed, CONFIG);
    const { x } = data();
    await model.predict(x[0], { steps: 4 }); // plans built, pipelines compiled
    const call = model.predict(x[0], { steps: 4 });
    doomed.device.destroy();
    await expect(call).rejects.toThrow(DeviceLostError);
    await expect(model.predict(x[0], { steps: 4 })).rejects.toThrow(DeviceLostError);
    await expect(model.restore(env.ctx)).rejects.toThrow(WebRnnError); // no checkpoint was taken
    await expect(model.restore(env.ctx)).rejects.toThrow(/no checkpoint to restore from/);
    model.dispose();
  });
});
