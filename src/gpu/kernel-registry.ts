// The kernel registry: a WGSL program (one or more files of shaders/, joined in order: a prelude, a
// cell, a skeleton) + entry point + override constants -> a compute pipeline with an explicit bind group
// layout derived by reflection, bound by the names used in the shader.
//
// Sizes are data, not code: a kernel's runtime shape (rows, steps, offsets, flags) lives in a uniform
// struct bound as `dims`, packed by member name from reflection, so one pipeline serves every shape.
// Override constants are kept for what must size workgroup memory. Every step states how many bytes each
// runtime-sized binding must
// hold (each dispatch builder in src/kernels/ computes them from the shape it dispatches); a too-small,
// missing or extra buffer is caught when a step is built.

import type { GpuContext } from './context.js';
import { BindingError, LimitError, ShaderError } from './errors.js';
import { joinProgram, programInfo, programKey, type EntryInfo, type ProgramInfo, type Reflector } from './reflection.js';
import { bundledShaderFiles, loadBundledProgram } from './shader-sources.js';
import { Tensor } from './tensor.js';

/** Values of a WGSL program's override constants, by name (what sizes workgroup memory). */
export type Constants = Record<string, number | boolean>;
/** Values of a kernel's `dims` uniform, by struct member name. */
export type Dims = Record<string, number>;

/** A compute entry point of a WGSL program. */
export interface KernelSpec {
  /** Files under shaders/, joined in this order into one module, e.g. ['common/activations.wgsl', 'matmul.wgsl']. */
  readonly files: readonly string[];
  /** Compute entry point. */
  readonly entry: string;
}

/** What a dispatch binds besides its buffers: the `dims` uniform's values and the runtime-sized bindings' sizes. */
export interface StepOptions<D extends Dims = Dims> {
  /** Values of the entry point's `dims` uniform, by member name (every member, no others). */
  dims?: D;
  /** Bytes each runtime-sized binding must hold for this dispatch (every runtime-sized binding). */
  bytes?: Record<string, number>;
}

/** A whole buffer, a tensor, or a byte range of a buffer. */
export type BufferRange = GPUBuffer | Tensor | {
  /** The buffer. */
  buffer: GPUBuffer;
  /** Byte offset (a multiple of the device's minStorageBufferOffsetAlignment). Default 0. */
  offset?: number;
  /** Bytes. Default: to the end of the buffer. */
  size?: number;
};

/** One dispatch, validated and ready to be made part of a Plan (which creates its bind group). */
export interface DispatchStep {
  /** 'dispatch'. */
  readonly kind: 'dispatch';
  /** Label of the dispatch (in errors and GPU captures). */
  readonly label: string;
  /** The compute pipeline. */
  readonly pipeline: GPUComputePipeline;
  /** Its bind group layout. */
  readonly layout: GPUBindGroupLayout;
  /** Every binding but `dims`. */
  readonly entries: readonly GPUBindGroupEntry[];
  /** The packed `dims` uniform and its binding number, when the entry point has one. */
  readonly dims?: {
    /** Binding number of the uniform. */
    readonly binding: number;
    /** Its packed contents. */
    readonly bytes: Uint8Array;
  };
  /** Workgroups along x, y and z. */
  readonly workgroups: readonly [number, number, number];
}

/** Zero a byte range (encoded outside compute passes, still inside the plan's one submit). */
export interface ClearStep {
  /** 'clear'. */
  readonly kind: 'clear';
  /** Label of the step. */
  readonly label: string;
  /** The buffer to zero. */
  readonly buffer: GPUBuffer;
  /** Byte offset (a multiple of 4). */
  readonly offset: number;
  /** Bytes (a multiple of 4). */
  readonly size: number;
}

/** A buffer-to-buffer copy (outside compute passes), e.g. gathering a plan's outputs for one readback. */
export interface CopyStep {
  /** 'copy'. */
  readonly kind: 'copy';
  /** Label of the step. */
  readonly label: string;
  /** The buffer copied from. */
  readonly source: GPUBuffer;
  /** Byte offset in the source (a multiple of 4). */
  readonly sourceOffset: number;
  /** The buffer copied to. */
  readonly destination: GPUBuffer;
  /** Byte offset in the destination (a multiple of 4). */
  readonly destinationOffset: number;
  /** Bytes (a multiple of 4). */
  readonly size: number;
}

/** One step of a Plan: a dispatch, or a clear or copy encoded between compute passes. */
export type Step = DispatchStep | ClearStep | CopyStep;

/**
 * A compiled compute entry point with its reflection: `step()` binds buffers to it by the names the
 * shader uses and checks every one. Made by {@link KernelRegistry.kernel}.
 */
export class Kernel<C extends Constants = Constants, D extends Dims = Dims> {
  /** The pipeline's label. */
  readonly label: string;
  private readonly where: string;

  /** Wraps a pipeline; {@link KernelRegistry.kernel} makes kernels. */
  constructor(
    private readonly ctx: GpuContext,
    /** The entry point it runs. */
    readonly spec: KernelSpec,
    /** The override constants it was compiled with. */
    readonly constants: C,
    /** The compute pipeline. */
    readonly pipeline: GPUComputePipeline,
    private readonly info: EntryInfo,
    private readonly layout: GPUBindGroupLayout,
  ) {
    this.label = pipeline.label;
    this.where = `${spec.files[spec.files.length - 1]} entry '${spec.entry}'`;
  }

  /** Binding names the shader uses, in binding order (`dims` excluded: it is packed from step dims). */
  get bindingNames(): string[] {
    return this.info.bindings.map((b) => b.name);
  }

  /** Struct members of the `dims` uniform, in order; empty when the entry point has none. */
  get dimNames(): string[] {
    return this.info.dims?.members.map((m) => m.name) ?? [];
  }

  /**
   * A dispatch of this kernel over `workgroups`, with buffers named as in the shader and the `dims`
   * uniform's values. Throws on a missing, extra or too-small buffer, a misaligned offset, a missing or
   * unknown dim, or a grid over the device limit.
   */
  step(label: string, buffers: Record<string, BufferRange>, workgroups: readonly [number, number?, number?], options: StepOptions<D> = {}): DispatchStep {
    const { dims, bytes: declared = {} } = options;
    const [x, y = 1, z = 1] = workgroups;
    const max = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    for (const n of [x, y, z]) {
      if (!Number.isInteger(n) || n < 0) throw new BindingError(`${label}: workgroup count ${n} is not a non-negative integer`);
    }
    if (x > max || y > max || z > max) {
      throw new LimitError(`${label}: dispatch of ${x}x${y}x${z} workgroups exceeds this device's maxComputeWorkgroupsPerDimension of ${max}`);
    }
    const where = `${this.where} (${label})`;
    const names = new Set(this.bindingNames);
    for (const name of Object.keys(declared)) {
      if (!names.has(name)) throw new BindingError(`${where}: the step sizes binding '${name}', which the shader does not use`);
    }
    const entries: GPUBindGroupEntry[] = [];
    const writePlaceholder = this.ctx.placeholder('write');
    let placeholders = 0;
    for (const b of this.info.bindings) {
      const range = buffers[b.name];
      if (range === undefined) throw new BindingError(`${where}: missing buffer for binding '${b.name}'`);
      const required = declared[b.name] ?? b.fixedBytes;
      if (required <= 0) throw new BindingError(`${where}: the step gives no size for runtime-sized binding '${b.name}'`);
      let { buffer, offset = 0, size } = toRange(range);
      // Writable placeholders become distinct buffers: a dispatch may not bind one buffer writably twice.
      if (buffer === writePlaceholder) buffer = this.ctx.writePlaceholder(placeholders++);
      const available = size ?? buffer.size - offset;
      if (available < required) {
        throw new BindingError(`${where}: binding '${b.name}' needs ${required} bytes, buffer '${buffer.label}' gives ${available}`);
      }
      const alignment = b.kind === 'uniform' ? this.ctx.limits.minUniformBufferOffsetAlignment : this.ctx.limits.minStorageBufferOffsetAlignment;
      if (offset % alignment !== 0) {
        throw new BindingError(`${where}: binding '${b.name}' offset ${offset} is not a multiple of ${alignment}`);
      }
      entries.push({ binding: b.binding, resource: { buffer, offset, size: size ?? available } });
    }
    for (const name of Object.keys(buffers)) {
      if (!names.has(name)) {
        const dimsHint = name === 'dims' ? ' (dims are passed as values, not as a buffer)' : '';
        throw new BindingError(`${where}: extra buffer '${name}': the shader has no binding of that name (it has ${this.bindingNames.join(', ')})${dimsHint}`);
      }
    }
    return { kind: 'dispatch', label, pipeline: this.pipeline, layout: this.layout, entries, dims: this.packDims(where, dims), workgroups: [x, y, z] };
  }

  private packDims(where: string, dims: D | undefined): DispatchStep['dims'] {
    const layout = this.info.dims;
    if (!layout) {
      if (dims && Object.keys(dims).length > 0) throw new BindingError(`${where}: dims given, but the shader has no 'dims' uniform`);
      return undefined;
    }
    if (!dims) throw new BindingError(`${where}: the shader's 'dims' uniform needs ${this.dimNames.join(', ')}`);
    const bytes = new Uint8Array(layout.size);
    const view = new DataView(bytes.buffer);
    for (const member of layout.members) {
      const value = dims[member.name];
      if (value === undefined) throw new BindingError(`${where}: missing dim '${member.name}' (the 'dims' uniform has ${this.dimNames.join(', ')})`);
      if (!Number.isFinite(value)) throw new BindingError(`${where}: dim '${member.name}' is ${value}`);
      if (member.type === 'f32') view.setFloat32(member.offset, value, true);
      else if (member.type === 'i32') view.setInt32(member.offset, checkInteger(where, member.name, value, -(2 ** 31), 2 ** 31 - 1), true);
      else view.setUint32(member.offset, checkInteger(where, member.name, value, 0, 2 ** 32 - 1), true);
    }
    for (const name of Object.keys(dims)) {
      if (!layout.members.some((m) => m.name === name)) {
        throw new BindingError(`${where}: unknown dim '${name}' (the 'dims' uniform has ${this.dimNames.join(', ')})`);
      }
    }
    return { binding: layout.binding, bytes };
  }
}

function checkInteger(where: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BindingError(`${where}: dim '${name}' must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Options of a KernelRegistry over shaders of one's own. */
export interface KernelRegistryOptions {
  /** Shader sources by path under shaders/; defaults to the files of shaders/ bundled with webrnn. */
  sources?: Readonly<Record<string, string>>;
  /**
   * How a program's bindings are found. Default: the tables the build made for the bundled shaders.
   * Shaders of your own need a parser: `reflectWgsl` from 'webrnn/reflect' (kept out of the main bundle).
   */
  reflect?: Reflector;
}

interface CompiledProgram {
  module: GPUShaderModule;
  info: ProgramInfo;
}

interface EntryLayout {
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
}

const sharedRegistries = new WeakMap<GpuContext, KernelRegistry>();

/**
 * Compiles WGSL programs (files joined in order) into compute pipelines with explicit bind group layouts
 * from their reflection, cached per (files, entry point, constants). `KernelRegistry.of(ctx)` is the
 * shared registry over webrnn's bundled shaders; `new KernelRegistry(ctx, { sources, reflect })` one
 * over shaders of your own.
 */
export class KernelRegistry {
  /**
   * The registry of a context over the library's own shaders, shared by every model and layer made on
   * it: a pipeline is compiled once per device, whichever model needs it first.
   */
  static of(ctx: GpuContext): KernelRegistry {
    let registry = sharedRegistries.get(ctx);
    if (!registry) {
      registry = new KernelRegistry(ctx);
      sharedRegistries.set(ctx, registry);
    }
    return registry;
  }

  /** Shaders of one's own (with their reflect function), or none: the bundled ones, loaded per program. */
  private readonly own?: { sources: Readonly<Record<string, string>>; reflect: Reflector };
  /** The bundled shaders ship minified (lines kept, columns not): their errors name the line only. */
  private readonly columns: boolean;
  private readonly programs = new Map<string, Promise<CompiledProgram>>();
  private readonly layouts = new Map<string, EntryLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  /** A registry on `ctx`: over the bundled shaders, or over `options.sources` with `options.reflect`. */
  constructor(
    private readonly ctx: GpuContext,
    options: KernelRegistryOptions = {},
  ) {
    if (options.sources && !options.reflect) {
      throw new ShaderError("KernelRegistry: shaders of your own need a reflect function: { sources, reflect: reflectWgsl } (import { reflectWgsl } from 'webrnn/reflect')");
    }
    if (options.sources) this.own = { sources: options.sources, reflect: options.reflect! };
    this.columns = options.sources !== undefined;
  }

  /** The kernel for a spec and constant set; pipelines are cached per (files, entry, constants). */
  async kernel<D extends Dims = Dims, C extends Constants = Constants>(spec: KernelSpec, constants: C = {} as C): Promise<Kernel<C, D>> {
    const programId = programKey(spec.files);
    const { module, info } = await this.program(spec.files);
    const entry = info.entries.get(spec.entry);
    const last = spec.files[spec.files.length - 1];
    if (!entry) {
      throw new ShaderError(`shaders/${last}: no compute entry point '${spec.entry}' (it has: ${[...info.entries.keys()].join(', ')})`);
    }
    const layout = this.entryLayout(programId, spec.entry, entry);
    const key = `${programId}:${spec.entry}:${canonical(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.createPipeline(spec, constants, module, layout, info);
      this.pipelines.set(key, pipeline);
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return new Kernel(this.ctx, spec, constants, await pipeline, entry, layout.layout);
  }

  /** The device's limits. */
  get limits(): GPUSupportedLimits {
    return this.ctx.limits;
  }

  /** The context the registry compiles on. */
  get context(): GpuContext {
    return this.ctx;
  }

  /** Number of distinct pipelines built so far. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /**
   * The entries of `all` that `spec`'s entry point binds (reflection): a kernel family can offer one
   * generic set of buffers to each of its entry points, and each takes what its code reads or writes.
   */
  async usedBindings<T>(spec: KernelSpec, all: Record<string, T | undefined>): Promise<Record<string, T>> {
    const { info } = await this.program(spec.files);
    const names = new Set(info.entries.get(spec.entry)?.bindings.map((b) => b.name));
    const used: Record<string, T> = {};
    for (const [name, value] of Object.entries(all)) if (value !== undefined && names.has(name)) used[name] = value;
    return used;
  }

  /** Compiles and reflects a program (cached). */
  program(files: readonly string[]): Promise<CompiledProgram> {
    const key = programKey(files);
    let entry = this.programs.get(key);
    if (!entry) {
      entry = this.compile(files);
      this.programs.set(key, entry);
      entry.catch(() => this.programs.delete(key));
    }
    return entry;
  }

  /**
   * A bundled program's WGSL and reflection, loaded on first use; a program the build did not make is an
   * error that says what to do.
   */
  private async bundled(files: readonly string[]): Promise<{ sources: Readonly<Record<string, string>>; reflect: Reflector }> {
    const program = loadBundledProgram(programKey(files));
    if (!program) {
      const missing = files.find((f) => !bundledShaderFiles.includes(f));
      if (missing) throw new ShaderError(`shader '${missing}' not found (known: ${[...bundledShaderFiles].sort().join(', ')})`);
      throw new ShaderError(
        `${files.map((f) => `shaders/${f}`).join(' + ')}: the build made no reflection for this program (bundled programs join the files their ` +
          `'//! joined after' header names); for shaders of your own pass { sources, reflect: reflectWgsl } from 'webrnn/reflect'`,
      );
    }
    const { sources, table } = await program;
    return { sources, reflect: () => table };
  }

  private async compile(files: readonly string[]): Promise<CompiledProgram> {
    if (files.length === 0) throw new ShaderError('a kernel program needs at least one shader file');
    const { sources, reflect } = this.own ?? (await this.bundled(files));
    const parts = files.map((file) => {
      const source = sources[file];
      if (source === undefined) {
        throw new ShaderError(`shader '${file}' not found (known: ${Object.keys(sources).sort().join(', ')})`);
      }
      return { file, source };
    });
    const joined = joinProgram(parts);
    const info = programInfo(joined, reflect(joined, files));
    this.ctx.assertUsable();
    // The scope keeps a compile error from surfacing as an uncaptured device error: it is reported below.
    this.ctx.device.pushErrorScope('validation');
    const module = this.ctx.device.createShaderModule({ label: files.join('+'), code: info.code });
    this.ctx.countShaderModule();
    const compilation = await module.getCompilationInfo();
    const scopeError = await this.ctx.device.popErrorScope();
    const errors = compilation.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = info.code.split('\n');
      const text = errors
        .map((m) => `${info.locate(m.lineNum)}${this.columns ? `:${m.linePos}` : ''}: error: ${m.message}\n    ${(lines[m.lineNum - 1] ?? '').trim()}`)
        .join('\n');
      throw new ShaderError(`WGSL compile error in ${files.map((f) => `shaders/${f}`).join(' + ')}:\n${text}`);
    }
    if (scopeError) throw new ShaderError(`shaders/${files.join(' + ')}: ${scopeError.message}`);
    return { module, info };
  }

  private entryLayout(programKey: string, entryName: string, entry: EntryInfo): EntryLayout {
    const key = `${programKey}:${entryName}`;
    const cached = this.layouts.get(key);
    if (cached) return cached;
    const all = [...entry.bindings.map((b) => ({ binding: b.binding, type: b.kind })), ...(entry.dims ? [{ binding: entry.dims.binding, type: 'uniform' as const }] : [])];
    const layout = this.ctx.device.createBindGroupLayout({
      label: `${key}.layout`,
      entries: all.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.type } })),
    });
    const pipelineLayout = this.ctx.device.createPipelineLayout({ label: `${key}.pipelineLayout`, bindGroupLayouts: [layout] });
    const made = { layout, pipelineLayout };
    this.layouts.set(key, made);
    return made;
  }

  private async createPipeline(
    spec: KernelSpec,
    constants: Constants,
    module: GPUShaderModule,
    layout: EntryLayout,
    info: ProgramInfo,
  ): Promise<GPUComputePipeline> {
    const where = `shaders/${spec.files[spec.files.length - 1]} entry '${spec.entry}'`;
    for (const name of Object.keys(constants)) {
      if (!info.overrides.has(name)) {
        throw new ShaderError(`${where}: unknown override constant '${name}' (declared: ${[...info.overrides].join(', ')})`);
      }
    }
    const label = `${spec.files.join('+')}:${spec.entry}(${canonical(constants)})`;
    const numeric: Record<string, number> = {};
    for (const [name, value] of Object.entries(constants)) numeric[name] = typeof value === 'boolean' ? Number(value) : value;
    this.ctx.assertUsable();
    this.ctx.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await this.ctx.device.createComputePipelineAsync({
        label,
        layout: layout.pipelineLayout,
        compute: { module, entryPoint: spec.entry, constants: numeric },
      });
    } catch (error) {
      await this.ctx.device.popErrorScope();
      throw new ShaderError(`${where} with ${canonical(constants)}: pipeline failed: ${(error as Error).message}`);
    }
    const scopeError = await this.ctx.device.popErrorScope();
    if (scopeError) throw new ShaderError(`${where} with ${canonical(constants)}: ${scopeError.message}`);
    this.ctx.countPipeline();
    return pipeline;
  }
}

function toRange(range: BufferRange): { buffer: GPUBuffer; offset?: number; size?: number } {
  if (range instanceof Tensor) return { buffer: range.buffer, offset: 0, size: range.byteLength };
  return 'buffer' in range ? range : { buffer: range };
}

function canonical(constants: Constants): string {
  return Object.keys(constants)
    .sort()
    .map((k) => `${k}=${Number(constants[k])}`)
    .join(',');
}
