// Embedding layer (Keras): integer ids [N] -> rows of a table [vocab, dim]. Initialized uniform in
// [-0.05, 0.05] as Keras. Ids are checked on the host (they come from the host in training).

import type { GpuContext } from '../gpu/context.js';
import { ShapeError, WebRnnError } from '../gpu/errors.js';
import type { Step } from '../gpu/kernel-registry.js';
import { gatherStep, groupRowsById, scatterAddStep } from '../kernels/embedding.js';
import { Plan } from '../plan/plan.js';
import { initialize, type InitializerSpec } from './initializers.js';
import { plainWeight, WeightLayer, type LayerOptions, type LayerWeight } from './weight-layer.js';
import { expectFinite, expectLength, expectPositiveInteger } from './validate.js';

/** An Embedding layer's configuration (Keras' Embedding options, camelCase). */
export interface EmbeddingConfig {
  /** Token ids are integers in [0, vocabSize). */
  vocabSize: number;
  /** Floats per embedding vector. */
  outputDim: number;
  /** Default 'random_uniform' in [-0.05, 0.05], as Keras. */
  embeddingsInitializer?: InitializerSpec;
  /** Seed of the initializer. Default 0. */
  seed?: number;
  /** Name used in weight names, labels and errors. Default 'embedding'. */
  name?: string;
}

/** Buffers of one row count: ids, the looked-up rows, their gradient, and the ids' grouping for the table's gradient. */
export interface EmbeddingBuffers {
  /** Ids (rows) the buffers hold. */
  readonly rows: number;
  /** Token ids [rows] (i32). */
  readonly ids: GPUBuffer;
  /** Looked-up vectors [rows, outputDim]. */
  readonly out: GPUBuffer;
  /** Gradient of `out`. */
  readonly dout: GPUBuffer;
  /** Per id, where its rows start in `rowsById` [vocabSize + 1]. */
  readonly rowStart: GPUBuffer;
  /** Row indices grouped by id [rows]. */
  readonly rowsById: GPUBuffer;
}

/**
 * Keras' Embedding layer: token ids [rows] -> rows of a table [vocabSize, outputDim], initialized uniform
 * in [-0.05, 0.05] as Keras does. Make one with {@link Embedding.create}.
 */
export class Embedding extends WeightLayer {
  /** Token ids are integers in [0, vocabSize). */
  readonly vocabSize: number;
  /** Floats per embedding vector. */
  readonly outputDim: number;
  private readonly embeddingsInitializer: InitializerSpec;
  private readonly shapes = new Map<number, { buffers: EmbeddingBuffers; forward: Plan; backward: Plan }>();
  private last: { buffers: EmbeddingBuffers; backward: Plan } | null = null;

  private constructor(ctx: GpuContext, config: EmbeddingConfig, options: LayerOptions) {
    expectPositiveInteger('embedding vocabSize', config.vocabSize);
    expectPositiveInteger('embedding outputDim', config.outputDim);
    super(ctx, config.name ?? 'embedding', config.seed ?? 0, options);
    this.vocabSize = config.vocabSize;
    this.outputDim = config.outputDim;
    this.embeddingsInitializer = config.embeddingsInitializer ?? 'random_uniform';
  }

  /** An Embedding layer; standalone (no `options.parameters`) it owns its weights, seeded. */
  static create(ctx: GpuContext, config: EmbeddingConfig, options: LayerOptions = {}): Embedding {
    const layer = new Embedding(ctx, config, options);
    layer.setUpStandalone();
    return layer;
  }

  get weights(): LayerWeight[] {
    return [plainWeight('embeddings', 'embeddings', [this.vocabSize, this.outputDim], (seed) => initialize(this.embeddingsInitializer, [this.vocabSize, this.outputDim], seed))];
  }

  protected get storedParameters(): { name: string; floats: number }[] {
    return [{ name: 'embeddings', floats: this.vocabSize * this.outputDim }];
  }

  /** Throws unless every id is an integer in [0, vocabSize). */
  checkIds(what: string, ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new ShapeError(`${what}: token id ${id} at position ${i} is out of range [0, ${this.vocabSize})`);
      }
    }
  }

  /** Allocates the buffers for `rows` ids (for plans of one's own). */
  createBuffers(rows: number): EmbeddingBuffers {
    expectPositiveInteger(`${this.name} rows`, rows);
    const label = (what: string) => `${this.name}.${what}`;
    return this.ctx.allocating(() => ({
      rows,
      ids: this.ctx.createStorageBuffer(label('ids'), rows * 4),
      out: this.ctx.createStorageBuffer(label('out'), rows * this.outputDim * 4),
      dout: this.ctx.createStorageBuffer(label('dout'), rows * this.outputDim * 4),
      rowStart: this.ctx.createStorageBuffer(label('row_start'), (this.vocabSize + 1) * 4),
      rowsById: this.ctx.createStorageBuffer(label('rows_by_id'), rows * 4),
    }));
  }

  /** Releases buffers made by createBuffers(). */
  destroyBuffers(buffers: EmbeddingBuffers): void {
    for (const b of [buffers.ids, buffers.out, buffers.dout, buffers.rowStart, buffers.rowsById]) this.ctx.destroyBuffer(b);
  }

  /** Uploads a batch of ids (checked) and their grouping for the gradient. */
  writeIds(buffers: EmbeddingBuffers, ids: ArrayLike<number>, what = `${this.name} ids`): void {
    expectLength(what, ids, buffers.rows, `[${buffers.rows}]`);
    this.checkIds(what, ids);
    const { rowStart, rowsById } = groupRowsById(ids, this.vocabSize);
    this.ctx.write(buffers.ids, Int32Array.from(ids));
    this.ctx.write(buffers.rowStart, rowStart);
    this.ctx.write(buffers.rowsById, rowsById);
  }

  /** The forward dispatch: gathers the rows of `buffers.ids` into `buffers.out`. */
  forwardSteps(buffers: EmbeddingBuffers): Promise<Step[]> {
    return gatherStep(this.registry, `${this.name}.forward`, buffers.rows, this.vocabSize, this.outputDim,
      buffers.ids, this.param('embeddings'), buffers.out).then((s) => [s]);
  }

  /** The backward dispatch: adds `buffers.dout` into the table's gradient, row by id. */
  backwardSteps(buffers: EmbeddingBuffers): Promise<Step[]> {
    return scatterAddStep(this.registry, `${this.name}.backward`, buffers.rows, this.vocabSize, this.outputDim, {
      dout: buffers.dout, rowStart: buffers.rowStart, rowsById: buffers.rowsById, dtable: this.param('embeddings', 'gradient'),
    }, true).then((s) => [s]);
  }

  /** Looks up `ids` ([rows] integers in [0, vocabSize)); returns [rows, outputDim]. */
  async forward(ids: ArrayLike<number>): Promise<Float32Array> {
    this.assertLive();
    const rows = ids.length;
    expectPositiveInteger(`${this.name}.forward number of ids`, rows);
    this.checkIds(`${this.name}.forward ids`, ids);
    const run = await this.standalone(rows);
    this.writeIds(run.buffers, ids, `${this.name}.forward ids`);
    run.forward.run();
    this.last = run;
    return new Float32Array(await this.ctx.read(run.buffers.out, rows * this.outputDim * 4));
  }

  /** Gradient of the table from dOut [rows, outputDim] of the last forward(). */
  async backward(dOut: ArrayLike<number>): Promise<{
    /** Gradient of the table [vocabSize, outputDim]. */
    weights: Float32Array[];
  }> {
    this.assertLive();
    const run = this.last;
    if (!run) throw new WebRnnError(`${this.name}.backward: call forward() first`);
    expectLength(`${this.name}.backward dOut`, dOut, run.buffers.rows * this.outputDim, `[${run.buffers.rows}, ${this.outputDim}]`);
    expectFinite(`${this.name}.backward dOut`, dOut);
    this.ctx.write(run.buffers.dout, Float32Array.from(dOut));
    run.backward.run();
    return { weights: await this.getGradients() };
  }

  private async standalone(rows: number) {
    const cached = this.shapes.get(rows);
    if (cached) return cached;
    const buffers = this.createBuffers(rows);
    const run = {
      buffers,
      forward: new Plan(this.ctx, `${this.name}.forward`, await this.forwardSteps(buffers)),
      backward: new Plan(this.ctx, `${this.name}.backward`, [...this.clearGradientSteps(), ...(await this.backwardSteps(buffers))]),
    };
    this.shapes.set(rows, run);
    return run;
  }

  protected releaseBuffers(): void {
    for (const run of this.shapes.values()) {
      run.forward.dispose();
      run.backward.dispose();
      this.destroyBuffers(run.buffers);
    }
    this.shapes.clear();
    this.last = null;
  }
}
