// LSTM(75) over 24 steps, batch 10, input 1 (the seed 000 encoder): forward and backward time of the
// GPU work for each execution strategy, with dispatch counts. Prints one JSON line.

import { parseArgs } from 'node:util';
import { requestGpu, KernelRegistry, LSTM, Plan } from 'webrnn/advanced';
import { time } from './timing.js';

const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'auto' } } });
const gpu = await requestGpu({ adapter: values.adapter });
const registry = new KernelRegistry(gpu);
const [batch, steps, units, inputSize] = [10, 24, 75, 1];

const results = [];
for (const strategy of ['sequence', 'step'] as const) {
  const layer = LSTM.create(gpu, { units, inputSize, returnSequences: true, strategy }, { registry });
  const buffers = layer.createBuffers(batch, steps);
  const x = gpu.createStorageBuffer('bench.x', batch * steps * inputSize * 4, new Float32Array(batch * steps * inputSize).fill(0.5));
  const dx = gpu.createStorageBuffer('bench.dx', batch * steps * inputSize * 4);
  const forward = new Plan(gpu, 'bench.forward', await layer.forwardSteps(buffers, x));
  const backward = new Plan(gpu, 'bench.backward', await layer.backwardSteps(buffers, x, dx));
  const both = new Plan(gpu, 'bench.step', [...forward.steps, ...backward.steps]);
  const measure = (plan: Plan) => time(async () => { plan.run(); await gpu.finish(); }, 21, 3);
  results.push({
    strategy,
    forward: { ...(await measure(forward)), dispatches: forward.dispatchCount },
    backward: { ...(await measure(backward)), dispatches: backward.dispatchCount },
    forwardBackward: { ...(await measure(both)), dispatches: both.dispatchCount },
  });
  for (const plan of [forward, backward, both]) plan.dispose();
  layer.destroyBuffers(buffers);
  gpu.destroyBuffer(x);
  gpu.destroyBuffer(dx);
  layer.dispose();
}
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, config: { batch, steps, units, inputSize }, results }));
gpu.destroy();
