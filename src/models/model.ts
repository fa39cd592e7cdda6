// Keras' functional Model: layers applied to input tensors, from inputs to outputs, trained and run on
// the GPU. Data at the boundary is batch-major, as Keras: each input [N, ...its shape] (a list in input
// order, or an object by input name, for several), each target and output likewise.
//
//   const x = layers.input({ shape: [null, 57] });
//   const y = layers.dense({ units: 57, activation: 'softmax' }).apply(layers.lstm({ units: 128 }).apply(x));
//   const model = new Model(gpu, { inputs: x, outputs: y });
//
// Models that share layers (a training model and its inference models) share their weights.

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import { EmbeddingLayer } from '../layers/keras/embedding.js';
import { MaskingLayer } from '../layers/keras/masking.js';
import type { InputLayer } from '../layers/keras/input.js';
import { timeToBatchMajor } from '../layers/layout.js';
import { GraphTraining, sparseTarget } from '../plan/graph-training.js';
import { refuseTraining, type BaseModel, type Dataset } from './base-model.js';
import { sampleSet, timeMajorBatch, type ArrayData, type SequenceSet, type TokenSequences } from './data.js';
import type { SamplingOptions } from '../kernels/sampling-options.js';
import type { DecodeOptions } from '../plan/decode-plan.js';
import type { GenerationChain } from './text-generation.js';
import { GraphModel } from './graph-model.js';

export { GraphModel, DEFERRED, type ModelConfig, type LargestBuffer, type BufferLimits } from './graph-model.js';

/** An array and its shape (batch first), as predict returns it. */
export interface ArrayResult {
  /** Row-major values. */
  data: Float32Array;
  /** Batch first. */
  shape: number[];
}

/** Class ids and their shape (batch first), as predictClasses returns them. */
export interface ClassResult {
  /** One class id per row. */
  data: Int32Array;
  /** Batch first (the class axis reduced away). */
  shape: number[];
}

/** What Model.generate takes besides the prompts. */
export interface TextGenerationOptions {
  /** Tokens to generate after each prompt. */
  steps: number;
  /** The token that ends a text (later positions hold it); none by default. */
  endToken?: number;
  /** Draw the tokens instead of taking the argmax: temperature, topK, topP, seed. */
  sampling?: Partial<SamplingOptions>;
  /** The one-dispatch loop (one recurrent layer that fits a workgroup), a plan of steps, or 'auto' (default). */
  strategy?: DecodeOptions['strategy'];
  /** Rejects the call when aborted (a submitted decode finishes first). */
  signal?: AbortSignal;
}

/** Several inputs (or targets): a list in model order, or an object by input (output) layer name. */
export type ModelData = ArrayData | ArrayData[] | Record<string, ArrayData>;

/** Keras' functional Model: layers applied to input tensors, from inputs to outputs. */
export class Model extends GraphModel {
  private readonly predictPlans = new Map<string, GraphTraining>();
  private generation?: GenerationChain;

  /** Samples of every input, in input order. */
  private inputSets(x: unknown, what: string): SequenceSet[] {
    const inputs = this.graph.inputs;
    const values = spread(x as ModelData, inputs.map((t) => t.layer.name), `${what} x`, 'input');
    const sets = inputs.map((t, i) => {
      const layer = t.layer as InputLayer;
      const consumers = this.graph.consumers(t).map((n) => n.layer);
      const embedding = consumers.find((l): l is EmbeddingLayer => l instanceof EmbeddingLayer);
      const tokens = layer.outputKind() === 'int32' ? { vocabSize: embedding?.inputDim } : undefined;
      // Sequences of different lengths are padded with what their mask takes for padding.
      const masking = consumers.find((l): l is MaskingLayer => l instanceof MaskingLayer);
      const pad = embedding?.maskZero ? 0 : masking?.maskValue;
      return sampleSet(values[i], `${what} input '${layer.name}'`, layer.shape, { sequence: layer.sequence, tokens, pad });
    });
    sets.forEach((s, i) => {
      if (s.count !== sets[0].count) throw new ShapeError(`${what}: input '${inputs[i].layer.name}' has ${s.count} samples, input '${inputs[0].layer.name}' ${sets[0].count}`);
    });
    return sets;
  }

  protected dataset(x: unknown, y: unknown, what: string): Dataset {
    const inputs = this.inputSets(x, what);
    const losses = this.requireLosses(what);
    const outputs = this.graph.outputs;
    const shapes = this.outputShapes(inputs);
    const values = spread(y as ModelData, outputs.map((t) => t.layer.name), `${what} y`, 'output');
    const targets = outputs.map((t, i) => {
      const sparse = sparseTarget(losses[i]);
      const shape = shapes[i];
      const perSample = sparse ? shape.slice(0, -1) : shape;
      const who = `${what} target of output '${t.layer.name}'`;
      const sequence = shape.length > 1;
      // Targets of different lengths (of a masked output sequence: checked when its plans are made) are
      // padded; the padding weighs nothing.
      const set = sampleSet(values[i], who, perSample.length === 0 ? [1] : perSample.map((d, k) => (k === 0 && sequence ? null : d)), {
        sequence, tokens: sparse ? { vocabSize: shape[shape.length - 1], allowed: losses[i].maskToken } : undefined, pad: losses[i].maskToken ?? 0,
      });
      if (sequence && set.steps !== shape[0]) {
        throw new ShapeError(`${who}: expected shape [samples, ${perSample.join(', ')}] (the output's steps), got ${set.count} samples of ${set.steps} steps`);
      }
      if (set.count !== inputs[0].count) throw new ShapeError(`${what}: x has ${inputs[0].count} samples but the target of '${t.layer.name}' has ${set.count}`);
      return set;
    });
    return { inputs, targets };
  }

  /**
   * Text generation from a language model (input -> [Embedding] -> recurrent layers -> Dense over the
   * vocabulary, dropout layers between; a model without an Embedding reads one-hot vectors): the prompts
   * (token ids [N, T], one-hot models too) prime the recurrent layers, then `steps` tokens are generated,
   * each fed back as the next input: the argmax of the logits, or with `sampling` a draw from
   * softmax(logits / temperature) cut to topK and the topP nucleus from a seeded generator (the same
   * seed, the same text; a fresh seed per call without one). A row that emits `endToken` keeps emitting
   * it. All on the GPU, one submit and one readback per call. Returns the generated ids [N, steps].
   */
  async generate(prompt: TokenSequences, options: TextGenerationOptions): Promise<{
    /** The generated token ids, batch-major. */
    data: Int32Array;
    /** [N, steps]. */
    shape: [number, number];
  }> {
    this.assertLive();
    const { generationChain, generationRequest } = await import('./text-generation.js');
    this.generation ??= generationChain(this.ctx, this.registry, this.graph, `Model '${this.name}'`);
    const { set, decode, sampling } = generationRequest(this.generation, prompt, options);
    const data = (await this.decode(this.generation.chain, set, decode, options.signal, sampling)).data as Int32Array;
    return { data, shape: [set.count, options.steps] };
  }

  /**
   * The outputs for inputs x (batch-major, as Keras): one { data, shape } per output, a list when the
   * model has several. One submit and one readback per batch of `batchSize` (default 32).
   */
  async predict(x: ModelData, options: { batchSize?: number } = {}): Promise<ArrayResult | ArrayResult[]> {
    const results = (await this.predictOutputs(x, options)) as ArrayResult[];
    return results.length === 1 ? results[0] : results;
  }

  /**
   * The class of every row of every output, found on the GPU (argmax over the last axis; an output of
   * one value, a sigmoid's probability, is class 1 above 0.5): [N, ...] ids without the class axis.
   */
  async predictClasses(x: ModelData, options: { batchSize?: number } = {}): Promise<ClassResult | ClassResult[]> {
    const results = (await this.predictOutputs(x, { ...options, classes: true })) as ClassResult[];
    return results.length === 1 ? results[0] : results;
  }

  /** Model.predict: the outputs for inputs x, batch-major; with `classes`, each row's class. */
  protected async predictOutputs(x: ModelData, options: { batchSize?: number; classes?: boolean } = {}): Promise<ArrayResult[] | ClassResult[]> {
    this.assertLive();
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ShapeError(`predict: batchSize must be a positive integer, got ${batchSize}`);
    const inputs = this.inputSets(x, 'predict');
    const count = inputs[0].count;
    const shapes = this.outputShapes(inputs);
    const classes = options.classes ?? false;
    // Classes: one id per row (the last axis reduced); a one-value output thresholded at 0.5.
    const resultShapes = shapes.map((shape) => (classes ? shape.slice(0, -1) : shape));
    const results = resultShapes.map((shape) => {
      const size = count * shape.reduce((a, b) => a * b, 1);
      return { data: classes ? new Int32Array(size) : new Float32Array(size), shape: [count, ...shape] };
    });
    for (let start = 0; start < count; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const plan = this.predictPlan(indices.length, inputs);
      plan.run.upload(inputs.map((s) => timeMajorBatch(s, indices)));
      const outputs = await plan.predict(classes);
      outputs.forEach((raw, i) => {
        const values = classes && raw instanceof Float32Array ? Int32Array.from(raw, (p) => (p > 0.5 ? 1 : 0)) : raw;
        const steps = shapes[i].length > 1 ? shapes[i][0] : 1;
        const perSample = values.length / indices.length;
        // Time-major [T, B, ...] to batch-major (class ids are exact in f32 below 2^24).
        const batchMajor = steps > 1 ? timeToBatchMajor(values, indices.length, steps, perSample / steps) : values;
        results[i].data.set(batchMajor, start * perSample);
      });
    }
    return results as ArrayResult[] | ClassResult[];
  }

  private predictPlan(batch: number, inputs: readonly SequenceSet[]): GraphTraining {
    const shapes = this.inputShapes(inputs);
    const key = `${batch}:${shapes.map((s) => s.join('x')).join(':')}`;
    let plan = this.predictPlans.get(key);
    if (!plan) {
      this.checkShape('predict', batch, shapes);
      plan = this.ctx.allocating(() => new GraphTraining(this.ctx, this.registry, this.graph, batch, shapes, null, [], `${this.name}.predict`));
      this.predictPlans.set(key, plan);
    }
    return plan;
  }

  /**
   * This model (or Sequential) read back from its own config (toConfig, then fromConfig), refusing training
   * as this one does. The config code is imported when called: it builds Models, so a static import would
   * be a cycle; and here, not in GraphModel, a bundle without Model (Seq2Seq only) leaves it out.
   */
  protected override rebuild(ctx: GpuContext): BaseModel | Promise<BaseModel> {
    return import('./keras/index.js').then(({ fromConfig, toConfig }) => {
      const refusal = this.trainingRefusal();
      const model = fromConfig(ctx, toConfig(this), { seed: this.seed, ignoreTrainingOnlySettings: refusal === undefined });
      refuseTraining(model, refusal);
      return model;
    });
  }

  protected override releaseExtras(): void {
    super.releaseExtras();
    // Also runs when the graph fails to build, inside the base constructor, before this class's fields exist.
    for (const plan of this.predictPlans?.values() ?? []) plan.dispose();
    this.predictPlans?.clear();
    this.generation?.oneHot?.dispose();
    if (this.generation) this.generation = undefined;
  }
}

/** x or y for several inputs (outputs): a list in order, an object by name, or one array for a single one. */
function spread(value: ModelData, names: readonly string[], what: string, noun: string): ArrayData[] {
  if (names.length === 1) {
    if (Array.isArray(value) && value.length === 1 && isArrayData(value[0]) && !isNumberTree(value)) return [value[0]];
    if (value && typeof value === 'object' && !Array.isArray(value) && !('data' in value) && names[0] in value) return [(value as Record<string, ArrayData>)[names[0]]];
    return [value as ArrayData];
  }
  if (Array.isArray(value)) {
    if (value.length !== names.length) throw new ShapeError(`${what}: the model has ${names.length} ${noun}s (${names.join(', ')}), got ${value.length} arrays`);
    return value as ArrayData[];
  }
  if (value && typeof value === 'object' && !('data' in value)) {
    return names.map((n) => {
      const v = (value as Record<string, ArrayData>)[n];
      if (v === undefined) throw new ShapeError(`${what}: no data for ${noun} '${n}'`);
      return v;
    });
  }
  throw new ShapeError(`${what}: the model has ${names.length} ${noun}s (${names.join(', ')}): give a list or an object by name`);
}

function isArrayData(v: unknown): boolean {
  return Array.isArray(v) || (typeof v === 'object' && v !== null && 'data' in v);
}

/** A list of one {data, shape} is one input's data; a nested number array is data itself. */
function isNumberTree(v: unknown[]): boolean {
  let x: unknown = v;
  while (Array.isArray(x)) x = x[0];
  return typeof x === 'number';
}
