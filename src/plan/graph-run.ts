// A model graph at one concrete shape (batch, and the steps of each input): every node's runtime (its
// buffers), the forward steps in order, and the backward steps in reverse order with their gradient
// bookkeeping:
//   - a value needs a gradient when some layer upstream of it has weights;
//   - each gradient range gets its writers in plan order (the losses first, then the nodes' backwards);
//     the first writer assigns, the later ones add. A writer that writes several ranges in one dispatch
//     (a recurrent layer's initial-state gradient, in place in its source's final-state gradient) adds
//     if it is not the first for all of them; the ranges it is then first for are zeroed at the start of
//     the plan, as are ranges a backward reads whole but nothing writes all of (a final-state gradient
//     with only h returned). So no gradient buffer is cleared in the common case.
//   - a value bound at an offset the device cannot bind (a state after h in a final-state buffer) gets an
//     aligned copy for the layers that cannot take it as it is.

import type { GpuContext } from '../gpu/context.js';
import { WebRnnError } from '../gpu/errors.js';
import type { KernelRegistry, Step } from '../gpu/kernel-registry.js';
import { elementwiseStep } from '../kernels/elementwise.js';
import { InputLayer } from '../layers/keras/input.js';
import type { ForwardPass, Gradients, LogitsView, NodeRuntime, Range, RuntimeContext, SymbolicTensor, Value } from '../layers/keras/layer.js';
import { makeValue } from '../layers/keras/layer.js';
import type { Graph } from '../models/graph.js';
import { clearStep } from './plan.js';

/** One scheduled node: a layer's node, or an aligned copy the plan added. */
interface Entry {
  readonly label: string;
  readonly runtime: NodeRuntime;
  /** Value ids of the inbound values and of the outputs. */
  readonly inbound: readonly number[];
  readonly outputs: readonly number[];
  readonly trainable: boolean;
}

/** A gradient a loss writes: into a value's gradient, or into the logits gradient of its producer. */
export interface LossWrite {
  readonly value: number;
  /** The loss reads (and writes the gradient of) the producer's logits. */
  readonly logits: boolean;
}

export class GraphRun {
  readonly batch: number;
  private readonly entries: Entry[] = [];
  private readonly values: Value[] = [];
  private readonly needsGradient: boolean[] = [];
  private readonly producer: Entry[] = [];
  private readonly tensorValue = new Map<SymbolicTensor, number>();
  private readonly inputRuntimes: { runtime: NodeRuntime & { write(data: Float32Array | Int32Array): void }; consumers: { entry: Entry; index: number }[] }[] = [];

  constructor(
    private readonly ctx: GpuContext,
    private readonly registry: KernelRegistry,
    readonly graph: Graph,
    batch: number,
    /** Concrete per-sample shape of each model input. */
    readonly inputShapes: readonly (readonly number[])[],
    label: string,
  ) {
    this.batch = batch;
    try {
      this.build(label);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private context(label: string): RuntimeContext {
    return { ctx: this.ctx, registry: this.registry, batch: this.batch, label };
  }

  private add(entry: Entry): void {
    this.entries.push(entry);
    for (const id of entry.outputs) this.producer[id] = entry;
  }

  private newValue(value: Value, trainableUpstream: boolean): number {
    this.values.push(value);
    this.needsGradient.push(trainableUpstream && value.grad !== undefined);
    return this.values.length - 1;
  }

  private build(label: string): void {
    const alignment = this.ctx.limits.minStorageBufferOffsetAlignment;
    for (const node of this.graph.nodes) {
      const layer = node.layer;
      const nodeLabel = `${label}.${layer.name}${node.index > 0 ? `_${node.index}` : ''}`;
      if (layer instanceof InputLayer) {
        const index = this.graph.inputs.indexOf(node.outputs[0]);
        const runtime = layer.inputRuntime(this.context(nodeLabel), this.inputShapes[index]);
        const entry: Entry = { label: nodeLabel, runtime, inbound: [], outputs: [this.newValue(runtime.outputs[0], false)], trainable: false };
        this.add(entry);
        this.inputRuntimes[index] = { runtime, consumers: [] };
        this.tensorValue.set(node.outputs[0], entry.outputs[0]);
        continue;
      }
      const inbound = node.inbound.map((tensor, i) => {
        const id = this.tensorValue.get(tensor)!;
        const value = this.values[id];
        if (value.value.offset % alignment === 0 || (i >= node.inputs.length && layer.takesUnalignedInitialState)) return id;
        return this.alignedCopy(id, `${nodeLabel}.aligned_${i}`);
      });
      const inboundValues = inbound.map((id) => this.values[id]);
      const runtime = layer.runtime(this.context(nodeLabel), node, inboundValues);
      const trainable = layer.weightLayer !== undefined;
      const upstream = trainable || inbound.some((id) => this.needsGradient[id]);
      const outputs = runtime.outputs.map((v, i) => this.withMask(v, v.mask ?? layer.outputMask(i, inboundValues), nodeLabel));
      const entry: Entry = { label: nodeLabel, runtime, inbound, outputs: outputs.map((v) => this.newValue(v, upstream)), trainable };
      this.add(entry);
      node.outputs.forEach((t, i) => this.tensorValue.set(t, entry.outputs[i]));
      node.inbound.forEach((tensor, i) => {
        const input = this.graph.inputs.indexOf(tensor);
        if (input >= 0) this.inputRuntimes[input].consumers.push({ entry, index: i });
      });
    }
  }

  /** The value with Keras' mask of its steps: one f32 per (step, sample) of a sequence [T, ...]. */
  private withMask(value: Value, mask: Range | undefined, label: string): Value {
    if (!mask) return value;
    const expected = value.shape.length >= 2 ? value.shape[0] * this.batch * 4 : 0;
    if (mask.size !== expected) {
      throw new WebRnnError(`${label}: a mask of ${mask.size / 4} values reached an output of shape [${value.shape.join(', ')}] (batch ${this.batch}), which needs ${expected / 4}`);
    }
    return value.mask === mask ? value : { ...value, mask };
  }

  /** A copy of a value at an offset the device cannot bind, into buffers of its own (and its gradient back). */
  private alignedCopy(id: number, label: string): number {
    const source = this.values[id];
    const owned: GPUBuffer[] = [];
    const copy: Value = { ...makeValue(this.context(label), 'value', source.shape, owned, source.grad !== undefined), mask: source.mask };
    const n = source.value.size / 4;
    const registry = this.registry;
    const runtime: NodeRuntime = {
      outputs: [copy],
      forwardSteps: async () => [await elementwiseStep(registry, `${label}.forward`, 'copy', n, { x: source.value.buffer, out: copy.value }, { xOffset: source.value.offset / 4 })],
      backwardSteps: async (gradients) => {
        const write = gradients.inbound[0];
        if (!write || !source.grad) return [];
        return [await elementwiseStep(registry, `${label}.backward`, 'copy', n, { x: copy.grad!, out: source.grad.buffer },
          { outOffset: source.grad.offset / 4, accumulate: write.accumulate })];
      },
      dispose: () => owned.forEach((b) => this.ctx.destroyBuffer(b)),
    };
    const entry: Entry = { label, runtime, inbound: [id], outputs: [this.newValue(copy, this.needsGradient[id])], trainable: false };
    this.add(entry);
    return entry.outputs[0];
  }

  /** The value of a model tensor. */
  valueOf(tensor: SymbolicTensor): Value {
    return this.values[this.idOf(tensor)];
  }

  idOf(tensor: SymbolicTensor): number {
    const id = this.tensorValue.get(tensor);
    if (id === undefined) throw new WebRnnError(`tensor '${tensor.name}' is not part of this graph`);
    return id;
  }

  /** The logits its producer offers for a fused loss (softmax / sigmoid outputs). */
  logitsOf(tensor: SymbolicTensor): LogitsView | undefined {
    const id = this.idOf(tensor);
    const entry = this.producer[id];
    return entry.runtime.logits?.(entry.outputs.indexOf(id));
  }

  /** Whether any node reads this tensor (a loss on it then cannot take over its producer's logits). */
  isRead(tensor: SymbolicTensor): boolean {
    const id = this.idOf(tensor);
    return this.entries.some((e) => e.inbound.includes(id));
  }

  /** Writes the host data of every model input (time-major; token ids checked by their Embedding). */
  upload(inputs: readonly (Float32Array | Int32Array)[]): void {
    inputs.forEach((data, i) => {
      const { runtime, consumers } = this.inputRuntimes[i];
      if (consumers.some(({ entry }) => !entry.runtime.hostInput)) runtime.write(data);
      for (const { entry, index } of consumers) entry.runtime.hostInput?.(index, data);
    });
  }

  /** Every node's forward, in order; `pass` says training or inference (default inference: no dropout). */
  async forwardSteps(pass?: ForwardPass): Promise<Step[]> {
    const steps: Step[] = [];
    for (const entry of this.entries) steps.push(...(await entry.runtime.forwardSteps(pass)));
    return steps;
  }

  /**
   * The backward pass from the losses' gradients: the clears it needs (run them at the start of the
   * plan), then the steps, every node in reverse order.
   */
  async backwardSteps(losses: readonly LossWrite[]): Promise<{ clears: Step[]; steps: Step[] }> {
    const key = (r: Range) => `${this.bufferId(r.buffer)}:${r.offset}:${r.size}`;
    const writers = new Map<string, number>(); // range -> writes so far
    const rangesOf = new Map<string, Range>();
    const firstIsAdd = new Set<string>();
    const written = (id: number) => {
      const grad = this.values[id].grad;
      return grad !== undefined && (writers.get(key(grad)) ?? 0) > 0;
    };
    /** Records one write op over these ranges; returns whether it adds. */
    const write = (ranges: readonly Range[]): boolean => {
      const keys = ranges.map(key);
      const accumulate = keys.some((k) => (writers.get(k) ?? 0) > 0);
      keys.forEach((k, i) => {
        if (accumulate && (writers.get(k) ?? 0) === 0) firstIsAdd.add(k);
        writers.set(k, (writers.get(k) ?? 0) + 1);
        rangesOf.set(k, ranges[i]);
      });
      return accumulate;
    };
    const logitsOf = new Map<number, boolean>();
    for (const loss of losses) {
      if (loss.logits) logitsOf.set(loss.value, true);
      else write([this.values[loss.value].grad!]);
    }
    const plans: { entry: Entry; gradients: Gradients }[] = [];
    const readsWhole: Range[] = [];
    for (const entry of [...this.entries].reverse()) {
      const outputs = entry.outputs.map((id) => written(id) || logitsOf.has(id));
      if (!outputs.some(Boolean)) continue;
      const wanted = entry.inbound.map((id) => this.needsGradient[id]);
      if (!entry.trainable && !wanted.some(Boolean)) continue;
      const inbound: ({ accumulate: boolean } | undefined)[] = entry.inbound.map(() => undefined);
      const joint = (entry.runtime.jointInboundWrites ?? []).map((group) => group.filter((i) => wanted[i]));
      const inJoint = new Set(joint.flat());
      for (const group of joint) {
        if (group.length === 0) continue;
        const accumulate = write(group.map((i) => this.values[entry.inbound[i]].grad!));
        for (const i of group) inbound[i] = { accumulate };
      }
      entry.inbound.forEach((id, i) => {
        if (wanted[i] && !inJoint.has(i)) inbound[i] = { accumulate: write([this.values[id].grad!]) };
      });
      readsWhole.push(...(entry.runtime.gradientReads ?? []));
      plans.push({ entry, gradients: { outputs, logits: entry.outputs.map((id) => logitsOf.has(id)), inbound } });
    }
    // Zeroed first: ranges whose first writer adds, and whole reads that are only partly written.
    const clears = new Map<string, Range>();
    for (const k of firstIsAdd) clears.set(k, rangesOf.get(k)!);
    for (const whole of readsWhole) {
      let covered = 0;
      for (const [k, r] of rangesOf) {
        if (r.buffer === whole.buffer && r.offset >= whole.offset && r.offset + r.size <= whole.offset + whole.size && (writers.get(k) ?? 0) > 0) covered += r.size;
      }
      if (covered > 0 && covered < whole.size) clears.set(key(whole), whole);
    }
    const steps: Step[] = [];
    for (const { entry, gradients } of plans) steps.push(...(await entry.runtime.backwardSteps(gradients)));
    return {
      clears: [...clears.values()].map((r) => clearStep(`gradient.clear.${r.buffer.label}`, r.buffer, r.offset, r.size)),
      steps,
    };
  }

  private readonly bufferIds = new Map<GPUBuffer, number>();

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.bufferIds.size;
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  dispose(): void {
    for (const entry of this.entries) entry.runtime.dispose();
    this.entries.length = 0;
  }
}
