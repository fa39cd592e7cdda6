// Keras' Bidirectional wrapper of an LSTM, GRU or SimpleRNN: the layer runs forward in time and, as a
// second direction of the same recurrent layer (both in the same dispatches), backward in time; the
// backward direction's output sequence is put back in time order and merged with the forward one.
//
//   y_f[t] = forward output at t;  y_b[t] = the backward direction's output for step t (it processed
//   T-1 .. 0, so its hseq[1, T-1-t]); without returnSequences both are the final h of each direction.
//   mergeMode: concat [y_f, y_b] (default), sum y_f + y_b, mul y_f * y_b, ave (y_f + y_b) / 2, or null
//   (two outputs, y_f and y_b).
//   returnState: then the forward states (h, then c for LSTM), then the backward states, as Keras orders them.
//
// Weights: the forward layer's, then the backward layer's (Keras' order), named forward_<layer> /
// backward_<layer> in files. The wrapped layer's returnSequences / returnState / goBackwards apply (with
// goBackwards the forward direction runs backwards and the backward one forwards, as in Keras).

import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { mergeBackwardStep, mergeForwardStep, type MergeMode } from '../../kernels/bidirectional.js';
import { RecurrentLayer } from '../recurrent.js';
import { Layer, wholeBuffer, type BuildContext, type ForwardPass, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';
import { CarriedStates } from './carried-states.js';
import { noiseCounter } from './dropout.js';
import { cellScope, recurrentDropout, RecurrentLayerNode, type RecurrentDropout } from './recurrent.js';
import { maskingKernels } from '../../kernels/lazy.js';

/** How the two directions' outputs are combined (Keras' merge_mode); null: both are outputs. */
export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

const MERGE_MODES: readonly BidirectionalMergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** Options of Bidirectional (TensorFlow.js' names). */
export interface BidirectionalConfig extends LayerConfig {
  /** The recurrent layer to run both ways (a layers.lstm / gru / simpleRNN not used elsewhere). */
  layer: RecurrentLayerNode;
  /** Default 'concat'. */
  mergeMode?: BidirectionalMergeMode;
}

/** Keras' Bidirectional (layers.bidirectional({ layer: layers.lstm({ units }) })). */
export class BidirectionalLayer extends Layer {
  readonly className = 'Bidirectional';
  /** The wrapped layer: its configuration (it is never built itself). */
  readonly inner: RecurrentLayerNode;
  /** How the two directions' outputs are combined (null: both are outputs). */
  readonly mergeMode: BidirectionalMergeMode;
  private layer?: RecurrentLayer;
  private noise?: { counter: GPUBuffer; seed: number };
  private carried?: CarriedStates;

  constructor(config: BidirectionalConfig) {
    super('Bidirectional', config);
    const who = `Bidirectional '${this.name}'`;
    if (!(config.layer instanceof RecurrentLayerNode)) throw new ShapeError(`${who}: layer must be an LSTM, GRU or SimpleRNN layer (layers.lstm(...)), got ${describeLayer(config.layer)}`);
    if (config.layer.nodes.length > 0 || config.layer.weightLayer) throw new ShapeError(`${who}: the wrapped layer '${config.layer.name}' is already used in a model; give Bidirectional a layer of its own`);
    const mode = config.mergeMode === undefined ? 'concat' : config.mergeMode;
    if (!MERGE_MODES.includes(mode)) throw new ShapeError(`${who}: mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got ${JSON.stringify(config.mergeMode)}`);
    this.inner = config.layer;
    this.mergeMode = mode;
  }

  /** Zeroes the states a stateful wrapped layer carries between batches, both directions'. */
  override resetStates(): void {
    this.carried?.reset();
  }

  /** The wrapped layer's name without Keras 3's forward_ prefix (its config names it 'forward_lstm'). */
  get baseName(): string {
    return this.inner.name.replace(/^forward_/, '');
  }

  /** States per direction: 1, or 2 for LSTM. */
  get stateCount(): number {
    return this.inner.stateCount;
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, trainable: true, dtype: 'float32',
      layer: { class_name: this.inner.className, config: this.inner.getConfig() },
      merge_mode: this.mergeMode,
    };
  }

  /** Where a weight ('forward/kernel') sits in files: 'bidirectional/forward_lstm/kernel' ('.../forward_lstm/lstm_cell/kernel' in tf.keras' .h5). */
  override weightPath(weight: string, style: 'tfjs' | 'keras' = 'tfjs'): string {
    const [direction, ...rest] = weight.split('/');
    return `${this.name}/${direction}_${this.baseName}/${style === 'keras' ? `${cellScope(this.inner.cell)}/` : ''}${rest.join('/')}`;
  }

  outputShapes([x]: readonly Shape[]): Shape[] {
    const who = `Bidirectional '${this.name}'`;
    if (x.length !== 2) throw new ShapeError(`${who}: takes sequences of shape [steps, features], got ${JSON.stringify(x)}`);
    if (x[1] === null) throw new ShapeError(`${who}: the feature axis of its input must have a size`);
    if (this.layer && x[1] !== this.layer.inputSize) throw new ShapeError(`${who}: built for ${this.layer.inputSize} input features, called on ${x[1]}`);
    const units = this.inner.units;
    const width = this.mergeMode === 'concat' ? 2 * units : units;
    const shape = (w: number): Shape => (this.inner.returnSequences ? [x[0], w] : [w]);
    const merged = this.mergeMode === null ? [shape(units), shape(units)] : [shape(width)];
    const states = this.inner.returnState ? Array.from({ length: 2 * this.stateCount }, (): Shape => [units]) : [];
    return [...merged, ...states];
  }

  override bufferBytes(batch: number, [x]: readonly (readonly number[])[]): Record<string, number> {
    const layer = this.layer!;
    const rows = batch * (this.inner.returnSequences ? x[0] : 1);
    return { ...layer.bufferBytes(batch, x[0], false, this.inner.recurrentDropout > 0), sT: layer.stateBytes(batch), merged: rows * this.inner.units * 2 * 4 };
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.layer = RecurrentLayer.of(context.ctx, this.inner.cell, { ...this.inner.config, inputSize: x[1] as number, seed: context.seed, name: this.name },
      { parameters: context.store, registry: context.registry }, 2);
    // The wrapped layer's seed, when it has one, draws its dropout (as it would unwrapped).
    if (this.inner.dropout > 0 || this.inner.recurrentDropout > 0) this.noise = { counter: noiseCounter(context, this.name), seed: this.inner.seed ?? context.seed };
    // A stateful wrapped layer: each direction carries its own states from batch to batch, as Keras' two copies do.
    if (this.inner.stateful) {
      this.carried = new CarriedStates(`stateful Bidirectional '${this.name}'`, context.ctx, context.store, this.name, 2 * this.stateCount * this.inner.units, this.inner.batchSize);
    }
  }

  get weightLayer(): RecurrentLayer | undefined {
    return this.layer;
  }

  /** The merged sequences keep the input's mask (with returnSequences); the states have none. */
  override outputMask(index: number, [x]: readonly Value[]): Range | undefined {
    return this.inner.returnSequences && index < (this.mergeMode === null ? 2 : 1) ? x.mask : undefined;
  }

  runtime(context: RuntimeContext, node: Node, [x]: readonly Value[]): NodeRuntime {
    const layer = this.layer!;
    const { batch, registry, label } = context;
    const steps = x.shape[0];
    const units = this.inner.units;
    const S = this.stateCount;
    const sequences = this.inner.returnSequences;
    const mode: MergeMode = this.mergeMode ?? 'none';
    const carried = this.carried?.buffer(batch);
    const { dropout: inputRate, recurrentDropout: recurrentRate } = this.inner;
    const buffers = layer.createBuffers(batch, steps, {}, x.mask && { buffer: x.mask.buffer, offset: x.mask.offset }, { recurrentDropout: recurrentRate > 0 });
    const stateBytes = batch * units * 4;
    // What is merged: both directions' sequences, or their final h (direction d's h at state slot d * S).
    const mergedSteps = sequences ? steps : 1;
    // The source region [2, S', T', B, U]: hseq (S' = 1) or the final states sT (T' = 1).
    const source = { buffer: sequences ? buffers.hseq : buffers.sT, offset: 0 };
    const owned: GPUBuffer[] = [];
    // One buffer for what is merged: [T', B, 2U] (concat), [T', B, U] (sum, mul, ave), or both directions'
    // outputs one after the other, [2, T', B, U] (mergeMode null: two outputs).
    const width = mode === 'concat' || mode === 'none' ? 2 * units : units;
    const mergedRows = batch * mergedSteps;
    const bytes = mergedRows * width * 4;
    let mergedValue: GPUBuffer;
    let mergedGrad: GPUBuffer;
    // The wrapped layer's dropout: each direction draws masks of its own (Keras' two layer copies).
    let dropout: RecurrentDropout | undefined;
    try {
      if (inputRate > 0 || recurrentRate > 0) {
        dropout = recurrentDropout(context, `Bidirectional '${this.name}'`, this.noise, { input: inputRate, recurrent: recurrentRate, units }, x, [2 * node.index, 2 * node.index + 1]);
      }
      mergedValue = context.ctx.createStorageBuffer(`${label}.merged`, bytes);
      owned.push(mergedValue);
      mergedGrad = context.ctx.createStorageBuffer(`${label}.dmerged`, bytes);
      owned.push(mergedGrad);
    } catch (error) {
      // Over a device limit: release what this shape made so far.
      owned.forEach((b) => context.ctx.destroyBuffer(b));
      dropout?.dispose();
      layer.destroyBuffers(buffers);
      throw error;
    }
    const shape = (w: number) => (sequences ? [steps, w] : [w]);
    const part = (index: number, count: number): Value => {
      const size = bytes / count;
      return { shape: shape(width / count), kind: 'float32', rows: mergedRows, value: range(mergedValue, index * size, size), grad: range(mergedGrad, index * size, size) };
    };
    const mergedOutputs = mode === 'none' ? [part(0, 2), part(1, 2)] : [part(0, 1)];
    const stateValue = (d: number, s: number): Value => {
      const at = (d * S + s) * stateBytes;
      return { shape: [units], kind: 'float32', rows: batch, value: range(buffers.sT, at, stateBytes), grad: range(buffers.dsT, at, stateBytes) };
    };
    const states = this.inner.returnState ? [0, 1].flatMap((d) => Array.from({ length: S }, (_, s) => stateValue(d, s))) : [];
    const outputs = [...mergedOutputs, ...states];
    const firstState = mergedOutputs.length;
    const dims = { steps: mergedSteps, batch, units, states: sequences ? 1 : S };
    // Keras' Bidirectional returns zeros at masked steps (it sets zero_output_for_mask): the merged rows
    // there are zeroed, and so is their gradient before it flows back into the directions.
    const zeroMasked = async (which: 'value' | 'grad', parts: readonly boolean[]): Promise<Step[]> => {
      const mask = sequences ? x.mask : undefined;
      if (!mask) return [];
      const steps: Step[] = [];
      for (const [i, output] of mergedOutputs.entries()) {
        if (!parts[i]) continue;
        const range = output[which]!;
        steps.push(await (await maskingKernels()).maskRowsInPlaceStep(registry, `${label}.zero_masked_${which}_${i}`, { rows: mergedRows, features: output.shape[1] },
          { values: { buffer: range.buffer, offset: range.offset / 4 }, mask: { buffer: mask.buffer, offset: mask.offset / 4 } }));
      }
      return steps;
    };
    return {
      outputs,
      gradientReads: [wholeBuffer(buffers.dsT, 2 * S * stateBytes)],
      forwardSteps: async (pass?: ForwardPass) => {
        const around = carried ? await this.carried!.steps(registry, label, carried, buffers.s0, buffers.sT, pass) : undefined;
        return [
          ...(around ? [around.before] : []),
          // In training, with dropout, each direction reads its own dropped copy of x (and its own recurrent mask).
          ...(dropout && pass?.training
            ? [...(await dropout.forward(pass, buffers.recurrentDropoutMask)),
              ...(await layer.forwardSteps(buffers, (dropout.dropped ?? x).value, { inputPerDirection: dropout.dropped !== undefined, recurrentDropout: dropout.recurrent }))]
            : await layer.forwardSteps(buffers, x.value)),
          ...(around?.after ?? []),
          await mergeForwardStep(registry, `${label}.merge`, mode, dims, { src: source, out: { buffer: mergedValue, offset: 0 } }),
          ...(await zeroMasked('value', mergedOutputs.map(() => true))),
        ];
      },
      backwardSteps: async (gradients: Gradients) => {
        const mergedGradient: [boolean, boolean] = mode === 'none' ? [gradients.outputs[0], gradients.outputs[1]] : [gradients.outputs[0], gradients.outputs[0]];
        const stateGradient = states.map((_, i) => gradients.outputs[firstState + i]);
        const steps: Step[] = [];
        if (mergedGradient[0] || mergedGradient[1]) {
          steps.push(...(await zeroMasked('grad', mode === 'none' ? mergedGradient : [mergedGradient[0]])));
          // Into the recurrence's gradient of what was merged: dhseq (sequences), or dsT's h slots, keeping
          // (adding to) what the layer's consumers wrote into its returned states.
          steps.push(await mergeBackwardStep(registry, `${label}.merge.backward`, mode, dims,
            { dout: { buffer: mergedGrad, offset: 0 }, src: source, target: sequences ? { buffer: buffers.dhseq, offset: 0 } : { buffer: buffers.dsT, offset: 0 } },
            { keep: sequences ? [false, false] : [0, 1].flatMap((d) => Array.from({ length: S }, (_, s) => stateGradient[d * S + s] ?? false)), outputGradients: mergedGradient }));
        }
        const dx = gradients.inbound[0];
        const input = dropout?.dropped ?? x;
        steps.push(...await layer.backwardSteps(buffers, input.value, dx && x.grad ? input.grad : undefined, {
          sequenceGradient: sequences && (mergedGradient[0] || mergedGradient[1]),
          stateGradient: stateGradient.some(Boolean) || (!sequences && (mergedGradient[0] || mergedGradient[1])),
          accumulateInput: dropout?.dropped ? false : (dx?.accumulate ?? false),
          accumulateInitialState: false,
          inputPerDirection: dropout?.dropped !== undefined,
          recurrentDropout: dropout?.recurrent,
        }));
        if (dropout && dx && x.grad) steps.push(...(await dropout.backward(dx.accumulate)));
        return steps;
      },
      dispose: () => {
        layer.destroyBuffers(buffers);
        owned.forEach((b) => context.ctx.destroyBuffer(b));
        dropout?.dispose();
      },
    };
  }
}

function range(buffer: GPUBuffer, offset: number, size: number): Range {
  return { buffer, offset, size };
}

function describeLayer(value: unknown): string {
  if (value instanceof Layer) return `${value.className} '${value.name}'`;
  return value === undefined ? 'nothing' : typeof value;
}
