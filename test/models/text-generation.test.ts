// Model.generate: text generation from a Keras-style language model on the GPU (prompt, then each token
// fed back), against TensorFlow.js with the same weights generating the same way by hand (the whole
// prefix re-run through tf's model for every token, its argmax appended). Token models (Embedding)
// and a one-hot model (the Keras text-generation example: input [T, V] -> LSTM -> Dense softmax), one
// and two recurrent layers, in both decode strategies; sampling (topK 1 is greedy, the loop draws what
// the per-step plan draws, the same seed the same text); the errors; nothing left allocated.
// A row whose tf logits have a top-2 gap under 1e-4 at some step cannot be decided in float32 and is
// left out of the comparison (at least 3 in 4 must be decided).

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, Sequential, ShapeError } from '../../src/index.js';
import { modelsForParity } from '../helpers/tfjs-parity.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

const { env, open } = modelsForParity();
const MARGIN = 1e-4;

interface Pair { model: Sequential; tfModel: tf.LayersModel; vocab: number; oneHot: boolean }

/** The same random weights (uniform in [-scale, scale]) in both. */
function sameWeights({ model, tfModel }: Pair, seed: number, scale = 0.9): void {
  const rng = mulberry32(seed);
  const weights = tfModel.getWeights().map((w) => Float32Array.from(uniformArray(w.size, scale, rng)));
  expect(model.weightSpecs.map((w) => w.shape)).toEqual(tfModel.getWeights().map((w) => w.shape));
  tfModel.setWeights(weights.map((w, i) => tf.tensor(w, tfModel.getWeights()[i].shape)));
  model.setWeights(weights);
}

/** Greedy generation in tf: the next token of every row from the whole prefix, `steps` times; and each row's smallest top-2 gap. */
function tfGreedy({ tfModel, vocab, oneHot }: Pair, prompts: number[][], steps: number, endToken = -1): { tokens: number[][]; margins: number[] } {
  const rows = prompts.map((p) => [...p]);
  const out = prompts.map(() => [] as number[]);
  const margins = prompts.map(() => Infinity);
  const ended = prompts.map(() => false);
  for (let s = 0; s < steps; s++) {
    const T = rows[0].length;
    const x = oneHot ? tf.oneHot(tf.tensor2d(rows, [rows.length, T], 'int32'), vocab).toFloat() : tf.tensor2d(rows, [rows.length, T], 'float32');
    const y = tfModel.predict(x) as tf.Tensor;
    const logits = (y.shape.length === 3 ? y.slice([0, T - 1, 0], [-1, 1, -1]).reshape([rows.length, vocab]) : y).arraySync() as number[][];
    tf.dispose([x, y]);
    logits.forEach((row, b) => {
      const order = row.map((v, i) => [v, i]).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
      if (!ended[b]) margins[b] = Math.min(margins[b], order[0][0] - order[1][0]);
      const token = ended[b] ? endToken : order[0][1];
      if (token === endToken && endToken >= 0) ended[b] = true;
      out[b].push(token);
      rows[b].push(token);
    });
  }
  return { tokens: out, margins };
}

describe('text generation from a Keras-style language model', () => {
  const prompts = (count: number, length: number, vocab: number, seed: number, from = 0) =>
    Array.from({ length: count }, (_, b) => Array.from(randomInts(length, vocab - from, mulberry32(seed + b)), (v) => v + from));

  function tokenModel(vocab: number, cells: ('lstm' | 'gru' | 'simpleRNN')[], seed: number): Pair {
    const stack = cells.map((cell, i) => ({ cell, units: 13 - 2 * i, returnSequences: i < cells.length - 1 || i === 0 }));
    const model = open(new Sequential(env().ctx, [
      layers.embedding({ inputDim: vocab, outputDim: 5, inputShape: [null] }),
      ...stack.flatMap(({ cell, units, returnSequences }, i) => [
        layers[cell]({ units, returnSequences, ...(cell === 'gru' ? { resetAfter: false } : {}) }),
        ...(i === 0 && cells.length > 1 ? [layers.dropout({ rate: 0.3 })] : []),
      ]),
      layers.dense({ units: vocab, activation: 'softmax' }),
    ]));
    const tfLayer = { lstm: tf.layers.lstm, gru: tf.layers.gru, simpleRNN: tf.layers.simpleRNN };
    const tfModel = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: vocab, outputDim: 5, inputShape: [null] }),
        ...stack.flatMap(({ cell, units, returnSequences }, i) => [
          tfLayer[cell]({ units, returnSequences, recurrentActivation: 'sigmoid' }),
          ...(i === 0 && cells.length > 1 ? [tf.layers.dropout({ rate: 0.3 })] : []),
        ]),
        tf.layers.dense({ units: vocab, activation: 'softmax' }),
      ],
    });
    const pair = { model, tfModel, vocab, oneHot: false };
    sameWeights(pair, seed);
    return pair;
  }

  function oneHotModel(vocab: number, seed: number): Pair {
    const model = open(new Sequential(env().ctx, [layers.lstm({ units: 12, inputShape: [null, vocab] }), layers.dense({ units: vocab, activation: 'softmax' })]));
    const tfModel = tf.sequential({ layers: [tf.layers.lstm({ units: 12, inputShape: [null, vocab], recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: vocab, activation: 'softmax' })] });
    const pair = { model, tfModel, vocab, oneHot: true };
    sameWeights(pair, seed, 1.5);
    return pair;
  }

  async function expectSameText(pair: Pair, rows: number[][], steps: number, options: { endToken?: number; strategy?: 'loop' | 'step' } = {}) {
    const reference = tfGreedy(pair, rows, steps, options.endToken);
    const out = await pair.model.generate(rows, { steps, ...options });
    expect(out.shape).toEqual([rows.length, steps]);
    let decided = 0;
    rows.forEach((_, b) => {
      if (reference.margins[b] < MARGIN) return;
      decided++;
      expect(Array.from(out.data.subarray(b * steps, (b + 1) * steps)), `row ${b}`).toEqual(reference.tokens[b]);
    });
    expect(decided).toBeGreaterThanOrEqual(0.75 * rows.length);
    return { out, reference };
  }

  it('Embedding -> LSTM -> Dropout -> LSTM -> Dense: the text tf generates', async () => {
    const pair = tokenModel(23, ['lstm', 'lstm'], 1);
    await expectSameText(pair, prompts(6, 5, 23, 10), 9);
  });

  it('Embedding -> GRU (reset_after false) -> Dense and Embedding -> SimpleRNN -> Dense, in the one-dispatch loop and the per-step plan', async () => {
    for (const [cell, seed] of [['gru', 2], ['simpleRNN', 3]] as const) {
      const pair = tokenModel(17, [cell], seed);
      const rows = prompts(7, 4, 17, 20);
      const step = await expectSameText(pair, rows, 8, { strategy: 'step' });
      const loop = await pair.model.generate(rows, { steps: 8, strategy: 'loop' });
      expect(Array.from(loop.data), cell).toEqual(Array.from(step.out.data));
    }
  });

  it('a one-hot model (input [T, V] -> LSTM -> Dense softmax) takes and generates token ids', async () => {
    const pair = oneHotModel(19, 4);
    const rows = prompts(5, 6, 19, 30);
    const step = await expectSameText(pair, rows, 7, { strategy: 'step' });
    const loop = await pair.model.generate(rows, { steps: 7, strategy: 'loop' });
    expect(Array.from(loop.data)).toEqual(Array.from(step.out.data));
  });

  it('an end token ends a text: later positions hold it', async () => {
    const pair = tokenModel(13, ['lstm'], 5);
    const rows = prompts(8, 3, 13, 40);
    const free = tfGreedy(pair, rows, 6).tokens;
    const end = free[0][1]; // a token the model emits early
    for (const strategy of ['loop', 'step'] as const) {
      const { out } = await expectSameText(pair, rows, 6, { endToken: end, strategy });
      expect(Array.from(out.data)).toContain(end);
    }
  });

  it('sampling: topK 1 is greedy, the loop draws what the per-step plan draws, the same seed the same text', async () => {
    const pair = tokenModel(17, ['gru'], 6);
    const rows = prompts(6, 4, 17, 50);
    const greedy = Array.from((await pair.model.generate(rows, { steps: 10, strategy: 'step' })).data);
    const draw = async (sampling: object, strategy: 'loop' | 'step' = 'step') => Array.from((await pair.model.generate(rows, { steps: 10, strategy, sampling })).data);
    expect(await draw({ topK: 1, seed: 1 })).toEqual(greedy);
    expect(await draw({ topK: 1, seed: 1 }, 'loop')).toEqual(greedy);
    for (const sampling of [{ seed: 7 }, { seed: 8, temperature: 0.6, topK: 5 }, { seed: 9, topP: 0.8 }]) {
      const step = await draw(sampling);
      expect(await draw(sampling, 'loop'), JSON.stringify(sampling)).toEqual(step);
      expect(await draw(sampling)).toEqual(step);
    }
    expect(await draw({ seed: 10, temperature: 2 })).not.toEqual(await draw({ seed: 11, temperature: 2 }));
  });

  it('refuses what it cannot generate from, naming the layer', async () => {
    const ctx = env().ctx;
    const conv = open(new Sequential(ctx, [layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null] }), layers.conv1d({ filters: 3, kernelSize: 2 }), layers.lstm({ units: 4 }), layers.dense({ units: 9 })]));
    await expect(conv.generate([[1, 2, 3]], { steps: 2 })).rejects.toThrow(/layer '[^']+' \(Conv1D\) cannot run one step at a time/);
    const bi = open(new Sequential(ctx, [layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null] }), layers.bidirectional({ layer: layers.lstm({ units: 3 }) }), layers.dense({ units: 9 })]));
    await expect(bi.generate([[1, 2]], { steps: 2 })).rejects.toThrow(ShapeError);
    await expect(bi.generate([[1, 2]], { steps: 2 })).rejects.toThrow(/\(Bidirectional\) cannot run one step at a time/);
    const wide = open(new Sequential(ctx, [layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null] }), layers.lstm({ units: 4 }), layers.dense({ units: 8 })]));
    await expect(wide.generate([[1, 2]], { steps: 2 })).rejects.toThrow(/gives 8 outputs but the Embedding '[^']+' has 9 tokens/);
    const back = open(new Sequential(ctx, [layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null] }), layers.lstm({ units: 4, goBackwards: true }), layers.dense({ units: 9 })]));
    await expect(back.generate([[1, 2]], { steps: 2 })).rejects.toThrow(/goBackwards/);
    const masked = open(new Sequential(ctx, [layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] }), layers.lstm({ units: 4 }), layers.dense({ units: 9, activation: 'softmax' })]));
    await expect(masked.generate([[1, 0]], { steps: 2 })).rejects.toThrow(/holds id 0, the padding of a maskZero Embedding/);
    await expect(masked.generate([[1, 9]], { steps: 2 })).rejects.toThrow(/token id 9 at \[0, 1\] is out of range \[0, 9\)/);
    await expect(masked.generate([[1, 2]], { steps: 2, endToken: 9 })).rejects.toThrow(/endToken 9 is out of range/);
    await expect(masked.generate([[1, 2]], { steps: 0 })).rejects.toThrow(/positive integer/);
  });

  it('releases everything, the one-hot table too', async () => {
    const ctx = env().ctx;
    const live = ctx.liveBuffers;
    const model = new Sequential(ctx, [layers.gru({ units: 6, inputShape: [null, 7] }), layers.dense({ units: 7 })]);
    await model.generate([[1, 2, 3]], { steps: 4 });
    await model.generate([[1, 2, 3]], { steps: 4, strategy: 'step', sampling: { seed: 2 } });
    expect(ctx.liveBuffers).toBeGreaterThan(live);
    model.dispose();
    expect(ctx.liveBuffers).toBe(live);
  });
});
