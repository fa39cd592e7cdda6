// Keras' Attention and AdditiveAttention layers in models. Against TensorFlow.js with the same weights:
// the Luong-attention seq2seq of the date-conversion-attention example (encoder and decoder LSTMs,
// attention as tf.layers.dot -> softmax -> dot, concatenated with the decoder output, a softmax head):
// predictions within 1e-5, one SGD step's weights within 1e-5. The learned scales (Attention's scale and
// concat_score_weight, AdditiveAttention's vector) against the float64 reference: predict within 1e-5,
// one SGD step on mse within 1e-5. Masks: a padded source gets no attention, so a padded batch predicts
// what each sequence alone does. And the errors.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromConfig, layers, loadModel, Model, saveModel, ShapeError, toConfig, type ArrayResult, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { modelsForParity, PREDICT_TOLERANCE } from '../helpers/tfjs-parity.js';
import { attentionBackward, attentionForward, type AttentionSpec } from '../reference/attention.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const LEARNING_RATE = 0.5;
const { env, open } = modelsForParity();
const sigmoid = { recurrentActivation: 'sigmoid' as const };

const ids = (count: number, steps: number, vocab: number, seed: number, from = 1) => {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count * steps }, () => from + Math.floor(rng() * (vocab - from)));
};

describe('attention layers', () => {
  it('a Luong-attention seq2seq equals TF.js built from dot / softmax / dot / concatenate: predict and one SGD step', async () => {
    const [V, E, U, Ts, Tt, B] = [11, 6, 8, 7, 5, 4];
    // TF.js, as the date-conversion-attention example writes it.
    const tfSource = tf.input({ shape: [Ts], name: 'source' });
    const tfTarget = tf.input({ shape: [Tt], name: 'target' });
    // (The decoder starts from zero states: TF.js' training executor rejects an RNN given initialState.)
    const tfEnc = tf.layers.lstm({ units: U, returnSequences: true, name: 'encoder', ...sigmoid })
      .apply(tf.layers.embedding({ inputDim: V, outputDim: E, name: 'source_embedding' }).apply(tfSource)) as tf.SymbolicTensor;
    const tfDec = tf.layers.lstm({ units: U, returnSequences: true, name: 'decoder', ...sigmoid })
      .apply(tf.layers.embedding({ inputDim: V, outputDim: E, name: 'target_embedding' }).apply(tfTarget)) as tf.SymbolicTensor;
    const tfScores = tf.layers.activation({ activation: 'softmax' }).apply(tf.layers.dot({ axes: [2, 2] }).apply([tfDec, tfEnc])) as tf.SymbolicTensor;
    const tfContext = tf.layers.dot({ axes: [2, 1] }).apply([tfScores, tfEnc]) as tf.SymbolicTensor;
    const tfOut = tf.layers.dense({ units: V, activation: 'softmax', name: 'head' }).apply(tf.layers.concatenate().apply([tfContext, tfDec])) as tf.SymbolicTensor;
    const tfModel = tf.model({ inputs: [tfSource, tfTarget], outputs: tfOut });
    // webrnn, as Keras writes it.
    const source = layers.input({ shape: [Ts], name: 'source' });
    const target = layers.input({ shape: [Tt], name: 'target' });
    const enc = layers.lstm({ units: U, returnSequences: true, name: 'encoder' })
      .apply(layers.embedding({ inputDim: V, outputDim: E, name: 'source_embedding' }).apply(source) as SymbolicTensor) as SymbolicTensor;
    const dec = layers.lstm({ units: U, returnSequences: true, name: 'decoder' })
      .apply(layers.embedding({ inputDim: V, outputDim: E, name: 'target_embedding' }).apply(target) as SymbolicTensor) as SymbolicTensor;
    const context = layers.attention({ name: 'attention' }).apply([dec, enc]) as SymbolicTensor;
    const out = layers.dense({ units: V, activation: 'softmax', name: 'head' }).apply(layers.concatenate().apply([context, dec]) as SymbolicTensor) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: [source, target], outputs: out }));

    // The same weights, by name (the two libraries may list them in different orders).
    const rng = mulberry32(3);
    const byName = new Map<string, Float32Array>();
    const tfWeights = tfModel.weights.map((w) => {
      const shape = w.shape as number[];
      const values = Float32Array.from(uniformArray(shape.reduce((a, b) => a * b, 1), 0.6, rng));
      byName.set(w.originalName, values);
      return tf.tensor(values, shape);
    });
    tfModel.setWeights(tfWeights);
    model.setWeights(model.weightSpecs.map((spec) => {
      const found = byName.get(spec.name);
      if (!found) throw new Error(`no TF.js weight named ${spec.name} (TF.js: ${[...byName.keys()].join(', ')})`);
      return found;
    }));
    const x = [ids(B, Ts, V, 5, 0), ids(B, Tt, V, 6, 0)];
    const tfX = [tf.tensor(x[0], [B, Ts]), tf.tensor(x[1], [B, Tt])];
    const expected = (tfModel.predict(tfX) as tf.Tensor).dataSync();
    const data = [{ data: x[0], shape: [B, Ts] }, { data: x[1], shape: [B, Tt] }];
    const predicted = await model.predict(data);
    expectClose((Array.isArray(predicted) ? predicted[0] : predicted).data, expected, PREDICT_TOLERANCE, 'predict');

    const y = ids(B, Tt, V, 7, 0);
    tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'sparseCategoricalCrossentropy' });
    await tfModel.trainOnBatch(tfX, tf.tensor(y, [B, Tt, 1]));
    model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'sparse_categorical_crossentropy' });
    await model.trainOnBatch(data, { data: y, shape: [B, Tt] });
    const trained = await model.getWeights();
    const tfTrained = new Map(tfModel.weights.map((w, i) => [w.originalName, tfModel.getWeights()[i].dataSync()]));
    model.weightSpecs.forEach((spec, i) => expectClose(trained[i], tfTrained.get(spec.name)!, WEIGHT_TOLERANCE, `${spec.name} after one SGD step`));
  });

  const scaled: { what: string; make: () => ReturnType<typeof layers.attention> | ReturnType<typeof layers.additiveAttention>; spec: Pick<AttentionSpec, 'score'>; params: (w: Float32Array[]) => { c?: number; a?: number; w?: Float64Array } }[] = [
    { what: 'Attention(useScale)', make: () => layers.attention({ useScale: true }), spec: { score: 'dot' }, params: ([s]) => ({ c: s[0] }) },
    { what: "Attention(scoreMode 'concat', useScale)", make: () => layers.attention({ useScale: true, scoreMode: 'concat' }), spec: { score: 'concat' }, params: ([s, csw]) => ({ a: s[0], c: csw[0] }) },
    { what: "Attention(scoreMode 'concat')", make: () => layers.attention({ scoreMode: 'concat' }), spec: { score: 'concat' }, params: ([csw]) => ({ c: csw[0] }) },
    { what: 'AdditiveAttention', make: () => layers.additiveAttention(), spec: { score: 'concat' }, params: ([s]) => ({ w: Float64Array.from(s) }) },
  ];
  for (const c of scaled) {
    it(`${c.what}: its learned weights against the float64 reference, predict and one SGD step`, async () => {
      const [B, Tq, Tv, D, Ev] = [3, 4, 5, 3, 2];
      const query = layers.input({ shape: [Tq, D] });
      const value = layers.input({ shape: [Tv, Ev] });
      const key = layers.input({ shape: [Tv, D] });
      const model = open(new Model(env().ctx, { inputs: [query, value, key], outputs: c.make().apply([query, value, key]) as SymbolicTensor }));
      const rng = mulberry32(11);
      const weights = model.weightSpecs.map((s) => Float32Array.from(uniformArray((s.shape as number[]).reduce((a, b) => a * b, 1), 0.5, rng), (v) => v + 1));
      model.setWeights(weights);
      const q = Float32Array.from(uniformArray(B * Tq * D, 1, rng));
      const v = Float32Array.from(uniformArray(B * Tv * Ev, 1, rng));
      const k = Float32Array.from(uniformArray(B * Tv * D, 1, rng));
      const y = Float32Array.from(uniformArray(B * Tq * Ev, 1, rng));
      // The reference is time-major; the data batch-major.
      const timeMajor = (a: Float32Array, T: number, F: number) => Float64Array.from({ length: a.length }, (_, n) => {
        const f = n % F, b = Math.floor(n / F) % B, t = Math.floor(n / (F * B));
        return a[(b * T + t) * F + f];
      });
      const spec: AttentionSpec = { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: Ev, score: c.spec.score };
      const tensors = { query: timeMajor(q, Tq, D), value: timeMajor(v, Tv, Ev), key: timeMajor(k, Tv, D), ...c.params(weights) };
      const expected = attentionForward(spec, tensors).out;
      const data = [{ data: q, shape: [B, Tq, D] }, { data: v, shape: [B, Tv, Ev] }, { data: k, shape: [B, Tv, D] }];
      const got = (await model.predict(data)) as { data: Float32Array };
      expectClose(timeMajor(got.data, Tq, Ev), expected, PREDICT_TOLERANCE, 'predict');
      // mse = mean (out - y)^2: dout = 2 (out - y) / (B Tq E).
      const yt = timeMajor(y, Tq, Ev);
      const dout = expected.map((o, n) => (2 * (o - yt[n])) / expected.length);
      const g = attentionBackward(spec, tensors, dout);
      model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: 'mse' });
      await model.trainOnBatch(data, { data: y, shape: [B, Tq, Ev] });
      const trained = await model.getWeights();
      const p = c.params(weights);
      model.weightSpecs.forEach((s, i) => {
        const param = s.name.endsWith('concat_score_weight') ? 'c' : c.spec.score === 'dot' ? 'c' : p.w ? 'w' : 'a';
        const gradient = param === 'w' ? g.dw : Float64Array.of(param === 'c' ? g.dc : g.da);
        expectClose(trained[i], Float64Array.from(weights[i], (w0, n) => w0 - LEARNING_RATE * gradient[n]), WEIGHT_TOLERANCE, `${s.name} after one SGD step`);
      });
    });
  }

  it('padded source steps get no attention: a padded batch predicts what each sequence alone does', async () => {
    const [V, E, U, Ts, Tt] = [9, 4, 6, 6, 3];
    const build = (steps: number) => {
      const source = layers.input({ shape: [steps] });
      const target = layers.input({ shape: [Tt] });
      const enc = layers.lstm({ units: U, returnSequences: true, name: 'enc' }).apply(layers.embedding({ inputDim: V, outputDim: E, maskZero: true, name: 'emb' }).apply(source) as SymbolicTensor) as SymbolicTensor;
      const dec = layers.lstm({ units: U, returnSequences: true, name: 'dec' }).apply(layers.embedding({ inputDim: V, outputDim: E, name: 'temb' }).apply(target) as SymbolicTensor) as SymbolicTensor;
      const out = layers.additiveAttention({ name: 'att' }).apply([dec, enc]) as SymbolicTensor;
      return open(new Model(env().ctx, { inputs: [source, target], outputs: out }));
    };
    const padded = build(Ts);
    const rng = mulberry32(21);
    const weights = padded.weightSpecs.map((s) => Float32Array.from(uniformArray((s.shape as number[]).reduce((a, b) => a * b, 1), 0.8, rng)));
    padded.setWeights(weights);
    const lengths = [2, 6, 4];
    const sources = lengths.map((n, b) => Array.from(ids(1, n, V, 30 + b)));
    const targets = lengths.map((_, b) => Array.from(ids(1, Tt, V, 40 + b)));
    const batch = await padded.predict([sources.map((s) => [...s, ...new Array(Ts - s.length).fill(0)]), targets]) as { data: Float32Array };
    for (let b = 0; b < lengths.length; b++) {
      const alone = build(lengths[b]);
      alone.setWeights(weights);
      const one = await alone.predict([[sources[b]], [targets[b]]]) as { data: Float32Array };
      expectClose(batch.data.subarray(b * Tt * U, (b + 1) * Tt * U), one.data, PREDICT_TOLERANCE, `sequence ${b} (length ${lengths[b]})`);
    }
  });

  it('configs and files (.h5, .keras, TensorFlow.js) keep the layers, their weights and predictions', async () => {
    const query = layers.input({ shape: [3, 4], name: 'q' });
    const value = layers.input({ shape: [5, 4], name: 'v' });
    const luong = layers.attention({ useScale: true, scoreMode: 'concat', name: 'luong' }).apply([query, value]) as SymbolicTensor;
    const bahdanau = layers.additiveAttention({ name: 'bahdanau' }).apply([query, value, value]) as SymbolicTensor;
    const model = open(new Model(env().ctx, { inputs: [query, value], outputs: layers.concatenate().apply([luong, bahdanau]) as SymbolicTensor }));
    const rng = mulberry32(31);
    model.setWeights(model.weightSpecs.map((w) => Float32Array.from(uniformArray((w.shape as number[]).reduce((a, b) => a * b, 1), 1, rng))));
    expect(model.weightSpecs.map((w) => [w.name, w.shape])).toEqual([['luong/scale', []], ['luong/concat_score_weight', []], ['bahdanau/scale', [4]]]);
    const x = [{ data: Float32Array.from(uniformArray(2 * 12, 1, rng)), shape: [2, 3, 4] }, { data: Float32Array.from(uniformArray(2 * 20, 1, rng)), shape: [2, 5, 4] }];
    const want = (await model.predict(x)) as ArrayResult;
    const config = toConfig(model);
    expect(JSON.stringify(config)).toContain('"class_name":"AdditiveAttention"');
    const rebuilt = open(fromConfig(env().ctx, config));
    rebuilt.setWeights(await model.getWeights());
    expectClose(((await rebuilt.predict(x)) as ArrayResult).data, want.data, { atol: 0, rtol: 0 }, 'fromConfig(toConfig)');
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-attention-'));
    try {
      for (const file of ['attention.h5', 'attention.keras'] as const) {
        const back = open(await loadModel(env().ctx, await saveModel(model, join(dir, file) as `${string}.h5`)));
        expectClose(((await back.predict(x)) as ArrayResult).data, want.data, { atol: 0, rtol: 0 }, file);
      }
      const files = await saveModel(model);
      const back = open(await loadModel(env().ctx, { modelJson: files.modelJson, weights: { [files.shardName]: files.shard } }));
      expectClose(((await back.predict(x)) as ArrayResult).data, want.data, { atol: 0, rtol: 0 }, 'TensorFlow.js files');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot attend over, naming the layer', () => {
    const q = layers.input({ shape: [4, 3] });
    const v = layers.input({ shape: [5, 2] });
    expect(() => layers.attention({ name: 'att' }).apply([q, v])).toThrow(/Attention 'att': query features \(3\) and key features \(2\) must match/);
    expect(() => layers.attention({ name: 'att1' }).apply([q])).toThrow(/takes 2 to 3 inputs, got 1/);
    expect(() => layers.attention({ scoreMode: 'general' as 'dot' })).toThrow(/scoreMode must be 'dot' or 'concat', got 'general'/);
    expect(() => layers.additiveAttention({ dropout: 0.1 })).toThrow(ShapeError);
    const flat = layers.input({ shape: [3] });
    expect(() => layers.attention({ name: 'att2' }).apply([flat, flat])).toThrow(/query must be a sequence \[steps, features\]/);
  });
});
