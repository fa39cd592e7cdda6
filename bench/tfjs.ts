// TensorFlow.js side of the comparison: the same models with tfjs-layers (recurrentActivation 'sigmoid'
// to match Keras 2 / webrnn), on the 'cpu' backend or on 'webgpu' over the same Dawn adapter as webrnn.
// Decoding follows the seeds: an encoder model, then a one-step decoder model called once per step.
// Usage: node --import tsx bench/tfjs.ts --backend cpu|webgpu --workload W [--adapter A] [--repeats N]

import { parseArgs } from 'node:util';
import { ADDITION_BATCH, ADDITION_EMBEDDING, ADDITION_EPOCH_SAMPLES, additionBatches, decodeWindows, sinCos, type Measurement, type Workload } from './workloads.js';
import { samples } from './timing.js';

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

function seq2seq(cell: 'lstm' | 'simpleRNN', units: number, input: { features?: number; vocab?: number; embedding?: number }, outputs: number) {
  const layer = (extra: Record<string, unknown>) =>
    cell === 'lstm' ? tf.layers.lstm({ units, recurrentActivation: 'sigmoid', ...extra }) : tf.layers.simpleRNN({ units, ...extra });
  const inputOf = (steps: number) => tf.input({ shape: input.vocab ? [steps] : [steps, input.features!] });
  const embed = (x: ReturnType<typeof tf.input>) =>
    input.vocab ? (tf.layers.embedding({ inputDim: input.vocab, outputDim: input.embedding! }).apply(x) as ReturnType<typeof tf.input>) : x;
  return { layer, inputOf, embed, outputs, cell, units };
}

function trainingModel(spec: ReturnType<typeof seq2seq>, sourceSteps: number, targetSteps: number, head: 'linear' | 'softmax') {
  const encoderInput = spec.inputOf(sourceSteps);
  const encoderOut = spec.layer({ returnState: true }).apply(spec.embed(encoderInput)) as unknown as ReturnType<typeof tf.input>[];
  const decoderInput = spec.inputOf(targetSteps);
  const decoderLayer = spec.layer({ returnSequences: true, returnState: true });
  const decoderOut = decoderLayer.apply(spec.embed(decoderInput), { initialState: encoderOut.slice(1) }) as unknown as ReturnType<typeof tf.input>[];
  const dense = tf.layers.dense({ units: spec.outputs, activation: head });
  const output = dense.apply(decoderOut[0]) as ReturnType<typeof tf.input>;
  const model = tf.model({ inputs: [encoderInput, decoderInput], outputs: output });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: head === 'linear' ? 'meanSquaredError' : 'sparseCategoricalCrossentropy' });
  return { model, encoderInput, encoderStates: encoderOut.slice(1), decoderLayer, dense };
}

const timeIt = (once: () => Promise<void>) => samples(once, repeats);

async function run(): Promise<Measurement> {
  const impl = values.backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-cpu';
  if (workload === 'train-lstm75-epoch' || workload === 'train-rnn10-epoch') {
    const lstm = workload === 'train-lstm75-epoch';
    const data = sinCos(lstm ? 2 : 3);
    const { model } = trainingModel(seq2seq(lstm ? 'lstm' : 'simpleRNN', lstm ? 75 : 10, { features: 1 }, 1), 24, 24, 'linear');
    const x = data.x.map((s) => tf.tensor3d(s.data, s.shape));
    const y = tf.tensor3d(data.y.data, data.y.shape);
    const options = { epochs: 1, batchSize: lstm ? 10 : 16, validationSplit: lstm ? 0 : 0.2, verbose: 0 as const };
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
    const { model } = trainingModel(seq2seq('lstm', 128, { vocab, embedding: ADDITION_EMBEDDING }, vocab), task.sourceLength, task.targetLength, 'softmax');
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
  const count = workload === 'decode-lstm75-1' ? 1 : 1000;
  const built = trainingModel(seq2seq('lstm', 75, { features: 1 }, 1), 24, 24, 'linear');
  const encoder = tf.model({ inputs: built.encoderInput, outputs: built.encoderStates });
  const stepInput = tf.input({ shape: [1, 1] });
  const stateInputs = [tf.input({ shape: [75] }), tf.input({ shape: [75] })];
  const stepOut = built.decoderLayer.apply(stepInput, { initialState: stateInputs }) as unknown as ReturnType<typeof tf.input>[];
  const stepModel = tf.model({ inputs: [stepInput, ...stateInputs], outputs: [built.dense.apply(stepOut[0]) as ReturnType<typeof tf.input>, ...stepOut.slice(1)] });
  const windows = tf.tensor3d(decodeWindows(count), [count, 24, 1]);
  let readbacks = 0;
  const samples = await timeIt(async () => {
    let states = encoder.predict(windows) as ReturnType<typeof tf.tensor>[];
    let input = tf.zeros([count, 1, 1]);
    const outputs: number[][] = [];
    for (let t = 0; t < 24; t++) {
      const [y, h, c] = stepModel.predict([input, ...states]) as ReturnType<typeof tf.tensor>[];
      outputs.push(Array.from(await y.data())); // the seeds read each step's output back to feed it in
      readbacks++;
      tf.dispose([input, ...states]);
      input = y;
      states = [h, c];
    }
    tf.dispose([input, ...states]);
  });
  return { workload, impl, samplesMs: samples, items: count, readbacksPerCall: readbacks / (repeats + 1) };
}

const result = await run();
console.log(JSON.stringify(result));
void keepAlive;
