// Device acquisition, tensors, live-buffer accounting and device loss.

import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceLostError, DisposedError, GpuUnavailableError, LimitError, ShapeError, Tensor, requestGpu } from '../../src/advanced.js';
import { gpu } from '../helpers/gpu.js';

describe('GpuContext and Tensor', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  it('describes its adapter and limits', () => {
    const info = env.ctx.adapterInfo;
    expect(info.runtime).toBe('node');
    expect(info.description.length + info.device.length).toBeGreaterThan(0);
    expect(env.ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(env.ctx.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
  });

  it('round-trips f32, i32 and u32 tensors', async () => {
    const f = Tensor.from(env.ctx, new Float32Array([1.5, -2, 3e-8, 7]), [2, 2], { label: 'f' });
    const i = Tensor.from(env.ctx, new Int32Array([-3, 0, 2147483647]), [3], { label: 'i' });
    const u = Tensor.from(env.ctx, [0, 4294967295], [2], { dtype: 'u32', label: 'u' });
    expect(Array.from(await f.read())).toEqual([1.5, -2, Math.fround(3e-8), 7]);
    expect(await i.read()).toBeInstanceOf(Int32Array);
    expect(Array.from(await i.read())).toEqual([-3, 0, 2147483647]);
    expect(Array.from(await u.read())).toEqual([0, 4294967295]);
    f.write([0, 1, 2, 3]);
    expect(Array.from(await f.read())).toEqual([0, 1, 2, 3]);
    for (const t of [f, i, u]) t.dispose();
  });

  it('rejects bad shapes and data with errors that name the problem', () => {
    expect(() => Tensor.from(env.ctx, [1, 2, 3], [2, 2], { label: 'w' })).toThrow(/tensor 'w': data has 3 elements but shape \[2, 2\] needs 4/);
    expect(() => Tensor.zeros(env.ctx, [2, 0])).toThrow(ShapeError);
    expect(() => Tensor.zeros(env.ctx, [2.5])).toThrow(/positive integer/);
    expect(() => Tensor.from(env.ctx, [1, 2.5], [2], { dtype: 'i32', label: 'ids' })).toThrow(/tensor 'ids': element 1 \(2.5\) is not a valid i32/);
    expect(() => Tensor.from(env.ctx, new Int32Array(2), [2], { dtype: 'f32' })).toThrow(/data is i32 but dtype 'f32'/);
    const t = Tensor.zeros(env.ctx, [3]);
    expect(() => t.write([1, 2])).toThrow(ShapeError);
    t.dispose();
  });

  it('refuses a buffer over the device limit before allocating it', () => {
    const max = env.ctx.limits.maxStorageBufferBindingSize;
    const live = env.ctx.liveBuffers;
    expect(() => Tensor.zeros(env.ctx, [Math.floor(max / 4) + 1], { label: 'huge' })).toThrow(LimitError);
    expect(() => Tensor.zeros(env.ctx, [Math.floor(max / 4) + 1], { label: 'huge' })).toThrow(/buffer 'huge' needs \d+ bytes, over this device's maxStorageBufferBindingSize/);
    expect(env.ctx.liveBuffers).toBe(live);
  });

  it('allocating(): a build that throws leaves none of its buffers behind; one that succeeds keeps them', () => {
    const live = env.ctx.liveBuffers;
    const max = env.ctx.limits.maxStorageBufferBindingSize;
    expect(() => env.ctx.allocating(() => {
      env.ctx.createStorageBuffer('first', 64);
      env.ctx.allocating(() => env.ctx.createStorageBuffer('inner', 64)); // a nested build that succeeded
      env.ctx.createStorageBuffer('too big', max + 4);
    })).toThrow(/buffer 'too big' needs/);
    expect(env.ctx.liveBuffers).toBe(live);
    const kept = env.ctx.allocating(() => [env.ctx.createStorageBuffer('a', 16), env.ctx.createStorageBuffer('b', 16)]);
    expect(env.ctx.liveBuffers).toBe(live + 2);
    // A later failure elsewhere does not touch what an earlier build kept.
    expect(() => env.ctx.allocating(() => env.ctx.createStorageBuffer('too big', max + 4))).toThrow(LimitError);
    expect(env.ctx.liveBuffers).toBe(live + 2);
    kept.forEach((b) => env.ctx.destroyBuffer(b));
    expect(env.ctx.liveBuffers).toBe(live);
  });

  it('counts live buffers; dispose releases them; a disposed tensor says so', async () => {
    const before = env.ctx.liveBuffers;
    const tensors = [Tensor.zeros(env.ctx, [10]), Tensor.zeros(env.ctx, [20]), Tensor.from(env.ctx, [1], [1])];
    expect(env.ctx.liveBuffers).toBe(before + 3);
    await tensors[2].read(); // the readback staging buffer is released too
    expect(env.ctx.liveBuffers).toBe(before + 3);
    for (const t of tensors) t.dispose();
    tensors[0].dispose(); // twice is harmless
    expect(env.ctx.liveBuffers).toBe(before);
    await expect(tensors[0].read()).rejects.toThrow(DisposedError);
  });

  it('surfaces device loss as a clear error on the next call, never a hang', async () => {
    const ctx = await requestGpu();
    const t = Tensor.from(ctx, [1, 2, 3], [3]);
    ctx.device.destroy();
    await ctx.device.lost;
    expect(() => Tensor.zeros(ctx, [3])).toThrow(DeviceLostError);
    await expect(t.read()).rejects.toThrow(/GPU device lost/);
  });

  it('says what is missing when the named adapter does not exist', async () => {
    await expect(requestGpu({ adapter: '/nonexistent/icd.json' })).rejects.toThrow(GpuUnavailableError);
    await expect(requestGpu({ adapter: '/nonexistent/icd.json' })).rejects.toThrow(/ICD file \/nonexistent\/icd.json does not exist.*lavapipe/s);
  });
});
