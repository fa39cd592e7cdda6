// The reference for the seed experiments' accuracy targets: TensorFlow.js (Keras semantics, 'cpu' backend)
// trained on the seed configurations over several seeds, scored exactly as `webrnn experiments` scores
// webrnn. One seed proves little on 76 windows, so it prints every seed and the median.
// Usage: node --import tsx bench/tfjs-accuracy.ts --config lstm|rnn [--seeds 8] [--epochs N]
//   lstm: seed 000 - LSTM(75) seq2seq, sin -> cos on [-2pi, 2pi], batch 10, 35 epochs; greedy decode MSE
//   rnn:  seed 002 - SimpleRNN(10) seq2seq on [-3pi, 3pi], batch 16, 80 epochs, validation split 0.2; val_loss

import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { translationWindows } from 'webrnn';
import { greedyDecode, trainingModel, type ModelSpec } from './tfjs-models.js';

const { values } = parseArgs({ options: { config: { type: 'string', default: 'lstm' }, seeds: { type: 'string', default: '8' }, epochs: { type: 'string' } } });
if (values.config !== 'lstm' && values.config !== 'rnn') throw new Error(`--config must be lstm or rnn, got '${values.config}'`);
const lstm = values.config === 'lstm';
const seeds = Number(values.seeds);
const epochs = Number(values.epochs ?? (lstm ? 35 : 80));
await tf.setBackend('cpu');

const range = lstm ? 2 : 3;
const data = translationWindows(Math.sin, Math.cos, { from: -range * Math.PI, to: range * Math.PI });
const shape: [number, number, number] = [data.count, data.steps, 1];
const metric = lstm ? 'decode_mse' : 'val_loss';
const results: number[] = [];
for (let seed = 0; seed < seeds; seed++) {
  const spec: ModelSpec = { cell: lstm ? 'lstm' : 'simpleRNN', units: lstm ? 75 : 10, input: { features: 1 }, outputs: 1, seed };
  const built = trainingModel(tf, spec, data.steps, data.steps, 'linear');
  const [encoderInput, decoderInput] = data.x.map((s) => tf.tensor3d(s.data, shape));
  const target = tf.tensor3d(data.y.data, shape);
  const started = performance.now();
  const history = await built.model.fit([encoderInput, decoderInput], target, { epochs, batchSize: lstm ? 10 : 16, validationSplit: lstm ? 0 : 0.2, verbose: 0 });
  const loss = history.history.loss.at(-1) as number;
  let value: number;
  if (lstm) {
    const decoded = await greedyDecode(tf, built, spec, encoderInput, data.steps);
    value = decoded.reduce((sum, v, i) => sum + (v - data.y.data[i]) ** 2, 0) / decoded.length;
  } else {
    value = history.history.val_loss.at(-1) as number;
  }
  results.push(value);
  console.log(JSON.stringify({ seed, epochs, loss, [metric]: value, seconds: (performance.now() - started) / 1000 }));
  tf.dispose([encoderInput, decoderInput, target]);
  built.model.dispose();
}
const sorted = [...results].sort((a, b) => a - b);
const median = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(JSON.stringify({ config: values.config, metric, seeds, median, min: sorted[0], max: sorted.at(-1) }));
