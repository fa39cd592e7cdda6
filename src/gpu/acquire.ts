// requestGpu(): one call that returns a ready GpuContext in a WebGPU browser and in Node.
//
// Browser: navigator.gpu. Node: Dawn's bindings (the optional `webgpu` package), found by
// ./acquire-node.ts, which is loaded only in Node so the browser bundle never carries it.

import { GpuContext, type AdapterDescription } from './context.js';
import { GpuUnavailableError } from './errors.js';

/** Options of {@link requestGpu}. */
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

/**
 * A ready {@link GpuContext}: in a browser from `navigator.gpu`, in Node from Dawn's bindings (the
 * optional `webgpu` package), asking for the adapter's maximum limits. In Node, `adapter` (or the
 * WEBRNN_ADAPTER environment variable) picks the driver: 'lavapipe', 'swiftshader' or a Vulkan ICD
 * json; by default Dawn's best adapter, then lavapipe, then SwiftShader. Throws a
 * {@link GpuUnavailableError} that says what to install or enable when there is no WebGPU at all.
 */
export async function requestGpu(options: RequestGpuOptions = {}): Promise<GpuContext> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu && !isNode()) return requestBrowserGpu(navigatorGpu, options);
  // The Node path (Dawn, driver discovery) is its own chunk: a browser never downloads it.
  if (isNode()) return (await import('./acquire-node.js')).requestNodeGpu(options);
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

export function describe(adapter: GPUAdapter, runtime: 'browser' | 'node', icd?: string): AdapterDescription {
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

export async function openDevice(
  adapter: GPUAdapter,
  info: AdapterDescription,
  options: RequestGpuOptions,
  keepAlive: unknown,
): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  // Subgroups: the faster matmul kernel shuffles among a subgroup's lanes (src/kernels/matmul.ts).
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
  const device = await adapter.requestDevice({ label: options.label ?? 'webrnn', requiredLimits, requiredFeatures });
  return new GpuContext(adapter, device, info, keepAlive);
}
