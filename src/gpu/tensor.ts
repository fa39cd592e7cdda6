// Tensor: a GPU buffer with a shape and a dtype. Upload from typed arrays, download with read(),
// release with dispose(). Shapes and dtypes are checked at the boundary so kernels never see bad input.

import type { GpuContext } from './context.js';
import { DisposedError, ShapeError } from './errors.js';

/** The element types of a tensor: 32-bit float, signed and unsigned integer. */
export type DType = 'f32' | 'i32' | 'u32';
/** The typed array that holds a tensor of dtype D. */
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

const ARRAY_TYPES = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;

/** Elements of a shape (the product of its dimensions); a ShapeError naming `what` unless every one is a positive integer. */
export function shapeSize(shape: readonly number[], what = 'shape'): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new ShapeError(`${what} [${shape.join(', ')}]: every dimension must be a positive integer`);
    }
    size *= dim;
  }
  return size;
}

/** Options of Tensor.zeros and Tensor.from. */
export interface TensorOptions<D extends DType> {
  /** Label of the GPU buffer (and of the tensor in errors). Default 'tensor'. */
  label?: string;
  /** Element type. Default: from the data's array type, else 'f32'. */
  dtype?: D;
}

/**
 * A GPU storage buffer with a shape and a dtype: made from host data (`Tensor.from`) or zeros
 * (`Tensor.zeros`), read back with `read()`, released with `dispose()`. Shapes and dtypes are checked
 * when it is made, so kernels bound to it never see bad input.
 */
export class Tensor<D extends DType = DType> {
  /** Its shape (frozen). */
  readonly shape: readonly number[];
  /** Elements (the product of the shape). */
  readonly size: number;
  /** Element type. */
  readonly dtype: D;
  /** Label of its buffer. */
  readonly label: string;
  private gpuBuffer: GPUBuffer | null;

  private constructor(
    private readonly ctx: GpuContext,
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: D,
    label: string,
  ) {
    this.gpuBuffer = buffer;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.dtype = dtype;
    this.label = label;
  }

  /** A zero-filled tensor. */
  static zeros<D extends DType = 'f32'>(ctx: GpuContext, shape: readonly number[], options: TensorOptions<D> = {}): Tensor<D> {
    const dtype = (options.dtype ?? 'f32') as D;
    const label = options.label ?? 'tensor';
    const size = shapeSize(shape, `tensor '${label}' shape`);
    return new Tensor(ctx, ctx.createStorageBuffer(label, size * 4), shape, dtype, label);
  }

  /**
   * A tensor holding `data`. A Float32Array makes an f32 tensor, Int32Array i32, Uint32Array u32; a plain
   * number array makes `options.dtype` (default f32). The data length must equal the shape's size.
   */
  static from<D extends DType = 'f32'>(
    ctx: GpuContext,
    data: ArrayLike<number> & Iterable<number>,
    shape: readonly number[],
    options: TensorOptions<D> = {},
  ): Tensor<D> {
    const label = options.label ?? 'tensor';
    const size = shapeSize(shape, `tensor '${label}' shape`);
    if (data.length !== size) {
      throw new ShapeError(`tensor '${label}': data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    const dtype = (options.dtype ?? inferDType(data) ?? 'f32') as D;
    const inferred = inferDType(data);
    if (inferred && options.dtype && inferred !== options.dtype) {
      throw new ShapeError(`tensor '${label}': data is ${inferred} but dtype '${options.dtype}' was asked for`);
    }
    if (dtype !== 'f32') checkIntegers(data, label, dtype);
    const typed = data instanceof ARRAY_TYPES[dtype] ? (data as TypedArrayFor<D>) : ARRAY_TYPES[dtype].from(data);
    return new Tensor(ctx, ctx.createStorageBuffer(label, size * 4, typed), shape, dtype, label);
  }

  /** The GPU buffer (a DisposedError after dispose()). */
  get buffer(): GPUBuffer {
    if (!this.gpuBuffer) throw new DisposedError(`tensor '${this.label}' was disposed`);
    return this.gpuBuffer;
  }

  /** Bytes of its data (4 per element). */
  get byteLength(): number {
    return this.size * 4;
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.gpuBuffer === null;
  }

  /** Copies the tensor to the host. */
  async read(): Promise<TypedArrayFor<D>> {
    const bytes = await this.ctx.read(this.buffer, this.byteLength);
    return new ARRAY_TYPES[this.dtype](bytes) as TypedArrayFor<D>;
  }

  /** Overwrites the tensor's contents (same size). */
  write(data: ArrayLike<number> & Iterable<number>): void {
    if (data.length !== this.size) {
      throw new ShapeError(`tensor '${this.label}': write of ${data.length} elements into shape [${this.shape.join(', ')}] (${this.size})`);
    }
    const typed = data instanceof ARRAY_TYPES[this.dtype] ? (data as TypedArrayFor<D>) : ARRAY_TYPES[this.dtype].from(data);
    this.ctx.write(this.buffer, typed);
  }

  /** Releases the buffer; calling it again does nothing. */
  dispose(): void {
    if (this.gpuBuffer) this.ctx.destroyBuffer(this.gpuBuffer);
    this.gpuBuffer = null;
  }
}

function inferDType(data: unknown): DType | undefined {
  if (data instanceof Float32Array || data instanceof Float64Array) return 'f32';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Uint32Array) return 'u32';
  return undefined;
}

function checkIntegers(values: ArrayLike<number>, label: string, dtype: 'i32' | 'u32'): void {
  const [min, max] = dtype === 'i32' ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ShapeError(`tensor '${label}': element ${i} (${v}) is not a valid ${dtype}`);
    }
  }
}
