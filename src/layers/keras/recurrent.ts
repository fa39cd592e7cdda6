// Keras' LSTM, GRU and SimpleRNN in a model: input [T, F] -> the sequence [T, units] (returnSequences)
// or the last step [units], then, with returnState, the final states (h, then c for LSTM) [units] each.
// The last step is the final h: both are the same range of the layer's final-state buffer, so their
// gradients add up there.
//
// Initial states from another layer: when they are exactly that layer's final states in order (the
// seq2seq bridge), this layer reads them in place and writes their gradient in place, one dispatch for
// all of them; otherwise they are copied in, and their gradients copied out.
//
// dropout (Keras' input dropout of a recurrent layer): in training, one mask per sequence over the input
// features, the same at every step (Keras' DropoutRNNCell), drawn as the Dropout layer draws it
// (src/layers/keras/dropout.ts, a mask shared over time), scaled by 1 / (1 - rate); the layer runs on the
// dropped input and its input gradient is masked the same way.
// recurrentDropout (Keras' recurrent_dropout): in training, one mask per sequence over the units of h,
// the same at every step, 0 or 1 / (1 - rate), drawn on the GPU into the layer's saved buffer; the
// recurrence multiplies the h[s-1] its cell reads by it (shaders/recurrence.wgsl). One mask serves every
// gate, and GRU mixes the dropped h[s-1] (z h[s-1]), as TF.js' cells do (test/models/recurrent-dropout
// checks against them with the same masks); Keras 3 draws a mask per gate and mixes the undropped h: the
// same rate on every gate's recurrent input, with masks that are correlated here and independent there.
// No library's draw can be matched by another's anyway.
//
// stateful (Keras' stateful RNN, for a fixed batch size): the final states of one batch are the initial
// states of the next, in predict, evaluate and training alike (a warm-up leaves them as they are); the
// state lives in the model's parameter store (not a weight), copied in before the time loop and out
// after it, so the backward sees the initial state it ran from (gradients stop at the batch, as
// Keras' truncated backpropagation through time). resetStates() zeroes it.

import { cellByName, type CellType } from '../../cells/index.js';
import type { CellOptions } from '../../cells/descriptor.js';
import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { checkNoiseRate, seedWords } from '../../kernels/noise-rate.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import type { RecurrentStrategy } from '../../kernels/recurrence.js';
import { RecurrentLayer, type SharedStateBuffers } from '../recurrent.js';
import { expectPositiveInteger } from '../validate.js';
import { CarriedStates } from './carried-states.js';
import { initializerConfig } from './config.js';
import { noiseCounter } from './dropout.js';
import { Layer, makeValue, wholeBuffer, type BuildContext, type ForwardPass, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';
import { noiseKernels } from '../../kernels/lazy.js';


/** Options of LSTM, GRU and SimpleRNN layers (Keras' names, camelCase). */
export interface RecurrentLayerConfig extends LayerConfig, CellOptions {
  /** Output the whole sequence [T, units] instead of the last step [units]. Default false. */
  returnSequences?: boolean;
  /** Also output the final states (h, then c for LSTM). Default false. */
  returnState?: boolean;
  /** Process the sequence in reverse (the output sequence in processed order, as Keras). Default false. */
  goBackwards?: boolean;
  /** How the time loop runs; 'auto' picks per adapter. */
  strategy?: RecurrentStrategy;
  /** Fraction of the input features dropped in training, one mask per sequence (Keras' dropout). Default 0. */
  dropout?: number;
  /** Fraction of the units of h dropped in training, one mask per sequence (Keras' recurrent_dropout). Default 0. */
  recurrentDropout?: number;
  /** Carry the final states of a batch over as the initial states of the next (Keras' stateful). Default false. */
  stateful?: boolean;
  /**
   * With stateful: the batch size the state is kept for (Keras' batch_input_shape[0]); default the batch
   * of the first run. Every batch must have it.
   */
  batchSize?: number;
}

const CLASS_NAMES: Record<CellType, string> = { lstm: 'LSTM', gru: 'GRU', simple_rnn: 'SimpleRNN' };

/** Keras' LSTM, GRU or SimpleRNN in a model (layers.lstm(), layers.gru(), layers.simpleRNN()). */
export class RecurrentLayerNode extends Layer {
  readonly className: string;
  /** The cell. */
  readonly cell: CellType;
  /** The options it was made with. */
  readonly config: RecurrentLayerConfig;
  /** Units (state width). */
  readonly units: number;
  /** Whether it outputs the whole sequence. */
  readonly returnSequences: boolean;
  /** Whether it also outputs its final states. */
  readonly returnState: boolean;
  /** Fraction of the input features dropped in training (Keras' dropout). */
  readonly dropout: number;
  /** Fraction of the units of h dropped in training (Keras' recurrent_dropout). */
  readonly recurrentDropout: number;
  private layer?: RecurrentLayer;
  private noise?: { counter: GPUBuffer; seed: number };
  /** Keeps its final states for the next batch. */
  readonly stateful: boolean;
  /** With stateful: the batch its states are kept for, when given. */
  readonly batchSize?: number;
  private carried?: CarriedStates;

  constructor(cell: CellType, config: RecurrentLayerConfig) {
    super(CLASS_NAMES[cell], config);
    this.className = CLASS_NAMES[cell];
    this.cell = cell;
    // Validates every option now, where the user wrote it.
    const descriptor = cellByName(cell, this.name);
    descriptor.configure(config, `${this.className} '${this.name}'`);
    this.config = { ...config, name: this.name };
    this.units = config.units;
    this.returnSequences = config.returnSequences ?? false;
    this.returnState = config.returnState ?? false;
    const who = `${this.className} '${this.name}'`;
    this.dropout = config.dropout ?? 0;
    checkNoiseRate(`${who} dropout`, 'dropout', this.dropout);
    this.recurrentDropout = config.recurrentDropout ?? 0;
    checkNoiseRate(`${who} recurrentDropout`, 'dropout', this.recurrentDropout);
    if (config.seed !== undefined && config.seed !== null) seedWords(who, config.seed);
    this.stateful = config.stateful ?? false;
    if (typeof this.stateful !== 'boolean') throw new ShapeError(`${who}: stateful must be a boolean, got ${JSON.stringify(config.stateful)}`);
    if (config.batchSize !== undefined) {
      if (!this.stateful) throw new ShapeError(`${who}: batchSize is for stateful layers (stateful: true)`);
      expectPositiveInteger(`${who} batchSize`, config.batchSize);
      this.batchSize = config.batchSize;
    }
  }

  /** Zeroes the states a stateful layer carries between batches (Keras' reset_states); nothing otherwise. */
  override resetStates(): void {
    this.carried?.reset();
  }

  /** States per unit: 1, or 2 for LSTM (h, c). */
  get stateCount(): number {
    return 1 + cellByName(this.cell, this.name).extraStates.length;
  }

  getConfig(): Record<string, unknown> {
    const c = cellByName(this.cell, this.name).configure(this.config, this.name);
    return {
      name: this.name, trainable: true, dtype: 'float32', return_sequences: this.returnSequences, return_state: this.returnState,
      go_backwards: this.config.goBackwards ?? false, stateful: this.stateful, unroll: false, time_major: false, units: this.units,
      activation: c.activation,
      ...(this.cell !== 'simple_rnn' ? { recurrent_activation: c.recurrentActivation } : {}),
      use_bias: c.useBias,
      kernel_initializer: initializerConfig(c.kernelInitializer), recurrent_initializer: initializerConfig(c.recurrentInitializer),
      bias_initializer: initializerConfig(c.biasInitializer),
      ...(this.cell === 'lstm' ? { unit_forget_bias: c.unitForgetBias } : {}),
      kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: this.dropout, recurrent_dropout: this.recurrentDropout,
      ...(this.cell === 'gru' ? { reset_after: c.resetAfter } : {}),
    };
  }

  override weightPath(weight: string, style: 'tfjs' | 'keras' = 'tfjs'): string {
    return style === 'keras' ? `${this.name}/${cellScope(this.cell)}/${weight}` : `${this.name}/${weight}`;
  }

  protected override get takesInitialState(): boolean {
    return true;
  }

  outputShapes([x]: readonly Shape[], states: readonly Shape[]): Shape[] {
    const who = `${this.className} '${this.name}'`;
    if (x.length !== 2) throw new ShapeError(`${who}: takes sequences of shape [steps, features], got ${JSON.stringify(x)}`);
    if (x[1] === null) throw new ShapeError(`${who}: the feature axis of its input must have a size`);
    if (this.layer && x[1] !== this.layer.inputSize) throw new ShapeError(`${who}: built for ${this.layer.inputSize} input features, called on ${x[1]}`);
    if (states.length > 0) {
      if (states.length !== this.stateCount) {
        throw new ShapeError(`${who}: initialState needs ${this.stateCount} state${this.stateCount > 1 ? 's (h, c)' : ' (h)'}, got ${states.length}`);
      }
      states.forEach((s, i) => {
        if (s.length !== 1 || s[0] !== this.units) {
          throw new ShapeError(`${who}: initial state ${i} must have shape [${this.units}] (the layer's units), got ${JSON.stringify(s)}`);
        }
      });
    }
    const output: Shape = this.returnSequences ? [x[0], this.units] : [this.units];
    return [output, ...(this.returnState ? Array.from({ length: this.stateCount }, (): Shape => [this.units]) : [])];
  }

  override bufferBytes(batch: number, [x]: readonly (readonly number[])[]): Record<string, number> {
    const layer = this.layer!;
    return { ...layer.bufferBytes(batch, x[0], false, this.recurrentDropout > 0), sT: layer.stateBytes(batch) };
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.layer = RecurrentLayer.of(context.ctx, this.cell, { ...this.config, inputSize: x[1] as number, seed: context.seed, name: this.name },
      { parameters: context.store, registry: context.registry });
    if (this.dropout > 0 || this.recurrentDropout > 0) this.noise = { counter: noiseCounter(context, this.name), seed: context.seed };
    if (this.stateful) this.carried = new CarriedStates(`stateful ${this.className} '${this.name}'`, context.ctx, context.store, this.name, this.stateCount * this.units, this.batchSize);
  }

  get weightLayer(): RecurrentLayer | undefined {
    return this.layer;
  }

  /** The output sequence keeps the input's mask (Keras: with return_sequences); the states have none. */
  override outputMask(index: number, [x]: readonly Value[]): Range | undefined {
    return index === 0 && this.returnSequences ? x.mask : undefined;
  }

  runtime(context: RuntimeContext, node: Node, inbound: readonly Value[]): NodeRuntime {
    const layer = this.layer!;
    const [x, ...states] = inbound;
    const who = `${this.className} '${this.name}'`;
    const dropout = this.dropout > 0 || this.recurrentDropout > 0
      ? recurrentDropout(context, who, this.noise, { input: this.dropout, recurrent: this.recurrentDropout, units: this.units }, x, [node.index])
      : undefined;
    try {
      return this.recurrentRuntime(context, layer, x, states, dropout);
    } catch (error) {
      dropout?.dispose();
      throw error;
    }
  }

  private recurrentRuntime(context: RuntimeContext, layer: RecurrentLayer, x: Value, states: readonly Value[], dropout: RecurrentDropout | undefined): NodeRuntime {
    const { batch, registry } = context;
    const steps = x.shape[0];
    const stateBytes = batch * this.units * 4;
    const S = this.stateCount;
    if (this.stateful && states.length > 0) throw new ShapeError(`stateful ${this.className} '${this.name}': takes no initialState (it starts from the states it carried)`);
    const carried = this.carried?.buffer(batch);
    const inPlace = states.length > 0 && statesInPlace(states, stateBytes);
    const shared: SharedStateBuffers = inPlace ? { s0: states[0].value.buffer, ...(states[0].grad ? { ds0: states[0].grad.buffer } : {}) } : {};
    const buffers = layer.createBuffers(batch, steps, shared, x.mask && { buffer: x.mask.buffer, offset: x.mask.offset }, { recurrentDropout: this.recurrentDropout > 0 });
    const slice = (buffer: GPUBuffer, i: number): Range => ({ buffer, offset: i * stateBytes, size: stateBytes });
    const stateValue = (i: number): Value => ({ shape: [this.units], kind: 'float32', rows: batch, value: slice(buffers.sT, i), grad: slice(buffers.dsT, i) });
    const sequenceBytes = steps * stateBytes;
    const first: Value = this.returnSequences
      ? { shape: [steps, this.units], kind: 'float32', rows: batch * steps, value: wholeBuffer(buffers.hseq, sequenceBytes), grad: wholeBuffer(buffers.dhseq, sequenceBytes) }
      : stateValue(0);
    const outputs = [first, ...(this.returnState ? Array.from({ length: S }, (_, i) => stateValue(i)) : [])];
    const label = context.label;
    return {
      outputs,
      jointInboundWrites: inPlace ? [states.map((_, i) => i + 1)] : undefined,
      gradientReads: [wholeBuffer(buffers.dsT, S * stateBytes)],
      forwardSteps: async (pass?: ForwardPass) => {
        const copies: Step[] = [];
        if (!inPlace) {
          for (const [i, s] of states.entries()) {
            copies.push(await elementwiseStep(registry, `${label}.initial_state_${i}`, 'copy', batch * this.units,
              { x: s.value.buffer, out: buffers.s0 }, { xOffset: s.value.offset / 4, outOffset: i * batch * this.units }));
          }
        }
        const around = carried ? await this.carried!.steps(registry, label, carried, buffers.s0, buffers.sT, pass) : undefined;
        if (around) copies.push(around.before);
        const carryOn = around?.after ?? [];
        // In training, with dropout, the layer runs on the dropped input (and its backward reads that),
        // with recurrent dropout on its masks.
        if (dropout && pass?.training) {
          return [...copies, ...(await dropout.forward(pass, buffers.recurrentDropoutMask)),
            ...(await layer.forwardSteps(buffers, (dropout.dropped ?? x).value, { recurrentDropout: dropout.recurrent })), ...carryOn];
        }
        return [...copies, ...(await layer.forwardSteps(buffers, x.value)), ...carryOn];
      },
      backwardSteps: async (gradients: Gradients) => {
        const stateWritten = this.returnSequences
          ? gradients.outputs.slice(1).some(Boolean)
          : gradients.outputs.some(Boolean);
        const dx = gradients.inbound[0];
        const stateGrads = gradients.inbound.slice(1);
        const input = dropout?.dropped ?? x;
        const steps = await layer.backwardSteps(buffers, input.value, dx && x.grad ? input.grad : undefined, {
          sequenceGradient: this.returnSequences && gradients.outputs[0],
          stateGradient: stateWritten,
          accumulateInput: dropout?.dropped ? false : (dx?.accumulate ?? false),
          recurrentDropout: dropout?.recurrent,
          accumulateInitialState: inPlace ? stateGrads.some((g) => g?.accumulate) : false,
        });
        if (dropout && dx && x.grad) steps.push(...(await dropout.backward(dx.accumulate)));
        if (!inPlace) {
          for (const [i, g] of stateGrads.entries()) {
            const target = states[i].grad;
            if (!g || !target) continue;
            steps.push(await elementwiseStep(registry, `${label}.initial_state_${i}.backward`, 'copy', batch * this.units,
              { x: buffers.ds0, out: target.buffer }, { xOffset: i * batch * this.units, outOffset: target.offset / 4, accumulate: g.accumulate }));
          }
        }
        return steps;
      },
      dispose: () => {
        layer.destroyBuffers(buffers);
        dropout?.dispose();
      },
    };
  }
}

/**
 * A recurrent layer's dropout in training: its input copies (one per direction, [D, T, B, F], when the
 * input rate is not 0) and its recurrent masks (one per direction, written where the layer's buffers keep
 * them, when the recurrent rate is not 0), from one tick of the layer's counter.
 */
export interface RecurrentDropout {
  /** x dropped, one copy per direction [D, T, B, F], and its gradient; absent without input dropout. */
  readonly dropped?: Value;
  /** Whether the recurrence runs with recurrent dropout. */
  readonly recurrent: boolean;
  /** In a training pass: the tick, each input copy's noise, each direction's recurrent mask into `recurrentMask` (bytes). */
  forward(pass: ForwardPass, recurrentMask?: { buffer: GPUBuffer; offset: number }): Promise<Step[]>;
  /** Every input copy's gradient, masked, into x's gradient (the first written or added to as `accumulate` says). */
  backward(accumulate: boolean): Promise<Step[]>;
  dispose(): void;
}

/**
 * Keras' dropout of a recurrent layer in training (the steps: src/kernels/dropout.ts, loaded on first
 * use). Input: copy d is x [T, F] times a mask per (sample, feature) of stream `streams[d]`, the same at
 * every step, scaled by 1 / (1 - rate). Recurrent: direction d's mask per (sample, unit), 0 or
 * 1 / (1 - rate), which the recurrence multiplies the h[s-1] of every step by.
 */
export function recurrentDropout(
  context: RuntimeContext, who: string, noise: { counter: GPUBuffer; seed: number } | undefined,
  rates: { input: number; recurrent: number; units: number }, x: Value, streams: readonly number[],
): RecurrentDropout {
  if (!noise) throw new ShapeError(`${who}: not built (build the model before asking for a runtime)`);
  const { registry, label, batch } = context;
  const owned: GPUBuffer[] = [];
  const dispose = () => owned.forEach((b) => context.ctx.destroyBuffer(b));
  try {
    const [steps, features] = x.shape;
    const dropped = rates.input > 0 ? makeValue(context, 'dropped_input', [streams.length * steps, features], owned) : undefined;
    const state = context.ctx.createStorageBuffer(`${label}.noise_step`, 4);
    owned.push(state);
    // Element regions of byte-addressed ranges.
    const region = (range: { buffer: GPUBuffer; offset: number }) => ({ buffer: range.buffer, offset: range.offset / 4 });
    const draws = (recurrentMask?: { buffer: GPUBuffer; offset: number }) => ({
      counter: { buffer: noise.counter, offset: 0 }, state: { buffer: state, offset: 0 }, seed: noise.seed, streams,
      x: region(x.value), shape: { steps, batch, features },
      ...(dropped ? { input: { rate: rates.input, dropped: region(dropped.value) } } : {}),
      ...(recurrentMask ? { recurrent: { rate: rates.recurrent, units: rates.units, masks: region(recurrentMask) } } : {}),
    });
    const recurrent = rates.recurrent > 0;
    return {
      dropped,
      recurrent,
      forward: async (pass, recurrentMask) => {
        if (recurrent && !recurrentMask) throw new ShapeError(`${who}: recurrent dropout needs the buffers' room for its masks`);
        return (await noiseKernels()).recurrentNoiseForwardSteps(registry, label, draws(recurrent ? recurrentMask : undefined), pass.advance ?? true);
      },
      backward: async (accumulate) => dropped
        ? (await noiseKernels()).recurrentNoiseBackwardSteps(registry, label, draws(), { dDropped: region(dropped.grad!), dx: region(x.grad!) }, accumulate)
        : [],
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The scope tf.keras names a recurrent layer's weights with: 'lstm_cell', 'gru_cell', 'simple_rnn_cell'. */
export function cellScope(cell: CellType): string {
  return `${cell}_cell`;
}

/** Whether initial states are one buffer's consecutive state slices from offset 0 (another layer's final states). */
function statesInPlace(states: readonly Value[], stateBytes: number): boolean {
  const buffer = states[0].value.buffer;
  const gradBuffer = states[0].grad?.buffer;
  return states.every((s, i) => s.value.buffer === buffer && s.value.offset === i * stateBytes && s.value.size === stateBytes
    && s.grad?.buffer === gradBuffer && (s.grad === undefined || s.grad.offset === i * stateBytes))
    && buffer.size >= states.length * stateBytes;
}
