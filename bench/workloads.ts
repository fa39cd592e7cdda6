// The benchmark workloads, shared by the webrnn and TensorFlow.js runners: same data, same models.
//   train-lstm75-epoch:    seed 000, LSTM(75) seq2seq, 76 sin->cos windows of 24, batch 10, Adam, mse
//   train-rnn10-epoch:     seed 002, SimpleRNN(10) seq2seq, [-3pi, 3pi], batch 16, validation 0.2
//   train-addition3-epoch: 3-digit addition, Embedding(16) + LSTM(128) seq2seq, batch 32, 45,000 samples
//                          (the Keras example's 50,000 less its 10% validation); timed over a few steps,
//                          scaled to the epoch
//   decode-lstm75-1 / -1000: the seed 000 model decoding 24 steps for 1 and 1,000 windows
//   train-gru75-epoch / decode-gru75-1000: seed 000 with GRU(75) in place of the LSTM (reset_after false,
//                          the variant tfjs-layers has; sigmoid recurrent activation in both)

import { translationWindows } from 'webrnn';
import { additionTask } from '../src/tasks/characters.js';

export const WORKLOADS = [
  'train-lstm75-epoch', 'train-gru75-epoch', 'train-rnn10-epoch', 'train-addition3-epoch', 'decode-lstm75-1', 'decode-lstm75-1000', 'decode-gru75-1000',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export type SeedCell = 'lstm' | 'gru' | 'simple_rnn';

/** The seq2seq training workloads over sin -> cos windows (seeds 000 and 002). */
export const SEED_TRAINING: Partial<Record<Workload, { cell: SeedCell; units: number; range: 2 | 3; batchSize: number; validationSplit: number }>> = {
  'train-lstm75-epoch': { cell: 'lstm', units: 75, range: 2, batchSize: 10, validationSplit: 0 },
  'train-gru75-epoch': { cell: 'gru', units: 75, range: 2, batchSize: 10, validationSplit: 0 },
  'train-rnn10-epoch': { cell: 'simple_rnn', units: 10, range: 3, batchSize: 16, validationSplit: 0.2 },
};

/** The decoding workloads: the seed 000 model (or its GRU twin) over `count` windows. */
export const SEED_DECODING: Partial<Record<Workload, { cell: SeedCell; count: number }>> = {
  'decode-lstm75-1': { cell: 'lstm', count: 1 },
  'decode-lstm75-1000': { cell: 'lstm', count: 1000 },
  'decode-gru75-1000': { cell: 'gru', count: 1000 },
};

export const ADDITION_EPOCH_SAMPLES = 45_000;
export const ADDITION_BATCH = 32;
export const ADDITION_EMBEDDING = 16;

export function sinCos(range: 2 | 3) {
  return translationWindows(Math.sin, Math.cos, { from: -range * Math.PI, to: range * Math.PI });
}

/** A few batches of 3-digit addition (enough distinct data for the timed steps). */
export function additionBatches(batches: number) {
  const task = additionTask({ digits: 3, count: batches * ADDITION_BATCH, seed: 1, reverse: true });
  return { task, vocab: task.vocabulary.size };
}

/** Timed decode input: `count` windows of 24 steps. */
export function decodeWindows(count: number): Float32Array {
  return Float32Array.from({ length: count * 24 }, (_, i) => Math.sin((i % 24) * 0.26 + Math.floor(i / 24) * 0.1));
}

export interface Measurement {
  workload: Workload;
  impl: 'webrnn' | 'tfjs-cpu' | 'tfjs-webgpu';
  /** Per epoch (training) or per call (decoding), one sample per repeat. */
  samplesMs: number[];
  /** Samples (training) or windows (decoding) per epoch / call. */
  items: number;
  dispatchesPerStep?: number;
  submitsPerStep?: number;
  readbacksPerCall?: number;
  /** How the figure was obtained when not measured whole (e.g. 'timed 20 steps, scaled to 1407'). */
  note?: string;
}
