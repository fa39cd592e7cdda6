// Attention of a query sequence over a value sequence (shaders/attention.wgsl), forward and backward:
// the scores (dot or concat), their softmax over the value steps with masks, the weighted sum of the
// values, and every gradient (query, key, value, and the learned scalars / vector). Inputs and their
// gradients are element regions of any buffer; the learned weights are regions of the model's
// parameter and gradient buffers.

import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import type { Tensor } from '../gpu/tensor.js';
import { grid1d } from './grid.js';
import { checkRegion, keepApart, type ElementRegion } from './regions.js';

/** What one attention computes. */
export interface AttentionShape {
  batch: number;
  /** Tq: query steps. */
  querySteps: number;
  /** Tv: value (and key) steps. */
  valueSteps: number;
  /** D: features of query and key. */
  dim: number;
  /** E: features of value (and of the output). */
  valueDim: number;
  /** 'dot': q . k; 'concat': sum_d w[d] tanh(a (q + k)). */
  score: 'dot' | 'concat';
  /** Query step i attends to value steps j <= i only. */
  causal: boolean;
}

/** Where the learned weights are (element offsets in the parameter / gradient buffers); absent ones are 1. */
export interface AttentionParameters {
  params: GPUBuffer;
  dparams?: GPUBuffer;
  /** The scalar multiplying the scores. */
  c?: number;
  /** The scalar inside tanh (concat). */
  a?: number;
  /** The vector [D] weighting the tanh terms (concat). */
  w?: number;
}

/** The inputs: query, value, the key (absent: the value is the key), and the masks of time steps [T, B]. */
export interface AttentionInputs {
  query: ElementRegion;
  value: ElementRegion;
  key?: ElementRegion;
  queryMask?: ElementRegion;
  valueMask?: ElementRegion;
}

type AttentionDims = {
  batch: number; tq: number; tv: number; dim: number; value_dim: number; flags: number;
  query_offset: number; key_offset: number; value_offset: number; q_mask_offset: number; v_mask_offset: number;
  c_offset: number; a_offset: number; w_offset: number; dquery_offset: number; dkey_offset: number; dvalue_offset: number;
};

const FILES = ['attention.wgsl'];
const spec = (entry: string): KernelSpec => ({ files: FILES, entry });
const FLAGS = {
  concat: 1, c: 2, a: 4, w: 8, queryMask: 16, valueMask: 32, causal: 64, keyIsValue: 128, accumulateDquery: 256, accumulateDkey: 512, accumulateDvalue: 1024, wantDkey: 2048, wantDvalue: 4096,
} as const;

function checkShape(label: string, shape: AttentionShape): void {
  for (const name of ['batch', 'querySteps', 'valueSteps', 'dim', 'valueDim'] as const) {
    const n = shape[name];
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${label}: ${name} must be a positive integer, got ${n}`);
  }
  if (shape.score !== 'dot' && shape.score !== 'concat') throw new ShapeError(`${label}: score must be 'dot' or 'concat', got '${String(shape.score)}'`);
}

interface Prepared {
  dims: AttentionDims;
  buffers: Record<string, GPUBuffer | Tensor>;
  bytes: Record<string, number>;
}

function prepare(label: string, shape: AttentionShape, inputs: AttentionInputs, parameters: AttentionParameters): Prepared {
  checkShape(label, shape);
  const { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E } = shape;
  const query = checkRegion(label, 'query', inputs.query, Tq * B * D);
  const value = checkRegion(label, 'value', inputs.value, Tv * B * E);
  if (!inputs.key && D !== E) throw new ShapeError(`${label}: without a key the value is the key, so query features (${D}) must equal value features (${E})`);
  const key = checkRegion(label, 'key', inputs.key ?? inputs.value, Tv * B * D);
  const queryMask = inputs.queryMask && checkRegion(label, 'query mask', inputs.queryMask, Tq * B);
  const valueMask = inputs.valueMask && checkRegion(label, 'value mask', inputs.valueMask, Tv * B);
  const floats = Math.floor(parameters.params.size / 4);
  for (const [name, at, n] of [['c', parameters.c, 1], ['a', parameters.a, 1], ['w', parameters.w, D]] as const) {
    if (at !== undefined && (!Number.isInteger(at) || at < 0 || at + n > floats)) throw new ShapeError(`${label}: parameter ${name} at element ${at} is outside the parameter buffer (${floats} floats)`);
  }
  if (shape.score === 'dot' && (parameters.a !== undefined || parameters.w !== undefined)) throw new ShapeError(`${label}: dot scores take no a or w`);
  const flags = (shape.score === 'concat' ? FLAGS.concat : 0) | (parameters.c !== undefined ? FLAGS.c : 0) | (parameters.a !== undefined ? FLAGS.a : 0)
    | (parameters.w !== undefined ? FLAGS.w : 0) | (queryMask ? FLAGS.queryMask : 0) | (valueMask ? FLAGS.valueMask : 0) | (shape.causal ? FLAGS.causal : 0)
    | (inputs.key ? 0 : FLAGS.keyIsValue);
  return {
    dims: {
      batch: B, tq: Tq, tv: Tv, dim: D, value_dim: E, flags,
      query_offset: inputs.query.offset, key_offset: (inputs.key ?? inputs.value).offset, value_offset: inputs.value.offset,
      q_mask_offset: inputs.queryMask?.offset ?? 0, v_mask_offset: inputs.valueMask?.offset ?? 0,
      c_offset: parameters.c ?? 0, a_offset: parameters.a ?? 0, w_offset: parameters.w ?? 0, dquery_offset: 0, dkey_offset: 0, dvalue_offset: 0,
    },
    buffers: {
      query: query.range, key: key.range, value: value.range, params: parameters.params,
      ...(queryMask ? { q_mask: queryMask.range } : {}), ...(valueMask ? { v_mask: valueMask.range } : {}),
    },
    bytes: { query: query.bytes, key: key.bytes, value: value.bytes, params: parameters.params.size, q_mask: queryMask?.bytes ?? 4, v_mask: valueMask?.bytes ?? 4 },
  };
}

/** Binds what an entry reads or writes: masks it does not have are placeholders. */
async function step(registry: KernelRegistry, label: string, entry: string, p: Prepared, own: Record<string, GPUBuffer>, grid: [number, number, number]): Promise<Step> {
  const kernel = await registry.kernel<AttentionDims>(spec(entry));
  const read = registry.context.placeholder('read');
  const buffers = await registry.usedBindings<GPUBuffer | Tensor>(spec(entry), { q_mask: read, v_mask: read, ...p.buffers, ...own });
  const bytes = Object.fromEntries(Object.entries(buffers).map(([name, buffer]) => [name, p.bytes[name] ?? (buffer as GPUBuffer).size]));
  return kernel.step(label, buffers, grid, { dims: p.dims, bytes });
}

/** Bytes of the attention weights [B, Tq, Tv] (and of the backward's score gradients, the same size). */
export function attentionWeightsBytes(shape: Pick<AttentionShape, 'batch' | 'querySteps' | 'valueSteps'>): number {
  return shape.batch * shape.querySteps * shape.valueSteps * 4;
}

/** out [Tq, B, E] = the attention of the query over the value; `weights` [B, Tq, Tv] keeps the softmax for the backward. */
export async function attentionForwardStep(
  registry: KernelRegistry, label: string, shape: AttentionShape, inputs: AttentionInputs, parameters: AttentionParameters,
  outputs: { out: GPUBuffer; weights: GPUBuffer },
): Promise<Step> {
  const p = prepare(label, shape, inputs, parameters);
  keepApart(label, [['out', { buffer: outputs.out, offset: 0 }], ['weights', { buffer: outputs.weights, offset: 0 }]],
    [['query', inputs.query], ['value', inputs.value], ...(inputs.key ? [['key', inputs.key] as const] : [])]);
  checkRegion(label, 'out', { buffer: outputs.out, offset: 0 }, shape.querySteps * shape.batch * shape.valueDim);
  checkRegion(label, 'weights', { buffer: outputs.weights, offset: 0 }, attentionWeightsBytes(shape) / 4);
  return step(registry, label, 'attention_forward', p, outputs, grid1d(shape.batch * shape.querySteps, 64, registry.limits.maxComputeWorkgroupsPerDimension));
}

/** Where the backward writes: each gradient's region and whether it adds to what is there. */
export interface AttentionGradients {
  dquery?: ElementRegion & { accumulate: boolean };
  dkey?: ElementRegion & { accumulate: boolean };
  dvalue?: ElementRegion & { accumulate: boolean };
  /** Add the learned weights' gradients into parameters.dparams. */
  parameters: boolean;
}

/**
 * The backward from dout [Tq, B, E]: the score gradients (into `dscores`, [B, Tq, Tv]), then dquery,
 * dkey and dvalue (with the key the value: dvalue gets both), then the learned weights' gradients.
 */
export async function attentionBackwardSteps(
  registry: KernelRegistry, label: string, shape: AttentionShape, inputs: AttentionInputs, parameters: AttentionParameters,
  buffers: { weights: GPUBuffer; dout: GPUBuffer; dscores: GPUBuffer }, gradients: AttentionGradients,
): Promise<Step[]> {
  const { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E } = shape;
  const max = registry.limits.maxComputeWorkgroupsPerDimension;
  const base = prepare(label, shape, inputs, parameters);
  const flagOf = (g: { accumulate: boolean } | undefined, flag: number) => (g?.accumulate ? flag : 0);
  const own = { weights: buffers.weights, dout: buffers.dout, dscores: buffers.dscores };
  const steps = [await step(registry, `${label}.dscores`, 'attention_dscores', base, own, grid1d(B * Tq, 64, max))];
  if (gradients.dquery) {
    const dq = gradients.dquery;
    checkRegion(label, 'dquery', dq, Tq * B * D);
    const p = { ...base, dims: { ...base.dims, dquery_offset: dq.offset, flags: base.dims.flags | flagOf(dq, FLAGS.accumulateDquery) } };
    steps.push(await step(registry, `${label}.dquery`, 'attention_dquery', p, { ...own, dquery: dq.buffer as GPUBuffer }, grid1d(Tq * B * D, 64, max)));
  }
  const keyIsValue = !inputs.key;
  const dv = gradients.dvalue;
  const dk = keyIsValue ? undefined : gradients.dkey;
  if (dv || dk) {
    if (dv) checkRegion(label, 'dvalue', dv, Tv * B * E);
    if (dk) checkRegion(label, 'dkey', dk, Tv * B * D);
    if (dv && dk && dv.buffer === dk.buffer) throw new ShapeError(`${label}: dkey and dvalue are the same buffer; give the key as the value instead`);
    const p = {
      ...base,
      dims: {
        ...base.dims, dkey_offset: dk?.offset ?? 0, dvalue_offset: dv?.offset ?? 0,
        flags: base.dims.flags | (dk ? FLAGS.wantDkey : 0) | (dv ? FLAGS.wantDvalue : 0) | flagOf(dk, FLAGS.accumulateDkey) | flagOf(dv, FLAGS.accumulateDvalue),
      },
    };
    // The one not wanted is bound to the write placeholder, which the kernel never writes.
    const unused = registry.context.placeholder('write');
    steps.push(await step(registry, `${label}.dkey_value`, 'attention_dkey_value', p,
      { ...own, dvalue: (dv?.buffer as GPUBuffer) ?? unused, dkey: (dk?.buffer as GPUBuffer) ?? unused },
      grid1d(Tv * B * Math.max(D, E), 64, max)));
  }
  if (gradients.parameters && (parameters.c !== undefined || parameters.a !== undefined || parameters.w !== undefined)) {
    if (!parameters.dparams) throw new ShapeError(`${label}: the learned weights' gradients need the gradient buffer (parameters.dparams)`);
    steps.push(await step(registry, `${label}.dparameters`, 'attention_dparams', base, { ...own, dparams: parameters.dparams }, [2 + (parameters.w !== undefined ? D : 0), 1, 1]));
  }
  return steps;
}
