// Decoding with the seed 000 model (LSTM(75) seq2seq, 24-step windows), on the GPU with one submit and
// one readback per call: latency of one window, and throughput for 1,000 windows in one call.

import { parseArgs } from 'node:util';
import { requestGpu, Seq2Seq } from 'webrnn';
import { time } from './timing.js';

const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'auto' } } });
const gpu = await requestGpu({ adapter: values.adapter });
const model = new Seq2Seq(gpu, {
  encoder: { inputSize: 1, layers: [{ units: 75 }] },
  decoder: { inputSize: 1, layers: [{ units: 75 }] },
  head: { units: 1 },
});
const window = (count: number) => ({
  data: Float32Array.from({ length: count * 24 }, (_, i) => Math.sin((i % 24) * 0.26 + Math.floor(i / 24) * 0.1)),
  shape: [count, 24, 1] as [number, number, number],
});

const results = [];
for (const [workload, count, runs] of [['decode-lstm75-1', 1, 21], ['decode-lstm75-1000', 1000, 5]] as const) {
  const input = window(count);
  const before = gpu.stats();
  await model.predict(input, { steps: 24 }); // builds the plan
  const perCall = { submits: gpu.stats().submits - before.submits, readbacks: gpu.stats().readbacks - before.readbacks };
  const timing = await time(async () => void (await model.predict(input, { steps: 24 })), runs, 2);
  results.push({
    workload,
    ...timing,
    windowsPerSec: Math.round((count / timing.msMedian) * 1000),
    dispatchesPerCall: model.decodePlanDispatches().at(-1),
    submitsPerCall: perCall.submits,
    readbacksPerCall: perCall.readbacks,
  });
}
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, results }));
model.dispose();
gpu.destroy();
