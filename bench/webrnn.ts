// webrnn side of the comparison: the workloads of bench/workloads.ts, measured after a warm-up run
// (plans built, pipelines compiled). Usage: node --import tsx bench/webrnn.ts --workload W [--adapter A] [--repeats N]

import { parseArgs } from 'node:util';
import { requestGpu, Seq2Seq, type CellType } from 'webrnn';
import {
  ADDITION_BATCH, ADDITION_EMBEDDING, ADDITION_EPOCH_SAMPLES, additionBatches, decodeWindows, SEED_DECODING, SEED_TRAINING, sinCos, type Measurement, type SeedCell, type Workload,
} from './workloads.js';
import { samples } from './timing.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string' },
    adapter: { type: 'string', default: 'auto' },
    repeats: { type: 'string', default: '3' },
    steps: { type: 'string', default: '0' },
  },
});
const workload = values.workload as Workload;
const repeats = Number(values.repeats);
const gpu = await requestGpu({ adapter: values.adapter });

const timeIt = (once: () => Promise<void>) => samples(once, repeats);

function numericSeq2Seq(cell: SeedCell, units: number) {
  // The GRU as tfjs-layers has it (reset_after false), so both sides do the same arithmetic.
  const layer = { cell: cell as CellType, units, ...(cell === 'gru' ? { resetAfter: false } : {}) };
  return new Seq2Seq(gpu, {
    encoder: { inputSize: 1, layers: [layer] },
    decoder: { inputSize: 1, layers: [layer] },
    head: { units: 1 },
  });
}

async function run(): Promise<Measurement> {
  const training = SEED_TRAINING[workload];
  if (training) {
    const data = sinCos(training.range);
    const model = numericSeq2Seq(training.cell, training.units);
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const options = { epochs: 1, batchSize: training.batchSize, validationSplit: training.validationSplit };
    const before = gpu.stats();
    const samples = await timeIt(async () => void (await model.fit(data.x, data.y, options)));
    const trainSamples = data.count - Math.floor(data.count * options.validationSplit);
    const steps = Math.ceil(trainSamples / options.batchSize) * (repeats + 1);
    const batch = (a: Float32Array) => ({ data: a.slice(0, options.batchSize * 24), shape: [options.batchSize, 24, 1] as [number, number, number] });
    const info = await model.trainingPlanInfo(data.x.map((s) => batch(s.data)), batch(data.y.data));
    // Submits of the training steps alone: the epochs' loss readbacks (1, or 2 with validation) and the
    // validation passes are not training steps.
    const perEpochExtra = options.validationSplit > 0 ? 2 + 1 : 1;
    const submitsPerStep = (gpu.stats().submits - before.submits - perEpochExtra * (repeats + 1)) / steps;
    model.dispose();
    return { workload, impl: 'webrnn', samplesMs: samples, items: trainSamples, dispatchesPerStep: info.dispatches, submitsPerStep };
  }
  if (workload === 'train-addition3-epoch') {
    const steps = Math.max(1, Number(values.steps) || 30);
    const { task, vocab } = additionBatches(steps);
    const model = new Seq2Seq(gpu, {
      encoder: { vocabSize: vocab, embeddingDim: ADDITION_EMBEDDING, layers: [{ units: 128 }] },
      decoder: { vocabSize: vocab, embeddingDim: ADDITION_EMBEDDING, layers: [{ units: 128 }] },
      head: { units: vocab, activation: 'softmax' },
    });
    model.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'adam' });
    const batches = Array.from({ length: steps }, (_, i) => {
      const rows = (r: number[][]) => r.slice(i * ADDITION_BATCH, (i + 1) * ADDITION_BATCH);
      return { x: [rows(task.source), rows(task.decoderInput)], y: rows(task.target) };
    });
    const samples = await timeIt(async () => {
      for (const b of batches) await model.trainOnBatch(b.x, b.y);
      await gpu.finish();
    });
    const info = await model.trainingPlanInfo(batches[0].x, batches[0].y);
    const stepsPerEpoch = Math.ceil(ADDITION_EPOCH_SAMPLES / ADDITION_BATCH);
    model.dispose();
    return {
      workload, impl: 'webrnn', samplesMs: samples.map((ms) => (ms / steps) * stepsPerEpoch), items: ADDITION_EPOCH_SAMPLES,
      dispatchesPerStep: info.dispatches, submitsPerStep: 1, note: `timed ${steps} steps, scaled to ${stepsPerEpoch}`,
    };
  }
  const { cell, count } = SEED_DECODING[workload]!;
  const model = numericSeq2Seq(cell, 75);
  const input = { data: decodeWindows(count), shape: [count, 24, 1] as [number, number, number] };
  const before = gpu.stats();
  const samples = await timeIt(async () => void (await model.predict(input, { steps: 24 })));
  const calls = repeats + 1;
  const result: Measurement = {
    workload, impl: 'webrnn', samplesMs: samples, items: count,
    dispatchesPerStep: model.decodePlanDispatches()[0],
    submitsPerStep: (gpu.stats().submits - before.submits) / calls,
    readbacksPerCall: (gpu.stats().readbacks - before.readbacks) / calls,
  };
  model.dispose();
  return result;
}

console.log(JSON.stringify(await run()));
gpu.destroy();
