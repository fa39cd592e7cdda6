// The kernel registry: reflection, binding by name, and the errors a kernel author or user sees.

import { beforeAll, describe, expect, it } from 'vitest';
import { BindingError, KernelRegistry, Plan, ShaderError, Tensor, type KernelSpec } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';

const SCALE = `// test shader
override N: u32;
override FACTOR: f32 = 2.0;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < N) { dst[id.x] = FACTOR * src[id.x]; }
}
`;
const BROKEN = `// line 1
override N: u32;
@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  dst[id.x] = undefined_thing;
}
`;

type C = { N: number; FACTOR?: number };
const scaleSpec: KernelSpec<C> = { shader: 'scale.wgsl', entry: 'scale', bindingBytes: (c) => ({ src: c.N * 4, dst: c.N * 4 }) };

describe('kernel registry', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let registry: KernelRegistry;
  beforeAll(async () => {
    env = await gpu();
    registry = new KernelRegistry(env.ctx, { sources: { 'scale.wgsl': SCALE, 'broken.wgsl': BROKEN } });
  });

  it('binds by shader names and runs with override constants', async () => {
    const kernel = await registry.kernel(scaleSpec, { N: 5, FACTOR: 3 });
    expect(kernel.bindingNames).toEqual(['src', 'dst']);
    const src = Tensor.from(env.ctx, [1, 2, 3, 4, 5], [5]);
    const dst = Tensor.zeros(env.ctx, [5]);
    new Plan(env.ctx, 'scale', [kernel.step('scale', { src: src.buffer, dst: dst.buffer }, [1])]).run();
    expect(Array.from(await dst.read())).toEqual([3, 6, 9, 12, 15]);
    src.dispose();
    dst.dispose();
  });

  it('caches pipelines per (shader, entry, constants)', async () => {
    const before = env.ctx.stats().pipelinesCreated;
    const a = await registry.kernel(scaleSpec, { N: 7, FACTOR: 3 });
    const b = await registry.kernel(scaleSpec, { FACTOR: 3, N: 7 });
    const c = await registry.kernel(scaleSpec, { N: 8, FACTOR: 3 });
    expect(a.pipeline).toBe(b.pipeline);
    expect(c.pipeline).not.toBe(a.pipeline);
    expect(env.ctx.stats().pipelinesCreated - before).toBe(2);
    expect(a.pipeline.label).toContain('scale.wgsl:scale');
  });

  it('names the missing binding', async () => {
    const kernel = await registry.kernel(scaleSpec, { N: 4 });
    const dst = Tensor.zeros(env.ctx, [4]);
    expect(() => kernel.bind('t', { dst: dst.buffer })).toThrow(BindingError);
    expect(() => kernel.bind('t', { dst: dst.buffer })).toThrow(/scale\.wgsl entry 'scale'.*missing buffer for binding 'src'/);
    dst.dispose();
  });

  it('names an extra binding', async () => {
    const kernel = await registry.kernel(scaleSpec, { N: 4 });
    const t = Tensor.zeros(env.ctx, [4]);
    expect(() => kernel.bind('t', { src: t.buffer, dst: t.buffer, source: t.buffer })).toThrow(/extra buffer 'source'/);
    t.dispose();
  });

  it('names a buffer smaller than the shader needs', async () => {
    const kernel = await registry.kernel(scaleSpec, { N: 100 });
    const small = Tensor.zeros(env.ctx, [99], { label: 'small' });
    const big = Tensor.zeros(env.ctx, [100], { label: 'big' });
    expect(() => kernel.bind('t', { src: small.buffer, dst: big.buffer })).toThrow(/binding 'src' needs 400 bytes, buffer 'small' gives 396/);
    small.dispose();
    big.dispose();
  });

  it('reports a WGSL compile error with the file and line', async () => {
    const spec: KernelSpec = { shader: 'broken.wgsl', entry: 'main', bindingBytes: () => ({ dst: 4 }) };
    const error = await registry.kernel(spec, { N: 1 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ShaderError);
    expect((error as Error).message).toMatch(/shaders\/broken\.wgsl:6:\d+: error: .*undefined_thing/);
  });

  it('reports an unknown entry point, shader, or override', async () => {
    await expect(registry.kernel({ ...scaleSpec, entry: 'nope' }, { N: 1 })).rejects.toThrow(/no compute entry point 'nope' \(it has: scale\)/);
    await expect(registry.kernel({ ...scaleSpec, shader: 'missing.wgsl' }, { N: 1 })).rejects.toThrow(/shader 'missing.wgsl' not found/);
    await expect(registry.kernel(scaleSpec, { N: 1, BOGUS: 1 } as C)).rejects.toThrow(/unknown override constant 'BOGUS'/);
  });

  it('rejects a spec that does not size a runtime-sized binding, or sizes one the shader lacks', async () => {
    await expect(registry.kernel({ ...scaleSpec, bindingBytes: (c: C) => ({ dst: c.N * 4 }) }, { N: 2 })).rejects.toThrow(
      /gives no size for runtime-sized binding 'src'/,
    );
    await expect(
      registry.kernel({ ...scaleSpec, bindingBytes: (c: C) => ({ src: 4, dst: 4, other: c.N }) }, { N: 2 }),
    ).rejects.toThrow(/sizes binding 'other', which the shader does not use/);
  });

  it('every bundled shader compiles and reflects', async () => {
    const bundled = new KernelRegistry(env.ctx);
    const { shaderSources } = await import('../../src/gpu/shader-sources.js');
    expect(Object.keys(shaderSources).length).toBeGreaterThan(0);
    for (const file of Object.keys(shaderSources)) {
      await expect((bundled as unknown as { module(f: string): Promise<unknown> }).module(file)).resolves.toBeTruthy();
    }
  });
});
