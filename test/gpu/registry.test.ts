// The kernel registry: programs joined from several files, reflection, binding by name, runtime dims
// packed by member name, and the errors a kernel author or user sees.

import { beforeAll, describe, expect, it } from 'vitest';
import { BindingError, CELLS, KernelRegistry, Plan, ShaderError, Tensor, recurrenceFiles, type KernelSpec } from '../../src/advanced.js';
import { reflectWgsl } from '../../src/reflect.js';
import { joinProgram } from '../../src/gpu/reflection.js';
import { bundledShaderFiles, bundledShaders } from '../../src/gpu/shader-sources.js';
import { gpu } from '../helpers/gpu.js';
import { readFileSync } from 'node:fs';

const PRELUDE = `// prelude: a helper the kernel file calls
fn times(v: f32, k: f32) -> f32 { return v * k; }
`;
const SCALE = `// test shader
override FACTOR: f32 = 2.0;
struct Dims { n: u32, offset: u32, bias: f32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < dims.n) { dst[id.x] = times(src[dims.offset + id.x], FACTOR) + dims.bias; }
}
`;
const BROKEN = `// line 1
@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  dst[id.x] = undefined_thing;
}
`;

const scaleSpec: KernelSpec = { files: ['prelude.wgsl', 'scale.wgsl'], entry: 'scale' };
type D = { n: number; offset: number; bias: number };

describe('kernel registry', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let registry: KernelRegistry;
  beforeAll(async () => {
    env = await gpu();
    registry = new KernelRegistry(env.ctx, { sources: { 'prelude.wgsl': PRELUDE, 'scale.wgsl': SCALE, 'broken.wgsl': BROKEN }, reflect: reflectWgsl });
  });

  it('joins files, binds by shader names, packs dims by member name and runs with override constants', async () => {
    const kernel = await registry.kernel<D>(scaleSpec, { FACTOR: 3 });
    expect(kernel.bindingNames).toEqual(['src', 'dst']);
    expect(kernel.dimNames).toEqual(['n', 'offset', 'bias']);
    const src = Tensor.from(env.ctx, [9, 1, 2, 3, 4, 5], [6]);
    const dst = Tensor.zeros(env.ctx, [5]);
    Plan.runOnce(env.ctx, 'scale', [kernel.step('scale', { src, dst }, [1], { dims: { n: 5, offset: 1, bias: 0.5 }, bytes: { src: 24, dst: 20 } })]);
    expect(Array.from(await dst.read())).toEqual([3.5, 6.5, 9.5, 12.5, 15.5]);
    src.dispose();
    dst.dispose();
  });

  it('caches pipelines per (files, entry, constants), not per shape', async () => {
    const before = env.ctx.stats().pipelinesCreated;
    const a = await registry.kernel<D>(scaleSpec, { FACTOR: 7 });
    const b = await registry.kernel<D>(scaleSpec, { FACTOR: 7 });
    const c = await registry.kernel<D>(scaleSpec, { FACTOR: 8 });
    expect(a.pipeline).toBe(b.pipeline);
    expect(c.pipeline).not.toBe(a.pipeline);
    expect(env.ctx.stats().pipelinesCreated - before).toBe(2);
    expect(a.pipeline.label).toContain('prelude.wgsl+scale.wgsl:scale');
  });

  it('names a missing, extra or too-small binding', async () => {
    const kernel = await registry.kernel<D>(scaleSpec);
    const small = Tensor.zeros(env.ctx, [99], { label: 'small' });
    const big = Tensor.zeros(env.ctx, [100], { label: 'big' });
    const dims = { n: 100, offset: 0, bias: 0 };
    expect(() => kernel.step('t', { dst: big }, [2], { dims, bytes: { src: 400, dst: 400 } })).toThrow(BindingError);
    expect(() => kernel.step('t', { dst: big }, [2], { dims, bytes: { src: 400, dst: 400 } })).toThrow(/scale\.wgsl entry 'scale'.*missing buffer for binding 'src'/);
    expect(() => kernel.step('t', { src: big, dst: big, source: big }, [2], { dims, bytes: { src: 400, dst: 400 } })).toThrow(/extra buffer 'source'/);
    expect(() => kernel.step('t', { src: small, dst: big }, [2], { dims, bytes: { src: 400, dst: 400 } })).toThrow(/binding 'src' needs 400 bytes, buffer 'small' gives 396/);
    expect(() => kernel.step('t', { src: big, dst: big }, [2], { dims, bytes: { dst: 400 } })).toThrow(/no size for runtime-sized binding 'src'/);
    expect(() => kernel.step('t', { src: big, dst: big }, [2], { dims, bytes: { src: 4, dst: 4, other: 4 } })).toThrow(/sizes binding 'other', which the shader does not use/);
    small.dispose();
    big.dispose();
  });

  it('names a missing, unknown or invalid dim', async () => {
    const kernel = await registry.kernel<D>(scaleSpec);
    const t = Tensor.zeros(env.ctx, [4]);
    const bytes = { src: 16, dst: 16 };
    expect(() => kernel.step('t', { src: t, dst: t }, [1], { bytes })).toThrow(/'dims' uniform needs n, offset, bias/);
    expect(() => kernel.step('t', { src: t, dst: t }, [1], { dims: { n: 1, offset: 0 } as D, bytes })).toThrow(/missing dim 'bias'/);
    expect(() => kernel.step('t', { src: t, dst: t }, [1], { dims: { n: 1, offset: 0, bias: 0, extra: 1 } as D, bytes })).toThrow(/unknown dim 'extra'/);
    expect(() => kernel.step('t', { src: t, dst: t }, [1], { dims: { n: -1, offset: 0, bias: 0 }, bytes })).toThrow(/dim 'n' must be an integer/);
    expect(() => kernel.step('t', { src: t, dst: t, dims: t } as never, [1], { dims: { n: 1, offset: 0, bias: 0 }, bytes })).toThrow(/dims are passed as values/);
    t.dispose();
  });

  it('reports a WGSL compile error with the file and line, in whichever joined file it is', async () => {
    const alone = await registry.kernel({ files: ['broken.wgsl'], entry: 'main' }).catch((e: Error) => e);
    expect(alone).toBeInstanceOf(ShaderError);
    expect((alone as Error).message).toMatch(/shaders\/broken\.wgsl:5:\d+: error: .*undefined_thing/);
    const joined = await registry.kernel({ files: ['prelude.wgsl', 'broken.wgsl'], entry: 'main' }).catch((e: Error) => e);
    expect((joined as Error).message).toMatch(/shaders\/broken\.wgsl:5:\d+: error: .*undefined_thing/);
  });

  it('reports an unknown entry point, shader, or override', async () => {
    await expect(registry.kernel({ ...scaleSpec, entry: 'nope' })).rejects.toThrow(/no compute entry point 'nope' \(it has: scale\)/);
    await expect(registry.kernel({ files: ['missing.wgsl'], entry: 'x' })).rejects.toThrow(/shader 'missing.wgsl' not found/);
    await expect(registry.kernel(scaleSpec, { BOGUS: 1 })).rejects.toThrow(/unknown override constant 'BOGUS'/);
  });

  it('shaders of its own need a reflect function; the bundled tables cover only the programs the build made', async () => {
    expect(() => new KernelRegistry(env.ctx, { sources: { 'scale.wgsl': SCALE } })).toThrow(/shaders of your own need a reflect function.*webrnn\/reflect/);
    const bundled = new KernelRegistry(env.ctx);
    await expect(bundled.program(['common/activations.wgsl', 'matmul.wgsl'])).rejects.toThrow(
      /shaders\/common\/activations\.wgsl \+ shaders\/matmul\.wgsl: the build made no reflection for this program/,
    );
  });

  const standalone = bundledShaderFiles.filter((f) => !f.includes('/'));
  /** Every program the library dispatches: each top-level shader, the kernels joined after their preludes, each cell's recurrence. */
  const joined = ['recurrence.wgsl', 'activation.wgsl', 'dropout.wgsl', 'decode.wgsl', 'matmul.wgsl', 'matmul-subgroups.wgsl'];
  const libraryPrograms = (): string[][] => [
    ...standalone.filter((f) => !joined.includes(f)).map((f) => [f]),
    ['common/matmul-interface.wgsl', 'matmul.wgsl'],
    ['common/subgroups.wgsl', 'common/matmul-interface.wgsl', 'matmul-subgroups.wgsl'],
    ['common/activations.wgsl', 'activation.wgsl'],
    ['common/random.wgsl', 'dropout.wgsl'],
    ['common/random.wgsl', 'common/sampling.wgsl', 'decode.wgsl'],
    ...Object.values(CELLS).map((cell) => recurrenceFiles(cell)),
  ];

  it("the build's reflection tables match wgsl_reflect over the files as written, for every program the library uses", async () => {
    const { sources: shaderSources, programs: shaderPrograms } = await bundledShaders();
    expect(Object.keys(shaderSources).sort()).toEqual([...bundledShaderFiles].sort());
    const onDisk = (file: string) => readFileSync(new URL(`../../shaders/${file}`, import.meta.url), 'utf8');
    expect(Object.keys(shaderPrograms).sort()).toEqual(libraryPrograms().map((files) => files.join('+')).sort());
    for (const files of libraryPrograms()) {
      const table = reflectWgsl(joinProgram(files.map((file) => ({ file, source: onDisk(file) }))));
      expect(shaderPrograms[files.join('+')], files.join(' + ')).toEqual(table);
    }
    // Comments are stripped from what ships, lines kept (compile errors still name the file's line).
    for (const file of Object.keys(shaderSources)) {
      expect(shaderSources[file], file).not.toMatch(/\/\//);
      expect(shaderSources[file].split('\n').length, file).toBe(onDisk(file).split('\n').length);
    }
  });

  // Reflection decides which buffers an entry point binds by name, without scopes: a parameter or local
  // named like a binding would make every entry that calls the function bind that buffer.
  it('no function parameter or local in a bundled program is named like one of its bindings', async () => {
    const { sources: shaderSources } = await bundledShaders();
    for (const files of libraryPrograms()) {
      const code = files.map((f) => shaderSources[f]).join('\n');
      const bindings = new Set([...code.matchAll(/@binding\(\d+\)\s*var(?:<[^>]*>)?\s+(\w+)/g)].map((m) => m[1]));
      const params = [...code.matchAll(/\bfn\s+\w+\s*\(([^)]*)\)/g)].flatMap((m) => [...m[1].matchAll(/(\w+)\s*:/g)].map((p) => p[1]));
      const locals = [...code.matchAll(/\b(?:let|var)\s+(\w+)\s*[:=]/g)].map((m) => m[1]);
      const clashes = [...params, ...locals].filter((name) => bindings.has(name));
      expect(clashes, files.join(' + ')).toEqual([]);
    }
  });

  it('every bundled shader program compiles', async () => {
    const bundled = new KernelRegistry(env.ctx);
    expect(standalone.length).toBeGreaterThan(5);
    // A program with subgroup operations compiles only on a device with the feature (lavapipe has it).
    const compilable = libraryPrograms().filter((files) => !files.includes('common/subgroups.wgsl') || env.ctx.features.has('subgroups'));
    for (const files of compilable) await expect(bundled.program(files)).resolves.toBeTruthy();
  });
});
