// What LSTM and SimpleRNN share: configuration, Keras-layout weights over a ParameterStore, the
// activation buffers of one (batch, steps) shape, and the standalone forward / backward API.
//
// A layer's GPU work for one shape:
//   forward:  xw = x . kernel + bias (one matmul), then the recurrence (1 dispatch, or one per step)
//   backward: the recurrence backward (gives dz, dh0, dc0), then dKernel = x^T dz with dBias = colsum(dz)
//             (one matmul), dRecurrent = hprev^T dz, dx = dz . kernel^T (three dispatches)

import type { GpuContext } from '../gpu/context.js';
import { ShapeError, WebRnnError } from '../gpu/errors.js';
import type { BufferRange, Step } from '../gpu/kernel-registry.js';
import { matmulColsumStep, matmulStep } from '../kernels/matmul.js';
import { planRecurrence, StepIndexBuffer, type RecurrentLaunch, type RecurrentStrategy } from '../kernels/recurrence.js';
import { Plan } from '../plan/plan.js';
import { fromInterleaved, toInterleaved } from './gate-layout.js';
import { glorotUniform, orthogonal } from './initializers.js';
import { batchToTimeMajor, timeToBatchMajor } from './layout.js';
import { WeightLayer, type LayerOptions } from './weight-layer.js';
import { expectFinite, expectLength, expectPositiveInteger } from './validate.js';

export interface RecurrentConfig {
  units: number;
  /** Features of each input step. */
  inputSize: number;
  /** Output the whole sequence [B, T, units] instead of the last step [B, units]. Default false. */
  returnSequences?: boolean;
  /** Also return the final state (h, and c for LSTM). Default false. */
  returnState?: boolean;
  /** Process the sequence in reverse; with returnSequences the output is in processed order (as Keras). */
  goBackwards?: boolean;
  /** Seed of the weight initializers. Default 0. */
  seed?: number;
  /** Execution strategy of the recurrence; 'auto' picks the in-kernel time loop whenever it fits. */
  strategy?: RecurrentStrategy;
  /** Batch rows per workgroup (tuning); default from the adapter. */
  rowsPerWorkgroup?: number;
  /** LSTM: units each invocation of the in-kernel time loop owns, 1 to 4 (tuning); default from the adapter. */
  unitsPerInvocation?: number;
  /** Name used in labels and errors. */
  name?: string;
}

/** Buffers of one (batch, steps) shape, time-major. */
export interface RecurrentBuffers {
  readonly batch: number;
  readonly steps: number;
  readonly xw: GPUBuffer;
  readonly hseq: GPUBuffer;
  readonly hprev: GPUBuffer;
  /** Extra state sequences the cell saves for backward (LSTM: cseq, gates). */
  readonly saved: Record<string, GPUBuffer>;
  readonly h0: GPUBuffer;
  readonly c0?: GPUBuffer;
  readonly hT: GPUBuffer;
  readonly cT?: GPUBuffer;
  readonly dhseq: GPUBuffer;
  readonly dhT: GPUBuffer;
  readonly dcT?: GPUBuffer;
  readonly dz: GPUBuffer;
  readonly dh0: GPUBuffer;
  readonly dc0?: GPUBuffer;
  readonly stepIndex?: StepIndexBuffer;
  readonly forwardLaunch: RecurrentLaunch;
  readonly backwardLaunch: RecurrentLaunch;
  /** The buffers this layer made for the shape (released by destroyBuffers). */
  readonly owned: readonly GPUBuffer[];
}

/** State buffers a layer can take from elsewhere instead of making its own. */
export interface SharedStateBuffers {
  h0?: GPUBuffer;
  c0?: GPUBuffer;
  hT?: GPUBuffer;
  cT?: GPUBuffer;
  dhT?: GPUBuffer;
  dcT?: GPUBuffer;
  dh0?: GPUBuffer;
  dc0?: GPUBuffer;
}

export interface ForwardResult {
  /** [B, T, units] with returnSequences, else [B, units]; batch-major. */
  output: Float32Array;
  /** Final states [B, units]: [h] for SimpleRNN, [h, c] for LSTM. */
  states: Float32Array[];
}

export interface BackwardResult {
  /** Gradients of the weights in Keras layout, in getWeights() order. */
  weights: Float32Array[];
  /** Gradient of the input [B, T, inputSize]. */
  input: Float32Array;
  /** Gradient of the initial states [B, units] each. */
  initialState: Float32Array[];
}

interface StandaloneShape {
  buffers: RecurrentBuffers;
  x: GPUBuffer;
  dx: GPUBuffer;
  forward: Plan;
  backward: Plan;
  ranForward: boolean;
}

export abstract class RecurrentLayer extends WeightLayer {
  readonly units: number;
  readonly inputSize: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly strategy: RecurrentStrategy;
  /** Gates per unit: 4 for LSTM, 1 for SimpleRNN. */
  abstract readonly gates: number;
  /** States per unit: 2 (h, c) for LSTM, 1 (h) for SimpleRNN. */
  abstract readonly stateCount: number;
  /** Bytes of workgroup memory per (unit, batch row) for the sequence kernels, forward and backward. */
  protected abstract readonly sequenceBytes: { forward: number; backward: number };

  private readonly rowsPerWorkgroup?: number;
  protected readonly requestedUnitsPerInvocation?: number;
  private readonly shapes = new Map<string, StandaloneShape>();
  private lastShape: StandaloneShape | null = null;

  protected constructor(ctx: GpuContext, config: RecurrentConfig, defaultName: string, options: LayerOptions) {
    expectPositiveInteger(`${defaultName} units`, config.units);
    expectPositiveInteger(`${defaultName} inputSize`, config.inputSize);
    if (config.rowsPerWorkgroup !== undefined) expectPositiveInteger(`${defaultName} rowsPerWorkgroup`, config.rowsPerWorkgroup);
    super(ctx, config.name ?? defaultName, config.seed ?? 0, options);
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.returnSequences = config.returnSequences ?? false;
    this.returnState = config.returnState ?? false;
    this.goBackwards = config.goBackwards ?? false;
    this.strategy = config.strategy ?? 'auto';
    this.rowsPerWorkgroup = config.rowsPerWorkgroup;
    if (config.unitsPerInvocation !== undefined && (!Number.isInteger(config.unitsPerInvocation) || config.unitsPerInvocation < 1 || config.unitsPerInvocation > 4)) {
      throw new ShapeError(`${this.name} unitsPerInvocation must be an integer from 1 to 4, got ${config.unitsPerInvocation}`);
    }
    this.requestedUnitsPerInvocation = config.unitsPerInvocation;
  }

  /** Parameter names in the store. */
  get weightNames(): string[] {
    return [`${this.name}.kernel`, `${this.name}.recurrent_kernel`, `${this.name}.bias`];
  }

  /** Keras shapes of getWeights(): kernel [in, G*u], recurrentKernel [u, G*u], bias [G*u]. */
  get weightShapes(): number[][] {
    const g = this.gates * this.units;
    return [[this.inputSize, g], [this.units, g], [g]];
  }

  protected get weightLabels(): string[] {
    return ['kernel', 'recurrentKernel', 'bias'];
  }

  /** Writes Keras' default initial weights (seeded). The store must be allocated. */
  initialize(): void {
    const g = this.gates * this.units;
    this.setWeights([glorotUniform(this.inputSize, g, this.seed), orthogonal(this.units, g, this.seed + 1), this.initialBias()]);
  }

  protected abstract initialBias(): Float32Array;

  /** Units per invocation of the sequence kernels: 1 unless a cell's shader can take more. */
  protected unitsPerInvocation(): number {
    return 1;
  }

  // Keras' gate blocks <-> the kernels' gates-per-unit interleaving.
  protected override toStored(keras: Float32Array, index: number): Float32Array {
    return toInterleaved(keras, [this.inputSize, this.units, 1][index], this.units, this.gates);
  }

  protected override fromStored(stored: Float32Array, index: number): Float32Array {
    return fromInterleaved(stored, [this.inputSize, this.units, 1][index], this.units, this.gates);
  }

  /**
   * Allocates the time-major activation buffers for one (batch, steps) shape. `shared` buffers are used
   * instead of new ones (a decoder's initial state is its encoder's final state, and the gradient of that
   * state flows back through the same buffers); the layer does not release those.
   */
  createBuffers(batch: number, steps: number, shared: SharedStateBuffers = {}): RecurrentBuffers {
    expectPositiveInteger(`${this.name} batch`, batch);
    expectPositiveInteger(`${this.name} steps`, steps);
    const perInvocation = this.unitsPerInvocation();
    const forwardLaunch = planRecurrence(this.ctx, batch, this.units, this.sequenceBytes.forward, this.strategy, this.rowsPerWorkgroup, perInvocation);
    const backwardLaunch = planRecurrence(this.ctx, batch, this.units, this.sequenceBytes.backward, this.strategy, this.rowsPerWorkgroup, perInvocation);
    const seq = batch * steps * this.units * 4;
    const state = batch * this.units * 4;
    const owned: GPUBuffer[] = [];
    const buffer = (what: string, bytes: number) => {
      const made = this.ctx.createStorageBuffer(`${this.name}.${what}`, bytes);
      owned.push(made);
      return made;
    };
    const stateBuffer = (what: keyof SharedStateBuffers) => {
      const given = shared[what];
      if (given && given.size < state) {
        throw new ShapeError(`${this.name}: shared state buffer '${what}' has ${given.size} bytes, needs ${state} ([${batch}, ${this.units}])`);
      }
      return given ?? buffer(what, state);
    };
    const needsStepIndex = forwardLaunch.strategy === 'step' || backwardLaunch.strategy === 'step';
    // A shape over a device limit fails at its first big buffer: allocating() releases the ones before it.
    return this.ctx.allocating((): RecurrentBuffers => {
      const stepIndex = needsStepIndex ? new StepIndexBuffer(this.ctx, steps, `${this.name}.step_index`) : undefined;
      return {
        batch,
        steps,
        xw: buffer('xw', seq * this.gates),
        hseq: buffer('hseq', seq),
        hprev: buffer('hprev', seq),
        saved: this.createSavedBuffers(batch, steps, buffer),
        h0: stateBuffer('h0'),
        hT: stateBuffer('hT'),
        dhseq: buffer('dhseq', seq),
        dhT: stateBuffer('dhT'),
        dz: buffer('dz', seq * this.gates),
        dh0: stateBuffer('dh0'),
        ...(this.stateCount === 2
          ? { c0: stateBuffer('c0'), cT: stateBuffer('cT'), dcT: stateBuffer('dcT'), dc0: stateBuffer('dc0') }
          : {}),
        ...(stepIndex ? { stepIndex } : {}),
        forwardLaunch,
        backwardLaunch,
        owned,
      };
    });
  }

  protected abstract createSavedBuffers(
    batch: number,
    steps: number,
    buffer: (what: string, bytes: number) => GPUBuffer,
  ): Record<string, GPUBuffer>;

  /** Releases the buffers createBuffers() made (not the shared ones). */
  destroyBuffers(buffers: RecurrentBuffers): void {
    for (const b of buffers.owned) this.ctx.destroyBuffer(b);
    buffers.stepIndex?.dispose();
  }

  /** The forward dispatches: input projection, then the recurrence. `x` is time-major [T, B, inputSize]. */
  async forwardSteps(buffers: RecurrentBuffers, x: BufferRange): Promise<Step[]> {
    const [kernel, , bias] = this.weightNames;
    const rows = buffers.steps * buffers.batch;
    const projection = await matmulStep(
      this.registry, `${this.name}.forward.projection`, { M: rows, K: this.inputSize, N: this.gates * this.units },
      x, this.parameters.value(kernel), buffers.xw, this.parameters.value(bias),
    );
    return [projection, ...(await this.recurrenceForward(buffers))];
  }

  /**
   * The backward dispatches. Reads dhseq (when `withSequenceGradient`), dhT (and dcT); writes the weight
   * gradients into the store, dh0 (dc0), and `dx` (time-major [T, B, inputSize]) when given.
   */
  async backwardSteps(buffers: RecurrentBuffers, x: BufferRange, dx: BufferRange | undefined, withSequenceGradient: boolean): Promise<Step[]> {
    const [kernel, recurrent, bias] = this.weightNames;
    const rows = buffers.steps * buffers.batch;
    const G = this.gates * this.units;
    const steps = await this.recurrenceBackward(buffers, withSequenceGradient);
    const p = this.parameters;
    const label = `${this.name}.backward`;
    // dbias = the column sums of dz, gathered by the dkernel matmul from the dz values it loads anyway.
    steps.push(await matmulColsumStep(this.registry, `${label}.dkernel_dbias`, { M: this.inputSize, K: rows, N: G, transA: true }, x, buffers.dz,
      p.gradient(kernel), p.gradient(bias)));
    steps.push(await matmulStep(this.registry, `${label}.drecurrent`, { M: this.units, K: rows, N: G, transA: true }, buffers.hprev, buffers.dz, p.gradient(recurrent)));
    if (dx) steps.push(await matmulStep(this.registry, `${label}.dx`, { M: rows, K: G, N: this.inputSize, transB: true }, buffers.dz, p.value(kernel), dx));
    return steps;
  }

  protected abstract recurrenceForward(buffers: RecurrentBuffers): Promise<Step[]>;
  protected abstract recurrenceBackward(buffers: RecurrentBuffers, withSequenceGradient: boolean): Promise<Step[]>;

  // ---- standalone API -------------------------------------------------------------------------

  /**
   * Runs the layer on a batch. `x` is batch-major [batch, steps, inputSize]; `initialState` is [h0] or
   * [h0, c0], each [batch, units] (zeros when absent). One submit; the activations are kept for backward().
   */
  async forward(x: ArrayLike<number>, shape: { batch: number; steps: number }, initialState?: ArrayLike<number>[]): Promise<ForwardResult> {
    this.assertLive();
    const { batch, steps } = shape;
    expectPositiveInteger(`${this.name}.forward batch`, batch);
    expectPositiveInteger(`${this.name}.forward steps`, steps);
    expectLength(`${this.name}.forward x`, x, batch * steps * this.inputSize, `[${batch}, ${steps}, ${this.inputSize}]`);
    expectFinite(`${this.name}.forward x`, x);
    const states = this.checkStates('initialState', initialState, batch);
    const run = await this.standaloneShape(batch, steps);
    this.ctx.write(run.x, batchToTimeMajor(x, batch, steps, this.inputSize));
    const stateBuffers = [run.buffers.h0, run.buffers.c0];
    states.forEach((s, i) => this.ctx.write(stateBuffers[i]!, s));
    run.forward.run();
    run.ranForward = true;
    this.lastShape = run;
    const finals = [run.buffers.hT, run.buffers.cT].slice(0, this.stateCount) as GPUBuffer[];
    const stateBytes = batch * this.units * 4;
    const output = this.returnSequences
      ? timeToBatchMajor(new Float32Array(await this.ctx.read(run.buffers.hseq, stateBytes * steps)), batch, steps, this.units)
      : new Float32Array(await this.ctx.read(run.buffers.hT, stateBytes));
    const finalStates = await Promise.all(finals.map(async (b) => new Float32Array(await this.ctx.read(b, stateBytes))));
    return { output, states: finalStates };
  }

  /**
   * Backpropagates through the last forward(): `dOutput` has the output's shape; `dStates` ([dh] or
   * [dh, dc], [batch, units] each) is the gradient arriving at the final state. Returns the gradients of
   * the weights (Keras layout), the input and the initial state.
   */
  async backward(dOutput: ArrayLike<number>, dStates?: ArrayLike<number>[]): Promise<BackwardResult> {
    this.assertLive();
    const run = this.lastShape;
    if (!run || !run.ranForward) throw new WebRnnError(`${this.name}.backward: call forward() first`);
    const { batch, steps } = run.buffers;
    const outShape = this.returnSequences ? `[${batch}, ${steps}, ${this.units}]` : `[${batch}, ${this.units}]`;
    expectLength(`${this.name}.backward dOutput`, dOutput, batch * this.units * (this.returnSequences ? steps : 1), outShape);
    expectFinite(`${this.name}.backward dOutput`, dOutput);
    const dFinal = this.checkStates('dStates', dStates, batch);
    const dh = Float32Array.from(dFinal[0]);
    if (this.returnSequences) this.ctx.write(run.buffers.dhseq, batchToTimeMajor(dOutput, batch, steps, this.units));
    else for (let i = 0; i < dh.length; i++) dh[i] += dOutput[i];
    this.ctx.write(run.buffers.dhT, dh);
    if (run.buffers.dcT) this.ctx.write(run.buffers.dcT, dFinal[1]);
    run.backward.run();
    const weights = await Promise.all(this.weightNames.map(async (name, i) => this.fromStored(await this.parameters.read(name, 'gradient'), i)));
    const input = timeToBatchMajor(new Float32Array(await this.ctx.read(run.dx, batch * steps * this.inputSize * 4)), batch, steps, this.inputSize);
    const initial = ([run.buffers.dh0, run.buffers.dc0].slice(0, this.stateCount) as GPUBuffer[]);
    const initialState = await Promise.all(initial.map(async (b) => new Float32Array(await this.ctx.read(b, batch * this.units * 4))));
    return { weights, input, initialState };
  }

  /** Dispatches recorded by the standalone forward and backward plans of a shape (for tests and tuning). */
  async dispatchCounts(batch: number, steps: number): Promise<{ forward: number; backward: number }> {
    const run = await this.standaloneShape(batch, steps);
    return { forward: run.forward.dispatchCount, backward: run.backward.dispatchCount };
  }

  private checkStates(what: string, states: ArrayLike<number>[] | undefined, batch: number): Float32Array[] {
    const size = batch * this.units;
    if (states === undefined) return Array.from({ length: this.stateCount }, () => new Float32Array(size));
    if (!Array.isArray(states) || states.length !== this.stateCount) {
      throw new ShapeError(`${this.name} ${what}: expected ${this.stateCount} arrays (${this.stateCount === 2 ? '[h, c]' : '[h]'}), got ${Array.isArray(states) ? states.length : typeof states}`);
    }
    return states.map((s, i) => {
      expectLength(`${this.name} ${what}[${i}]`, s, size, `[${batch}, ${this.units}]`);
      expectFinite(`${this.name} ${what}[${i}]`, s);
      return Float32Array.from(s);
    });
  }

  private async standaloneShape(batch: number, steps: number): Promise<StandaloneShape> {
    const key = `${batch}x${steps}`;
    const cached = this.shapes.get(key);
    if (cached) return cached;
    const { buffers, x, dx } = this.ctx.allocating(() => ({
      buffers: this.createBuffers(batch, steps),
      x: this.ctx.createStorageBuffer(`${this.name}.x`, batch * steps * this.inputSize * 4),
      dx: this.ctx.createStorageBuffer(`${this.name}.dx`, batch * steps * this.inputSize * 4),
    }));
    try {
      const forward = new Plan(this.ctx, `${this.name}.forward`, await this.forwardSteps(buffers, x));
      const backward = new Plan(this.ctx, `${this.name}.backward`, await this.backwardSteps(buffers, x, dx, this.returnSequences));
      const shape = { buffers, x, dx, forward, backward, ranForward: false };
      this.shapes.set(key, shape);
      return shape;
    } catch (error) {
      this.destroyBuffers(buffers);
      this.ctx.destroyBuffer(x);
      this.ctx.destroyBuffer(dx);
      throw error;
    }
  }

  protected releaseBuffers(): void {
    for (const shape of this.shapes.values()) {
      this.destroyBuffers(shape.buffers);
      this.ctx.destroyBuffer(shape.x);
      this.ctx.destroyBuffer(shape.dx);
    }
    this.shapes.clear();
    this.lastShape = null;
  }
}
