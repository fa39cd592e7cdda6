// The one layer interface of Keras-style models (Sequential and the functional Model).
//
// A Layer is configured without a device, as in Keras; applying it to symbolic tensors (`apply`) adds a
// Node to the graph and gives its output tensors, whose shapes are checked there. A model builds each
// layer once (`build`: its weights declared in the model's parameter store, also when the layer is called
// several times), then src/plan asks each node, for one concrete batch shape, for a NodeRuntime: the
// buffers of its outputs, its forward dispatches and its backward dispatches.
//
// Layout inside: a value of per-sample shape [T, F] is time-major [T, B, F] (each step contiguous); one of
// shape [F] is [B, F]. So `rows` = B x (every axis but the last), and a Dense runs on rows x F whatever the
// rank. Gradients: each output has a gradient range that its consumers write (the first writer in the
// plan's order assigns, later ones add; src/plan decides which); a node's backward reads its outputs'
// gradients and writes its inputs'.

import type { GpuContext } from '../../gpu/context.js';
import { ShapeError } from '../../gpu/errors.js';
import type { KernelRegistry, Step } from '../../gpu/kernel-registry.js';
import type { ParameterStore } from '../parameters.js';
import type { WeightLayer } from '../weight-layer.js';

/** A per-sample shape (no batch axis); null is a length known only from the data (time steps). */
export type Shape = readonly (number | null)[];

/** What a tensor holds: numbers, or token ids (an Embedding's input). */
export type ValueKind = 'float32' | 'int32';

/** A tensor of a model under construction: the output `index` of a node. */
export class SymbolicTensor {
  constructor(
    /** Per-sample shape. */
    readonly shape: Shape,
    /** The call that produced it. */
    readonly node: Node,
    /** Which of the node's outputs it is. */
    readonly index: number,
  ) {}

  /** The layer that produced it. */
  get layer(): Layer {
    return this.node.layer;
  }

  /** `layer:node:index`, as Keras' keras_history names a tensor. */
  get name(): string {
    return `${this.node.layer.name}:${this.node.index}:${this.index}`;
  }
}

/** One call of a layer: its inbound tensors (inputs, then initial states) and its outputs. */
export class Node {
  outputs: SymbolicTensor[] = [];

  constructor(
    readonly layer: Layer,
    readonly inputs: readonly SymbolicTensor[],
    readonly initialState: readonly SymbolicTensor[],
    /** Which call of the layer this is (0 for the first). */
    readonly index: number,
  ) {}

  /** Inputs, then initial states: the order of NodeRuntime's inbound values and gradients. */
  get inbound(): readonly SymbolicTensor[] {
    return [...this.inputs, ...this.initialState];
  }
}

/** Options of a layer call. */
export interface CallOptions {
  /** Recurrent layers: the initial states (h, then c for LSTM), e.g. another layer's final states. */
  initialState?: SymbolicTensor[];
}

/** A contiguous byte range of a GPU buffer. */
export interface Range {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

export function wholeBuffer(buffer: GPUBuffer, size = buffer.size): Range {
  return { buffer, offset: 0, size };
}

/** A tensor's value at one concrete shape: its range, and the range its gradient is written to. */
export interface Value {
  /** Per-sample shape. */
  readonly shape: readonly number[];
  readonly kind: ValueKind;
  /** Batch x every axis but the last. */
  readonly rows: number;
  readonly value: Range;
  /** Absent where no gradient can flow (model inputs). */
  readonly grad?: Range;
  /**
   * Keras' mask of time steps of a sequence [T, ...]: f32 [T, B] (time-major like the value; 1 at a real
   * step, 0 at a padded one), from an Embedding with maskZero or a Masking layer, carried to what reads it.
   */
  readonly mask?: Range;
}

/** Where a fused loss finds the pre-activation of an output whose activation is softmax or sigmoid. */
export interface LogitsView {
  readonly activation: 'softmax' | 'sigmoid';
  readonly value: Range;
  /** Where the loss writes the gradient of the logits. */
  readonly grad: Range;
}

/** What a node's backward is told by the plan. */
export interface Gradients {
  /** Per output: whether a gradient was written to it. */
  readonly outputs: readonly boolean[];
  /** Per output: whether the loss wrote the gradient of its logits (see NodeRuntime.logits) instead. */
  readonly logits: readonly boolean[];
  /** Per inbound value: absent when no gradient is wanted, else whether to add to what is there. */
  readonly inbound: readonly ({ accumulate: boolean } | undefined)[];
}

/**
 * What a forward pass is for. Training (fit, trainOnBatch, warmUp): dropout and noise layers draw their
 * noise, new each step. Inference (predict, evaluate, the default): they are the identity, as in Keras.
 */
export interface ForwardPass {
  /** A training step's forward. */
  readonly training: boolean;
  /**
   * With training: each plan run advances the random layers' step counters (the next run draws new
   * noise). false: it draws the next step's noise and leaves the counters as they are (a warm-up, which
   * changes no model state). Default true.
   */
  readonly advance?: boolean;
}

/** A node at one concrete shape: its buffers and dispatches. */
export interface NodeRuntime {
  readonly outputs: readonly Value[];
  /**
   * Groups of inbound indices whose gradients one dispatch writes together (they get one accumulate
   * flag); every other inbound value is written on its own.
   */
  readonly jointInboundWrites?: readonly (readonly number[])[];
  /**
   * Gradient ranges this node's backward reads as a whole beyond its outputs' own (a recurrent layer's
   * final-state gradient holds every state, returned or not): where nothing writes part of one, the plan
   * zeroes it.
   */
  readonly gradientReads?: readonly Range[];
  /** The forward dispatches; `pass` says training or inference (default inference). */
  forwardSteps(pass?: ForwardPass): Promise<Step[]>;
  /** The backward dispatches (in a training plan: after the forward of a training pass). */
  backwardSteps(gradients: Gradients): Promise<Step[]>;
  /** The logits of output `index` when its activation is softmax or sigmoid (for a fused loss). */
  logits?(index: number): LogitsView | undefined;
  /** Host data arriving at inbound value `index` (token ids for an Embedding fed by a model input). */
  hostInput?(index: number, data: Float32Array | Int32Array): void;
  dispose(): void;
}

/** What a layer is built with: where its weights live. */
export interface BuildContext {
  readonly ctx: GpuContext;
  readonly store: ParameterStore;
  readonly registry: KernelRegistry;
  /** Seed of this layer's initializers. */
  readonly seed: number;
}

/** What a node's runtime is made with. */
export interface RuntimeContext {
  readonly ctx: GpuContext;
  readonly registry: KernelRegistry;
  readonly batch: number;
  /** Labels of the buffers. */
  readonly label: string;
}

/** Base config of every layer. */
export interface LayerConfig {
  /** Unique within a model; Keras-style `dense`, `dense_1`, ... by default. */
  name?: string;
  /** The first layer of a Sequential: the per-sample shape of the model's input (Keras input_shape). */
  inputShape?: Shape;
  /** Seed of this layer's initializers (default: from the model's seed and the layer's place). */
  seed?: number;
}

const nameCounts = new Map<string, number>();

/** Keras' default layer names: the class in snake_case, then _1, _2, ... */
export function defaultLayerName(className: string): string {
  const base = className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
  const count = nameCounts.get(base) ?? 0;
  nameCounts.set(base, count + 1);
  return count === 0 ? base : `${base}_${count}`;
}

/** A Keras-style layer: configured without a device, applied to tensors, built into a model. */
export abstract class Layer {
  /** Unique within a model. */
  readonly name: string;
  /** Keras class name ('Dense', 'LSTM', ...). */
  abstract readonly className: string;
  /** Calls of this layer, in order. */
  readonly nodes: Node[] = [];
  private builtWith: { store: ParameterStore; inputShapes: Shape[] } | null = null;

  protected constructor(className: string, config: LayerConfig) {
    if (config.name !== undefined && (typeof config.name !== 'string' || config.name === '')) {
      throw new ShapeError(`${className}: name must be a non-empty string, got ${JSON.stringify(config.name)}`);
    }
    this.name = config.name ?? defaultLayerName(className);
    this.inputShape = config.inputShape ? [...config.inputShape] : undefined;
    this.seed = config.seed;
  }

  /** The seed given at construction, if any. */
  readonly seed?: number;

  /** The per-sample input shape given at construction (Sequential's first layer). */
  readonly inputShape?: Shape;

  /** Keras config (snake_case keys), as get_config() gives it. */
  abstract getConfig(): Record<string, unknown>;

  /**
   * Output shapes for these input shapes (and initial-state shapes); throws a ShapeError naming the layer
   * when they do not fit. Works for symbolic (null) and concrete lengths alike.
   */
  abstract outputShapes(inputs: readonly Shape[], initialState: readonly Shape[]): Shape[];

  /** What the outputs hold ('float32' unless said otherwise). */
  outputKind(_index: number): ValueKind {
    return 'float32';
  }

  /** A model input takes the kind its first consumer needs (token ids for an Embedding). */
  adoptKind(_index: number, _kind: ValueKind, _consumer: Layer): void {}

  /** What inbound value `index` must hold: an Embedding takes token ids. */
  inputKind(_index: number): ValueKind {
    return 'float32';
  }

  /** How many inputs a call takes: a number, or [min, max]. */
  protected get inputArity(): number | [number, number] {
    return 1;
  }

  /** Whether initial states may sit at any offset of a buffer (a recurrent layer reads them in place or copies them). */
  get takesUnalignedInitialState(): boolean {
    return this.takesInitialState;
  }

  /** Whether initialState is accepted. */
  protected get takesInitialState(): boolean {
    return false;
  }

  /** Applies the layer: a new node of the graph, its outputs (one tensor, or a list when several). */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options: CallOptions = {}): SymbolicTensor | SymbolicTensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const arity = this.inputArity;
    const [min, max] = typeof arity === 'number' ? [arity, arity] : arity;
    if (list.length < min || list.length > max) {
      throw new ShapeError(`${this.className} '${this.name}': takes ${min === max ? min : `${min} to ${max}`} input${max === 1 ? '' : 's'}, got ${list.length}`);
    }
    list.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new ShapeError(`${this.className} '${this.name}': input ${i} is not a model tensor (use input() or another layer's output)`);
    });
    const states = options.initialState ?? [];
    if (states.length > 0 && !this.takesInitialState) throw new ShapeError(`${this.className} '${this.name}': takes no initialState`);
    states.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new ShapeError(`${this.className} '${this.name}': initialState ${i} is not a model tensor`);
    });
    [...list, ...states].forEach((t, i) => {
      t.layer.adoptKind(t.index, this.inputKind(i), this);
      if (t.layer.outputKind(t.index) !== this.inputKind(i)) {
        throw new ShapeError(`${this.className} '${this.name}': inbound ${i} ('${t.name}') holds ${t.layer.outputKind(t.index)} but the layer takes ${this.inputKind(i)}`);
      }
    });
    const shapes = this.outputShapes(list.map((t) => t.shape), states.map((t) => t.shape));
    const node = new Node(this, list, states, this.nodes.length);
    node.outputs = shapes.map((shape, i) => new SymbolicTensor(shape, node, i));
    this.nodes.push(node);
    return node.outputs.length === 1 ? node.outputs[0] : node.outputs;
  }

  /** Declares the weights in `context.store` (once: a layer called again shares them). */
  build(context: BuildContext, inputShapes: Shape[]): void {
    if (this.builtWith) {
      if (this.builtWith.store !== context.store) throw new ShapeError(`${this.className} '${this.name}': already part of another model`);
      return;
    }
    this.builtWith = { store: context.store, inputShapes };
    this.create(context, inputShapes);
  }

  /** Whether a model has declared its weights. */
  get built(): boolean {
    return this.builtWith !== null;
  }

  /** The parameter store the layer's weights were declared in, once built. */
  get parameterStore(): ParameterStore | undefined {
    return this.builtWith?.store;
  }

  /** Makes the weight-owning layer for the first call's input shapes (layers without weights: nothing). */
  protected abstract create(context: BuildContext, inputShapes: Shape[]): void;

  /** The layer holding the weights, once built (absent for layers without weights). */
  abstract get weightLayer(): WeightLayer | undefined;

  /**
   * Where one of its weights (a name of weightLayer.weights: 'kernel', 'forward/kernel') sits in model
   * files: 'tfjs' as TensorFlow.js names it ('lstm/kernel'), 'keras' as tf.keras' .h5 does, with a
   * recurrent layer's cell scope ('lstm/lstm_cell/kernel').
   */
  weightPath(weight: string, _style: 'tfjs' | 'keras' = 'tfjs'): string {
    return `${this.name}/${weight}`;
  }

  /** Keras' parameter count (0 before build for layers with weights). */
  get parameterCount(): number {
    return this.weightLayer?.parameterCount ?? 0;
  }

  /**
   * Bytes of each buffer runtime() makes for this batch and these concrete inbound shapes, by name,
   * without making any: what a shape is checked against the device's limits with. By default the
   * outputs' values and gradients.
   */
  bufferBytes(batch: number, inbound: readonly (readonly number[])[]): Record<string, number> {
    const shapes = this.outputShapes(inbound.slice(0, this.inputCount(inbound.length)), inbound.slice(this.inputCount(inbound.length))) as number[][];
    return Object.fromEntries(shapes.map((shape, i) => [`output_${i}`, rowsOf(batch, shape) * shape[shape.length - 1] * 4]));
  }

  /** How many of `inbound` values are inputs (the rest are initial states). */
  protected inputCount(inbound: number): number {
    return this.takesInitialState ? 1 : inbound;
  }

  /** The node's runtime for one concrete batch shape. */
  abstract runtime(context: RuntimeContext, node: Node, inbound: readonly Value[]): NodeRuntime;

  /**
   * Keras' compute_mask: the mask of output `index` from the inbound values' masks, where the runtime did
   * not make one of its own. By default none (the mask stops here, as at Keras' layers that do not
   * support masking); layers whose outputs keep their input's steps pass it on.
   */
  outputMask(_index: number, _inbound: readonly Value[]): Range | undefined {
    return undefined;
  }

  /** Zeroes the states a stateful layer carries between batches (Keras' reset_states); most layers have none. */
  resetStates(): void {}
}

/** A layer without weights (activations, merges, inference-only identities): nothing to build. */
export abstract class WeightlessLayer extends Layer {
  protected create(): void {}

  get weightLayer(): WeightLayer | undefined {
    return undefined;
  }
}

/** A weightless layer whose output has its input's shape. */
export abstract class ShapePreservingLayer extends WeightlessLayer {
  outputShapes([x]: readonly Shape[]): Shape[] {
    return [x];
  }

  override outputMask(_index: number, [x]: readonly Value[]): Range | undefined {
    return x.mask;
  }
}

/** The product of a shape's dimensions (all known). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Rows of a value: batch x every axis but the last. */
export function rowsOf(batch: number, shape: readonly number[]): number {
  return batch * sizeOf(shape.slice(0, -1));
}

/** Formats a shape as Keras prints it: (None, 40, 57). */
export function formatShape(shape: Shape, batch: number | null = null): string {
  const dims = [batch, ...shape].map((d) => (d === null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

/** A value's buffers for `rows x cols` floats: value and gradient. */
export function makeValue(context: RuntimeContext, name: string, shape: readonly number[], owned: GPUBuffer[], withGradient = true): Value {
  const rows = rowsOf(context.batch, shape);
  const bytes = rows * shape[shape.length - 1] * 4;
  const value = context.ctx.createStorageBuffer(`${context.label}.${name}`, bytes);
  owned.push(value);
  let grad: GPUBuffer | undefined;
  if (withGradient) {
    grad = context.ctx.createStorageBuffer(`${context.label}.d${name}`, bytes);
    owned.push(grad);
  }
  return { shape, kind: 'float32', rows, value: wholeBuffer(value, bytes), ...(grad ? { grad: wholeBuffer(grad, bytes) } : {}) };
}
