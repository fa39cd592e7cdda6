// The README's table of the largest training batch per model and sequence length under WebGPU's default
// buffer limits (maxStorageBufferBindingSize 128 MiB, maxBufferSize 256 MiB), from model.largestBatch().
// Usage: npm run build && node --import tsx bench/limits.ts

import { requestGpu, Seq2Seq, SequenceModel } from 'webrnn';
const gpu = await requestGpu();
const L = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
const rows: [string, { largestBatch(t: number, l: typeof L): number; dispose(): void }, number[]][] = [
  ['Seq2Seq LSTM(75) (seed 000)', new Seq2Seq(gpu, { encoder: { inputSize: 1, layers: [{ units: 75 }] }, decoder: { inputSize: 1, layers: [{ units: 75 }] }, head: { units: 1 } }), [24, 100, 1000]],
  ['Seq2Seq SimpleRNN(10) (seed 002)', new Seq2Seq(gpu, { encoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 10 }] }, decoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 10 }] }, head: { units: 1 } }), [24, 100, 1000]],
  ['Seq2Seq Embedding + LSTM(128) (addition)', new Seq2Seq(gpu, { encoder: { vocabSize: 14, embeddingDim: 16, layers: [{ units: 128 }] }, decoder: { vocabSize: 14, embeddingDim: 16, layers: [{ units: 128 }] }, head: { units: 14, activation: 'softmax' } }), [8, 100, 1000]],
  ['SequenceModel GRU(256) x 2, vocab 100', new SequenceModel(gpu, { vocabSize: 100, embeddingDim: 32, layers: [{ cell: 'gru', units: 256 }, { cell: 'gru', units: 256 }], head: { units: 100, activation: 'softmax' } }), [24, 100, 1000]],
  ['SequenceModel LSTM(1024)', new SequenceModel(gpu, { inputSize: 16, layers: [{ units: 1024 }], head: { units: 16 } }), [24, 100, 1000]],
];
for (const [name, model, steps] of rows) { console.log(`| ${name} | ${steps.map((t) => `${t}: ${model.largestBatch(t, L).toLocaleString('en-US')}`).join(' · ')} |`); model.dispose(); }
gpu.destroy();
