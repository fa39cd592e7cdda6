// ParameterStore: every parameter of a model is a view (offset, shape) into one GPU buffer, and its
// gradient the same view into a parallel buffer, so one optimizer dispatch can update the whole model.
// Views start at the device's storage offset alignment, so each can be bound on its own.

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, ShapeError, WebRnnError } from '../gpu/errors.js';
import { shapeSize } from '../gpu/tensor.js';

/** A parameter (a named tensor) of a store: its shape and where it is in the store's two buffers. */
export interface ParameterView {
  /** The parameter's name in its store. */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Elements. */
  readonly size: number;
  /** Byte offset in the value and gradient buffers. */
  readonly offset: number;
}

/** A parameter's values (or gradients) as a binding range: a buffer, a byte offset and a byte size. */
export interface ParameterRange {
  /** The store's value (or gradient) buffer. */
  buffer: GPUBuffer;
  /** Byte offset of the parameter in it. */
  offset: number;
  /** Bytes of the parameter. */
  size: number;
}

/**
 * Named parameters (tensors) in two buffers of one layout, values and gradients, each parameter aligned
 * for binding: what an optimizer updates in one dispatch. Declare with add(), then allocate() once.
 */
export class ParameterStore {
  private readonly views = new Map<string, ParameterView>();
  private bytes = 0;
  private values: GPUBuffer | null = null;
  private gradients: GPUBuffer | null = null;
  private readonly states = new Map<string, GPUBuffer>();

  /** An empty store on `ctx`; `label` prefixes its buffers' labels. */
  constructor(
    private readonly ctx: GpuContext,
    /** Label prefix of the store's buffers. */
    readonly label: string,
  ) {}

  /** Declares a parameter; only before allocate(). */
  add(name: string, shape: readonly number[]): ParameterView {
    if (this.values) throw new WebRnnError(`${this.label}: parameter '${name}' added after the store was allocated`);
    if (this.views.has(name)) throw new WebRnnError(`${this.label}: parameter '${name}' declared twice`);
    const size = shapeSize(shape, `parameter '${name}' shape`);
    const alignment = this.ctx.limits.minStorageBufferOffsetAlignment;
    const offset = Math.ceil(this.bytes / alignment) * alignment;
    const view: ParameterView = { name, shape: Object.freeze([...shape]), size, offset };
    this.views.set(name, view);
    this.bytes = offset + size * 4;
    return view;
  }

  /** Creates the value and gradient buffers (zero-filled). */
  allocate(): void {
    if (this.values) return;
    this.values = this.ctx.createStorageBuffer(`${this.label}.values`, this.bytes);
    this.gradients = this.ctx.createStorageBuffer(`${this.label}.gradients`, this.bytes);
  }

  /** Whether allocate() has made the buffers. */
  get allocated(): boolean {
    return this.values !== null;
  }

  /** The device context the store's buffers belong to. */
  get context(): GpuContext {
    return this.ctx;
  }

  /** Bytes of one buffer (values or gradients), padding included. */
  get byteLength(): number {
    return Math.max(4, Math.ceil(this.bytes / 4) * 4);
  }

  /** The values of every parameter (a DisposedError before allocate() or after dispose()). */
  get valueBuffer(): GPUBuffer {
    if (!this.values) throw new DisposedError(`${this.label}: parameters not allocated (or disposed)`);
    return this.values;
  }

  /** The gradients, in the values' layout. */
  get gradientBuffer(): GPUBuffer {
    if (!this.gradients) throw new DisposedError(`${this.label}: parameters not allocated (or disposed)`);
    return this.gradients;
  }

  /** A parameter by name (a WebRnnError for an unknown one). */
  view(name: string): ParameterView {
    const view = this.views.get(name);
    if (!view) throw new WebRnnError(`${this.label}: no parameter '${name}'`);
    return view;
  }

  /** Every parameter, in declaration order. */
  list(): ParameterView[] {
    return [...this.views.values()];
  }

  /** The value range of a parameter, for binding. */
  value(name: string): ParameterRange {
    const view = this.view(name);
    return { buffer: this.valueBuffer, offset: view.offset, size: view.size * 4 };
  }

  /** The gradient range of a parameter, for binding. */
  gradient(name: string): ParameterRange {
    const view = this.view(name);
    return { buffer: this.gradientBuffer, offset: view.offset, size: view.size * 4 };
  }

  /**
   * Writes `data` into parameter `name`: the whole parameter, or with `offset` a part of it from that
   * element (a Bidirectional layer's direction).
   */
  write(name: string, data: Float32Array, offset?: number): void {
    const view = this.view(name);
    if (offset === undefined && data.length !== view.size) {
      throw new ShapeError(`${this.label}: parameter '${name}' has shape [${view.shape.join(', ')}] (${view.size} values), got ${data.length}`);
    }
    const from = offset ?? 0;
    if (!Number.isInteger(from) || from < 0 || from + data.length > view.size) {
      throw new ShapeError(`${this.label}: ${data.length} values from element ${from} do not fit parameter '${name}' of ${view.size} values`);
    }
    this.ctx.write(this.valueBuffer, data, view.offset + from * 4);
  }

  /** Reads `floats` values of parameter `name` from element `offset` (the whole parameter by default). */
  async read(name: string, which: 'value' | 'gradient' = 'value', offset = 0, floats?: number): Promise<Float32Array> {
    const view = this.view(name);
    const count = floats ?? view.size - offset;
    if (!Number.isInteger(offset) || offset < 0 || offset + count > view.size) {
      throw new ShapeError(`${this.label}: ${count} values from element ${offset} are outside parameter '${name}' of ${view.size} values`);
    }
    const buffer = which === 'value' ? this.valueBuffer : this.gradientBuffer;
    return new Float32Array(await this.ctx.read(buffer, count * 4, view.offset + offset * 4));
  }

  /**
   * A zero-filled buffer of `bytes` of model state that is no parameter (a dropout layer's step counter:
   * src/kernels/dropout.ts), by name: made on the first ask, the same buffer afterwards, released by
   * dispose(). Not part of the weights, so neither the optimizer nor getWeights() sees it.
   */
  stateBuffer(name: string, bytes: number): GPUBuffer {
    let buffer = this.states.get(name);
    if (!buffer) {
      buffer = this.ctx.createStorageBuffer(`${this.label}.${name}`, bytes);
      this.states.set(name, buffer);
    } else if (buffer.size < bytes) {
      throw new WebRnnError(`${this.label}: state '${name}' has ${buffer.size} bytes, asked for ${bytes}`);
    }
    return buffer;
  }

  /** Releases both buffers (and the state buffers). */
  dispose(): void {
    for (const buffer of this.states.values()) this.ctx.destroyBuffer(buffer);
    this.states.clear();
    if (this.values) this.ctx.destroyBuffer(this.values);
    if (this.gradients) this.ctx.destroyBuffer(this.gradients);
    this.values = null;
    this.gradients = null;
  }
}
