// Keras' LSTM, GRU and SimpleRNN in a model: input [T, F] -> the sequence [T, units] (returnSequences)
// or the last step [units], then, with returnState, the final states (h, then c for LSTM) [units] each.
// The last step is the final h: both are the same range of the layer's final-state buffer, so their
// gradients add up there.
//
// Initial states from another layer: when they are exactly that layer's final states in order (the
// seq2seq bridge), this layer reads them in place and writes their gradient in place, one dispatch for
// all of them; otherwise they are copied in, and their gradients copied out.

import { cellByName, type CellType } from '../../cells/index.js';
import type { CellOptions } from '../../cells/descriptor.js';
import { ShapeError } from '../../gpu/errors.js';
import type { Step } from '../../gpu/kernel-registry.js';
import { elementwiseStep } from '../../kernels/elementwise.js';
import type { RecurrentStrategy } from '../../kernels/recurrence.js';
import { RecurrentLayer, type SharedStateBuffers } from '../recurrent.js';
import { initializerConfig } from './config.js';
import { Layer, wholeBuffer, type BuildContext, type Gradients, type LayerConfig, type Node, type NodeRuntime, type Range, type RuntimeContext, type Shape, type Value } from './layer.js';

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
  private layer?: RecurrentLayer;

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
  }

  /** States per unit: 1, or 2 for LSTM (h, c). */
  get stateCount(): number {
    return 1 + cellByName(this.cell, this.name).extraStates.length;
  }

  getConfig(): Record<string, unknown> {
    const c = cellByName(this.cell, this.name).configure(this.config, this.name);
    return {
      name: this.name, trainable: true, dtype: 'float32', return_sequences: this.returnSequences, return_state: this.returnState,
      go_backwards: this.config.goBackwards ?? false, stateful: false, unroll: false, time_major: false, units: this.units,
      activation: c.activation,
      ...(this.cell !== 'simple_rnn' ? { recurrent_activation: c.recurrentActivation } : {}),
      use_bias: c.useBias,
      kernel_initializer: initializerConfig(c.kernelInitializer), recurrent_initializer: initializerConfig(c.recurrentInitializer),
      bias_initializer: initializerConfig(c.biasInitializer),
      ...(this.cell === 'lstm' ? { unit_forget_bias: c.unitForgetBias } : {}),
      kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: 0, recurrent_dropout: 0,
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
    return { ...layer.bufferBytes(batch, x[0]), sT: layer.stateBytes(batch) };
  }

  protected create(context: BuildContext, [x]: Shape[]): void {
    this.layer = RecurrentLayer.of(context.ctx, this.cell, { ...this.config, inputSize: x[1] as number, seed: context.seed, name: this.name },
      { parameters: context.store, registry: context.registry });
  }

  get weightLayer(): RecurrentLayer | undefined {
    return this.layer;
  }

  runtime(context: RuntimeContext, _node: Node, inbound: readonly Value[]): NodeRuntime {
    const layer = this.layer!;
    const [x, ...states] = inbound;
    const { batch, registry } = context;
    const steps = x.shape[0];
    const stateBytes = batch * this.units * 4;
    const S = this.stateCount;
    const inPlace = states.length > 0 && statesInPlace(states, stateBytes);
    const shared: SharedStateBuffers = inPlace ? { s0: states[0].value.buffer, ...(states[0].grad ? { ds0: states[0].grad.buffer } : {}) } : {};
    const buffers = layer.createBuffers(batch, steps, shared);
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
      forwardSteps: async () => {
        const copies: Step[] = [];
        if (!inPlace) {
          for (const [i, s] of states.entries()) {
            copies.push(await elementwiseStep(registry, `${label}.initial_state_${i}`, 'copy', batch * this.units,
              { x: s.value.buffer, out: buffers.s0 }, { xOffset: s.value.offset / 4, outOffset: i * batch * this.units }));
          }
        }
        return [...copies, ...(await layer.forwardSteps(buffers, x.value))];
      },
      backwardSteps: async (gradients: Gradients) => {
        const stateWritten = this.returnSequences
          ? gradients.outputs.slice(1).some(Boolean)
          : gradients.outputs.some(Boolean);
        const dx = gradients.inbound[0];
        const stateGrads = gradients.inbound.slice(1);
        const steps = await layer.backwardSteps(buffers, x.value, dx ? x.grad : undefined, {
          sequenceGradient: this.returnSequences && gradients.outputs[0],
          stateGradient: stateWritten,
          accumulateInput: dx?.accumulate ?? false,
          accumulateInitialState: inPlace ? stateGrads.some((g) => g?.accumulate) : false,
        });
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
      dispose: () => layer.destroyBuffers(buffers),
    };
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
