// A Sequential or a functional Model from a config's layer entries.
//   - Sequential: Keras 2 / TensorFlow.js ({ name, layers }, the input from an InputLayer entry or the
//     first layer's batch_input_shape), Keras 3 (InputLayer with batch_shape, or build_input_shape), and
//     the Keras <= 2.1 / 2018 TensorFlow.js form whose config is the plain list of layers.
//   - Functional ('Model', 'Functional'): each layer called as its inbound nodes say (inbound-nodes.ts),
//     in Keras' order; a reference to a layer or node the model lacks, or calls waiting on each other in
//     a cycle, is an error naming them.
// A model whose config has settings that act only in training refuses training (training-only.ts).

import type { GpuContext } from '../../gpu/context.js';
import { ShapeError } from '../../gpu/errors.js';
import { InputLayer } from '../../layers/keras/input.js';
import type { Shape, SymbolicTensor } from '../../layers/keras/layer.js';
import { Add, Concatenate } from '../../layers/keras/merge.js';
import { RecurrentLayerNode } from '../../layers/keras/recurrent.js';
import { refuseTraining } from '../base-model.js';
import { Model } from '../model.js';
import { Sequential } from '../sequential.js';
import { layerEntries, makeLayer, withContext, type LayerEntry, type Made } from './config-layers.js';
import { isDict, type Dict } from './config-values.js';
import { maskOps, parseCalls, tensorRefs, type Call, type TensorRef } from './inbound-nodes.js';
import type { FromConfigOptions } from './index.js';
import type { Dialect } from './read-config.js';
import { modelTrainingOnly, refusal } from './training-only.js';

/** A Sequential from its config (the body of { class_name: 'Sequential', config }). */
export function buildSequential(gpu: GpuContext, body: unknown, dialect: Dialect, options: FromConfigOptions): Sequential {
  const list = Array.isArray(body) ? body : isDict(body) ? body.layers : undefined;
  const name = isDict(body) && typeof body.name === 'string' ? body.name : 'sequential';
  const entries = layerEntries(list, name);
  if (entries.length === 0) throw new ShapeError(`fromConfig: Sequential '${name}' has no layers`);
  const made = entries.map((entry) => ({ entry, ...makeLayer(entry, dialect, options) }));
  made.slice(1).forEach(({ entry }) => {
    if (entry.className === 'InputLayer') throw new ShapeError(`fromConfig: ${entry.who}: an InputLayer can only come first in a Sequential`);
  });
  checkNames(entries, name);
  let input: InputLayer;
  let stack = made;
  if (made[0].layer instanceof InputLayer) {
    input = made[0].layer;
    stack = made.slice(1);
  } else {
    // Keras 2: the first layer's batch_input_shape; Keras 3 without an InputLayer: build_input_shape.
    const first = made[0];
    const build = isDict(body) ? body.build_input_shape ?? (isDict(first.entry.raw.build_config) ? first.entry.raw.build_config.input_shape : undefined) : undefined;
    const shape = first.inputShape ?? (Array.isArray(build) && build.length > 1 ? (build.slice(1) as Shape) : undefined);
    if (!shape) {
      throw new ShapeError(`fromConfig: Sequential '${name}' config gives no input shape: no InputLayer, no batch_input_shape on its first layer ` +
        `('${first.entry.name}'), no build_input_shape`);
    }
    input = withContext(`Sequential '${name}' input`, () => new InputLayer({ shape, name: `${first.layer.name}_input`, dtype: first.inputKind }));
  }
  if (stack.length === 0) throw new ShapeError(`fromConfig: Sequential '${name}' has only an input`);
  stack.forEach(({ entry, layer }) => {
    if (layer instanceof Concatenate || layer instanceof Add) throw new ShapeError(`fromConfig: ${entry.who}: a merge layer takes several inputs, which a Sequential cannot give it`);
  });
  const model = new Sequential(gpu, { layers: [input.output, ...stack.map((m) => m.layer)], name, seed: options.seed });
  refuseTraining(model, refusal(name, [...modelTrainingOnly(body), ...made.flatMap((m) => m.trainingOnly)], options.ignoreTrainingOnlySettings));
  try {
    void model.graph; // builds it now, so a config that does not fit fails here rather than at first use
  } catch (error) {
    model.dispose();
    if (error instanceof ShapeError) throw new ShapeError(`fromConfig: Sequential '${name}': ${error.message}`);
    throw error;
  }
  return model;
}

/** A functional Model from its config: layers, their inbound_nodes, input_layers, output_layers. */
export function buildFunctional(gpu: GpuContext, body: Dict, dialect: Dialect, options: FromConfigOptions): Model {
  const name = typeof body.name === 'string' ? body.name : 'model';
  const listed = layerEntries(body.layers, name);
  checkNames(listed, name);
  // Keras 3's ops that computed the masks it passed along: webrnn propagates those masks itself.
  const masks = maskOps(listed);
  const entries = listed.filter((e) => !masks.has(e.name));
  for (const key of ['input_layers', 'output_layers']) {
    if (body[key] === undefined || body[key] === null) throw new ShapeError(`fromConfig: model '${name}' config has no ${key}`);
  }
  const made = entries.map((entry) => makeLayer(entry, dialect, options));
  const byName = new Map(entries.map((entry, i) => [entry.name, { entry, made: made[i], calls: parseCalls(entry, masks) }]));
  for (const { entry, made: m, calls } of byName.values()) {
    if (m.layer instanceof InputLayer && calls.length > 0) throw new ShapeError(`fromConfig: ${entry.who}: an InputLayer has no inbound nodes, got ${calls.length}`);
  }
  const declaredCalls = (layerName: string) => {
    const spec = byName.get(layerName)!;
    return spec.made.layer instanceof InputLayer ? 1 : spec.calls.length;
  };
  /** The tensor a reference names, undefined while its node is not made yet. */
  const resolve = (ref: TensorRef, what: string): SymbolicTensor | undefined => {
    const spec = byName.get(ref.layer);
    if (!spec) throw new ShapeError(`fromConfig: ${what} names layer '${ref.layer}', which is not in model '${name}' (it has ${entries.map((e) => `'${e.name}'`).join(', ')})`);
    if (ref.node >= declaredCalls(ref.layer)) {
      throw new ShapeError(`fromConfig: ${what} names node ${ref.node} of layer '${ref.layer}', which is called ${declaredCalls(ref.layer)} time(s) in model '${name}'`);
    }
    const node = spec.made.layer.nodes[ref.node];
    if (!node) return undefined;
    const tensor = node.outputs[ref.tensor];
    if (!tensor) throw new ShapeError(`fromConfig: ${what} names output ${ref.tensor} of layer '${ref.layer}', which has ${node.outputs.length} output(s)`);
    return tensor;
  };

  // As Keras' functional_from_config: make the calls layer by layer in config order, a layer's calls in
  // their order, deferring a call until every tensor it reads exists; no progress in a pass is a cycle.
  const pending = new Map(entries.map((e) => [e.name, [...byName.get(e.name)!.calls]]));
  for (;;) {
    let progress = false;
    let remaining = 0;
    for (const entry of entries) {
      const queue = pending.get(entry.name)!;
      const { made: m } = byName.get(entry.name)!;
      while (queue.length > 0) {
        const call = queue[0];
        const callIndex = m.layer.nodes.length;
        const what = `${entry.who}, call ${callIndex}`;
        const inputs = call.inputs.map((r) => resolve(r, what));
        const states = call.states.map((r) => resolve(r, what));
        if ([...inputs, ...states].some((t) => t === undefined)) break;
        withContext(`${entry.who}, call ${callIndex}`, () => applyCall(m, inputs as SymbolicTensor[], states as SymbolicTensor[]));
        queue.shift();
        progress = true;
      }
      remaining += queue.length;
    }
    if (remaining === 0) break;
    if (!progress) throw new ShapeError(`fromConfig: model '${name}': ${describeCycle(entries, pending, byName)}`);
  }

  const tensors = (key: 'input_layers' | 'output_layers') => tensorRefs(body[key], `model '${name}' ${key}`).map((ref) => {
    const t = resolve(ref, `model '${name}' ${key}`);
    if (!t) throw new ShapeError(`fromConfig: model '${name}' ${key} names node ${ref.node} of layer '${ref.layer}', which was never made`);
    return t;
  });
  const inputs = tensors('input_layers');
  const outputs = tensors('output_layers');
  if (inputs.length === 0 || outputs.length === 0) throw new ShapeError(`fromConfig: model '${name}' needs at least one input and one output`);
  let model: Model;
  try {
    model = new Model(gpu, { inputs, outputs, name, seed: options.seed });
  } catch (error) {
    if (error instanceof ShapeError) throw new ShapeError(`fromConfig: ${error.message}`);
    throw error;
  }
  const used = new Set(model.graph.layers);
  const trainingOnly = [...modelTrainingOnly(body), ...made.filter((m) => used.has(m.layer)).flatMap((m) => m.trainingOnly)];
  refuseTraining(model, refusal(name, trainingOnly, options.ignoreTrainingOnlySettings));
  return model;
}

function applyCall(made: Made, inputs: SymbolicTensor[], states: SymbolicTensor[]): void {
  const { layer } = made;
  if (layer instanceof InputLayer) throw new ShapeError('an InputLayer is not called');
  if (states.length > 0 && !(layer instanceof RecurrentLayerNode)) throw new ShapeError(`${layer.className} takes no initial_state`);
  if (made.axis !== undefined && made.axis !== -1) {
    // Keras counts the batch axis: the last axis of a per-sample rank r is r.
    const rank = inputs[0]?.shape.length ?? 0;
    if (made.axis !== rank) throw new ShapeError(`only the last axis (-1 or ${rank}) is supported, got ${made.axisKey ?? 'axis'} ${made.axis}`);
  }
  layer.apply(inputs.length === 1 ? inputs[0] : inputs, states.length > 0 ? { initialState: states } : {});
}

function describeCycle(entries: readonly LayerEntry[], pending: Map<string, Call[]>, byName: Map<string, { made: Made }>): string {
  const waitsFor = (layer: string): string | undefined => {
    const call = pending.get(layer)?.[0];
    if (!call) return undefined;
    return [...call.inputs, ...call.states].find((r) => !byName.get(r.layer)!.made.layer.nodes[r.node])?.layer;
  };
  const start = entries.find((e) => (pending.get(e.name)?.length ?? 0) > 0)!.name;
  const path: string[] = [];
  for (let at: string | undefined = start; at !== undefined && !path.includes(at); at = waitsFor(at)) path.push(at);
  const last = waitsFor(path[path.length - 1]);
  const cycle = last !== undefined ? [...path.slice(path.indexOf(last)), last] : path;
  return `the inbound nodes form a cycle: ${cycle.map((n) => `'${n}'`).join(' -> ')} (each waits for the next one's output)`;
}

function checkNames(entries: readonly LayerEntry[], model: string): void {
  const seen = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const other = seen.get(entry.name);
    if (other) throw new ShapeError(`fromConfig: layers ${other.index} and ${entry.index} of model '${model}' are both named '${entry.name}'; layer names must be unique`);
    seen.set(entry.name, entry);
  }
}
