// One whole seq2seq training step on the GPU (one submit: forward, loss, backward, optimizer) against
// the float64 reference step: the loss and every updated parameter. LSTM and SimpleRNN, numeric
// inputs with mse and token inputs (Embedding) with masked cross-entropy.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq, SGD, Adam, type Seq2SeqConfig } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';
import { adamStep, seq2seqGradients, type Seq2SeqBatch, type Seq2SeqStepSpec } from '../reference/seq2seq-step.js';
import type { AdamState } from '../reference/optimizers.js';

interface StepCase {
  name: string;
  spec: Seq2SeqStepSpec;
  optimizer: 'sgd' | 'adam';
}

const CASES: StepCase[] = [
  { name: 'LSTM, numeric, mse, SGD', optimizer: 'sgd', spec: { cell: 'lstm', units: 7, inputSize: 2, headUnits: 3, loss: 'mse' } },
  { name: 'SimpleRNN, numeric, mse, SGD', optimizer: 'sgd', spec: { cell: 'simple_rnn', units: 9, inputSize: 1, headUnits: 1, loss: 'mse' } },
  { name: 'LSTM, tokens, masked cross-entropy, SGD', optimizer: 'sgd',
    spec: { cell: 'lstm', units: 6, embedding: { sourceVocab: 11, targetVocab: 9, dim: 4 }, headUnits: 9, loss: 'sparse_categorical_crossentropy' } },
  { name: 'SimpleRNN, tokens, masked cross-entropy, SGD', optimizer: 'sgd',
    spec: { cell: 'simple_rnn', units: 5, embedding: { sourceVocab: 7, targetVocab: 7, dim: 3 }, headUnits: 7, loss: 'sparse_categorical_crossentropy' } },
  { name: 'LSTM, numeric, mse, Adam', optimizer: 'adam', spec: { cell: 'lstm', units: 10, inputSize: 1, headUnits: 1, loss: 'mse' } },
];

const [B, TS, TT] = [3, 5, 4];
const SGD_RATE = 0.1;
const MASK_TOKEN = -1;

// The loss: a sum of B * Tt f32 terms. Gradients: the layer tests measured f32 errors below 7e-7 of the
// largest entry of a gradient; allow 2e-6 of it. After SGD a parameter is w - lr * g, so 1e-6 (rounding
// of w) plus lr times that. Adam (checked on its own in the optimizer tests) turns a gradient error dg
// into at most lr * sqrt(1 - b2) / eps * dg ~ 80 dg (near g = 0, where the step is not yet lr * sign(g)).
const LOSS_TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

function configOf(spec: Seq2SeqStepSpec): Seq2SeqConfig {
  const layers = [{ cell: spec.cell, units: spec.units }];
  const branch = (vocab?: number) =>
    spec.embedding ? { vocabSize: vocab!, embeddingDim: spec.embedding.dim, layers } : { inputSize: spec.inputSize!, layers };
  return {
    encoder: branch(spec.embedding?.sourceVocab),
    decoder: branch(spec.embedding?.targetVocab),
    head: { units: spec.headUnits, activation: spec.loss === 'mse' ? 'linear' : 'softmax' },
    seed: 5,
  };
}

function batchOf(spec: Seq2SeqStepSpec, seed: number): Seq2SeqBatch {
  const rng = mulberry32(seed);
  if (spec.embedding) {
    const target = randomInts(B * TT, spec.headUnits, rng);
    const mask = new Float64Array(B * TT).fill(1);
    mask[TT - 1] = 0; // padding at the end of the first sequence
    mask[2 * TT - 1] = 0;
    return {
      batch: B, sourceSteps: TS, targetSteps: TT,
      source: randomInts(B * TS, spec.embedding.sourceVocab, rng),
      decoderInput: randomInts(B * TT, spec.embedding.targetVocab, rng),
      target, mask,
    };
  }
  return {
    batch: B, sourceSteps: TS, targetSteps: TT,
    source: uniformArray(B * TS * spec.inputSize!, 1, rng),
    decoderInput: uniformArray(B * TT * spec.inputSize!, 1, rng),
    target: uniformArray(B * TT * spec.headUnits, 1, rng),
  };
}

/** The batch as the model's fit/trainOnBatch take it (flat data with shapes; masked targets = MASK_TOKEN). */
function modelInputs(spec: Seq2SeqStepSpec, data: Seq2SeqBatch) {
  if (spec.embedding) {
    const target = Array.from(data.target, (id, i) => (data.mask![i] ? id : MASK_TOKEN));
    return {
      x: [{ data: data.source, shape: [B, TS] }, { data: data.decoderInput, shape: [B, TT] }],
      y: { data: target, shape: [B, TT] },
    };
  }
  const f = spec.inputSize!;
  return {
    x: [{ data: data.source, shape: [B, TS, f] }, { data: data.decoderInput, shape: [B, TT, f] }],
    y: { data: data.target, shape: [B, TT, spec.headUnits] },
  };
}

describe('a training step equals the float64 reference step', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: Seq2Seq[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const c of CASES) {
    it(c.name, async () => {
      const model = new Seq2Seq(env.ctx, configOf(c.spec));
      models.push(model);
      model.compile({
        loss: c.spec.loss,
        optimizer: c.optimizer === 'sgd' ? new SGD({ learningRate: SGD_RATE }) : new Adam(),
        ...(c.spec.embedding ? { maskToken: MASK_TOKEN } : {}),
      });
      const weights = (await model.getWeights()).map((w) => Float64Array.from(w));
      const adamStates: AdamState[] = [];
      for (let step = 0; step < 2; step++) {
        const data = batchOf(c.spec, 40 + step);
        const { x, y } = modelInputs(c.spec, data);
        const reference = seq2seqGradients(c.spec, weights, data);
        const submitsBefore = env.ctx.stats().submits;
        await model.trainOnBatch(x, y);
        expect(env.ctx.stats().submits - submitsBefore, 'one submit per training step').toBe(1);
        expectClose([await model.readLoss()], [reference.loss], LOSS_TOLERANCE, `loss, step ${step}`);

        if (c.optimizer === 'sgd') weights.forEach((w, i) => w.forEach((v, k) => (w[k] = v - SGD_RATE * reference.grads[i][k])));
        else adamStep(weights, reference.grads, adamStates);
        const updated = await model.getWeights();
        updated.forEach((w, i) => {
          let largest = 0;
          for (const g of reference.grads[i]) largest = Math.max(largest, Math.abs(g));
          const gradientError = 2e-6 * Math.max(largest, 1e-3);
          const atol = c.optimizer === 'sgd' ? 1e-6 + SGD_RATE * gradientError : 1e-6 + 80 * gradientError;
          expectClose(w, weights[i], { atol, rtol: 1e-6 }, `${model.weightSpecs[i].name} after step ${step}`);
        });
      }
    });
  }
});
