// requestGpu() in Node: Dawn's bindings (the optional `webgpu` package). The adapter can be chosen with
// `options.adapter` or the WEBRNN_ADAPTER environment variable: 'lavapipe', 'swiftshader', or a path to
// a Vulkan ICD json. With neither, Dawn picks the best adapter it finds; if it finds none, webrnn tries
// the CPU drivers itself, Mesa lavapipe first (faster for compute), then the system Chromium's SwiftShader.

import { describe, openDevice, type RequestGpuOptions } from './acquire.js';
import type { GpuContext } from './context.js';
import { GpuUnavailableError } from './errors.js';
import { KNOWN_ICDS } from './known-icds.js';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

export async function requestNodeGpu(options: RequestGpuOptions): Promise<GpuContext> {
  const dawn = await loadDawn();
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
  const choice = options.adapter ?? env.WEBRNN_ADAPTER ?? 'auto';
  const fs = await import(/* @vite-ignore */ 'node:fs' as string) as typeof import('node:fs');

  const tryIcd = async (icd: string | undefined) => {
    if (icd !== undefined) env.VK_ICD_FILENAMES = icd; // read by the Vulkan loader when create() runs
    const instance = dawn.create([]);
    const adapter = await instance.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    return adapter ? { instance, adapter } : null;
  };

  if (choice !== 'auto') {
    const icd = KNOWN_ICDS[choice] ?? choice;
    if (!fs.existsSync(icd)) {
      throw new GpuUnavailableError(
        `adapter '${choice}': Vulkan ICD file ${icd} does not exist. ` + installHint(),
      );
    }
    const found = await tryIcd(icd);
    if (!found) throw new GpuUnavailableError(`adapter '${choice}' (ICD ${icd}): Dawn found no adapter on this driver. ` + installHint());
    return openDevice(found.adapter, describe(found.adapter, 'node', icd), options, found.instance);
  }

  // Auto: whatever Dawn finds first (a real GPU, or lavapipe when its ICD is registered system-wide).
  const found = await tryIcd(undefined);
  if (found) return openDevice(found.adapter, describe(found.adapter, 'node', env.VK_ICD_FILENAMES), options, found.instance);
  for (const icd of Object.values(KNOWN_ICDS)) {
    if (!fs.existsSync(icd)) continue;
    const fallback = await tryIcd(icd);
    if (fallback) return openDevice(fallback.adapter, describe(fallback.adapter, 'node', icd), options, fallback.instance);
  }
  throw new GpuUnavailableError('Dawn found no WebGPU adapter: no GPU driver and no CPU Vulkan driver. ' + installHint());
}

async function loadDawn(): Promise<DawnModule> {
  try {
    const name = 'webgpu'; // a variable, so bundlers leave this Node-only import alone
    const dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
    // Dawn's objects (GPUBufferUsage, ...) must be globals, as in a browser.
    for (const [key, value] of Object.entries(dawn.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
    return dawn;
  } catch (error) {
    throw new GpuUnavailableError(
      `WebGPU for Node needs the 'webgpu' package (Dawn): npm install webgpu (${(error as Error).message})`,
    );
  }
}

function installHint(): string {
  return (
    'On Debian/Ubuntu install a CPU driver: Mesa lavapipe >= 24 (apt-get install -t bookworm-backports ' +
    'mesa-vulkan-drivers on Debian 12) or Chromium (its SwiftShader), or run `npm run setup` in webrnn as root. ' +
    'Choose a driver with WEBRNN_ADAPTER=lavapipe|swiftshader|/path/to/icd.json.'
  );
}
