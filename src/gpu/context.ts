// GpuContext: one WebGPU device and the bookkeeping every part of the runtime shares: labelled buffer
// creation with a live count, counters that tests assert on (submits, readbacks, bind groups,
// pipelines), device-loss and uncaptured-error reporting, and readback that never hangs.

import { DeviceLostError, DisposedError, LimitError, WebRnnError } from './errors.js';

/** What the adapter says about itself, plus how webrnn found it. */
export interface AdapterDescription {
  /** The adapter's vendor (GPUAdapterInfo.vendor), '' when it does not say. */
  vendor: string;
  /** Its architecture (GPUAdapterInfo.architecture), '' when it does not say. */
  architecture: string;
  /** Its device (GPUAdapterInfo.device), '' when it does not say. */
  device: string;
  /** A human-readable description of the adapter, '' when it does not give one. */
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
  /** Buffers created on this context. */
  buffersCreated: number;
  /** Buffers alive now (created and not yet destroyed). */
  liveBuffers: number;
  /** Bind groups created. */
  bindGroupsCreated: number;
  /** Compute pipelines created. */
  pipelinesCreated: number;
  /** Shader modules created. */
  shaderModulesCreated: number;
  /** Queue submits. */
  submits: number;
  /** Compute dispatches submitted. */
  dispatches: number;
  /** Readbacks (GPU to host copies). */
  readbacks: number;
}

const STORAGE_USAGE = 0x0080; // GPUBufferUsage.STORAGE, spelled out so this file needs no globals at load
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const MAP_READ = 0x0001;

/**
 * One WebGPU device, as {@link requestGpu} returns it: every model, layer and tensor is made on a
 * context. It labels and counts buffers (`liveBuffers`), counts GPU work (`stats()`), turns a lost
 * device into a {@link DeviceLostError} for every pending and later call (reads never hang), and
 * releases everything with `destroy()`.
 */
export class GpuContext {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** The adapter the device came from. */
  readonly adapter: GPUAdapter;
  /** What the adapter says about itself, and how it was found. */
  readonly adapterInfo: AdapterDescription;
  /** The device's limits (webrnn asks for the adapter's maxima). */
  readonly limits: GPUSupportedLimits;
  /** The device's features. */
  readonly features: ReadonlySet<string>;
  /** The fewest lanes a subgroup of this adapter has, where the adapter says (kernels with subgroup operations need it). */
  readonly subgroupMinSize?: number;

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
  /** Rejecters of the operations waiting on the GPU; all called once if the device is lost. */
  private readonly waiting = new Set<(error: Error) => void>();
  private readonly placeholders: { read: GPUBuffer; write: GPUBuffer[] };
  // Dawn's Node instance must outlive the device, or the process crashes at random: hold it here.
  private readonly keepAlive: unknown;

  /** Wraps a device; {@link requestGpu} makes one for you. */
  constructor(adapter: GPUAdapter, device: GPUDevice, adapterInfo: AdapterDescription, keepAlive?: unknown) {
    this.adapter = adapter;
    this.device = device;
    this.adapterInfo = adapterInfo;
    this.limits = device.limits;
    this.features = new Set(device.features as unknown as Iterable<string>);
    const subgroupMinSize = (adapter.info as GPUAdapterInfo | undefined)?.subgroupMinSize;
    if (typeof subgroupMinSize === 'number') this.subgroupMinSize = subgroupMinSize;
    this.keepAlive = keepAlive;
    void device.lost.then((info) => {
      this.lostInfo = { reason: String(info.reason), message: info.message };
      const error = new DeviceLostError(`GPU device lost (${this.lostInfo.reason}): ${info.message || 'no message'}`);
      for (const reject of this.waiting) reject(error);
      this.waiting.clear();
    });
    device.addEventListener('uncapturederror', (event: Event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.firstUncapturedError ??= error.message;
    });
    // The context's own, not counted in liveBuffers (they are not anyone's to leak), released by destroy().
    const placeholder = (label: string) => device.createBuffer({ label, size: 16, usage: STORAGE_USAGE | COPY_SRC | COPY_DST });
    this.placeholders = {
      read: placeholder('placeholder.read'),
      write: Array.from({ length: WRITE_PLACEHOLDERS }, (_, i) => placeholder(`placeholder.write.${i}`)),
    };
  }

  /**
   * A 16-byte buffer for a binding that a dispatch's options leave unused (a matmul without bias): one
   * for read-only bindings (never written, so it reads as zeros), and for writable ones a stand-in that
   * Kernel.step replaces by one of several distinct buffers, since two writable bindings of a dispatch
   * may not share a buffer.
   */
  placeholder(kind: 'read' | 'write'): GPUBuffer {
    return kind === 'read' ? this.placeholders.read : this.placeholders.write[0];
  }

  /** The i-th distinct writable placeholder (Kernel.step hands them out within one dispatch). */
  writePlaceholder(i: number): GPUBuffer {
    const buffer = this.placeholders.write[i];
    if (!buffer) throw new WebRnnError(`a dispatch leaves more than ${WRITE_PLACEHOLDERS} writable bindings unused`);
    return buffer;
  }

  /**
   * Resolves or rejects with `promise`, or rejects with DeviceLostError as soon as the device is lost.
   * Each call registers one rejecter and removes it when settled, so nothing accumulates per call.
   */
  private untilLost<T>(promise: Promise<T>, what: string): Promise<T> {
    if (this.lostInfo) {
      promise.catch(() => undefined);
      return Promise.reject(new DeviceLostError(`GPU device lost while ${what}: ${this.lostInfo.message}`));
    }
    return new Promise<T>((resolve, reject) => {
      const onLost = (error: Error) => reject(new DeviceLostError(`${error.message} (while ${what})`));
      this.waiting.add(onLost);
      promise.then(
        (value) => {
          this.waiting.delete(onLost);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(onLost);
          reject(this.lostInfo ? new DeviceLostError(`GPU device lost while ${what}: ${this.lostInfo.message}`) : error);
        },
      );
    });
  }

  /** A snapshot of the counters. */
  stats(): GpuCounters {
    return { ...this.counters, liveBuffers: this.liveBufferSet.size };
  }

  /** Buffers alive on this context: what dispose() and destroy() have not released yet. */
  get liveBuffers(): number {
    return this.liveBufferSet.size;
  }

  /** True once the device is lost; every later call then throws a DeviceLostError. */
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

  /** Destroys a buffer made by createBuffer() and stops counting it as live (again: nothing). */
  destroyBuffer(buffer: GPUBuffer): void {
    if (this.liveBufferSet.delete(buffer)) buffer.destroy();
  }

  /** Creates a bind group and counts it. */
  createBindGroup(descriptor: GPUBindGroupDescriptor): GPUBindGroup {
    this.assertUsable();
    this.counters.bindGroupsCreated++;
    return this.device.createBindGroup(descriptor);
  }

  /** Registry hook: counts pipelines and shader modules so tests can check none are made per step. */
  countPipeline(): void {
    this.counters.pipelinesCreated++;
  }
  /** Registry hook: counts a shader module. */
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
      await this.untilLost(staging.mapAsync(MAP_READ_MODE), `reading '${source.label}'`);
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
    await this.untilLost(this.device.queue.onSubmittedWorkDone(), 'waiting for submitted work');
    this.assertUsable();
  }

  /** Releases every buffer still alive and the device itself. */
  destroy(): void {
    if (this.destroyed) return;
    for (const buffer of this.liveBufferSet) buffer.destroy();
    this.liveBufferSet.clear();
    for (const buffer of [this.placeholders.read, ...this.placeholders.write]) buffer.destroy();
    this.destroyed = true;
    this.device.destroy();
    void this.keepAlive;
  }

  /** Usage flags, re-exported for code that creates buffers itself. */
  static readonly usage = {
    /** GPUBufferUsage.STORAGE. */
    STORAGE: STORAGE_USAGE,
    /** GPUBufferUsage.COPY_SRC. */
    COPY_SRC,
    /** GPUBufferUsage.COPY_DST. */
    COPY_DST,
    /** GPUBufferUsage.MAP_READ. */
    MAP_READ,
    /** GPUBufferUsage.UNIFORM. */
    UNIFORM: 0x0040,
  } as const;
}

const MAP_READ_MODE = 0x0001; // GPUMapMode.READ
const WRITE_PLACEHOLDERS = 8;
