// One training epoch of the seed configurations, after a warm-up epoch (plans built, pipelines compiled):
// (a) seed 000: LSTM(75) seq2seq, 76 sin->cos windows, batch 10, Adam; (b) seed 002: SimpleRNN(10),
// batch 16, validation split 0.2. Reports ms per epoch and dispatches / submits per training step.

import { parseArgs } from 'node:util';
import { requestGpu, Seq2Seq, translationWindows, type CellType } from 'webrnn';
import { time } from './timing.js';

const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'auto' }, epochs: { type: 'string', default: '7' } } });
const gpu = await requestGpu({ adapter: values.adapter });

const workloads: { workload: string; cell: CellType; units: number; batchSize: number; range: number; validationSplit: number }[] = [
  { workload: 'train-lstm75-epoch', cell: 'lstm', units: 75, batchSize: 10, range: 2, validationSplit: 0 },
  { workload: 'train-rnn10-epoch', cell: 'simple_rnn', units: 10, batchSize: 16, range: 3, validationSplit: 0.2 },
];

const results = [];
for (const w of workloads) {
  const data = translationWindows(Math.sin, Math.cos, { from: -w.range * Math.PI, to: w.range * Math.PI });
  const model = new Seq2Seq(gpu, {
    encoder: { inputSize: 1, layers: [{ cell: w.cell, units: w.units }] },
    decoder: { inputSize: 1, layers: [{ cell: w.cell, units: w.units }] },
    head: { units: 1 },
  });
  model.compile({ loss: 'mse', optimizer: 'adam' });
  const fitOptions = { epochs: 1, batchSize: w.batchSize, validationSplit: w.validationSplit };
  await model.fit(data.x, data.y, fitOptions); // warm-up: plans and pipelines
  const submits = gpu.stats().submits;
  const timing = await time(async () => void (await model.fit(data.x, data.y, fitOptions)), Number(values.epochs), 1);
  const trainSamples = data.count - Math.floor(data.count * w.validationSplit);
  const stepsPerEpoch = Math.ceil(trainSamples / w.batchSize);
  const batch = (a: Float32Array) => a.slice(0, w.batchSize * 24);
  const x = data.x.map((s) => ({ data: batch(s.data), shape: [w.batchSize, 24, 1] as [number, number, number] }));
  const info = await model.trainingPlanInfo(x, { data: batch(data.y.data), shape: [w.batchSize, 24, 1] });
  const epochsRun = Number(values.epochs) + 1;
  results.push({
    workload: w.workload,
    ...timing,
    samplesPerSec: Math.round((trainSamples / timing.msMedian) * 1000),
    dispatchesPerStep: info.dispatches,
    submitsPerStep: 1,
    submitsPerEpoch: (gpu.stats().submits - submits) / epochsRun,
    stepsPerEpoch,
  });
  model.dispose();
}
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, results }));
gpu.destroy();
