// The Optimizer interface and what Adam, SGD and RMSprop share: the per-step uniform (learning rate),
// gradient clipping (Keras global_clipnorm / clipvalue), the state buffers' lifetime, and hyperparameter
// checks, and the non-finite guard. One update dispatch covers a model's whole parameter buffer
// (shaders/optimizer.wgsl), so a training step adds two dispatches: the global-norm reduction (for
// clipping by norm, and for the guard: a step whose gradients are not all finite changes nothing) and
// the update.

import { GpuContext } from '../gpu/context.js';
import { DisposedError, ShapeError } from '../gpu/errors.js';
import type { KernelRegistry, KernelSpec, Step } from '../gpu/kernel-registry.js';
import { grid1d } from '../kernels/grid.js';

/** The optimizers by name: what `compile({ optimizer })` and {@link createOptimizer} take. */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** What an optimizer updates: values and gradients in two buffers of one layout (a ParameterStore). */
export interface ParameterBuffers {
  /** The parameters' values. */
  readonly valueBuffer: GPUBuffer;
  /** Their gradients, in the same layout. */
  readonly gradientBuffer: GPUBuffer;
  /** Bytes of each buffer that hold parameters, alignment padding included (a multiple of 4). */
  readonly byteLength: number;
  /** Label prefix of the optimizer's own buffers. */
  readonly label: string;
}

/** Gradient clipping, as Keras' optimizers take it (at most one of the two). */
export interface ClipOptions {
  /** Scale all gradients together so their global L2 norm is at most this (Keras global_clipnorm). */
  clipNorm?: number;
  /** Clamp every gradient to [-clipValue, clipValue] (Keras clipvalue). */
  clipValue?: number;
}

/** Options every optimizer takes. */
export interface OptimizerOptions extends ClipOptions {
  /** The learning rate; each optimizer has Keras' default. */
  learningRate?: number;
}

/** What the non-finite guard saw since it was last cleared. */
export interface NonFiniteSteps {
  /** Steps whose gradients held a NaN or an Infinity (and so changed nothing). */
  count: number;
  /** The optimizer step (1-based, as `iterations`) of the first of them; 0 when count is 0. */
  first: number;
}

/**
 * What a non-finite step does to the steps after it: 'stop' (default) makes every later step change
 * nothing too, so the parameters stay those of the last finite step; 'skip' skips only that step.
 */
export type NonFinitePolicy = 'stop' | 'skip';

/**
 * A GPU optimizer: it updates a model's whole parameter buffer in one dispatch per training step
 * (after the gradients' global norm: for clipping, and for the non-finite guard). {@link Adam},
 * {@link SGD} and {@link RMSprop} are the ones webrnn has; pass one to `compile({ optimizer })`.
 */
export interface Optimizer {
  /** Its name ('adam', 'sgd', 'rmsprop'). */
  readonly name: OptimizerName;
  /** The learning rate; a new value takes effect at the next prepareStep(). */
  learningRate: number;
  /** Updates prepared since attach() or reset() (Keras optimizer.iterations). */
  readonly iterations: number;
  /**
   * Creates the optimizer's state (zero-filled) for these parameters. Attaching again (or after
   * dispose()) releases the previous state and starts from step 0.
   */
  attach(ctx: GpuContext, registry: KernelRegistry, store: ParameterBuffers): void;
  /** What a non-finite step does to later ones; read when steps() builds the update. */
  nonFinitePolicy: NonFinitePolicy;
  /** The dispatches of one update: the global-norm reduction, then the update. */
  steps(): Promise<Step[]>;
  /** The non-finite steps since the last clearNonFinite() (one readback). */
  readNonFinite(): Promise<NonFiniteSteps>;
  /** The guard's buffer: [count, first step] as u32 (to read it along with other results in one readback). */
  readonly nonFiniteBuffer: GPUBuffer;
  /** Forgets non-finite steps: with 'stop', updates resume. */
  clearNonFinite(): void;
  /** Sets the step count back (after a 'stop', to the last finite step, so Adam's bias correction continues from there). */
  rewindTo(iterations: number): void;
  /** Advances the step count and writes this step's learning rate; call once before each submit. */
  prepareStep(): void;
  /** Zeroes the state and the step count (the parameters are left as they are). */
  reset(): void;
  /** Releases every buffer the optimizer made; attach() may be called again afterwards. */
  dispose(): void;
}

/** The `dims` of shaders/optimizer.wgsl: the parameter count, clipping, and the hyperparameters. */
export type OptimizerDims = {
  n: number; flags: number; beta1: number; beta2: number; epsilon: number; momentum: number; rho: number; clip_norm: number; clip_value: number;
};
/** The hyperparameters an optimizer sets (the rest of OptimizerDims is filled in here). */
export type Hyperparameters = Partial<Pick<OptimizerDims, 'beta1' | 'beta2' | 'epsilon' | 'momentum' | 'rho'>> & { nesterov?: boolean };

/** The entry point that sums the squares of every gradient (for clipping by norm and the non-finite guard). */
export const gradientNormSquaredSpec: KernelSpec = { files: ['optimizer.wgsl'], entry: 'gradient_norm_squared' };

const FLAG_CLIP_BY_NORM = 1;
const FLAG_CLIP_BY_VALUE = 2;
const FLAG_NESTEROV = 4;
const FLAG_HALT_ON_NON_FINITE = 8;

const UPDATE_WORKGROUP = 64;
// Bytes of the step_params uniform buffer: learning_rate (f32) and step (u32), padded to 16 bytes.
const STEP_PARAMS_BYTES = 16;
const NON_FINITE_BYTES = 8;
const PLACEHOLDER_BYTES = 4;

interface Attachment {
  ctx: GpuContext;
  registry: KernelRegistry;
  store: ParameterBuffers;
  floats: number;
  stepParams: GPUBuffer;
  normSquared: GPUBuffer;
  /** [count, first step] of the non-finite guard, u32. */
  nonFinite: GPUBuffer;
  /** By binding name: N floats of state, or a 4-byte placeholder for an unused binding. */
  state: Record<string, GPUBuffer>;
}

/**
 * Shared plumbing of the GPU optimizers. A subclass names its update entry point, its hyperparameter
 * overrides and its state bindings, and (Adam) how the step's rate follows from the learning rate.
 */
export abstract class GpuOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  /** Clip gradients so their global L2 norm is at most this (Keras global_clipnorm), or undefined. */
  readonly clipNorm: number | undefined;
  /** Clamp every gradient to [-clipValue, clipValue] (Keras clipvalue), or undefined. */
  readonly clipValue: number | undefined;
  private rate: number;
  private step = 0;
  private attachment: Attachment | null = null;
  nonFinitePolicy: NonFinitePolicy = 'stop';
  // Reused for every prepareStep(), so a training step allocates nothing.
  private readonly stepParamsData = new ArrayBuffer(STEP_PARAMS_BYTES);
  private readonly stepParamsView = new DataView(this.stepParamsData);
  private readonly stepParamsBytes = new Uint8Array(this.stepParamsData);

  protected constructor(
    private readonly displayName: string,
    learningRate: number,
    clip: ClipOptions,
  ) {
    checkLearningRate(learningRate, displayName);
    this.rate = learningRate;
    const { clipNorm, clipValue } = clip;
    if (clipNorm !== undefined && clipValue !== undefined) {
      // Keras raises the same: it applies only one kind of clipping.
      throw new ShapeError(`${displayName}: set at most one of clipNorm and clipValue (got ${clipNorm} and ${clipValue})`);
    }
    if (clipNorm !== undefined) checkPositive(clipNorm, `${displayName}: clipNorm`);
    if (clipValue !== undefined) checkPositive(clipValue, `${displayName}: clipValue`);
    this.clipNorm = clipNorm;
    this.clipValue = clipValue;
  }

  /** The update entry point of this optimizer. */
  protected abstract readonly updateSpec: KernelSpec;
  /** Hyperparameters of the update entry point (dims). */
  protected abstract hyperparameters(): Hyperparameters;
  /** State bindings of the update entry point: true where the optimizer keeps N floats, false if unused. */
  protected abstract stateBindings(): Record<string, boolean>;

  /**
   * The rate written to the uniform for step `step` (1-based): the learning rate itself for SGD and
   * RMSprop; Adam folds its bias correction in.
   */
  protected stepRate(step: number): number {
    return this.rate;
  }

  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    checkLearningRate(value, this.displayName);
    this.rate = value;
  }

  get iterations(): number {
    return this.step;
  }

  /** Whether attach() has given it parameters (and it was not disposed since). */
  get attached(): boolean {
    return this.attachment !== null;
  }

  attach(ctx: GpuContext, registry: KernelRegistry, store: ParameterBuffers): void {
    const { byteLength } = store;
    if (!Number.isInteger(byteLength) || byteLength < 4 || byteLength % 4 !== 0) {
      throw new ShapeError(`${this.displayName}.attach: byteLength must be a positive multiple of 4, got ${byteLength}`);
    }
    for (const [what, buffer] of [['valueBuffer', store.valueBuffer], ['gradientBuffer', store.gradientBuffer]] as const) {
      if (buffer.size < byteLength) {
        throw new ShapeError(`${this.displayName}.attach: ${what} '${buffer.label}' has ${buffer.size} bytes, fewer than byteLength ${byteLength}`);
      }
    }
    this.dispose();
    const floats = byteLength / 4;
    const prefix = `${store.label}.${this.name}`;
    const made: GPUBuffer[] = [];
    const make = (buffer: () => GPUBuffer) => {
      const b = buffer();
      made.push(b);
      return b;
    };
    try {
      const stepParams = make(() => ctx.createBuffer(`${prefix}.step_params`, STEP_PARAMS_BYTES, GpuContext.usage.UNIFORM | GpuContext.usage.COPY_DST));
      const normSquared = make(() => ctx.createStorageBuffer(`${prefix}.norm_squared`, 4));
      const nonFinite = make(() => ctx.createStorageBuffer(`${prefix}.non_finite`, NON_FINITE_BYTES));
      const state: Record<string, GPUBuffer> = {};
      for (const [binding, used] of Object.entries(this.stateBindings())) {
        // WebGPU zero-fills new buffers: the state starts at 0, as Keras' slot variables do.
        state[binding] = make(() => ctx.createStorageBuffer(`${prefix}.${binding}`, used ? byteLength : PLACEHOLDER_BYTES));
      }
      this.attachment = { ctx, registry, store, floats, stepParams, normSquared, nonFinite, state };
    } catch (error) {
      for (const buffer of made) ctx.destroyBuffer(buffer);
      throw error;
    }
    this.step = 0;
  }

  async steps(): Promise<Step[]> {
    const { registry, store, floats, stepParams, normSquared, nonFinite, state } = this.requireAttached('steps');
    const label = `${store.label}.${this.name}`;
    const steps: Step[] = [];
    const bytes = store.byteLength;
    const gradients = { buffer: store.gradientBuffer, offset: 0, size: bytes };
    const { nesterov = false, ...hyper } = this.hyperparameters();
    const dims: OptimizerDims = {
      n: floats,
      flags: (this.clipNorm !== undefined ? FLAG_CLIP_BY_NORM : 0) | (this.clipValue !== undefined ? FLAG_CLIP_BY_VALUE : 0) | (nesterov ? FLAG_NESTEROV : 0) |
        (this.nonFinitePolicy === 'stop' ? FLAG_HALT_ON_NON_FINITE : 0),
      beta1: 0, beta2: 0, epsilon: 0, momentum: 0, rho: 0,
      ...hyper,
      clip_norm: this.clipNorm ?? 0,
      clip_value: this.clipValue ?? 0,
    };
    const norm = await registry.kernel<OptimizerDims>(gradientNormSquaredSpec);
    steps.push(norm.step(`${label}.gradient_norm_squared`, { gradients, norm_squared: normSquared }, [1], { dims, bytes: { gradients: bytes, norm_squared: 4 } }));
    const update = await registry.kernel<OptimizerDims>(this.updateSpec);
    const params = { buffer: store.valueBuffer, offset: 0, size: bytes };
    const stateBytes = Object.fromEntries(Object.entries(state).map(([name, buffer]) => [name, buffer.size]));
    steps.push(update.step(`${label}.update`, { params, gradients, step_params: stepParams, norm_squared: normSquared, non_finite: nonFinite, ...state },
      grid1d(floats, UPDATE_WORKGROUP, registry.limits.maxComputeWorkgroupsPerDimension),
      { dims, bytes: { params: bytes, gradients: bytes, norm_squared: 4, non_finite: NON_FINITE_BYTES, ...stateBytes } }));
    return steps;
  }

  prepareStep(): void {
    const { ctx, stepParams } = this.requireAttached('prepareStep');
    this.step++;
    this.stepParamsView.setFloat32(0, this.stepRate(this.step), true);
    this.stepParamsView.setUint32(4, this.step, true);
    ctx.write(stepParams, this.stepParamsBytes);
  }

  async readNonFinite(): Promise<NonFiniteSteps> {
    const { ctx, nonFinite } = this.requireAttached('readNonFinite');
    const [count, first] = new Uint32Array(await ctx.read(nonFinite, NON_FINITE_BYTES));
    return { count, first };
  }

  get nonFiniteBuffer(): GPUBuffer {
    return this.requireAttached('nonFiniteBuffer').nonFinite;
  }

  clearNonFinite(): void {
    const { ctx, nonFinite } = this.requireAttached('clearNonFinite');
    ctx.write(nonFinite, new Uint32Array(2));
  }

  rewindTo(iterations: number): void {
    if (!Number.isInteger(iterations) || iterations < 0 || iterations > this.step) {
      throw new ShapeError(`${this.displayName}.rewindTo: iterations must be an integer in [0, ${this.step}], got ${iterations}`);
    }
    this.step = iterations;
  }

  reset(): void {
    this.step = 0;
    if (!this.attachment) return;
    const { ctx, state, store } = this.attachment;
    ctx.assertUsable();
    const encoder = ctx.device.createCommandEncoder({ label: `${store.label}.${this.name}.reset` });
    for (const buffer of [...Object.values(state), this.attachment.nonFinite]) encoder.clearBuffer(buffer);
    ctx.submit([encoder.finish()]);
  }

  dispose(): void {
    const attachment = this.attachment;
    if (!attachment) return;
    this.attachment = null;
    this.step = 0;
    const { ctx, stepParams, normSquared, nonFinite, state } = attachment;
    for (const buffer of [stepParams, normSquared, nonFinite, ...Object.values(state)]) ctx.destroyBuffer(buffer);
  }

  private requireAttached(what: string): Attachment {
    if (!this.attachment) {
      throw new DisposedError(`${this.displayName}.${what}: the optimizer is not attached to parameters (call attach(), or it was disposed)`);
    }
    return this.attachment;
  }
}

/** Throws unless `options` holds only the named keys (catches Keras spellings such as learning_rate). */
export function checkOptionNames(options: object, known: readonly string[], who: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ShapeError(`${who}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

export function checkLearningRate(value: number, who: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ShapeError(`${who}: learningRate must be a finite number >= 0, got ${value}`);
  }
}

/** value in [0, 1), or [0, 1] with `closed`. */
export function checkUnitInterval(value: number, what: string, closed = false): void {
  const ok = typeof value === 'number' && value >= 0 && (closed ? value <= 1 : value < 1);
  if (!ok) throw new ShapeError(`${what} must be in [0, 1${closed ? ']' : ')'}, got ${value}`);
}

export function checkPositive(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ShapeError(`${what} must be a finite number > 0, got ${value}`);
  }
}
