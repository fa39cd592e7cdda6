// Matmul throughput on one adapter: GFLOP/s at 1024^3 (all transpose variants) and at the shapes the
// recurrent layers use, for every matmul kernel the device can run (the one it gets first), the kernels
// interleaved round by round so they see the same machine. Run by bench/run.ts once per driver; prints one
// JSON line.

import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { requestGpu, KernelRegistry, Tensor, Plan, matmulKernels, matmulStep } from 'webrnn/advanced';
import { reflectWgsl } from 'webrnn/reflect';

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
// Two reference points for the 1024^3 figure. The driver's ceiling: what a kernel reaches that only
// multiplies and adds (32 independent accumulators per invocation, no memory access in its loop, the
// same workgroup size and as many FMAs as a 1024^3 product), so no matmul on this driver can beat it.
// And the CPU's own sgemm (numpy over OpenBLAS) in the same run, when python3 with numpy is installed
// (Debian: apt-get install python3-numpy; skipped otherwise).
const ACCUMULATORS = 32;
const FMA_ONLY = `
struct Dims { K: u32, scale: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> sink: array<f32>;
@compute @workgroup_size(8)
fn fma_only(@builtin(global_invocation_id) id: vec3<u32>) {
  var acc: array<f32, ${ACCUMULATORS}>;
  for (var i = 0u; i < ${ACCUMULATORS}u; i++) { acc[i] = f32(i); }
  let x = f32(id.x) * dims.scale;
  for (var k = 0u; k < dims.K; k++) {
    let y = f32(k) * dims.scale;
    for (var i = 0u; i < ${ACCUMULATORS}u; i++) { acc[i] = fma(x, y, acc[i]); }
  }
  var total = 0.0;
  for (var i = 0u; i < ${ACCUMULATORS}u; i++) { total += acc[i]; }
  if (total == 12345.0) { sink[0] = total; } // never true; keeps the loop from being optimized away
}`;
async function fmaCeiling(): Promise<{ gflops: number; msMedian: number }> {
  const own = new KernelRegistry(gpu, { sources: { 'fma-only.wgsl': FMA_ONLY }, reflect: reflectWgsl });
  const sink = Tensor.zeros(gpu, [4], { label: 'sink' });
  const n = 1024;
  const invocations = (n * n) / ACCUMULATORS;
  const kernel = await own.kernel({ files: ['fma-only.wgsl'], entry: 'fma_only' });
  const step = kernel.step('fma-only', { sink }, [invocations / 8, 1, 1], { dims: { K: n, scale: 1e-3 }, bytes: { sink: 16 } });
  const plan = new Plan(gpu, 'fma-only', [step]);
  const samples: number[] = [];
  for (let round = 0; round < 6; round++) {
    const start = performance.now();
    plan.run();
    await gpu.finish();
    if (round > 0) samples.push(performance.now() - start);
  }
  plan.dispose();
  sink.dispose();
  const msMedian = samples.sort((x, y) => x - y)[samples.length >> 1];
  return { gflops: Number(((2 * n * n * n) / (msMedian * 1e6)).toFixed(2)), msMedian };
}
function numpySgemm(): { gflops: number } | { skipped: string } {
  const script = 'import numpy as np, time\na = np.random.rand(1024, 1024).astype(np.float32)\nb = a @ a\nts = []\n' +
    'for _ in range(7):\n  t = time.perf_counter(); a @ a; ts.append(time.perf_counter() - t)\nprint(2 * 1024 ** 3 / sorted(ts)[3] / 1e9)';
  try {
    return { gflops: Number(Number(execFileSync('python3', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()).toFixed(1)) };
  } catch {
    return { skipped: 'python3 with numpy not found (Debian: apt-get install python3-numpy)' };
  }
}
const reference = values.quick ? {} : { fmaCeiling: await fmaCeiling(), numpySgemm: numpySgemm() };
console.log(JSON.stringify({ adapter: gpu.adapterInfo.description || gpu.adapterInfo.device, results, ...reference }));
gpu.destroy();
