// GpuContext: one WebGPU device and the bookkeeping every part of the runtime shares: labelled buffer
// creation with a live count, counters that tests assert on (submits, readbacks, bind groups,
// pipelines), device-loss and uncaptured-error reporting, and readback that never hangs.

import { DeviceLostError, DisposedError, LimitError, WebRnnError } from './errors.js';

/** What the adapter says about itself, plus how webrnn found it. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU / software adapters (lavapipe, SwiftShader). */
  isFallbackAdapter: boolean;
  /** 'browser' (navigator.gpu) or 'node' (Dawn's Node bindings). */
  runtime: 'browser' | 'node';
  /** In Node: the Vulkan ICD file that was forced, if any. */
  icd?: string;
}

/** Counts of GPU work and objects; monotonic except `liveBuffers`. */
export interface GpuCounters {
  buffersCreated: number;
  liveBuffers: number;
  bindGroupsCreated: number;
  pipelinesCreated: number;
  shaderModulesCreated: number;
  submits: number;
  dispatches: number;
  readbacks: number;
}

const STORAGE_USAGE = 0x0080; // GPUBufferUsage.STORAGE, spelled out so this file needs no globals at load
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const MAP_READ = 0x0001;

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly adapterInfo: AdapterDescription;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;

  private readonly counters: GpuCounters = {
    buffersCreated: 0,
    liveBuffers: 0,
    bindGroupsCreated: 0,
    pipelinesCreated: 0,
    shaderModulesCreated: 0,
    submits: 0,
    dispatches: 0,
    readbacks: 0,
  };
  private readonly liveBufferSet = new Set<GPUBuffer>();
  /** Buffers created inside each running allocating() call. */
  private readonly allocationScopes: GPUBuffer[][] = [];
  private lostInfo: { reason: string; message: string } | null = null;
  private firstUncapturedError: string | null = null;
  private destroyed = false;
  private readonly lostPromise: Promise<void>;
  // Dawn's Node instance must outlive the device, or the process crashes at random: hold it here.
  private readonly keepAlive: unknown;

  constructor(adapter: GPUAdapter, device: GPUDevice, adapterInfo: AdapterDescription, keepAlive?: unknown) {
    this.adapter = adapter;
    this.device = device;
    this.adapterInfo = adapterInfo;
    this.limits = device.limits;
    this.features = new Set(device.features as unknown as Iterable<string>);
    this.keepAlive = keepAlive;
    this.lostPromise = device.lost.then((info) => {
      this.lostInfo = { reason: String(info.reason), message: info.message };
    });
    device.addEventListener('uncapturederror', (event: Event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.firstUncapturedError ??= error.message;
    });
  }

  /** A snapshot of the counters. */
  stats(): GpuCounters {
    return { ...this.counters, liveBuffers: this.liveBufferSet.size };
  }

  get liveBuffers(): number {
    return this.liveBufferSet.size;
  }

  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  /** Throws if the device is lost, the context destroyed, or an earlier GPU call raised an error. */
  assertUsable(): void {
    if (this.destroyed) throw new DisposedError('GpuContext was destroyed; request a new one with requestGpu()');
    if (this.lostInfo) {
      throw new DeviceLostError(
        `GPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message || 'no message'}; ` +
          'request a new context with requestGpu()',
      );
    }
    if (this.firstUncapturedError) {
      const message = this.firstUncapturedError;
      this.firstUncapturedError = null;
      throw new WebRnnError(`a previous GPU command failed (this is a webrnn bug, please report it): ${message}`);
    }
  }

  /** Creates a labelled buffer and counts it as live until destroyBuffer(). Size is rounded up to 4 bytes. */
  createBuffer(label: string, byteLength: number, usage: number, contents?: ArrayBufferView): GPUBuffer {
    this.assertUsable();
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    if (size > this.limits.maxBufferSize) {
      throw new LimitError(`buffer '${label}' needs ${size} bytes, over this device's maxBufferSize of ${this.limits.maxBufferSize}`);
    }
    if (usage & STORAGE_USAGE && size > this.limits.maxStorageBufferBindingSize) {
      throw new LimitError(
        `buffer '${label}' needs ${size} bytes, over this device's maxStorageBufferBindingSize of ${this.limits.maxStorageBufferBindingSize}`,
      );
    }
    const buffer = this.device.createBuffer({ label, size, usage, mappedAtCreation: contents !== undefined });
    if (contents !== undefined) {
      const bytes = new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength);
      new Uint8Array(buffer.getMappedRange()).set(bytes);
      buffer.unmap();
    }
    this.counters.buffersCreated++;
    this.liveBufferSet.add(buffer);
    for (const scope of this.allocationScopes) scope.push(buffer);
    return buffer;
  }

  /**
   * Runs a synchronous build; if it throws (a size over a device limit, bad input), every buffer it
   * created is destroyed before the error goes on, so nothing half-built stays allocated.
   */
  allocating<T>(build: () => T): T {
    const scope: GPUBuffer[] = [];
    this.allocationScopes.push(scope);
    try {
      return build();
    } catch (error) {
      for (const buffer of scope) this.destroyBuffer(buffer);
      throw error;
    } finally {
      this.allocationScopes.splice(this.allocationScopes.lastIndexOf(scope), 1);
    }
  }

  /** A storage buffer that can also be copied from and to (the usage of every tensor). */
  createStorageBuffer(label: string, byteLength: number, contents?: ArrayBufferView): GPUBuffer {
    return this.createBuffer(label, byteLength, STORAGE_USAGE | COPY_SRC | COPY_DST, contents);
  }

  destroyBuffer(buffer: GPUBuffer): void {
    if (this.liveBufferSet.delete(buffer)) buffer.destroy();
  }

  createBindGroup(descriptor: GPUBindGroupDescriptor): GPUBindGroup {
    this.assertUsable();
    this.counters.bindGroupsCreated++;
    return this.device.createBindGroup(descriptor);
  }

  /** Registry hook: counts pipelines and shader modules so tests can check none are made per step. */
  countPipeline(): void {
    this.counters.pipelinesCreated++;
  }
  countShaderModule(): void {
    this.counters.shaderModulesCreated++;
  }

  /** Submits command buffers; every submit of the runtime goes through here so it can be counted. */
  submit(commandBuffers: GPUCommandBuffer[], dispatches = 0): void {
    this.assertUsable();
    this.device.queue.submit(commandBuffers);
    this.counters.submits++;
    this.counters.dispatches += dispatches;
  }

  /**
   * Copies `byteLength` bytes of `source` (from `offset`) to the host. One staging buffer per call,
   * released before returning. Rejects with DeviceLostError instead of hanging if the device dies.
   * `before` encodes work into the same command buffer, so running it and reading its result is one submit.
   */
  async read(source: GPUBuffer, byteLength: number, offset = 0, before?: { encode(encoder: GPUCommandEncoder): void; dispatchCount: number }): Promise<ArrayBuffer> {
    this.assertUsable();
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    const staging = this.createBuffer(`${source.label}.readback`, size, MAP_READ | COPY_DST);
    try {
      const encoder = this.device.createCommandEncoder({ label: `${source.label}.readback` });
      before?.encode(encoder); // e.g. a whole plan: work and readback in one submit
      encoder.copyBufferToBuffer(source, offset, staging, 0, size);
      this.submit([encoder.finish()], before?.dispatchCount ?? 0);
      this.counters.readbacks++;
      await Promise.race([
        staging.mapAsync(MAP_READ_MODE),
        this.lostPromise.then(() => {
          throw new DeviceLostError(`GPU device lost while reading '${source.label}': ${this.lostInfo?.message ?? ''}`);
        }),
      ]);
      this.assertUsable();
      return staging.getMappedRange(0, size).slice(0, byteLength);
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      this.destroyBuffer(staging);
    }
  }

  /** Writes host data into a buffer through the queue (ordered before the next submit). */
  write(target: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.assertUsable();
    if (data.byteLength % 4 !== 0) throw new WebRnnError(`write to '${target.label}': ${data.byteLength} bytes is not a multiple of 4`);
    this.device.queue.writeBuffer(target, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Resolves when all submitted work has finished. */
  async finish(): Promise<void> {
    this.assertUsable();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lostPromise]);
    this.assertUsable();
  }

  /** Releases every buffer still alive and the device itself. */
  destroy(): void {
    if (this.destroyed) return;
    for (const buffer of this.liveBufferSet) buffer.destroy();
    this.liveBufferSet.clear();
    this.destroyed = true;
    this.device.destroy();
    void this.keepAlive;
  }

  /** Usage flags, re-exported for code that creates buffers itself. */
  static readonly usage = { STORAGE: STORAGE_USAGE, COPY_SRC, COPY_DST, MAP_READ, UNIFORM: 0x0040 } as const;
}

const MAP_READ_MODE = 0x0001; // GPUMapMode.READ
