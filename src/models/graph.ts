// A model's graph: from its input tensors to its output tensors, the nodes in the order they run and the
// layers in Keras' order (the order of model.layers and so of get_weights()).
//
// Keras' order (keras functional._map_graph_network, the same in TensorFlow.js' container): a depth-first
// walk from the outputs numbers the layers as it meets them; a node's depth is the longest path from it
// to an output; layers are listed by decreasing depth, ties in the order met. Nodes run by decreasing
// depth: every node after the nodes it reads from.

import { ShapeError } from '../gpu/errors.js';
import { InputLayer } from '../layers/keras/input.js';
import { SymbolicTensor, type Layer, type Node } from '../layers/keras/layer.js';

export class Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Every node, in an order that runs each after its inbound nodes (decreasing depth). */
  readonly nodes: readonly Node[];
  /** Every layer, input layers included, in Keras' model.layers order. */
  readonly layers: readonly Layer[];

  constructor(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[], who: string) {
    if (inputs.length === 0) throw new ShapeError(`${who}: needs at least one input`);
    if (outputs.length === 0) throw new ShapeError(`${who}: needs at least one output`);
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || !(t.layer instanceof InputLayer)) {
        throw new ShapeError(`${who}: input ${i} must be a model input (from input({ shape })), got ${t instanceof SymbolicTensor ? `'${t.name}'` : typeof t}`);
      }
      if (inputs.indexOf(t) !== i) throw new ShapeError(`${who}: input '${t.layer.name}' is given twice`);
    });
    outputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new ShapeError(`${who}: output ${i} is not a model tensor`);
    });
    this.inputs = [...inputs];
    this.outputs = [...outputs];

    // Depth-first from the outputs: nodes finished in post-order, layers numbered as met.
    const finished = new Set<Node>();
    const inProgress = new Set<Node>();
    const postOrder: Node[] = [];
    const layerIndex = new Map<Layer, number>();
    const visit = (tensor: SymbolicTensor, path: string[]) => {
      const node = tensor.node;
      if (finished.has(node)) return;
      if (inProgress.has(node)) throw new ShapeError(`${who}: the graph has a cycle through ${[...path, node.layer.name].map((n) => `'${n}'`).join(' -> ')}`);
      if (!layerIndex.has(node.layer)) layerIndex.set(node.layer, layerIndex.size);
      inProgress.add(node);
      for (const t of node.inbound) visit(t, [...path, node.layer.name]);
      inProgress.delete(node);
      finished.add(node);
      postOrder.push(node);
    };
    for (const t of outputs) visit(t, []);

    const nodeDepth = new Map<Node, number>();
    const layerDepth = new Map<Layer, number>();
    for (const node of [...postOrder].reverse()) {
      const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
      layerDepth.set(node.layer, depth);
      nodeDepth.set(node, depth);
      for (const t of node.inbound) nodeDepth.set(t.node, Math.max(depth + 1, nodeDepth.get(t.node) ?? 0));
    }
    // Nodes by decreasing depth; a layer called twice gets the larger depth for both calls, which can
    // put a node at the depth of a node it reads from: the post-order breaks such ties.
    const position = new Map(postOrder.map((n, i) => [n, i]));
    const byDepth = [...postOrder].sort((a, b) => nodeDepth.get(b)! - nodeDepth.get(a)! || position.get(a)! - position.get(b)!);
    // A layer called twice gets the larger depth for both calls, which can put a node before one it reads
    // from; the post-order is always a valid order.
    this.nodes = runsInOrder(byDepth) ? byDepth : postOrder;

    this.layers = [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || layerIndex.get(a)! - layerIndex.get(b)!);

    for (const node of this.nodes) {
      if (node.layer instanceof InputLayer && !inputs.includes(node.outputs[0])) {
        throw new ShapeError(`${who}: the outputs need input '${node.layer.name}', which is not one of the model's inputs`);
      }
    }
    const names = new Map<string, Layer>();
    for (const layer of this.layers) {
      const other = names.get(layer.name);
      if (other && other !== layer) throw new ShapeError(`${who}: two layers are named '${layer.name}'; layer names must be unique`);
      names.set(layer.name, layer);
    }
  }

  /** The layers that hold weights, in Keras' order. */
  get weightLayers(): Layer[] {
    return this.layers.filter((l) => !(l instanceof InputLayer));
  }

  /** Tensors read by some node (an output read by a later layer as well is both). */
  consumers(tensor: SymbolicTensor): Node[] {
    return this.nodes.filter((n) => n.inbound.includes(tensor));
  }
}

function runsInOrder(nodes: readonly Node[]): boolean {
  const done = new Set<Node>();
  for (const node of nodes) {
    if (node.inbound.some((t) => !done.has(t.node))) return false;
    done.add(node);
  }
  return true;
}
