// The demo page: finds the WebGPU adapter and runs the matmul kernel against a float64 check.
import { requestGpu, KernelRegistry, Tensor, Plan, matmulStep, type GpuContext } from 'webrnn';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function main(): Promise<void> {
  let gpu: GpuContext;
  try {
    gpu = await requestGpu();
  } catch (error) {
    $('adapter-status').innerHTML =
      `<span class="bad">${(error as Error).message}</span><br>WebGPU ships in Chrome and Edge 113+, ` +
      'Safari 26 and Firefox 141+ (Windows); on Linux start Chromium with <code>--enable-unsafe-webgpu</code>.';
    return;
  }
  const info = gpu.adapterInfo;
  $('adapter-status').textContent = 'WebGPU is available.';
  const rows: [string, string][] = [
    ['Adapter', info.description || info.device || '(not disclosed)'],
    ['Vendor / architecture', `${info.vendor || '?'} / ${info.architecture || '?'}`],
    ['Software fallback', info.isFallbackAdapter ? 'yes (CPU)' : 'no'],
    ['Max storage buffer', `${(gpu.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`],
    ['Workgroup memory', `${gpu.limits.maxComputeWorkgroupStorageSize / 1024} KiB`],
  ];
  $('adapter-info').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));

  const kernels = new KernelRegistry(gpu);
  const button = $<HTMLButtonElement>('matmul-run');
  button.disabled = false;
  button.onclick = async () => {
    button.disabled = true;
    try {
      $('matmul-result').textContent = await runMatmul(gpu, kernels, Number($<HTMLSelectElement>('matmul-size').value));
    } catch (error) {
      $('matmul-result').textContent = `failed: ${(error as Error).message}`;
    } finally {
      button.disabled = false;
    }
  };
}

async function runMatmul(gpu: GpuContext, kernels: KernelRegistry, n: number): Promise<string> {
  const a = Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1);
  const b = Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1);
  const [ta, tb, tc] = [Tensor.from(gpu, a, [n, n]), Tensor.from(gpu, b, [n, n]), Tensor.zeros(gpu, [n, n])];
  try {
    const plan = new Plan(gpu, 'demo.matmul', [await matmulStep(kernels, 'demo.matmul', { M: n, K: n, N: n }, ta, tb, tc)]);
    plan.run();
    await gpu.finish();
    const reps = 5;
    const start = performance.now();
    for (let i = 0; i < reps; i++) plan.run();
    await gpu.finish();
    const ms = (performance.now() - start) / reps;
    const c = await tc.read();
    let worst = 0;
    for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 64))) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
        worst = Math.max(worst, Math.abs(s - c[i * n + j]));
      }
    }
    const gflops = (2 * n ** 3) / (ms * 1e6);
    return `${n}x${n}x${n}: ${ms.toFixed(2)} ms, ${gflops.toFixed(1)} GFLOP/s; largest error vs float64 ${worst.toExponential(1)}`;
  } finally {
    for (const t of [ta, tb, tc]) t.dispose();
  }
}

function el(tag: string, text: string): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

void main();
