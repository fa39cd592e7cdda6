// Seq2Seq({ attention }): the decoder's last output attends over the encoder's outputs and the head reads
// [context, output], trained like any graph and decoded on the GPU (greedy, sampled and beam search).
// Luong against TF.js with the same weights (encoder and decoder LSTMs, dot / softmax / dot /
// concatenate, as the date-conversion-attention example), decoding greedily by re-running the prefix;
// Bahdanau: greedy decoding is beam width 1, and training lowers the loss. Rows whose TF.js top-2 gap
// is under 1e-4 at some step are left out (at least 3 in 4 must be decided).

import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Seq2Seq } from '../../src/index.js';
import { modelsForParity } from '../helpers/tfjs-parity.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

const { env } = modelsForParity();
const opened: Seq2Seq[] = [];
afterAll(() => opened.forEach((m) => m.dispose()));
const [V, E, U, Ts, T, B, START] = [12, 5, 9, 6, 7, 6, 1];

function model(attention: 'luong' | 'bahdanau', seed: number): Seq2Seq {
  const m = new Seq2Seq(env().ctx, {
    encoder: { vocabSize: V, embeddingDim: E, layers: [{ units: U }] },
    decoder: { vocabSize: V, embeddingDim: E, layers: [{ units: U }] },
    head: { units: V, activation: 'softmax' },
    attention,
    seed,
  });
  opened.push(m);
  return m;
}

const sources = (seed: number) => Array.from({ length: B }, (_, b) => Array.from(randomInts(Ts, V, mulberry32(seed + b))));

describe('Seq2Seq with attention', () => {
  it('luong: greedy decoding on the GPU is what TF.js generates with the same weights, in the per-step plan and by beam width 1', async () => {
    const m = model('luong', 1);
    const rng = mulberry32(2);
    const weights = (await m.getWeights()).map((w) => Float32Array.from(uniformArray(w.length, 0.9, rng)));
    m.setWeights(weights);
    // TF.js: the same network, weights in webrnn's order (encoder, decoder, head).
    const sourceIn = tf.input({ shape: [Ts] });
    const targetIn = tf.input({ shape: [null] });
    const [enc, h, c] = tf.layers.lstm({ units: U, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' })
      .apply(tf.layers.embedding({ inputDim: V, outputDim: E }).apply(sourceIn)) as tf.SymbolicTensor[];
    const dec = tf.layers.lstm({ units: U, returnSequences: true, recurrentActivation: 'sigmoid' })
      .apply(tf.layers.embedding({ inputDim: V, outputDim: E }).apply(targetIn) as tf.SymbolicTensor, { initialState: [h, c] }) as tf.SymbolicTensor;
    const scores = tf.layers.activation({ activation: 'softmax' }).apply(tf.layers.dot({ axes: [2, 2] }).apply([dec, enc])) as tf.SymbolicTensor;
    const context = tf.layers.dot({ axes: [2, 1] }).apply([scores, enc]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: V, activation: 'softmax' }).apply(tf.layers.concatenate().apply([context, dec])) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: [sourceIn, targetIn], outputs: out });
    const tfShapes = tfModel.getWeights().map((w) => w.shape.join('x'));
    const webShapes = m.weightSpecs.map((w) => w.shape.join('x'));
    // Matched in order by shape and kind (embedding or not): both list the encoder's, the decoder's, then the head's.
    const used = new Set<number>();
    tfModel.setWeights(tfShapes.map((shape, i) => {
      const j = webShapes.findIndex((s, k) => s === shape && !used.has(k) && (tfModel.weights[i].originalName.includes('embedding') === m.weightSpecs[k].name.includes('embedding')));
      used.add(j);
      return tf.tensor(weights[j], tfModel.getWeights()[i].shape);
    }));
    const src = sources(10);
    const rows = src.map(() => [START]);
    const tokens = src.map(() => [] as number[]);
    const margins = src.map(() => Infinity);
    for (let t = 0; t < T; t++) {
      const y = tfModel.predict([tf.tensor2d(src, [B, Ts]), tf.tensor2d(rows, [B, rows[0].length])]) as tf.Tensor;
      const last = y.slice([0, rows[0].length - 1, 0], [-1, 1, -1]).reshape([B, V]).arraySync() as number[][];
      last.forEach((p, b) => {
        const order2 = p.map((v, i) => [v, i]).sort((x, z) => z[0] - x[0] || x[1] - z[1]);
        margins[b] = Math.min(margins[b], order2[0][0] - order2[1][0]);
        tokens[b].push(order2[0][1]);
        rows[b].push(order2[0][1]);
      });
    }
    const greedy = await m.generate(src, { maxLength: T, startToken: START, strategy: 'step' });
    const beam = await m.generate(src, { maxLength: T, startToken: START, beamWidth: 1 });
    expect(Array.from(beam.data)).toEqual(Array.from(greedy.data));
    let decided = 0;
    src.forEach((_, b) => {
      if (margins[b] < 1e-4) return;
      decided++;
      expect(Array.from(greedy.data.subarray(b * T, (b + 1) * T)), `row ${b}`).toEqual(tokens[b]);
    });
    expect(decided).toBeGreaterThanOrEqual(0.75 * B);
    await expect(m.generate(src, { maxLength: T, startToken: START, strategy: 'loop' })).rejects.toThrow(/without attention; use strategy 'step'/);
    // The attention weights of the decode, read back with it: TF.js' softmax of the dot products, step by step.
    const withWeights = await m.generate(src, { maxLength: T, startToken: START, returnAttention: true });
    expect(Array.from(withWeights.data)).toEqual(Array.from(greedy.data));
    expect(withWeights.attention!.shape).toEqual([B, T, Ts]);
    const scoresModel = tf.model({ inputs: [sourceIn, targetIn], outputs: scores });
    const decoderInputs = src.map((_, b) => [START, ...Array.from(greedy.data.subarray(b * T, b * T + T - 1))]);
    const tfWeights = (scoresModel.predict([tf.tensor2d(src, [B, Ts]), tf.tensor2d(decoderInputs, [B, T])]) as tf.Tensor).dataSync();
    const got = withWeights.attention!.data;
    for (let n = 0; n < got.length; n++) expect(Math.abs(got[n] - tfWeights[n]), `weight ${n}`).toBeLessThan(1e-5);
  });

  it('bahdanau: trains (its learned scale too), decodes greedily as beam width 1, samples reproducibly, and beam search finds higher scores', async () => {
    const m = model('bahdanau', 3);
    expect(m.weightSpecs.at(-1)).toMatchObject({ name: 'attention/scale', shape: [U] });
    // Reverse the source: a task attention solves by position.
    const src = sources(20);
    const target = src.map((s) => [...s].reverse().slice(0, T - 1).concat([0]));
    const decoderIn = target.map((t) => [START, ...t.slice(0, T - 1)]);
    m.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'adam', learningRate: 0.02 });
    const before = await m.evaluate([src, decoderIn], target);
    const scaleBefore = (await m.getWeights()).at(-1)!.slice();
    await m.fit([src, decoderIn], target, { epochs: 30, batchSize: B });
    const after = await m.evaluate([src, decoderIn], target);
    expect(after).toBeLessThan(0.7 * before);
    expect(Array.from((await m.getWeights()).at(-1)!)).not.toEqual(Array.from(scaleBefore));
    const greedy = await m.generate(src, { maxLength: T, startToken: START, strategy: 'step' });
    const one = await m.generate(src, { maxLength: T, startToken: START, beamWidth: 1 });
    expect(Array.from(one.data)).toEqual(Array.from(greedy.data));
    const four = await m.generate(src, { maxLength: T, startToken: START, beamWidth: 4 });
    // The best of 4 beams scores at least the greedy hypothesis (beam 0 of width 1).
    for (let b = 0; b < B; b++) expect(four.beams!.scores[b * 4]).toBeGreaterThanOrEqual(one.beams!.scores[b] - 1e-5);
    const drawn = await m.generate(src, { maxLength: T, startToken: START, sampling: { seed: 4, temperature: 0.8 } });
    expect(Array.from((await m.generate(src, { maxLength: T, startToken: START, sampling: { seed: 4, temperature: 0.8 } })).data)).toEqual(Array.from(drawn.data));
  });

  it('refuses an unknown kind of attention', () => {
    expect(() => model('general' as 'luong', 1)).toThrow(/attention must be 'none', 'luong' or 'bahdanau', got 'general'/);
  });
});
