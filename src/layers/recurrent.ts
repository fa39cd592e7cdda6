// A recurrent layer of any cell (LSTM, GRU, SimpleRNN: src/cells/): configuration, Keras-layout weights
// over a ParameterStore, the activation buffers of one (batch, steps) shape, its forward and backward
// dispatches, and the standalone forward / backward API. One or two directions (a Bidirectional layer's
// both directions run in the same dispatches, their parameters side by side).
//
// A layer's GPU work for one shape (D directions, time-major rows t * B + b):
//   forward:  xw = x . kernel + bias (one batched matmul), then the recurrence (1 dispatch, or per step)
//   backward: the recurrence backward (gives dz, the recurrent gradient g, dh0 and the cell's other
//             initial-state gradients), then, added to the parameter gradients:
//             dKernel = x^T dz with dBias = colsum(dz)    (one batched matmul)
//             dRecurrent = ops^T g (+ dRecurrentBias = colsum(g))   (one batched matmul: every phase's
//             operand against its gradient, stacked along the rows)
//             dx = dz . kernel^T                          (one matmul per direction)

import { cellByName } from '../cells/index.js';
import type { CellConfig, CellDescriptor, CellOptions, CellWeight } from '../cells/descriptor.js';
import type { GpuContext } from '../gpu/context.js';
import { ShapeError, WebRnnError } from '../gpu/errors.js';
import type { BufferRange, Step } from '../gpu/kernel-registry.js';
import { elementwiseStep } from '../kernels/elementwise.js';
import { matmulStep } from '../kernels/matmul.js';
import {
  maskOffset, MAX_ROW_GROUPS, recurrentDropoutOffset, MAX_UNITS_PER_INVOCATION, planRecurrence, recurrenceBackwardSteps, recurrenceForwardSteps, recurrenceSizes, recurrentGradientOffset,
  type RecurrenceBuffers, type RecurrenceLaunch, type RecurrenceShape, type RecurrentStrategy, type ResolvedCell, type WeightOffsets,
} from '../kernels/recurrence.js';
import { Plan } from '../plan/plan.js';
import { batchToTimeMajor, timeToBatchMajor } from './layout.js';
import type { ParameterRange } from './parameters.js';
import { WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';
import { expectFinite, expectLength, expectPositiveInteger } from './validate.js';

/** A recurrent layer's configuration: the cell's Keras options, the input size, and what it returns. */
export interface RecurrentConfig extends CellOptions {
  /** Features of each input step. */
  inputSize: number;
  /** Output the whole sequence [B, T, units] instead of the last step [B, units]. Default false. */
  returnSequences?: boolean;
  /** Also return the final states (h, and c for LSTM). Default false. */
  returnState?: boolean;
  /** Process the sequence in reverse; with returnSequences the output is in processed order (as Keras). */
  goBackwards?: boolean;
  /** Seed of the weight initializers. Default 0. */
  seed?: number;
  /** Execution strategy of the recurrence; 'auto' picks the in-kernel time loop whenever it fits. */
  strategy?: RecurrentStrategy;
  /** Units each invocation of the in-kernel time loop owns, 1 to 4 (tuning); default from the adapter. */
  unitsPerInvocation?: number;
  /** Groups of 4 batch rows each invocation of the in-kernel time loop owns, 1 to 4 (tuning); default from the adapter and batch. */
  rowGroups?: number;
  /** Name used in labels and errors. */
  name?: string;
}

/**
 * Buffers of one (batch, steps) shape, time-major, every one with a leading direction axis; the states
 * [D, S, B, U] (S = h, then the cell's others) in one buffer each: initial s0, final sT, and their
 * gradients ds0, dsT.
 */
export interface RecurrentBuffers {
  /** Batch size of the shape. */
  readonly batch: number;
  /** Time steps of the shape. */
  readonly steps: number;
  /** The input projection x . kernel + bias, [D, T, B, slots * U]. */
  readonly xw: GPUBuffer;
  /** The output sequence h, [D, T, B, U]. */
  readonly hseq: GPUBuffer;
  /** Every phase's recurrent operand by input time ([D, P, T, B, U]; phase 0 is h[s-1]). */
  readonly ops: GPUBuffer;
  /** The cell's saved values, in its layout. */
  readonly saved: GPUBuffer;
  /** Initial states. */
  readonly s0: GPUBuffer;
  /** Final states. */
  readonly sT: GPUBuffer;
  /** Gradient arriving at the final states. */
  readonly dsT: GPUBuffer;
  /** Gradient of the initial states. */
  readonly ds0: GPUBuffer;
  /** Gradient arriving at the output sequence. */
  readonly dhseq: GPUBuffer;
  /** dz, and the cell's recurrent gradient after it. */
  readonly dz: GPUBuffer;
  /** The state gradient carried from step to step in the backward pass. */
  readonly carry: GPUBuffer;
  /** Step strategy scratch: a phase's recurrent product. */
  readonly zr?: GPUBuffer;
  /** Step strategy scratch: the recurrent product of a gradient. */
  readonly drec?: GPUBuffer;
  /**
   * Keras' mask of time steps, when the layer is masked: f32 [T, B] by input time (1 real, 0 masked) at
   * a byte offset of another buffer (its producer's); forwardSteps copies it next to the saved values.
   */
  readonly mask?: { readonly buffer: GPUBuffer; readonly offset: number };
  /**
   * With room for recurrent dropout: where its mask goes, f32 [D, B, U] (0, or 1 / (1 - rate) for a kept
   * unit) at a byte offset of the saved buffer, written before a forward told `recurrentDropout`.
   */
  readonly recurrentDropoutMask?: { readonly buffer: GPUBuffer; readonly offset: number };
  /** How the forward recurrence runs for this shape. */
  readonly forwardLaunch: RecurrenceLaunch;
  /** How the backward recurrence runs for this shape. */
  readonly backwardLaunch: RecurrenceLaunch;
  /** The buffers this layer made for the shape (released by destroyBuffers). */
  readonly owned: readonly GPUBuffer[];
}

/** State buffers a layer can take from elsewhere instead of making its own: s0, sT, dsT, ds0. */
export type SharedStateBuffers = Partial<Record<'s0' | 'sT' | 'dsT' | 'ds0', GPUBuffer>>;

/** What a standalone recurrent layer's forward() gives. */
export interface ForwardResult {
  /** [B, T, units] with returnSequences, else [B, units]; batch-major. */
  output: Float32Array;
  /** Final states [B, units]: [h] for SimpleRNN and GRU, [h, c] for LSTM. */
  states: Float32Array[];
}

/** What a standalone recurrent layer's backward() gives. */
export interface BackwardResult {
  /** Gradients of the weights in Keras layout, in getWeights() order. */
  weights: Float32Array[];
  /** Gradient of the input [B, T, inputSize]. */
  input: Float32Array;
  /** Gradient of the initial states [B, units] each. */
  initialState: Float32Array[];
}

/** Where gradient arrives in a recurrent layer's backward dispatches, and what they add to. */
export interface BackwardOptions {
  /** Whether gradient arrives at the output sequence (dhseq); default true. */
  sequenceGradient?: boolean;
  /** Whether gradient arrives at the final states (dhT ...); default true. */
  stateGradient?: boolean;
  /** dx += instead of =. */
  accumulateInput?: boolean;
  /** dh0 (dc0) += instead of =. */
  accumulateInitialState?: boolean;
  /**
   * x holds one input per direction, [D, T, B, inputSize] (each direction's own dropout of one input),
   * as forwardSteps was told; dx is then written per direction in the same layout.
   */
  inputPerDirection?: boolean;
  /** The forward ran with recurrent dropout (its mask still in the buffers). */
  recurrentDropout?: boolean;
}

/** How a recurrent layer's forward dispatches run. */
export interface ForwardOptions {
  /** x holds one input per direction, [D, T, B, inputSize], direction d reading block d (each direction's own dropout of one input). */
  inputPerDirection?: boolean;
  /** Recurrent dropout with the mask in the buffers' recurrentDropoutMask (made with room for it). */
  recurrentDropout?: boolean;
}

interface StandaloneShape {
  buffers: RecurrentBuffers;
  x: GPUBuffer;
  dx: GPUBuffer;
  forward: Plan;
  backward: Plan;
  ranForward: boolean;
}

/**
 * A recurrent layer of any cell (LSTM, GRU, SimpleRNN), with Keras semantics and weight layout. Standalone,
 * `forward()` and `backward()` run it on host arrays; inside a model, its `forwardSteps()` and
 * `backwardSteps()` are part of the model's plans. Make one with {@link LSTM.create}, {@link GRU.create},
 * {@link SimpleRNN.create} or `RecurrentLayer.of(ctx, 'lstm', config)`.
 */
export class RecurrentLayer extends WeightLayer {
  /** The cell's descriptor (webrnn/advanced). */
  readonly cell: CellDescriptor;
  /** The cell's options with every default filled in. */
  readonly config: CellConfig;
  /** Units (the size of h). */
  readonly units: number;
  /** Features of each input step. */
  readonly inputSize: number;
  /** Whether the output is the whole sequence (else the last step). */
  readonly returnSequences: boolean;
  /** Whether the final states are returned too. */
  readonly returnState: boolean;
  /** Whether the sequence is processed in reverse. */
  readonly goBackwards: boolean;
  /** How the recurrence runs: 'auto', 'sequence' (one dispatch) or 'step' (dispatches per step). */
  readonly strategy: RecurrentStrategy;
  /** 1, or 2 for both directions of a Bidirectional layer (direction 1 runs time the other way). */
  readonly directions: number;
  private readonly resolved: ResolvedCell;
  private readonly cellWeights: CellWeight[];
  private readonly tuning: { unitsPerInvocation?: number; rowGroups?: number };
  private readonly shapes = new Map<string, StandaloneShape>();
  private lastShape: StandaloneShape | null = null;

  protected constructor(ctx: GpuContext, cell: CellDescriptor, config: RecurrentConfig, options: LayerOptions, directions = 1) {
    const who = config.name ?? cell.name;
    expectPositiveInteger(`${who} inputSize`, config.inputSize);
    super(ctx, who, config.seed ?? 0, options);
    this.cell = cell;
    this.config = cell.configure(config, who);
    this.units = this.config.units;
    this.inputSize = config.inputSize;
    this.returnSequences = config.returnSequences ?? false;
    this.returnState = config.returnState ?? false;
    this.goBackwards = config.goBackwards ?? false;
    this.strategy = config.strategy ?? 'auto';
    if (!['auto', 'sequence', 'step'].includes(this.strategy)) {
      throw new ShapeError(`${who}: strategy must be 'auto', 'sequence' or 'step', got '${String(this.strategy)}'`);
    }
    this.directions = directions;
    const upi = config.unitsPerInvocation;
    if (upi !== undefined && (!Number.isInteger(upi) || upi < 1 || upi > MAX_UNITS_PER_INVOCATION)) {
      throw new ShapeError(`${who} unitsPerInvocation must be an integer from 1 to ${MAX_UNITS_PER_INVOCATION}, got ${upi}`);
    }
    const rg = config.rowGroups;
    if (rg !== undefined && (!Number.isInteger(rg) || rg < 1 || rg > MAX_ROW_GROUPS)) {
      throw new ShapeError(`${who} rowGroups must be an integer from 1 to ${MAX_ROW_GROUPS}, got ${rg}`);
    }
    this.tuning = { unitsPerInvocation: upi, rowGroups: rg };
    this.resolved = { descriptor: cell, config: this.config };
    this.cellWeights = cell.weights(this.config, this.inputSize);
  }

  /**
   * A layer of the named cell ('lstm', 'gru', 'simple_rnn'); standalone it owns its (seeded Keras-initialized)
   * weights. `directions` 2: both directions of a Bidirectional layer in the same dispatches.
   */
  static of(ctx: GpuContext, cell: string | CellDescriptor, config: RecurrentConfig, options: LayerOptions = {}, directions: 1 | 2 = 1): RecurrentLayer {
    const descriptor = typeof cell === 'string' ? cellByName(cell, config.name ?? 'recurrent layer') : cell;
    const layer = new RecurrentLayer(ctx, descriptor, config, options, directions);
    layer.setUpStandalone();
    return layer;
  }

  /** The cell with this layer's configuration (for the dispatch builders). */
  get resolvedCell(): ResolvedCell {
    return this.resolved;
  }

  /** States per unit: h, then the cell's extra states (LSTM: h, c). */
  get stateNames(): string[] {
    return ['h', ...this.cell.extraStates];
  }

  /** States per unit: 1 (h), or 2 for LSTM (h, c). */
  get stateCount(): number {
    return this.stateNames.length;
  }

  /** The stored parameters: per cell weight part, both directions side by side. */
  protected get storedParameters(): { name: string; floats: number }[] {
    return this.cellWeights.flatMap((w) => w.parts.map((p) => ({ name: p.part, floats: p.floats * this.directions })));
  }

  /** The Keras weights: the cell's, for each direction in turn (Keras' Bidirectional order). */
  get weights(): LayerWeight[] {
    const out: LayerWeight[] = [];
    for (let d = 0; d < this.directions; d++) {
      for (const w of this.cellWeights) {
        out.push({
          name: this.directions > 1 ? `${d === 0 ? 'forward' : 'backward'}/${w.name}` : w.name,
          shape: w.shape,
          parts: w.parts.map((p) => ({ param: p.part, offset: d * p.floats, floats: p.floats })),
          toStored: (keras) => w.toStored(keras),
          fromStored: (parts) => w.fromStored(parts),
          initial: (seed) => w.initial(seed + 1000 * d),
        });
      }
    }
    return out;
  }

  private hasPart(part: string): boolean {
    return this.cellWeights.some((w) => w.parts.some((p) => p.part === part));
  }

  private launches(): { forward: RecurrenceLaunch; backward: RecurrenceLaunch } {
    return {
      forward: planRecurrence(this.ctx, this.resolved, 'forward', this.strategy, this.tuning),
      backward: planRecurrence(this.ctx, this.resolved, 'backward', this.strategy, this.tuning),
    };
  }

  /** Bytes of one state buffer [D, S, B, U] for a batch (direction-major: each direction's h, then c). */
  stateBytes(batch: number): number {
    return this.directions * this.stateCount * batch * this.units * 4;
  }

  /**
   * Bytes of each activation buffer createBuffers() makes for (batch, steps), by name (the state
   * buffers, stateBytes() each, aside): what a shape is checked against the device's limits with,
   * before anything is allocated.
   */
  bufferBytes(batch: number, steps: number, masked = false, recurrentDropout = false): Record<string, number> {
    const { forward, backward } = this.launches();
    const floats = recurrenceSizes(this.resolved, { ...this.shapeOf({ batch, steps, masked }), recurrentDropout });
    const names = ['xw', 'hseq', 'ops', 'saved', 'dhseq', 'dz', 'carry', ...(forward.strategy === 'step' ? ['zr'] : []), ...(backward.strategy === 'step' ? ['drec'] : [])];
    return Object.fromEntries(names.map((name) => [name, floats[name] * 4]));
  }

  /**
   * Allocates the time-major activation buffers for one (batch, steps) shape. `shared` state buffers are
   * used instead of new ones (a decoder's initial state is its encoder's final state, and the gradient of
   * that state flows back through the same buffers); the layer does not release those. With `mask`
   * (Keras' mask of time steps, f32 [steps, batch] at a byte offset), masked steps keep every state.
   * With `recurrentDropout`, the saved buffer has room for a recurrent dropout mask (recurrentDropoutMask).
   */
  createBuffers(
    batch: number, steps: number, shared: SharedStateBuffers = {}, mask?: { buffer: GPUBuffer; offset: number }, options: { recurrentDropout?: boolean } = {},
  ): RecurrentBuffers {
    expectPositiveInteger(`${this.name} batch`, batch);
    expectPositiveInteger(`${this.name} steps`, steps);
    if (mask && (mask.offset % 4 !== 0 || mask.buffer.size < mask.offset + steps * batch * 4)) {
      throw new ShapeError(`${this.name}: the mask needs ${steps} x ${batch} floats from byte ${mask.offset}; buffer '${mask.buffer.label}' holds ${mask.buffer.size} bytes`);
    }
    const { forward: forwardLaunch, backward: backwardLaunch } = this.launches();
    const dropping = options.recurrentDropout ?? false;
    const bytes = this.bufferBytes(batch, steps, mask !== undefined, dropping);
    const state = this.stateBytes(batch);
    const owned: GPUBuffer[] = [];
    const buffer = (what: string, size = bytes[what]) => {
      const made = this.ctx.createStorageBuffer(`${this.name}.${what}`, size);
      owned.push(made);
      return made;
    };
    const stateBuffer = (key: keyof SharedStateBuffers) => {
      const given = shared[key];
      if (given && given.size < state) {
        throw new ShapeError(`${this.name}: shared state buffer '${key}' has ${given.size} bytes, needs ${state} ([${this.stateNames.join(', ')}] x [${batch}, ${this.units}])`);
      }
      return given ?? buffer(key, state);
    };
    // A shape over a device limit fails at its first big buffer: allocating() releases the ones before it.
    return this.ctx.allocating((): RecurrentBuffers => {
      const saved = buffer('saved');
      const dropoutOffset = recurrentDropoutOffset(this.resolved, this.shapeOf({ batch, steps, masked: mask !== undefined }, true));
      return {
        batch,
        steps,
        xw: buffer('xw'),
        hseq: buffer('hseq'),
        ops: buffer('ops'),
        saved,
        ...(dropping ? { recurrentDropoutMask: { buffer: saved, offset: dropoutOffset * 4 } } : {}),
        s0: stateBuffer('s0'),
        sT: stateBuffer('sT'),
        dsT: stateBuffer('dsT'),
        ds0: stateBuffer('ds0'),
        dhseq: buffer('dhseq'),
        dz: buffer('dz'),
        carry: buffer('carry'),
        ...(forwardLaunch.strategy === 'step' ? { zr: buffer('zr') } : {}),
        ...(backwardLaunch.strategy === 'step' ? { drec: buffer('drec') } : {}),
        ...(mask ? { mask: { buffer: mask.buffer, offset: mask.offset } } : {}),
        forwardLaunch,
        backwardLaunch,
        owned,
      };
    });
  }

  /** Releases the buffers createBuffers() made (not the shared ones). */
  destroyBuffers(buffers: RecurrentBuffers): void {
    for (const b of buffers.owned) this.ctx.destroyBuffer(b);
  }

  /**
   * The layer's parameters as one binding range (declared together, so contiguous in the store), and
   * where each part is in it, in the cell's Gates elements.
   */
  weightsRange(): {
    /** All of the layer's parameters. */
    range: ParameterRange;
    /** Where each part starts in `range`. */
    offsets: WeightOffsets;
  } {
    const views = this.storedParameters.map((p) => ({ name: p.name, view: this.param(p.name) }));
    const start = views[0].view.offset;
    const end = Math.max(...views.map(({ view }) => view.offset + view.size));
    const gates = (name: string) => {
      const found = views.find((v) => v.name === name);
      return found ? (found.view.offset - start) / (4 * this.cell.slots) : undefined;
    };
    return {
      range: { buffer: views[0].view.buffer, offset: start, size: end - start },
      offsets: { rk: gates('recurrent_kernel')!, kernel: gates('kernel')!, bias: gates('bias'), recurrentBias: gates('recurrent_bias') },
    };
  }

  private shapeOf(buffers: { batch: number; steps: number; masked?: boolean; mask?: unknown }, recurrentDropout = false): RecurrenceShape {
    const backwards = [this.goBackwards, !this.goBackwards].slice(0, this.directions);
    return { batch: buffers.batch, steps: buffers.steps, directions: this.directions, backwards, masked: buffers.masked ?? buffers.mask !== undefined, recurrentDropout };
  }

  /** The shape of a pass, checking that recurrent dropout has its room. */
  private passShape(buffers: RecurrentBuffers, recurrentDropout: boolean | undefined, what: string): RecurrenceShape {
    if (recurrentDropout && !buffers.recurrentDropoutMask) {
      throw new WebRnnError(`${this.name}.${what}: recurrent dropout needs buffers made with room for its mask (createBuffers with recurrentDropout)`);
    }
    return this.shapeOf(buffers, recurrentDropout ?? false);
  }

  private recurrenceBuffers(buffers: RecurrentBuffers): RecurrenceBuffers {
    const { range, offsets } = this.weightsRange();
    return {
      xw: buffers.xw, weights: range, offsets, s0: buffers.s0, sT: buffers.sT, hseq: buffers.hseq, ops: buffers.ops, saved: buffers.saved,
      dz: buffers.dz, ds0: buffers.ds0, carry: buffers.carry, dhseq: buffers.dhseq, dsT: buffers.dsT,
      ...(buffers.zr ? { zr: buffers.zr } : {}), ...(buffers.drec ? { drec: buffers.drec } : {}),
    };
  }

  /**
   * The forward dispatches: input projection, then the recurrence. `x` is time-major [T, B, inputSize]
   * (with `inputPerDirection` one per direction, [D, T, B, inputSize], direction d reading block d).
   */
  async forwardSteps(buffers: RecurrentBuffers, x: BufferRange, options: ForwardOptions = {}): Promise<Step[]> {
    const rows = buffers.steps * buffers.batch;
    const D = this.directions;
    const N = this.units * this.cell.slots;
    const bias = this.hasPart('bias') ? this.param('bias') : undefined;
    const projection = await matmulStep(this.registry, `${this.name}.forward.projection`, {
      M: rows, K: this.inputSize, N, batches: D, batchA: options.inputPerDirection ? rows * this.inputSize : 0, batchB: this.inputSize * N, batchC: rows * N, batchBias: N,
    }, { a: x, b: this.param('kernel'), c: buffers.xw, bias });
    const shape = this.passShape(buffers, options.recurrentDropout, 'forwardSteps');
    const recurrence = await recurrenceForwardSteps(this.registry, `${this.name}.forward.recurrence`, this.resolved, shape,
      buffers.forwardLaunch, this.recurrenceBuffers(buffers));
    // The mask goes next to the saved values: the time loop reads it there (no binding of its own).
    const mask = buffers.mask
      ? [await elementwiseStep(this.registry, `${this.name}.forward.mask`, 'copy', rows, { x: buffers.mask.buffer, out: buffers.saved },
        { xOffset: buffers.mask.offset / 4, outOffset: maskOffset(this.resolved, shape) })]
      : [];
    return [projection, ...mask, ...recurrence];
  }

  /**
   * The backward dispatches. Reads dhseq and dsT (as `options` say they arrive); adds the weight gradients
   * to the store, writes ds0 and `dx` (time-major [T, B, inputSize]) when given.
   */
  async backwardSteps(buffers: RecurrentBuffers, x: BufferRange, dx: BufferRange | undefined, options: BackwardOptions = {}): Promise<Step[]> {
    const rows = buffers.steps * buffers.batch;
    const D = this.directions;
    const U = this.units;
    const N = U * this.cell.slots;
    const P = this.cell.phases(this.config);
    const label = `${this.name}.backward`;
    const shape = this.passShape(buffers, options.recurrentDropout, 'backwardSteps');
    const steps = await recurrenceBackwardSteps(this.registry, `${label}.recurrence`, this.resolved, shape, buffers.backwardLaunch, {
      ...this.recurrenceBuffers(buffers),
      dhseq: (options.sequenceGradient ?? true) ? buffers.dhseq : undefined,
      dsT: (options.stateGradient ?? true) ? buffers.dsT : undefined,
    }, { accumulateInitialState: options.accumulateInitialState });
    // dKernel (+ dBias) = x^T dz per direction.
    steps.push(await matmulStep(this.registry, `${label}.dkernel`, {
      M: this.inputSize, K: rows, N, transA: true, accumulate: true,
      batches: D, batchA: options.inputPerDirection ? rows * this.inputSize : 0, batchB: rows * N, batchC: this.inputSize * N, batchColsum: N,
    }, { a: x, b: buffers.dz, c: this.param('kernel', 'gradient'), colsum: this.hasPart('bias') ? this.param('bias', 'gradient') : undefined }));
    // dRecurrent (+ dRecurrentBias) = sum over phases of op_p^T g_p: the phases stacked along the rows.
    steps.push(await matmulStep(this.registry, `${label}.drecurrent`, {
      M: U, K: P * rows, N, transA: true, accumulate: true, bOffset: recurrentGradientOffset(this.resolved, shape),
      batches: D, batchA: P * rows * U, batchB: P * rows * N, batchC: U * N, batchColsum: N,
    }, {
      a: buffers.ops, b: buffers.dz, c: this.param('recurrent_kernel', 'gradient'),
      colsum: this.cell.recurrentBias(this.config) ? this.param('recurrent_bias', 'gradient') : undefined,
    }));
    if (dx) {
      for (let d = 0; d < D; d++) {
        // One dx for every direction (they add up), or with inputPerDirection one block each.
        const own = options.inputPerDirection ?? false;
        steps.push(await matmulStep(this.registry, `${label}.dx${D > 1 ? `.d${d}` : ''}`, {
          M: rows, K: N, N: this.inputSize, transB: true, accumulate: (!own && d > 0) || options.accumulateInput,
          aOffset: d * rows * N, bOffset: d * this.inputSize * N, cOffset: own ? d * rows * this.inputSize : 0,
        }, { a: buffers.dz, b: this.param('kernel'), c: dx }));
      }
    }
    return steps;
  }

  // ---- standalone API -------------------------------------------------------------------------

  /**
   * Runs the layer on a batch. `x` is batch-major [batch, steps, inputSize]; `initialState` is one
   * [batch, units] array per state (h, then c for LSTM; zeros when absent). One submit; the activations
   * are kept for backward().
   */
  async forward(x: ArrayLike<number>, shape: { batch: number; steps: number }, initialState?: ArrayLike<number>[]): Promise<ForwardResult> {
    this.assertLive();
    this.assertOneDirection('forward');
    const { batch, steps } = shape;
    expectPositiveInteger(`${this.name}.forward batch`, batch);
    expectPositiveInteger(`${this.name}.forward steps`, steps);
    expectLength(`${this.name}.forward x`, x, batch * steps * this.inputSize, `[${batch}, ${steps}, ${this.inputSize}]`);
    expectFinite(`${this.name}.forward x`, x);
    const states = this.checkStates('initialState', initialState, batch);
    const run = await this.standaloneShape(batch, steps);
    this.ctx.write(run.x, batchToTimeMajor(x, batch, steps, this.inputSize));
    this.ctx.write(run.buffers.s0, concat(states));
    run.forward.run();
    run.ranForward = true;
    this.lastShape = run;
    const finalStates = split(new Float32Array(await this.ctx.read(run.buffers.sT, this.stateBytes(batch))), this.stateCount);
    const output = this.returnSequences
      ? timeToBatchMajor(new Float32Array(await this.ctx.read(run.buffers.hseq, batch * steps * this.units * 4)), batch, steps, this.units)
      : finalStates[0].slice();
    return { output, states: finalStates };
  }

  /**
   * Backpropagates through the last forward(): `dOutput` has the output's shape; `dStates` (one
   * [batch, units] array per state) is the gradient arriving at the final states. Returns the gradients
   * of the weights (Keras layout), the input and the initial states.
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
    if (this.returnSequences) this.ctx.write(run.buffers.dhseq, batchToTimeMajor(dOutput, batch, steps, this.units));
    else for (let i = 0; i < dFinal[0].length; i++) dFinal[0][i] += dOutput[i];
    this.ctx.write(run.buffers.dsT, concat(dFinal));
    run.backward.run();
    const weights = await this.getGradients();
    const input = timeToBatchMajor(new Float32Array(await this.ctx.read(run.dx, batch * steps * this.inputSize * 4)), batch, steps, this.inputSize);
    const initialState = split(new Float32Array(await this.ctx.read(run.buffers.ds0, this.stateBytes(batch))), this.stateCount);
    return { weights, input, initialState };
  }

  /** Dispatches recorded by the standalone forward and backward plans of a shape (for tests and tuning). */
  async dispatchCounts(batch: number, steps: number): Promise<{
    /** Dispatches of forward(). */
    forward: number;
    /** Dispatches of backward(). */
    backward: number;
  }> {
    const run = await this.standaloneShape(batch, steps);
    return { forward: run.forward.dispatchCount, backward: run.backward.dispatchCount };
  }

  private assertOneDirection(what: string): void {
    if (this.directions !== 1) throw new WebRnnError(`${this.name}.${what}: the standalone API runs one direction; use a model for a Bidirectional layer`);
  }

  private checkStates(what: string, states: ArrayLike<number>[] | undefined, batch: number): Float32Array[] {
    const size = batch * this.units;
    const count = this.stateCount;
    if (states === undefined) return Array.from({ length: count }, () => new Float32Array(size));
    if (!Array.isArray(states) || states.length !== count) {
      throw new ShapeError(`${this.name} ${what}: expected ${count} arrays ([${this.stateNames.join(', ')}]), got ${Array.isArray(states) ? states.length : typeof states}`);
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
    let forward: Plan | undefined;
    try {
      forward = new Plan(this.ctx, `${this.name}.forward`, await this.forwardSteps(buffers, x));
      const backward = new Plan(this.ctx, `${this.name}.backward`, [
        ...this.clearGradientSteps(),
        ...(await this.backwardSteps(buffers, x, dx, { sequenceGradient: this.returnSequences })),
      ]);
      const shape = { buffers, x, dx, forward, backward, ranForward: false };
      this.shapes.set(key, shape);
      return shape;
    } catch (error) {
      forward?.dispose();
      this.destroyBuffers(buffers);
      this.ctx.destroyBuffer(x);
      this.ctx.destroyBuffer(dx);
      throw error;
    }
  }

  protected releaseBuffers(): void {
    for (const shape of this.shapes.values()) {
      shape.forward.dispose();
      shape.backward.dispose();
      this.destroyBuffers(shape.buffers);
      this.ctx.destroyBuffer(shape.x);
      this.ctx.destroyBuffer(shape.dx);
    }
    this.shapes.clear();
    this.lastShape = null;
  }
}

function concat(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function split(all: Float32Array, parts: number): Float32Array[] {
  const size = all.length / parts;
  return Array.from({ length: parts }, (_, i) => all.slice(i * size, (i + 1) * size));
}
