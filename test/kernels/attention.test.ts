// The attention kernels (shaders/attention.wgsl) against the float64 reference (test/reference/
// attention.ts, finite-difference checked) on odd sizes: dot and concat scores, a separate key or the
// value as key, learned c / a / w, masks of query and value steps, causal; inputs and gradients at
// element offsets inside larger buffers, which stay unchanged around them; gradients written or added.
// Tolerances: outputs and softmax weights atol 1e-5 (f32 sums of <= 7 products of values <= 1); the
// input gradients atol 2e-5 (two such sums chained); the learned weights' gradients, sums over every
// (b, i, j) and feature, atol 1e-4.

import { describe, expect, it } from 'vitest';
import { Plan, attentionBackwardSteps, attentionForwardStep, attentionWeightsBytes, type AttentionShape } from '../../src/advanced.js';
import { expectClose } from '../helpers/compare.js';
import { accumulated, expectRegion, filled, kernelTensors } from '../helpers/regions.js';
import { attentionBackward, attentionForward, type AttentionTensors } from '../reference/attention.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const OUT_TOL = { atol: 1e-5, rtol: 0 };
const GRAD_TOL = { atol: 2e-5, rtol: 0 };
const PARAM_TOL = { atol: 1e-4, rtol: 0 };

interface Case extends AttentionShape { key: boolean; learned: ('c' | 'a' | 'w')[]; masks: boolean; accumulate: boolean }

const CASES: Case[] = [
  { batch: 3, querySteps: 5, valueSteps: 7, dim: 3, valueDim: 3, score: 'dot', causal: false, key: false, learned: [], masks: false, accumulate: false },
  { batch: 2, querySteps: 3, valueSteps: 5, dim: 4, valueDim: 7, score: 'dot', causal: false, key: true, learned: ['c'], masks: true, accumulate: true },
  { batch: 3, querySteps: 6, valueSteps: 6, dim: 5, valueDim: 5, score: 'dot', causal: true, key: false, learned: ['c'], masks: false, accumulate: true },
  { batch: 5, querySteps: 4, valueSteps: 3, dim: 3, valueDim: 3, score: 'concat', causal: false, key: false, learned: ['c', 'a'], masks: true, accumulate: false },
  { batch: 1, querySteps: 7, valueSteps: 5, dim: 6, valueDim: 2, score: 'concat', causal: false, key: true, learned: ['w'], masks: true, accumulate: true },
];

describe('attention kernels', () => {
  const gpu = kernelTensors();
  const tensor = gpu.tensor;

  for (const c of CASES) {
    it(`forward and backward equal the reference: ${JSON.stringify(c)}`, async () => {
      const { ctx, registry } = gpu;
      const { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E } = c;
      const rng = mulberry32(B * 1000 + Tq * 100 + Tv * 10 + D);
      const at = { query: 3, value: 5, key: 2, qm: 1, vm: 4, params: 6 };
      const query = filled(rng, at.query, Tq * B * D);
      const value = filled(rng, at.value, Tv * B * E);
      const key = filled(rng, at.key, Tv * B * D);
      const qm = new Float32Array(at.qm + Tq * B + 3).fill(1);
      const vm = new Float32Array(at.vm + Tv * B + 3).fill(1);
      if (c.masks) {
        qm[at.qm + 1] = 0; // query step 0 of sample 1
        for (let b = 0; b < B; b++) vm[at.vm + (Tv - 1) * B + b] = 0; // every sample's last value step
        vm[at.vm + 1 * B] = 0; // sample 0's value step 1
      }
      // Parameters: c at 6, a at 7, w [D] from 9; the gradient buffer holds something to add to.
      const params = new Float32Array(at.params + 3 + D + 2);
      params[at.params] = 1.3;
      params[at.params + 1] = 0.6;
      params.set(uniformArray(D, 1, rng).map((v) => v + 0.2), at.params + 3);
      const dparamsStart = Float32Array.from(uniformArray(params.length, 1, rng));
      const learned = { c: c.learned.includes('c'), a: c.learned.includes('a'), w: c.learned.includes('w') };
      const slice = (a: Float32Array, from: number, n: number) => Float64Array.from(a.subarray(from, from + n));
      const t: AttentionTensors = {
        query: slice(query, at.query, Tq * B * D), value: slice(value, at.value, Tv * B * E),
        ...(c.key ? { key: slice(key, at.key, Tv * B * D) } : {}),
        ...(c.masks ? { queryMask: slice(qm, at.qm, Tq * B), valueMask: slice(vm, at.vm, Tv * B) } : {}),
        ...(learned.c ? { c: params[at.params] } : {}), ...(learned.a ? { a: params[at.params + 1] } : {}),
        ...(learned.w ? { w: slice(params, at.params + 3, D) } : {}),
      };
      const tensors = {
        query: tensor(query, 'att.query'), value: tensor(value, 'att.value'), key: tensor(key, 'att.key'),
        qm: tensor(qm, 'att.q_mask'), vm: tensor(vm, 'att.v_mask'), params: tensor(params, 'att.params'), dparams: tensor(dparamsStart, 'att.dparams'),
      };
      const out = ctx.createStorageBuffer('att.out', Tq * B * E * 4);
      const weights = ctx.createStorageBuffer('att.weights', attentionWeightsBytes(c));
      const dscores = ctx.createStorageBuffer('att.dscores', attentionWeightsBytes(c));
      const r = Float32Array.from(uniformArray(Tq * B * E, 1, rng));
      const dout = ctx.createStorageBuffer('att.dout', r.byteLength, r);
      const dStart = { query: filled(rng, 2, Tq * B * D), key: filled(rng, 1, Tv * B * D), value: filled(rng, 3, Tv * B * E) };
      const grads = { query: tensor(dStart.query, 'att.dquery'), key: tensor(dStart.key, 'att.dkey'), value: tensor(dStart.value, 'att.dvalue') };
      try {
        const inputs = {
          query: { buffer: tensors.query, offset: at.query }, value: { buffer: tensors.value, offset: at.value },
          ...(c.key ? { key: { buffer: tensors.key, offset: at.key } } : {}),
          ...(c.masks ? { queryMask: { buffer: tensors.qm, offset: at.qm }, valueMask: { buffer: tensors.vm, offset: at.vm } } : {}),
        };
        const parameters = {
          params: tensors.params.buffer, dparams: tensors.dparams.buffer,
          ...(learned.c ? { c: at.params } : {}), ...(learned.a ? { a: at.params + 1 } : {}), ...(learned.w ? { w: at.params + 3 } : {}),
        };
        const steps = [await attentionForwardStep(registry, 'att', c, inputs, parameters, { out, weights })];
        steps.push(...(await attentionBackwardSteps(registry, 'att', c, inputs, parameters, { weights, dout, dscores }, {
          dquery: { buffer: grads.query, offset: 2, accumulate: c.accumulate },
          dvalue: { buffer: grads.value, offset: 3, accumulate: c.accumulate },
          ...(c.key ? { dkey: { buffer: grads.key, offset: 1, accumulate: c.accumulate } } : {}),
          parameters: true,
        })));
        Plan.runOnce(ctx, 'attention', steps);
        const expected = attentionForward(c, t);
        expectClose(new Float32Array(await ctx.read(out, Tq * B * E * 4)), expected.out, OUT_TOL, 'out');
        expectClose(new Float32Array(await ctx.read(weights, attentionWeightsBytes(c))), expected.weights, OUT_TOL, 'weights');
        const g = attentionBackward(c, t, Float64Array.from(r));
        const read = async (x: { buffer: GPUBuffer }, n: number) => new Float32Array(await ctx.read(x.buffer, n * 4));
        expectRegion(await read(grads.query, dStart.query.length), dStart.query, 2, accumulated(dStart.query, 2, g.dquery, c.accumulate), GRAD_TOL, 'dquery');
        expectRegion(await read(grads.value, dStart.value.length), dStart.value, 3, accumulated(dStart.value, 3, g.dvalue, c.accumulate), GRAD_TOL, 'dvalue');
        if (c.key) expectRegion(await read(grads.key, dStart.key.length), dStart.key, 1, accumulated(dStart.key, 1, g.dkey!, c.accumulate), GRAD_TOL, 'dkey');
        else expect(Array.from(await read(grads.key, dStart.key.length))).toEqual(Array.from(dStart.key));
        const dparams = await read(tensors.dparams, params.length);
        const expectedParams = Float64Array.from(dparamsStart);
        if (learned.c) expectedParams[at.params] += g.dc;
        if (learned.a) expectedParams[at.params + 1] += g.da;
        if (learned.w) g.dw.forEach((v, d) => (expectedParams[at.params + 3 + d] += v));
        expectClose(dparams, expectedParams, PARAM_TOL, 'dparams (only the learned ones added to)');
      } finally {
        for (const b of [out, weights, dscores, dout]) ctx.destroyBuffer(b);
      }
    });
  }

  it('refuses shapes and buffers that do not fit, naming them', async () => {
    const { ctx, registry } = gpu;
    const shape: AttentionShape = { batch: 2, querySteps: 3, valueSteps: 4, dim: 3, valueDim: 5, score: 'dot', causal: false };
    const small = tensor(new Float32Array(10), 'att.small');
    const big = tensor(new Float32Array(100), 'att.big');
    const out = ctx.createStorageBuffer('att.out', 200);
    const weights = ctx.createStorageBuffer('att.weights', 200);
    const params = { params: big.buffer };
    try {
      await expect(attentionForwardStep(registry, 'att', shape, { query: { buffer: small, offset: 0 }, value: { buffer: big, offset: 0 } }, params, { out, weights }))
        .rejects.toThrow(/att: query needs 18 elements from element 0/);
      await expect(attentionForwardStep(registry, 'att', shape, { query: { buffer: big, offset: 0 }, value: { buffer: big, offset: 0 } }, params, { out, weights }))
        .rejects.toThrow(/without a key the value is the key, so query features \(3\) must equal value features \(5\)/);
      await expect(attentionForwardStep(registry, 'att', { ...shape, valueSteps: 0 }, { query: { buffer: big, offset: 0 }, value: { buffer: big, offset: 0 } }, params, { out, weights }))
        .rejects.toThrow(/valueSteps must be a positive integer, got 0/);
    } finally {
      ctx.destroyBuffer(out);
      ctx.destroyBuffer(weights);
    }
  });
});
