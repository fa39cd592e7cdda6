// The demo page: finds the WebGPU adapter, then wires the sections (training, playground, RNN vs LSTM).
// Without WebGPU it says so and how to get it; the rest of the page stays visible but disabled.

import { requestGpu, type GpuContext } from 'webrnn';
import { $, errorMessage, showStatus } from './dom.js';
import { state } from './state.js';
import { initTaskPicker, setupTrainer } from './trainer.js';
import { PredictionPanel } from './prediction.js';
import { Playground } from './playground.js';
import { setupCompare } from './compare.js';

async function main(): Promise<void> {
  initTaskPicker();
  let gpu: GpuContext;
  try {
    gpu = await requestGpu();
  } catch (error) {
    noGpu(errorMessage(error));
    return;
  }
  const info = gpu.adapterInfo;
  state.adapter = info.description || info.device || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const details = [info.vendor, info.architecture].filter((d) => d && !state.adapter!.toLowerCase().includes(d.toLowerCase()));
  showStatus('adapter',
    `WebGPU adapter: ${state.adapter}${details.length ? ` (${details.join(', ')})` : ''}` +
    (info.isFallbackAdapter ? ' — a CPU fallback: expect slow training, keep the models small.' : '.'), 'ok');
  void gpu.device.lost.then((lost) => showStatus('adapter', `The GPU device was lost (${lost.reason}: ${lost.message}). Reload the page.`, 'bad'));

  const prediction = new PredictionPanel();
  const playground = new Playground();
  setupTrainer(gpu, {
    onReset: () => {
      prediction.clear();
      playground.clear();
    },
    onTrained: async (trained) => {
      if (trained.task.kind === 'characters') await playground.load(trained);
      else await prediction.show(trained);
    },
  });
  setupCompare(gpu);
  state.ready = true;
}

function noGpu(reason: string): void {
  state.error = reason;
  state.ready = true;
  showStatus('adapter', 'WebGPU is not available in this browser, so nothing can be trained here.', 'bad');
  $('no-gpu-reason').textContent = `${reason}${window.isSecureContext ? '' : ' (This page is not a secure context: serve it from https or http://127.0.0.1.)'}`;
  $('no-gpu').hidden = false;
}

main().catch((error: unknown) => {
  state.error = errorMessage(error);
  showStatus('adapter', `The demo failed to start: ${state.error}`, 'bad');
});
