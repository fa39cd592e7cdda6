// Matmul throughput on one adapter: GFLOP/s at 1024^3 (all transpose variants) and at the shapes the
// recurrent layers use, for every matmul kernel the device can run (the one it gets first), the kernels
// interleaved round by round so they see the same machine. Run by bench/run.ts once per driver; prints one
// JSON line.

import { parseArgs } from 'node:util';
import { requestGpu, KernelRegistry, Tensor, Plan, matmulKernels, matmulStep } from 'webrnn/advanced';

const { values } = parseArgs({ options: { adapter: { type: 'string', default: 'auto' }, quick: { type: 'boolean', default: false } } });

const gpu = await requestGpu({ adapter: values.adapter });
const kernels = new KernelRegistry(gpu);

const cases: { name: string; M: number; K: number; N: number; transA?: boolean; transB?: boolean; reps: number }[] = [
  { name: '1024^3', M: 1024, K: 1024, N: 1024, reps: 1 },
  { name: '1024^3 transA', M: 1024, K: 1024, N: 1024, transA: true, reps: 1 },
  { name: '1024^3 transB', M: 1024, K: 1024, N: 1024, transB: true, reps: 1 },
  { name: '1024^3 transA transB', M: 1024, K: 1024, N: 1024, transA: true, transB: true, reps: 1 },
  { name: 'projection 240x75x300', M: 240, K: 75, N: 300, reps: 20 },
  { name: 'weight grad 75x240x300 transA', M: 75, K: 240, N: 300, transA: true, reps: 20 },
  { name: 'input grad 240x300x75 transB', M: 240, K: 300, N: 75, transB: true, reps: 20 },
];

const kernelNames = matmulKernels(gpu);
const results = [];
for (const c of values.quick ? cases.slice(0, 1) : cases) {
  const a = Tensor.zeros(gpu, [c.M * c.K], { label: 'a' });
  const b = Tensor.zeros(gpu, [c.K * c.N], { label: 'b' });
  const out = Tensor.zeros(gpu, [c.M * c.N], { label: 'c' });
  a.write(new Float32Array(c.M * c.K).fill(0.5));
  b.write(new Float32Array(c.K * c.N).fill(0.25));
  // `reps` dispatches in one submit, so small shapes are not dominated by the submit and readback.
  const plans = await Promise.all(kernelNames.map(async (kernel) => {
    const step = await matmulStep(kernels, c.name, { M: c.M, K: c.K, N: c.N, transA: c.transA, transB: c.transB }, { a, b, c: out }, kernel);
    return new Plan(gpu, `${c.name} ${kernel}`, Array.from({ length: c.reps }, () => step));
  }));
  const samples = plans.map(() => [] as number[]);
  for (let round = 0; round < 6; round++) {
    for (const [i, plan] of plans.entries()) {
      const start = performance.now();
      plan.run();
      await gpu.finish();
      if (round > 0) samples[i].push(performance.now() - start); // round 0 warms up
    }
  }
  const byKernel = Object.fromEntries(kernelNames.map((kernel, i) => {
    const sorted = samples[i].sort((x, y) => x - y);
    const msMedian = sorted[sorted.length >> 1];
    return [kernel, { gflops: Number(((2 * c.M * c.N * c.K * c.reps) / (msMedian * 1e6)).toFixed(2)), msMedian, msMin: sorted[0], msMax: sorted.at(-1)!, runs: sorted.length }];
  }));
  // The kernel the device gets first is the case's headline figure.
  results.push({ case: c.name, M: c.M, K: c.K, N: c.N, kernel: kernelNames[0], ...byKernel[kernelNames[0]], kernels: byKernel });
  for (const plan of plans) plan.dispose();
  for (const t of [a, b, out]) t.dispose();
}
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, results }));
gpu.destroy();
