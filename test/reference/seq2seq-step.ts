// A whole seq2seq training step in float64: (embedding) -> encoder cell -> decoder cell started from the
// encoder's final state -> Dense head -> loss, backward through all of it, then Adam. Weights in Keras
// layout, in the order a webrnn model's getWeights() lists them. Data batch-major, as the reference layers.

import { denseBackward, denseForward } from './dense.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { meanSquaredError, sparseSoftmaxCrossEntropy } from './losses.js';
import { REFERENCE_CELLS } from './cells/index.js';
import { adamUpdate, createAdamState, type AdamState } from './optimizers.js';
import { recurrentBackward, recurrentForward, type RecurrentGradients } from './recurrent.js';

export interface Seq2SeqStepSpec {
  cell: 'lstm' | 'gru' | 'simple_rnn';
  units: number;
  /** Token inputs with an embedding of this size (vocab = sourceVocab / targetVocab); else numeric. */
  embedding?: { sourceVocab: number; targetVocab: number; dim: number };
  /** Numeric input features (without embedding). */
  inputSize?: number;
  headUnits: number;
  loss: 'mse' | 'sparse_categorical_crossentropy';
}

export interface Seq2SeqBatch {
  batch: number;
  sourceSteps: number;
  targetSteps: number;
  source: Float64Array | Int32Array;
  decoderInput: Float64Array | Int32Array;
  /** mse: [B, Tt, headUnits]; cross-entropy: ids [B, Tt]. */
  target: Float64Array | Int32Array;
  /** Cross-entropy: 1 for real positions, 0 for padding, [B, Tt]. */
  mask?: Float64Array;
}

/** Runs forward and backward; returns the loss and the gradients in weights order. */
export function seq2seqGradients(spec: Seq2SeqStepSpec, weights: Float64Array[], data: Seq2SeqBatch): { loss: number; grads: Float64Array[] } {
  const { batch: B, sourceSteps: Ts, targetSteps: Tt } = data;
  let k = 0;
  const encTable = spec.embedding ? weights[k++] : undefined;
  const enc = { kernel: weights[k++], recurrentKernel: weights[k++], bias: weights[k++] };
  const decTable = spec.embedding ? weights[k++] : undefined;
  const dec = { kernel: weights[k++], recurrentKernel: weights[k++], bias: weights[k++] };
  const head = { kernel: weights[k++], bias: weights[k++] };

  const xs = encTable ? embeddingForward(encTable, spec.embedding!.sourceVocab, data.source as Int32Array) : (data.source as Float64Array);
  const xd = decTable ? embeddingForward(decTable, spec.embedding!.targetVocab, data.decoderInput as Int32Array) : (data.decoderInput as Float64Array);
  const U = spec.units;

  let grads: Float64Array[];
  let loss: number;
  const cell = REFERENCE_CELLS[spec.cell];
  const e = recurrentForward(cell, enc, xs, B, Ts);
  const d = recurrentForward(cell, dec, xd, B, Tt, { returnSequences: true, initialState: e.states });
  const h = denseForward(head, d.output, B * Tt, 'linear');
  const l = lossOf(spec, h.output, data);
  loss = l.loss;
  const gh = denseBackward(head, d.output, h, l.grad);
  const gd = recurrentBackward(cell, dec, xd, d, gh.dx);
  const ge = recurrentBackward(cell, enc, xs, e, new Float64Array(B * U), gd.dInitialState);
  const weightGrads = (g: RecurrentGradients) => [g.dKernel, g.dRecurrentKernel, g.dBias!];
  grads = collect(spec, data, ge.dx, weightGrads(ge), gd.dx, weightGrads(gd), [gh.dKernel, gh.dBias]);
  return { loss, grads };
}

function lossOf(spec: Seq2SeqStepSpec, output: Float64Array, data: Seq2SeqBatch) {
  if (spec.loss === 'mse') return meanSquaredError(output, data.target as Float64Array);
  return sparseSoftmaxCrossEntropy(output, data.target as Int32Array, data.batch * data.targetSteps, spec.headUnits, data.mask);
}

function collect(
  spec: Seq2SeqStepSpec, data: Seq2SeqBatch, dxs: Float64Array, encGrads: Float64Array[], dxd: Float64Array, decGrads: Float64Array[], headGrads: Float64Array[],
): Float64Array[] {
  const out: Float64Array[] = [];
  if (spec.embedding) out.push(embeddingBackward(spec.embedding.sourceVocab, spec.embedding.dim, data.source as Int32Array, dxs));
  out.push(...encGrads);
  if (spec.embedding) out.push(embeddingBackward(spec.embedding.targetVocab, spec.embedding.dim, data.decoderInput as Int32Array, dxd));
  out.push(...decGrads, ...headGrads);
  return out;
}

/** One Adam step (Keras defaults) on every weight; updates `weights` and `states` in place. */
export function adamStep(weights: Float64Array[], grads: Float64Array[], states: AdamState[], learningRate = 1e-3): void {
  weights.forEach((w, i) => {
    states[i] ??= createAdamState(w.length);
    adamUpdate(w, grads[i], states[i], { learningRate });
  });
}
