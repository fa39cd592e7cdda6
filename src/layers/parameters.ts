// ParameterStore: every parameter of a model is a view (offset, shape) into one GPU buffer, and its
// gradient the same view into a parallel buffer, so one optimizer dispatch can update the whole model.
// Views start at the device's storage offset alignment, so each can be bound on its own.

import type { GpuContext } from '../gpu/context.js';
import { DisposedError, ShapeError, WebRnnError } from '../gpu/errors.js';
import { shapeSize } from '../gpu/tensor.js';

export interface ParameterView {
  readonly name: string;
  readonly shape: readonly number[];
  /** Elements. */
  readonly size: number;
  /** Byte offset in the value and gradient buffers. */
  readonly offset: number;
}

export class ParameterStore {
  private readonly views = new Map<string, ParameterView>();
  private bytes = 0;
  private values: GPUBuffer | null = null;
  private gradients: GPUBuffer | null = null;

  constructor(
    private readonly ctx: GpuContext,
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

  get allocated(): boolean {
    return this.values !== null;
  }

  /** Bytes of one buffer (values or gradients), padding included. */
  get byteLength(): number {
    return Math.max(4, Math.ceil(this.bytes / 4) * 4);
  }

  get valueBuffer(): GPUBuffer {
    if (!this.values) throw new DisposedError(`${this.label}: parameters not allocated (or disposed)`);
    return this.values;
  }

  get gradientBuffer(): GPUBuffer {
    if (!this.gradients) throw new DisposedError(`${this.label}: parameters not allocated (or disposed)`);
    return this.gradients;
  }

  view(name: string): ParameterView {
    const view = this.views.get(name);
    if (!view) throw new WebRnnError(`${this.label}: no parameter '${name}'`);
    return view;
  }

  list(): ParameterView[] {
    return [...this.views.values()];
  }

  /** The value range of a parameter, for binding. */
  value(name: string): { buffer: GPUBuffer; offset: number; size: number } {
    const view = this.view(name);
    return { buffer: this.valueBuffer, offset: view.offset, size: view.size * 4 };
  }

  /** The gradient range of a parameter, for binding. */
  gradient(name: string): { buffer: GPUBuffer; offset: number; size: number } {
    const view = this.view(name);
    return { buffer: this.gradientBuffer, offset: view.offset, size: view.size * 4 };
  }

  /** Writes `data` into parameter `name` from element `offset` (the whole parameter by default). */
  write(name: string, data: Float32Array, offset = 0): void {
    const view = this.view(name);
    if (offset === 0 && data.length !== view.size) {
      throw new ShapeError(`${this.label}: parameter '${name}' has shape [${view.shape.join(', ')}] (${view.size} values), got ${data.length}`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > view.size) {
      throw new ShapeError(`${this.label}: ${data.length} values from element ${offset} do not fit parameter '${name}' of ${view.size} values`);
    }
    this.ctx.write(this.valueBuffer, data, view.offset + offset * 4);
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

  dispose(): void {
    if (this.values) this.ctx.destroyBuffer(this.values);
    if (this.gradients) this.ctx.destroyBuffer(this.gradients);
    this.values = null;
    this.gradients = null;
  }
}
