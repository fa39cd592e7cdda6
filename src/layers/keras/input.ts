// A model input (Keras' InputLayer / keras.Input): a per-sample shape whose first axis may be null
// (time steps known from the data). Its value is written from the host before each run: time-major
// [T, B, ...] for sequences, [B, F] for a rank-1 float input, [T, B] for token ids (rank 1, fed to an
// Embedding).

import { ShapeError } from '../../gpu/errors.js';
import type { WeightLayer } from '../weight-layer.js';
import { Layer, Node, SymbolicTensor, wholeBuffer, type LayerConfig, type NodeRuntime, type RuntimeContext, type Shape, type Value, type ValueKind } from './layer.js';

export interface InputConfig extends LayerConfig {
  /** Per-sample shape, e.g. [null, 57] (any number of steps of 57 features) or [40] (40 token ids). */
  shape: Shape;
  /** 'int32' for token ids; default: what the consuming layer takes (token ids for an Embedding). */
  dtype?: ValueKind;
}

/** An input's buffer at one shape, written from the host. */
export interface InputRuntime extends NodeRuntime {
  /** Uploads a batch (time-major). */
  write(data: Float32Array | Int32Array): void;
}

/** A model input (Keras' InputLayer). */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  /** Per-sample shape. */
  readonly shape: Shape;
  private kind: ValueKind | undefined;

  constructor(config: InputConfig) {
    super('InputLayer', { name: config.name ?? undefined });
    const shape = config.shape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3) {
      throw new ShapeError(`input '${this.name}': shape must be a list of 1 to 3 dimensions (no batch axis), got ${JSON.stringify(shape)}`);
    }
    shape.forEach((d, i) => {
      const ok = (Number.isInteger(d) && (d as number) > 0) || (d === null && i === 0);
      if (!ok) throw new ShapeError(`input '${this.name}': dimension ${i} of shape ${JSON.stringify(shape)} must be a positive integer${i === 0 ? ' or null' : ''}`);
    });
    if (shape.length > 1 && shape[shape.length - 1] === null) throw new ShapeError(`input '${this.name}': the feature axis must have a size`);
    if (config.dtype !== undefined && config.dtype !== 'float32' && config.dtype !== 'int32') {
      throw new ShapeError(`input '${this.name}': dtype must be 'float32' or 'int32', got '${String(config.dtype)}'`);
    }
    this.shape = [...shape];
    this.kind = config.dtype;
    const node = new Node(this, [], [], 0);
    node.outputs = [new SymbolicTensor(this.shape, node, 0)];
    this.nodes.push(node);
  }

  /** The symbolic tensor this input stands for. */
  get output(): SymbolicTensor {
    return this.nodes[0].outputs[0];
  }

  getConfig(): Record<string, unknown> {
    return { batch_input_shape: [null, ...this.shape], dtype: this.outputKind(), sparse: false, ragged: false, name: this.name };
  }

  outputShapes(): Shape[] {
    return [this.shape];
  }

  override outputKind(): ValueKind {
    return this.kind ?? 'float32';
  }

  override adoptKind(_index: number, kind: ValueKind, consumer: Layer): void {
    if (this.kind === undefined) this.kind = kind;
    else if (this.kind !== kind) {
      throw new ShapeError(`input '${this.name}' holds ${this.kind} but ${consumer.className} '${consumer.name}' takes ${kind}`);
    }
  }

  /** The time axis: rank >= 2, or token ids. */
  get sequence(): boolean {
    return this.shape.length > 1 || this.outputKind() === 'int32';
  }

  override apply(): never {
    throw new ShapeError(`input '${this.name}' is not called on tensors: use its output`);
  }

  protected create(): void {}

  get weightLayer(): WeightLayer | undefined {
    return undefined;
  }

  /** An input's values come from the host: src/plan asks for inputRuntime() instead. */
  runtime(): NodeRuntime {
    throw new ShapeError(`input '${this.name}' has no node runtime: it is written from the host (inputRuntime)`);
  }

  /** The input's buffer for a batch at concrete shape `shape`. */
  inputRuntime(context: RuntimeContext, shape: readonly number[]): InputRuntime {
    const count = context.batch * shape.reduce((a, b) => a * b, 1);
    const buffer = context.ctx.createStorageBuffer(`${context.label}.value`, count * 4);
    const rows = this.outputKind() === 'int32' ? context.batch * shape[0] : context.batch * shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const value: Value = { shape, kind: this.outputKind(), rows, value: wholeBuffer(buffer, count * 4) };
    return {
      outputs: [value],
      forwardSteps: async () => [],
      backwardSteps: async () => [],
      write: (data) => context.ctx.write(buffer, data),
      dispose: () => context.ctx.destroyBuffer(buffer),
    };
  }
}

/** A model input: `input({ shape: [null, 57] })`, as keras.Input. */
export function input(config: InputConfig): SymbolicTensor {
  return new InputLayer(config).output;
}
