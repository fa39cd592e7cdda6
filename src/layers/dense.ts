// Dense layer (Keras): y = activation(x . kernel + bias), kernel [in, units], bias [units], applied to
// every row of [N, in] (a sequence [B, T, in] is N = B * T rows).
//
//   forward:  pre = x . kernel + bias (one matmul), y = activation(pre) (one dispatch unless linear)
//   backward: dpre = dy * activation'(..) (unless linear), dKernel += x^T dpre with dBias += colsum(dpre)
//             (one matmul), dx = dpre . kernel^T

import type { GpuContext } from '../gpu/context.js';
import { ShapeError, WebRnnError } from '../gpu/errors.js';
import type { BufferRange, Step } from '../gpu/kernel-registry.js';
import { activationBackwardStep, activationStep, isActivation, type Activation } from '../kernels/activation.js';
import { matmulStep } from '../kernels/matmul.js';
import { Plan } from '../plan/plan.js';
import { initialize, type InitializerSpec } from './initializers.js';
import type { ParameterRange } from './parameters.js';
import { plainWeight, WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';
import { expectFinite, expectLength, expectPositiveInteger } from './validate.js';

/** A Dense layer's configuration (Keras' Dense options, camelCase). */
export interface DenseConfig {
  /** Outputs per row. */
  units: number;
  /** Inputs per row. */
  inputSize: number;
  /** Default 'linear'. */
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Seed of the initializers. Default 0. */
  seed?: number;
  /** Name used in weight names, labels and errors. Default 'dense'. */
  name?: string;
}

/** Buffers of one row count: pre-activation (aliases y when linear), output, and their gradients. */
export interface DenseBuffers {
  /** Rows the buffers hold. */
  readonly rows: number;
  /** Pre-activation [rows, units] (the same buffer as `y` when linear). */
  readonly pre: GPUBuffer;
  /** Output [rows, units]. */
  readonly y: GPUBuffer;
  /** Gradient of the output. */
  readonly dy: GPUBuffer;
  /** Gradient of the pre-activation (the same buffer as `dy` when linear). */
  readonly dpre: GPUBuffer;
}

interface StandaloneRows {
  buffers: DenseBuffers;
  x: GPUBuffer;
  dx: GPUBuffer;
  forward: Plan;
  backward: Plan;
}

/**
 * Keras' Dense layer: y = activation(x . kernel + bias), kernel [inputSize, units], applied to every row
 * of [rows, inputSize] (a sequence [B, T, inputSize] is B * T rows). Make one with {@link Dense.create}.
 */
export class Dense extends WeightLayer {
  /** Outputs per row. */
  readonly units: number;
  /** Inputs per row. */
  readonly inputSize: number;
  /** The activation applied after the matmul ('linear': none). */
  readonly activation: Activation;
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerSpec;
  private readonly biasInitializer: InitializerSpec;
  private readonly shapes = new Map<number, StandaloneRows>();
  private last: StandaloneRows | null = null;

  private constructor(ctx: GpuContext, config: DenseConfig, options: LayerOptions) {
    expectPositiveInteger('dense units', config.units);
    expectPositiveInteger('dense inputSize', config.inputSize);
    const activation = config.activation ?? 'linear';
    if (!isActivation(activation)) throw new ShapeError(`${config.name ?? 'dense'}: unknown activation '${String(activation)}'`);
    super(ctx, config.name ?? 'dense', config.seed ?? 0, options);
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.activation = activation;
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
  }

  /** A Dense layer; standalone it owns its weights (glorot_uniform kernel, zero bias, seeded). */
  static create(ctx: GpuContext, config: DenseConfig, options: LayerOptions = {}): Dense {
    const layer = new Dense(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weights(): LayerWeight[] {
    const weights = [plainWeight('kernel', 'kernel', [this.inputSize, this.units], (seed) => initialize(this.kernelInitializer, [this.inputSize, this.units], seed))];
    if (this.useBias) weights.push(plainWeight('bias', 'bias', [this.units], (seed) => initialize(this.biasInitializer, [this.units], seed + 1)));
    return weights;
  }

  protected get storedParameters(): { name: string; floats: number }[] {
    return this.weights.map((w) => ({ name: w.name, floats: w.shape.reduce((a, b) => a * b, 1) }));
  }

  /**
   * The kernel and bias as one binding range (declared together, so contiguous in the store): `head`
   * starts at the kernel [in, units]; the bias, when the layer has one, is `headBiasOffset` floats in.
   */
  parametersRange(): {
    /** The kernel and the bias. */
    head: ParameterRange;
    /** Floats from the kernel's start to the bias. */
    headBiasOffset?: number;
  } {
    const kernel = this.param('kernel');
    if (!this.useBias) return { head: kernel };
    const bias = this.param('bias');
    return { head: { buffer: kernel.buffer, offset: kernel.offset, size: bias.offset + bias.size - kernel.offset }, headBiasOffset: (bias.offset - kernel.offset) / 4 };
  }

  /** Allocates the activation buffers for `rows` rows (for plans of one's own). */
  createBuffers(rows: number): DenseBuffers {
    expectPositiveInteger(`${this.name} rows`, rows);
    const bytes = rows * this.units * 4;
    const buffer = (what: string) => this.ctx.createStorageBuffer(`${this.name}.${what}`, bytes);
    const linear = this.activation === 'linear';
    return this.ctx.allocating(() => {
      const y = buffer('y');
      const dy = buffer('dy');
      return { rows, y, dy, pre: linear ? y : buffer('pre'), dpre: linear ? dy : buffer('dpre') };
    });
  }

  /** Releases buffers made by createBuffers(). */
  destroyBuffers(buffers: DenseBuffers): void {
    for (const b of new Set([buffers.pre, buffers.y, buffers.dy, buffers.dpre])) this.ctx.destroyBuffer(b);
  }

  /** pre = x . kernel + bias; y = activation(pre) into `output` (default buffers.y). `x` is [rows, inputSize]. */
  async forwardSteps(buffers: DenseBuffers, x: BufferRange, output: BufferRange = buffers.y, label = `${this.name}.forward`): Promise<Step[]> {
    const linear = this.activation === 'linear';
    const steps = [
      await matmulStep(this.registry, label, { M: buffers.rows, K: this.inputSize, N: this.units },
        { a: x, b: this.param('kernel'), c: linear ? output : buffers.pre, bias: this.useBias ? this.param('bias') : undefined }),
    ];
    if (!linear) {
      steps.push(await activationStep(this.registry, `${label}.${this.activation}`, this.activation, buffers.rows, this.units, buffers.pre, output));
    }
    return steps;
  }

  /**
   * From dy: weight gradients added to the store, and dx ([rows, inputSize]) when given (+= with
   * `accumulateInput`). With `gradientAtPreActivation` the gradient is already in dpre (a loss fused with
   * softmax or sigmoid writes it there).
   */
  async backwardSteps(
    buffers: DenseBuffers, x: BufferRange, dx: BufferRange | undefined, gradientAtPreActivation = false, accumulateInput = false,
  ): Promise<Step[]> {
    const label = `${this.name}.backward`;
    const { rows, dpre } = buffers;
    const steps: Step[] = [];
    if (this.activation !== 'linear' && !gradientAtPreActivation) {
      steps.push(await activationBackwardStep(this.registry, `${label}.${this.activation}`, this.activation, rows, this.units, buffers));
    }
    steps.push(await matmulStep(this.registry, `${label}.dkernel`, { M: this.inputSize, K: rows, N: this.units, transA: true, accumulate: true },
      { a: x, b: dpre, c: this.param('kernel', 'gradient'), colsum: this.useBias ? this.param('bias', 'gradient') : undefined }));
    if (dx) {
      steps.push(await matmulStep(this.registry, `${label}.dx`, { M: rows, K: this.units, N: this.inputSize, transB: true, accumulate: accumulateInput },
        { a: dpre, b: this.param('kernel'), c: dx }));
    }
    return steps;
  }

  // ---- standalone API -------------------------------------------------------------------------

  /** y = activation(x . kernel + bias) for x [rows, inputSize]; keeps what backward() needs. */
  async forward(x: ArrayLike<number>, rows: number): Promise<Float32Array> {
    this.assertLive();
    expectPositiveInteger(`${this.name}.forward rows`, rows);
    expectLength(`${this.name}.forward x`, x, rows * this.inputSize, `[${rows}, ${this.inputSize}]`);
    expectFinite(`${this.name}.forward x`, x);
    const run = await this.standalone(rows);
    this.ctx.write(run.x, Float32Array.from(x));
    run.forward.run();
    this.last = run;
    return new Float32Array(await this.ctx.read(run.buffers.y, rows * this.units * 4));
  }

  /** Gradients of [kernel, bias] and of the input, from dy [rows, units] of the last forward(). */
  async backward(dy: ArrayLike<number>): Promise<{
    /** Gradients of [kernel, bias], Keras layout. */
    weights: Float32Array[];
    /** Gradient of the input [rows, inputSize]. */
    input: Float32Array;
  }> {
    this.assertLive();
    const run = this.last;
    if (!run) throw new WebRnnError(`${this.name}.backward: call forward() first`);
    const rows = run.buffers.rows;
    expectLength(`${this.name}.backward dy`, dy, rows * this.units, `[${rows}, ${this.units}]`);
    expectFinite(`${this.name}.backward dy`, dy);
    this.ctx.write(run.buffers.dy, Float32Array.from(dy));
    run.backward.run();
    const weights = await this.getGradients();
    const input = new Float32Array(await this.ctx.read(run.dx, rows * this.inputSize * 4));
    return { weights, input };
  }

  private async standalone(rows: number): Promise<StandaloneRows> {
    const cached = this.shapes.get(rows);
    if (cached) return cached;
    const buffers = this.createBuffers(rows);
    const x = this.ctx.createStorageBuffer(`${this.name}.x`, rows * this.inputSize * 4);
    const dx = this.ctx.createStorageBuffer(`${this.name}.dx`, rows * this.inputSize * 4);
    const run = {
      buffers, x, dx,
      forward: new Plan(this.ctx, `${this.name}.forward`, await this.forwardSteps(buffers, x)),
      backward: new Plan(this.ctx, `${this.name}.backward`, [...this.clearGradientSteps(), ...(await this.backwardSteps(buffers, x, dx))]),
    };
    this.shapes.set(rows, run);
    return run;
  }

  protected releaseBuffers(): void {
    for (const run of this.shapes.values()) {
      run.forward.dispose();
      run.backward.dispose();
      this.destroyBuffers(run.buffers);
      this.ctx.destroyBuffer(run.x);
      this.ctx.destroyBuffer(run.dx);
    }
    this.shapes.clear();
    this.last = null;
  }
}
