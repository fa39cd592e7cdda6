// Keras' Sequential: a stack of layers, each applied to the previous one's single output. The first
// layer gives the input shape (`inputShape`), or the stack starts with an input({ shape }). The graph is
// made on first use (compile, fit, predict, summary, weights), so add() works until then.

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import { InputLayer } from '../layers/keras/input.js';
import { Layer, SymbolicTensor } from '../layers/keras/layer.js';
import { Graph } from './graph.js';
import { DEFERRED } from './graph-model.js';
import { Model } from './model.js';

/** A Sequential's layers (optionally starting with an input) and name. */
export interface SequentialConfig {
  /** The layers in order; the first may be input({ shape }). */
  layers?: (Layer | SymbolicTensor)[];
  /** Default 'sequential'. */
  name?: string;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

/** Keras' Sequential: each layer applied to the previous one's output. */
export class Sequential extends Model {
  private readonly stack: Layer[] = [];
  private input: InputLayer | undefined;

  constructor(gpu: GpuContext, config: SequentialConfig | (Layer | SymbolicTensor)[] = {}) {
    const { layers = [], name = 'sequential', seed } = Array.isArray(config) ? { layers: config } : config;
    const stack = layers.map((l) => (l instanceof SymbolicTensor ? l.layer : l));
    super(gpu, { [DEFERRED]: { name, seed, layers: stack } });
    for (const layer of stack) this.add(layer);
  }

  /** Adds a layer on top; only before the model is first used. */
  add(layer: Layer | SymbolicTensor): void {
    const item = layer instanceof SymbolicTensor ? layer.layer : layer;
    if (this.hasGraph) throw new ShapeError(`Sequential '${this.name}': add() must come before the model is first used (compile, fit, predict, summary)`);
    if (!(item instanceof Layer)) throw new ShapeError(`Sequential '${this.name}': add() takes a layer, got ${typeof item}`);
    if (item instanceof InputLayer) {
      if (this.stack.length > 0 || this.input) throw new ShapeError(`Sequential '${this.name}': an input can only come first`);
      this.input = item;
      return;
    }
    this.stack.push(item);
  }

  protected override deferredGraph(): Graph {
    if (this.stack.length === 0) throw new ShapeError(`Sequential '${this.name}': has no layers`);
    const first = this.stack[0];
    if (!this.input) {
      if (!first.inputShape) throw new ShapeError(`Sequential '${this.name}': give the first layer ('${first.name}') an inputShape, or start with input({ shape })`);
      this.input = new InputLayer({ shape: first.inputShape, name: `${first.name}_input` });
    }
    let x: SymbolicTensor = this.input.output;
    for (const layer of this.stack) {
      const out = layer.apply(x);
      if (Array.isArray(out)) throw new ShapeError(`Sequential '${this.name}': layer '${layer.name}' has ${out.length} outputs; every layer of a Sequential must have one (use the functional Model)`);
      x = out;
    }
    return new Graph([this.input.output], [x], `Sequential '${this.name}'`);
  }

  protected override get isSequential(): boolean {
    return true;
  }
}
