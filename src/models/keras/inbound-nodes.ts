// The tensor references of a functional config: each layer's calls from its inbound_nodes, and the
// model's input_layers / output_layers. Inbound nodes come as Keras 2 / TensorFlow.js write them (one
// list per call of [layer, node, tensor, kwargs] entries; a recurrent layer's initial states as further
// entries or as kwargs.initial_state) or as Keras 3 does ({ args, kwargs } holding __keras_tensor__
// objects); input_layers / output_layers as lists of [layer, node, tensor], a single one, or a dict of them.
// RNN constants are errors: they change what the model computes. The masks Embedding(mask_zero) and
// Masking make flow by themselves, as in Keras; Keras 3 also writes them into each call it passes them
// to (kwargs.mask, a tensor of the ops that computed it: NotEqual, Any, ... entries of the layer list).
// Those ops are left out (maskOps) and such a mask is the one webrnn propagates; any other mask tensor
// (an explicit mask=... of layers' outputs) is an error.

import { ShapeError } from '../../gpu/errors.js';
import type { LayerEntry } from './config-layers.js';
import { describe, isDict, type Dict } from './config-values.js';
import { CELLS } from './layer-classes.js';

/** A tensor reference of a config: [layer, node, tensor]. */
export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

/** One call of a layer: its input tensors, then its initial states. */
export interface Call {
  readonly inputs: TensorRef[];
  readonly states: TensorRef[];
}

/**
 * The Keras 3 op entries (module keras.src.ops...) that only compute masks: reached from some call's
 * kwargs.mask, through other such ops, and read by nothing else.
 */
export function maskOps(entries: readonly LayerEntry[]): Set<string> {
  const ops = new Map(entries.filter((e) => typeof e.raw.module === 'string' && /^keras(\.src)?\.ops\b/.test(e.raw.module)).map((e) => [e.name, e]));
  const masks = new Set<string>();
  const data = new Set<string>();
  const calls = (e: LayerEntry) => (Array.isArray(e.raw.inbound_nodes) ? e.raw.inbound_nodes : []).filter(isDict);
  const visit = (name: string) => {
    const op = ops.get(name);
    if (!op || masks.has(name)) return;
    masks.add(name);
    for (const node of calls(op)) for (const ref of kerasTensors(node.args ?? [], op.who)) visit(ref.layer);
  };
  for (const entry of entries) {
    for (const node of calls(entry)) {
      const kwargs = isDict(node.kwargs) ? node.kwargs : {};
      for (const ref of kerasTensors(kwargs.mask ?? [], entry.who)) visit(ref.layer);
      if (!ops.has(entry.name)) for (const ref of kerasTensors([node.args ?? [], { ...kwargs, mask: null }], entry.who)) data.add(ref.layer);
    }
  }
  for (const name of data) masks.delete(name);
  return masks;
}

/** The calls of a layer from its inbound_nodes, in either format (`masks`: maskOps, whose tensors are implicit masks). */
export function parseCalls(entry: LayerEntry, masks: ReadonlySet<string> = new Set()): Call[] {
  const nodes = entry.raw.inbound_nodes ?? [];
  if (!Array.isArray(nodes)) throw new ShapeError(`fromConfig: ${entry.who}: inbound_nodes must be a list, got ${describe(nodes)}`);
  const recurrent = Object.hasOwn(CELLS, entry.className);
  return nodes.map((node, k) => {
    const what = `${entry.who}, inbound node ${k}`;
    let inputs: TensorRef[];
    let states: TensorRef[];
    let kwargs: Dict = {};
    if (Array.isArray(node)) {
      // Keras 2 / TensorFlow.js: [[layer, node, tensor, kwargs], ...]; as Keras, the last entry's kwargs.
      inputs = node.map((item, i) => {
        if (Array.isArray(item) && item[0] === '_CONSTANT_VALUE') throw new ShapeError(`fromConfig: ${what}: constant (non-tensor) inputs are not supported`);
        const ref = asRef(item);
        if (!ref) throw new ShapeError(`fromConfig: ${what}: entry ${i} must be [layer, node, tensor, kwargs], got ${describe(item)}`);
        if (isDict((item as unknown[])[3])) kwargs = (item as unknown[])[3] as Dict;
        return ref;
      });
      states = tensorRefs(kwargs.initial_state ?? [], `${what} initial_state`);
    } else if (isDict(node) && ('args' in node || 'kwargs' in node)) {
      // Keras 3: { args: [tensor or [tensors]], kwargs: { initial_state, mask, training } }.
      kwargs = isDict(node.kwargs) ? node.kwargs : {};
      inputs = kerasTensors(node.args ?? [], what);
      states = kerasTensors(kwargs.initial_state ?? [], `${what} initial_state`);
    } else {
      throw new ShapeError(`fromConfig: ${what}: expected a list of [layer, node, tensor, kwargs] or { args, kwargs }, got ${describe(node)}`);
    }
    const mask = kwargs.mask;
    const implicit = isDict(node) && kerasTensors(mask ?? [], what).every((ref) => masks.has(ref.layer));
    if (mask !== undefined && mask !== null && !(Array.isArray(mask) && mask.every((m) => m === null)) && !implicit) {
      throw new ShapeError(`fromConfig: ${what}: an explicit mask tensor (mask=...) is not supported; the mask of an Embedding with mask_zero or of a Masking layer reaches the layers after it by itself`);
    }
    if (kwargs.constants !== undefined && kwargs.constants !== null) throw new ShapeError(`fromConfig: ${what}: RNN constants are not supported`);
    // Attention's call options: what they ask for is not what a plain call computes.
    if (kwargs.return_attention_scores === true) throw new ShapeError(`fromConfig: ${what}: return_attention_scores is not supported (the call's second output)`);
    if (kwargs.use_causal_mask === true) throw new ShapeError(`fromConfig: ${what}: use_causal_mask at the call is not supported; a causal mask is read from the layer's config (causal: true)`);
    if (inputs.length === 0) throw new ShapeError(`fromConfig: ${what}: names no input tensor`);
    // A recurrent call given as [x, h, c]: the initial states follow the input.
    if (recurrent && states.length === 0 && inputs.length > 1) return { inputs: inputs.slice(0, 1), states: inputs.slice(1) };
    return { inputs, states };
  });
}

/** [layer, node, tensor] (a fourth, kwargs, entry allowed). */
function asRef(item: unknown): TensorRef | undefined {
  if (!Array.isArray(item) || item.length < 3 || typeof item[0] !== 'string' || !Number.isInteger(item[1]) || !Number.isInteger(item[2])) return undefined;
  if (item[1] < 0 || item[2] < 0) return undefined;
  return { layer: item[0], node: item[1], tensor: item[2] };
}

/** References in input_layers / output_layers / kwargs.initial_state: one, a list (nested) or a dict of them. */
export function tensorRefs(value: unknown, what: string): TensorRef[] {
  const ref = asRef(value);
  if (ref) return [ref];
  if (Array.isArray(value)) return value.flatMap((v) => tensorRefs(v, what));
  if (isDict(value)) {
    if (value.class_name === '__keras_tensor__') return kerasTensors(value, what);
    return Object.values(value).flatMap((v) => tensorRefs(v, what));
  }
  throw new ShapeError(`fromConfig: ${what}: expected [layer, node, tensor] references, got ${describe(value)}`);
}

/** Keras 3's serialized tensors, in order, from args (nested lists, tuples). Plain values are not tensors. */
function kerasTensors(value: unknown, what: string): TensorRef[] {
  if (Array.isArray(value)) return value.flatMap((v) => kerasTensors(v, what));
  if (!isDict(value)) return [];
  if (value.class_name === '__keras_tensor__') {
    const history = isDict(value.config) ? value.config.keras_history : undefined;
    const ref = asRef(history);
    if (!ref) throw new ShapeError(`fromConfig: ${what}: a __keras_tensor__ without keras_history [layer, node, tensor]: ${describe(value)}`);
    return [ref];
  }
  if (value.class_name === '__tuple__' && isDict(value.config)) return kerasTensors(value.config.value, what);
  if (typeof value.class_name === 'string') return [];
  return Object.values(value).flatMap((v) => kerasTensors(v, what));
}
