// TensorFlow.js side of the comparison: the same models with tfjs-layers (recurrentActivation 'sigmoid'
// to match Keras 2 / webrnn), on the 'cpu' backend or on 'webgpu' over the same Dawn adapter as webrnn.
// Decoding follows the seeds: an encoder model, then a one-step decoder model called once per step.
// Usage: node --import tsx bench/tfjs.ts --backend cpu|webgpu --workload W [--adapter A] [--repeats N]

import { parseArgs } from 'node:util';
import {
  ADDITION_BATCH, ADDITION_EMBEDDING, ADDITION_EPOCH_SAMPLES, additionBatches, decodeWindows, SEED_DECODING, SEED_TRAINING, sinCos, type Measurement, type Workload,
} from './workloads.js';
import { samples } from './timing.js';
import { greedyDecode, trainingModel, type ModelSpec } from './tfjs-models.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    workload: { type: 'string' },
    adapter: { type: 'string', default: 'auto' },
    repeats: { type: 'string', default: '3' },
    steps: { type: 'string', default: '0' },
  },
});
const workload = values.workload as Workload;
const repeats = Number(values.repeats);

// WebGPU for TF.js in Node: Dawn's navigator.gpu must exist before the backend is imported.
let keepAlive: unknown;
if (values.backend === 'webgpu') {
  const icds: Record<string, string> = { lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json', swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json' };
  if (values.adapter !== 'auto') process.env.VK_ICD_FILENAMES = icds[values.adapter!] ?? values.adapter;
  const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  keepAlive = dawn.create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: keepAlive }, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
}
const tf = await import('@tensorflow/tfjs');
await tf.setBackend(values.backend!);
await tf.ready();

const timeIt = (once: () => Promise<void>) => samples(once, repeats);

const TFJS_CELLS = { lstm: 'lstm', gru: 'gru', simple_rnn: 'simpleRNN' } as const;

async function run(): Promise<Measurement> {
  const impl = values.backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-cpu';
  const training = SEED_TRAINING[workload];
  if (training) {
    const data = sinCos(training.range);
    const { model } = trainingModel(tf, { cell: TFJS_CELLS[training.cell], units: training.units, input: { features: 1 }, outputs: 1 }, 24, 24, 'linear');
    const x = data.x.map((s) => tf.tensor3d(s.data, s.shape));
    const y = tf.tensor3d(data.y.data, data.y.shape);
    const options = { epochs: 1, batchSize: training.batchSize, validationSplit: training.validationSplit, verbose: 0 as const };
    const trainSamples = data.count - Math.floor(data.count * options.validationSplit);
    const stepsPerEpoch = Math.ceil(trainSamples / options.batchSize);
    const limit = Number(values.steps);
    if (limit > 0 && limit < stepsPerEpoch) {
      // Too slow to run whole here: time `limit` batches with trainOnBatch and scale to the epoch.
      const xb = x.map((t) => t.slice([0, 0, 0], [options.batchSize, 24, 1]));
      const yb = y.slice([0, 0, 0], [options.batchSize, 24, 1]);
      const samples = await timeIt(async () => {
        for (let i = 0; i < limit; i++) await model.trainOnBatch(xb, yb);
      });
      return { workload, impl, samplesMs: samples.map((ms) => (ms / limit) * stepsPerEpoch), items: trainSamples, note: `timed ${limit} steps, scaled to ${stepsPerEpoch}` };
    }
    const samples = await timeIt(async () => void (await model.fit(x, y, options)));
    return { workload, impl, samplesMs: samples, items: trainSamples };
  }
  if (workload === 'train-addition3-epoch') {
    const steps = Math.max(1, Number(values.steps) || 10);
    const { task, vocab } = additionBatches(steps);
    const { model } = trainingModel(tf, { cell: 'lstm', units: 128, input: { vocab, embedding: ADDITION_EMBEDDING }, outputs: vocab }, task.sourceLength, task.targetLength, 'softmax');
    const batch = (rows: number[][], from: number, dtype: 'int32' | 'float32' = 'int32') =>
      tf.tensor2d(rows.slice(from, from + ADDITION_BATCH), [ADDITION_BATCH, rows[0].length], dtype);
    const batches = Array.from({ length: steps }, (_, i) => ({
      x: [batch(task.source, i * ADDITION_BATCH), batch(task.decoderInput, i * ADDITION_BATCH)],
      // tfjs-layers wants sparse targets as floats with a trailing axis of 1 for a 3-D output.
      y: batch(task.target, i * ADDITION_BATCH, 'float32').expandDims(-1),
    }));
    const stepsPerEpoch = Math.ceil(ADDITION_EPOCH_SAMPLES / ADDITION_BATCH);
    const samples = await timeIt(async () => {
      for (const b of batches) await model.trainOnBatch(b.x, b.y);
    });
    return { workload, impl, samplesMs: samples.map((ms) => (ms / steps) * stepsPerEpoch), items: ADDITION_EPOCH_SAMPLES, note: `timed ${steps} steps, scaled to ${stepsPerEpoch}` };
  }
  // Decoding as the seeds do it: encoder model, then a one-step decoder model, one call per step.
  const { cell, count } = SEED_DECODING[workload]!;
  const spec: ModelSpec = { cell: TFJS_CELLS[cell], units: 75, input: { features: 1 }, outputs: 1 };
  const built = trainingModel(tf, spec, 24, 24, 'linear');
  const windows = tf.tensor3d(decodeWindows(count), [count, 24, 1]);
  const samples = await timeIt(async () => void (await greedyDecode(tf, built, spec, windows, 24)));
  const readbacks = 24; // greedyDecode reads each step's output back to feed it in, as the seeds do
  return { workload, impl, samplesMs: samples, items: count, readbacksPerCall: readbacks };
}

const result = await run();
console.log(JSON.stringify(result));
void keepAlive;
