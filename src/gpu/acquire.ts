// requestGpu(): one call that returns a ready GpuContext in a WebGPU browser and in Node.
//
// Browser: navigator.gpu. Node: Dawn's bindings (the optional `webgpu` package), loaded lazily so the
// browser bundle never touches them. In Node, the adapter can be chosen with `options.adapter` or the
// WEBRNN_ADAPTER environment variable: 'lavapipe', 'swiftshader', or a path to a Vulkan ICD json.
// With neither, Dawn picks the best adapter it finds; if it finds none, webrnn tries the CPU drivers
// itself, Mesa lavapipe first (faster for compute), then the system Chromium's SwiftShader.

import { GpuContext, type AdapterDescription } from './context.js';
import { GpuUnavailableError } from './errors.js';

export interface RequestGpuOptions {
  /**
   * Node only. 'auto' (default), 'lavapipe', 'swiftshader', or a path to a Vulkan ICD json file.
   * Overrides the WEBRNN_ADAPTER environment variable.
   */
  adapter?: string;
  /** Passed to requestAdapter. Default 'high-performance'. */
  powerPreference?: GPUPowerPreference;
  /** Label prefix of the device. */
  label?: string;
}

/** Known CPU Vulkan drivers on Linux, in order of preference. */
export const KNOWN_ICDS: Readonly<Record<string, string>> = {
  lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json',
  swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json',
};

export async function requestGpu(options: RequestGpuOptions = {}): Promise<GpuContext> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu && !isNode()) return requestBrowserGpu(navigatorGpu, options);
  if (isNode()) return requestNodeGpu(options);
  throw new GpuUnavailableError(
    'WebGPU is not available: navigator.gpu is missing. Use a browser with WebGPU enabled ' +
      '(Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu), served from https or http://127.0.0.1.',
  );
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

async function requestBrowserGpu(gpu: GPU, options: RequestGpuOptions): Promise<GpuContext> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError(
      'navigator.gpu returned no adapter: WebGPU is present but no GPU (or software fallback) is usable. ' +
        'In Chromium without a GPU, pass --enable-unsafe-webgpu --enable-unsafe-swiftshader.',
    );
  }
  return openDevice(adapter, describe(adapter, 'browser'), options, undefined);
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

async function requestNodeGpu(options: RequestGpuOptions): Promise<GpuContext> {
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

function describe(adapter: GPUAdapter, runtime: 'browser' | 'node', icd?: string): AdapterDescription {
  const info = adapter.info;
  const description: AdapterDescription = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
    runtime,
  };
  if (icd) description.icd = icd;
  return description;
}

/** Limits webrnn asks for: the adapter's own maxima for what its kernels use, not the spec minimums. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

async function openDevice(
  adapter: GPUAdapter,
  info: AdapterDescription,
  options: RequestGpuOptions,
  keepAlive: unknown,
): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ label: options.label ?? 'webrnn', requiredLimits });
  return new GpuContext(adapter, device, info, keepAlive);
}
