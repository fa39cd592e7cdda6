// The soak loop, shared by the suite's soak test and `npm run soak`: training steps then predict calls
// on one model, with the JS heap (after a forced GC), RSS and live GPU buffers sampled as it goes.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface SoakSample {
  phase: 'train' | 'predict';
  /** Steps or calls done in this phase so far. */
  done: number;
  heapBytes: number;
  rssBytes: number;
  liveBuffers: number;
}

/** What the loop needs of a model: a training step without readback, a loss read, one decode call. */
export interface SoakModel {
  trainOnBatch(x: unknown, y: unknown): Promise<void>;
  readLoss(): Promise<number>;
  predict(input: unknown, options: { steps: number }): Promise<unknown>;
}

export interface SoakOptions {
  steps: number;
  decodes: number;
  /** Sample every this many steps or calls (and at the end of each phase). */
  every: number;
  batch: { x: unknown; y: unknown };
  /** One decode call's input and length. */
  decode: { input: unknown; steps: number };
  liveBuffers(): number;
  onSample?(sample: SoakSample): void;
}

/** Heap after a full collection (twice: finalizers of the first can free more). */
export function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function soak(model: SoakModel, options: SoakOptions): Promise<{ samples: SoakSample[]; losses: number[] }> {
  const samples: SoakSample[] = [];
  const losses: number[] = [];
  const sample = (phase: SoakSample['phase'], done: number) => {
    const s = { phase, done, heapBytes: settledHeap(), rssBytes: process.memoryUsage().rss, liveBuffers: options.liveBuffers() };
    samples.push(s);
    options.onSample?.(s);
  };
  sample('train', 0);
  for (let i = 1; i <= options.steps; i++) {
    await model.trainOnBatch(options.batch.x, options.batch.y);
    if (i % options.every === 0 || i === options.steps) {
      losses.push(await model.readLoss());
      sample('train', i);
    }
  }
  sample('predict', 0);
  for (let i = 1; i <= options.decodes; i++) {
    await model.predict(options.decode.input, { steps: options.decode.steps });
    if (i % options.every === 0 || i === options.decodes) sample('predict', i);
  }
  return { samples, losses };
}
