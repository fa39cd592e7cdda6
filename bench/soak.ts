// npm run soak -- [--steps N] [--decodes N] [--units U] [--every N] [--adapter A]
// The seed-000 model (LSTM(75) seq2seq, sin -> cos, batch 10; --units for another width: what leaks per
// call does not depend on it, and a narrow model soaks faster) trained for N steps, then N one-window
// predict calls, in one process: prints the JS heap after forced GC, RSS and live GPU buffers as it
// goes, and the growth of each between the first sample after warm-up and the last.

import { parseArgs } from 'node:util';
import { requestGpu, Seq2Seq } from 'webrnn';
import { soak, type SoakSample } from '../test/helpers/soak.js';
import { sinCos } from './workloads.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '50000' },
    decodes: { type: 'string', default: '100000' },
    every: { type: 'string' },
    units: { type: 'string', default: '75' },
    adapter: { type: 'string', default: 'auto' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run soak -- [--steps N] [--decodes N] [--units U] [--every N] [--adapter lavapipe|swiftshader|PATH]');
  process.exit(0);
}
const steps = Number(values.steps);
const decodes = Number(values.decodes);
const units = Number(values.units);
for (const [name, n, least] of [['--steps', steps, 0], ['--decodes', decodes, 0], ['--units', units, 1]] as const) {
  if (!Number.isInteger(n) || n < least) {
    console.error(`soak: ${name} must be an integer >= ${least}, got '${n}'`);
    process.exit(2);
  }
}
const every = Number(values.every ?? Math.max(1, Math.round(Math.max(steps, decodes) / 20)));

const gpu = await requestGpu({ adapter: values.adapter });
const model = new Seq2Seq(gpu, {
  encoder: { inputSize: 1, layers: [{ cell: 'lstm', units }] },
  decoder: { inputSize: 1, layers: [{ cell: 'lstm', units }] },
  head: { units: 1 },
});
model.compile({ loss: 'mse', optimizer: 'adam' });
const data = sinCos(2);
const B = 10;
const batch = (s: { data: Float32Array }) => ({ data: s.data.slice(0, B * 24), shape: [B, 24, 1] as [number, number, number] });
const MB = (n: number) => (n / 2 ** 20).toFixed(2).padStart(8);
console.log(`soak on ${gpu.adapterInfo.description || gpu.adapterInfo.device}: LSTM(${units}) seq2seq, ${steps} training steps, then ${decodes} predict calls`);
console.log('phase      done   heap MB    RSS MB  buffers');
const started = performance.now();
const { samples, losses } = await soak(model, {
  steps,
  decodes,
  every,
  batch: { x: data.x.map(batch), y: batch(data.y) },
  decode: { input: { data: data.x[0].data.slice(0, 24), shape: [1, 24, 1] }, steps: 24 },
  liveBuffers: () => gpu.liveBuffers,
  onSample: (s) => console.log(`${s.phase.padEnd(8)}${String(s.done).padStart(7)}${MB(s.heapBytes)}  ${MB(s.rssBytes)}  ${String(s.liveBuffers).padStart(7)}`),
});
for (const phase of ['train', 'predict'] as const) {
  const list = samples.filter((s: SoakSample) => s.phase === phase);
  if (list.length < 3) continue;
  const [from, to] = [list[1], list[list.length - 1]];
  console.log(
    `${phase}: from ${from.done} to ${to.done}: heap ${((to.heapBytes - from.heapBytes) / 1024).toFixed(0)} KB, ` +
      `RSS ${((to.rssBytes - from.rssBytes) / 2 ** 20).toFixed(1)} MB, buffers ${from.liveBuffers} -> ${to.liveBuffers}`,
  );
}
if (losses.length) console.log(`loss ${losses[0].toExponential(3)} -> ${losses[losses.length - 1].toExponential(3)}; ${((performance.now() - started) / 1000).toFixed(0)} s`);
model.dispose();
gpu.destroy();
