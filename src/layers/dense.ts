// Dense layer (Keras): y = activation(x . kernel + bias), kernel [in, units], bias [units], applied to
// every row of [N, in] (a sequence [B, T, in] is N = B * T rows).
//
//   forward:  pre = x . kernel + bias (one matmul), y = activation(pre) (one dispatch unless linear)
//   backward: dpre = dy * activation'(..) (unless linear), dKernel = x^T dpre with dBias = colsum(dpre)
//             (one matmul), dx = dpre . kernel^T

import type { GpuContext } from '../gpu/context.js';
import { ShapeError, WebRnnError } from '../gpu/errors.js';
import type { BufferRange, Step } from '../gpu/kernel-registry.js';
import { activationBackwardStep, activationStep, ACTIVATIONS, type Activation } from '../kernels/activation.js';
import { matmulColsumStep, matmulStep } from '../kernels/matmul.js';
import { Plan } from '../plan/plan.js';
import { glorotUniform } from './initializers.js';
import { WeightLayer, type LayerOptions } from './weight-layer.js';
import { expectFinite, expectLength, expectPositiveInteger } from './validate.js';

export interface DenseConfig {
  units: number;
  inputSize: number;
  /** Default 'linear'. */
  activation?: Activation;
  seed?: number;
  name?: string;
}

/** Buffers of one row count: pre-activation (aliases y when linear), output, and their gradients. */
export interface DenseBuffers {
  readonly rows: number;
  readonly pre: GPUBuffer;
  readonly y: GPUBuffer;
  readonly dy: GPUBuffer;
  readonly dpre: GPUBuffer;
}

interface StandaloneRows {
  buffers: DenseBuffers;
  x: GPUBuffer;
  dx: GPUBuffer;
  forward: Plan;
  backward: Plan;
}

export class Dense extends WeightLayer {
  readonly units: number;
  readonly inputSize: number;
  readonly activation: Activation;
  private readonly shapes = new Map<number, StandaloneRows>();
  private last: StandaloneRows | null = null;

  private constructor(ctx: GpuContext, config: DenseConfig, options: LayerOptions) {
    expectPositiveInteger('dense units', config.units);
    expectPositiveInteger('dense inputSize', config.inputSize);
    const activation = config.activation ?? 'linear';
    if (!(activation in ACTIVATIONS)) {
      throw new ShapeError(`dense activation must be one of ${Object.keys(ACTIVATIONS).join(', ')}, got '${activation}'`);
    }
    super(ctx, config.name ?? 'dense', config.seed ?? 0, options);
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.activation = activation;
  }

  /** A Dense layer; standalone it owns its weights (glorot_uniform kernel, zero bias, seeded). */
  static create(ctx: GpuContext, config: DenseConfig, options: LayerOptions = {}): Dense {
    const layer = new Dense(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weightNames(): string[] {
    return [`${this.name}.kernel`, `${this.name}.bias`];
  }

  get weightShapes(): number[][] {
    return [[this.inputSize, this.units], [this.units]];
  }

  protected get weightLabels(): string[] {
    return ['kernel', 'bias'];
  }

  initialize(): void {
    this.setWeights([glorotUniform(this.inputSize, this.units, this.seed), new Float32Array(this.units)]);
  }

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

  destroyBuffers(buffers: DenseBuffers): void {
    for (const b of new Set([buffers.pre, buffers.y, buffers.dy, buffers.dpre])) this.ctx.destroyBuffer(b);
  }

  /** pre = x . kernel + bias; y = activation(pre) into `output` (default buffers.y). `x` is [rows, inputSize]. */
  async forwardSteps(buffers: DenseBuffers, x: BufferRange, output: BufferRange = buffers.y, label = `${this.name}.forward`): Promise<Step[]> {
    const [kernel, bias] = this.weightNames;
    const linear = this.activation === 'linear';
    const steps = [
      await matmulStep(this.registry, label, { M: buffers.rows, K: this.inputSize, N: this.units },
        x, this.parameters.value(kernel), linear ? output : buffers.pre, this.parameters.value(bias)),
    ];
    if (!linear) {
      steps.push(await activationStep(this.registry, `${label}.${this.activation}`, this.activation, buffers.rows, this.units, buffers.pre, output));
    }
    return steps;
  }

  /**
   * From dy: weight gradients into the store, and dx ([rows, inputSize]) when given. With
   * `gradientAtPreActivation` the gradient is already in dpre (a loss fused with softmax writes it there).
   */
  async backwardSteps(buffers: DenseBuffers, x: BufferRange, dx: BufferRange | undefined, gradientAtPreActivation = false): Promise<Step[]> {
    const [kernel, bias] = this.weightNames;
    const label = `${this.name}.backward`;
    const { rows, dpre } = buffers;
    const steps: Step[] = [];
    if (this.activation !== 'linear' && !gradientAtPreActivation) {
      steps.push(await activationBackwardStep(this.registry, `${label}.${this.activation}`, this.activation, rows, this.units, buffers));
    }
    const p = this.parameters;
    steps.push(await matmulColsumStep(this.registry, `${label}.dkernel_dbias`, { M: this.inputSize, K: rows, N: this.units, transA: true }, x, dpre,
      p.gradient(kernel), p.gradient(bias)));
    if (dx) steps.push(await matmulStep(this.registry, `${label}.dx`, { M: rows, K: this.units, N: this.inputSize, transB: true }, dpre, p.value(kernel), dx));
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
  async backward(dy: ArrayLike<number>): Promise<{ weights: Float32Array[]; input: Float32Array }> {
    this.assertLive();
    const run = this.last;
    if (!run) throw new WebRnnError(`${this.name}.backward: call forward() first`);
    const rows = run.buffers.rows;
    expectLength(`${this.name}.backward dy`, dy, rows * this.units, `[${rows}, ${this.units}]`);
    expectFinite(`${this.name}.backward dy`, dy);
    this.ctx.write(run.buffers.dy, Float32Array.from(dy));
    run.backward.run();
    const weights = await Promise.all(this.weightNames.map((name) => this.parameters.read(name, 'gradient')));
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
      backward: new Plan(this.ctx, `${this.name}.backward`, await this.backwardSteps(buffers, x, dx)),
    };
    this.shapes.set(rows, run);
    return run;
  }

  protected releaseBuffers(): void {
    for (const run of this.shapes.values()) {
      this.destroyBuffers(run.buffers);
      this.ctx.destroyBuffer(run.x);
      this.ctx.destroyBuffer(run.dx);
    }
    this.shapes.clear();
    this.last = null;
  }
}
