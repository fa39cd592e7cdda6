// The kernel registry: WGSL file + entry point + override constants -> a compute pipeline with an
// explicit bind group layout derived by reflection, bound by the names used in the shader.
//
// A KernelSpec (one per entry point, written next to the code that dispatches it) states how many
// bytes each runtime-sized binding must hold for given constants; the registry checks the spec
// against the shader's own bindings, so a renamed binding or a missing size is caught at first use.

import { WgslReflect, ResourceType, type VariableInfo } from 'wgsl_reflect';
import type { GpuContext } from './context.js';
import { BindingError, LimitError, ShaderError } from './errors.js';
import { shaderSources } from './shader-sources.js';
import { Tensor } from './tensor.js';

export type Constants = Record<string, number | boolean>;

export interface KernelSpec<C extends Constants = Constants> {
  /** File name under shaders/, e.g. 'matmul.wgsl'. */
  shader: string;
  /** Compute entry point. */
  entry: string;
  /** Bytes that each runtime-sized storage binding must hold, given the override constants. */
  bindingBytes(constants: C): Record<string, number>;
}

/** A whole buffer, a tensor, or a byte range of a buffer. */
export type BufferRange = GPUBuffer | Tensor | { buffer: GPUBuffer; offset?: number; size?: number };

/** One dispatch, ready to encode: everything made up front so replaying costs no allocation. */
export interface Step {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
  /** Fixed size in bytes from reflection, 0 when runtime-sized. */
  fixedBytes: number;
}

interface EntryLayout {
  bindings: BindingInfo[];
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
}

export class Kernel<C extends Constants = Constants> {
  readonly label: string;
  private readonly requiredBytes: Record<string, number>;

  constructor(
    private readonly ctx: GpuContext,
    readonly spec: KernelSpec<C>,
    readonly constants: C,
    readonly pipeline: GPUComputePipeline,
    private readonly entryLayout: EntryLayout,
  ) {
    this.label = pipeline.label;
    const declared = spec.bindingBytes(constants);
    const where = `${spec.shader} entry '${spec.entry}'`;
    const names = new Set(entryLayout.bindings.map((b) => b.name));
    for (const name of Object.keys(declared)) {
      if (!names.has(name)) throw new BindingError(`${where}: kernel spec sizes binding '${name}', which the shader does not use`);
    }
    this.requiredBytes = {};
    for (const b of entryLayout.bindings) {
      const bytes = declared[b.name] ?? b.fixedBytes;
      if (bytes <= 0) throw new BindingError(`${where}: kernel spec gives no size for runtime-sized binding '${b.name}'`);
      this.requiredBytes[b.name] = bytes;
    }
  }

  /** Binding names the shader uses, in binding order. */
  get bindingNames(): string[] {
    return this.entryLayout.bindings.map((b) => b.name);
  }

  /** Builds a bind group from buffers named as in the shader; throws on a missing, extra or small buffer. */
  bind(label: string, buffers: Record<string, BufferRange>): GPUBindGroup {
    const where = `${this.spec.shader} entry '${this.spec.entry}' (${label})`;
    const entries: GPUBindGroupEntry[] = [];
    for (const b of this.entryLayout.bindings) {
      const range = buffers[b.name];
      if (range === undefined) throw new BindingError(`${where}: missing buffer for binding '${b.name}'`);
      const { buffer, offset = 0, size } = toRange(range);
      const available = size ?? buffer.size - offset;
      const required = this.requiredBytes[b.name];
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
      if (!this.entryLayout.bindings.some((b) => b.name === name)) {
        throw new BindingError(`${where}: extra buffer '${name}': the shader has no binding of that name (it has ${this.bindingNames.join(', ')})`);
      }
    }
    return this.ctx.createBindGroup({ label, layout: this.entryLayout.layout, entries });
  }

  /** A ready-to-encode dispatch of this kernel. */
  step(label: string, buffers: Record<string, BufferRange>, workgroups: readonly [number, number?, number?]): Step {
    const [x, y = 1, z = 1] = workgroups;
    const max = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new LimitError(`${label}: dispatch of ${x}x${y}x${z} workgroups exceeds this device's maxComputeWorkgroupsPerDimension of ${max}`);
    }
    return { label, pipeline: this.pipeline, bindGroup: this.bind(label, buffers), workgroups: [x, y, z] };
  }
}

export interface KernelRegistryOptions {
  /** Shader sources by file name; defaults to the files of shaders/ bundled with webrnn. */
  sources?: Readonly<Record<string, string>>;
}

export class KernelRegistry {
  private readonly sources: Readonly<Record<string, string>>;
  private readonly modules = new Map<string, Promise<{ module: GPUShaderModule; reflect: WgslReflect }>>();
  private readonly layouts = new Map<string, EntryLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(
    private readonly ctx: GpuContext,
    options: KernelRegistryOptions = {},
  ) {
    this.sources = options.sources ?? shaderSources;
  }

  /** The kernel for a spec and constant set; pipelines are cached per (file, entry, constants). */
  async kernel<C extends Constants>(spec: KernelSpec<C>, constants: C): Promise<Kernel<C>> {
    const { module, reflect } = await this.module(spec.shader);
    const entryLayout = this.entryLayout(spec, reflect);
    const key = `${spec.shader}:${spec.entry}:${canonical(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.createPipeline(spec, constants, module, entryLayout, reflect);
      this.pipelines.set(key, pipeline);
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return new Kernel(this.ctx, spec, constants, await pipeline, entryLayout);
  }

  get limits(): GPUSupportedLimits {
    return this.ctx.limits;
  }

  /** Number of distinct pipelines built so far. */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private module(file: string) {
    let entry = this.modules.get(file);
    if (!entry) {
      entry = this.compile(file);
      this.modules.set(file, entry);
      entry.catch(() => this.modules.delete(file));
    }
    return entry;
  }

  private async compile(file: string): Promise<{ module: GPUShaderModule; reflect: WgslReflect }> {
    const source = this.sources[file];
    if (source === undefined) {
      throw new ShaderError(`shader '${file}' not found (known: ${Object.keys(this.sources).sort().join(', ')})`);
    }
    this.ctx.assertUsable();
    // The scope keeps a compile error from surfacing as an uncaptured device error: it is reported below.
    this.ctx.device.pushErrorScope('validation');
    const module = this.ctx.device.createShaderModule({ label: file, code: source });
    this.ctx.countShaderModule();
    const info = await module.getCompilationInfo();
    const scopeError = await this.ctx.device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = source.split('\n');
      const text = errors
        .map((m) => `shaders/${file}:${m.lineNum}:${m.linePos}: error: ${m.message}\n    ${(lines[m.lineNum - 1] ?? '').trim()}`)
        .join('\n');
      throw new ShaderError(`WGSL compile error in shaders/${file}:\n${text}`);
    }
    if (scopeError) throw new ShaderError(`shaders/${file}: ${scopeError.message}`);
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(source);
    } catch (error) {
      throw new ShaderError(`shaders/${file}: reflection failed: ${(error as Error).message}`);
    }
    return { module, reflect };
  }

  private entryLayout(spec: KernelSpec<never> | KernelSpec, reflect: WgslReflect): EntryLayout {
    const key = `${spec.shader}:${spec.entry}`;
    const cached = this.layouts.get(key);
    if (cached) return cached;
    const fn = reflect.entry.compute.find((f) => f.name === spec.entry);
    if (!fn) {
      const known = reflect.entry.compute.map((f) => f.name).join(', ');
      throw new ShaderError(`shaders/${spec.shader}: no compute entry point '${spec.entry}' (it has: ${known})`);
    }
    const bindings = fn.resources.map((v) => bindingInfo(spec, v)).sort((a, b) => a.binding - b.binding);
    const layout = this.ctx.device.createBindGroupLayout({
      label: `${spec.shader}:${spec.entry}.layout`,
      entries: bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
    });
    const pipelineLayout = this.ctx.device.createPipelineLayout({
      label: `${spec.shader}:${spec.entry}.pipelineLayout`,
      bindGroupLayouts: [layout],
    });
    const entryLayout = { bindings, layout, pipelineLayout };
    this.layouts.set(key, entryLayout);
    return entryLayout;
  }

  private async createPipeline(
    spec: KernelSpec<never> | KernelSpec,
    constants: Constants,
    module: GPUShaderModule,
    entryLayout: EntryLayout,
    reflect: WgslReflect,
  ): Promise<GPUComputePipeline> {
    const declared = new Set(reflect.overrides.map((o) => o.name));
    for (const name of Object.keys(constants)) {
      if (!declared.has(name)) {
        throw new ShaderError(`shaders/${spec.shader} entry '${spec.entry}': unknown override constant '${name}' (declared: ${[...declared].join(', ')})`);
      }
    }
    const label = `${spec.shader}:${spec.entry}(${canonical(constants)})`;
    const numeric: Record<string, number> = {};
    for (const [name, value] of Object.entries(constants)) numeric[name] = typeof value === 'boolean' ? Number(value) : value;
    this.ctx.assertUsable();
    this.ctx.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await this.ctx.device.createComputePipelineAsync({
        label,
        layout: entryLayout.pipelineLayout,
        compute: { module, entryPoint: spec.entry, constants: numeric },
      });
    } catch (error) {
      await this.ctx.device.popErrorScope();
      throw new ShaderError(`shaders/${spec.shader} entry '${spec.entry}' with ${canonical(constants)}: pipeline failed: ${(error as Error).message}`);
    }
    const scopeError = await this.ctx.device.popErrorScope();
    if (scopeError) {
      throw new ShaderError(`shaders/${spec.shader} entry '${spec.entry}' with ${canonical(constants)}: ${scopeError.message}`);
    }
    this.ctx.countPipeline();
    return pipeline;
  }
}

function bindingInfo(spec: { shader: string; entry: string }, v: VariableInfo): BindingInfo {
  const where = `shaders/${spec.shader} entry '${spec.entry}'`;
  if (v.group !== 0) throw new ShaderError(`${where}: binding '${v.name}' is in group ${v.group}; webrnn kernels use group 0 only`);
  let kind: BindingInfo['kind'];
  if (v.resourceType === ResourceType.Uniform) kind = 'uniform';
  else if (v.resourceType === ResourceType.Storage) kind = v.access === 'read' ? 'read-only-storage' : 'storage';
  else throw new ShaderError(`${where}: binding '${v.name}' is not a buffer; webrnn kernels bind buffers only`);
  const runtimeSized = v.isArray && v.count === 0;
  return { name: v.name, binding: v.binding, kind, fixedBytes: runtimeSized ? 0 : v.size };
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
