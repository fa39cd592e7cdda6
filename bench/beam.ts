// Beam search against greedy decoding on the GPU: 1,000 addition questions (3 digits, the addition
// workload's Embedding(16) + LSTM(128) seq2seq) decoded in one call each way, every call one submit
// and one readback. Usage: node --import tsx bench/beam.ts [--adapter A] [--repeats N] [--questions Q]

import { parseArgs } from 'node:util';
import { requestGpu, Seq2Seq } from 'webrnn';
import { additionTask } from '../src/tasks/characters.js';
import { ADDITION_EMBEDDING } from './workloads.js';
import { time } from './timing.js';

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'auto' },
    repeats: { type: 'string', default: '5' },
    questions: { type: 'string', default: '1000' },
  },
});
const gpu = await requestGpu({ adapter: values.adapter });
const questions = Number(values.questions);
const task = additionTask({ digits: 3, count: questions, seed: 2, reverse: true });
const vocab = task.vocabulary.size;
const model = new Seq2Seq(gpu, {
  encoder: { vocabSize: vocab, embeddingDim: ADDITION_EMBEDDING, layers: [{ units: 128 }] },
  decoder: { vocabSize: vocab, embeddingDim: ADDITION_EMBEDDING, layers: [{ units: 128 }] },
  head: { units: vocab, activation: 'softmax' },
  seed: 1,
});
const source = { data: Int32Array.from(task.source.flat()), shape: [questions, task.sourceLength] as [number, number] };
const base = { maxLength: task.targetLength, startToken: task.vocabulary.startId, endToken: task.vocabulary.endId };
const runs = Number(values.repeats);
const results = [];
for (const [name, options] of [
  ['greedy (per-step plan)', { ...base, strategy: 'step' as const }],
  ['greedy (auto)', base],
  ['beam width 1', { ...base, beamWidth: 1 }],
  ['beam width 4', { ...base, beamWidth: 4 }],
  ['beam width 8', { ...base, beamWidth: 8 }],
] as const) {
  const before = gpu.stats();
  const timing = await time(async () => void (await model.generate(source, options)), runs, 1);
  const calls = runs + 1;
  results.push({
    decode: name, msMedian: timing.msMedian, msMin: timing.msMin,
    submitsPerCall: (gpu.stats().submits - before.submits) / calls, readbacksPerCall: (gpu.stats().readbacks - before.readbacks) / calls,
  });
}
model.dispose();
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, questions, steps: task.targetLength, results }));
gpu.destroy();
