// Keras' dropout and noise layers in models: active in training (fit, trainOnBatch), the identity in
// predict and evaluate; the masks a training step draws are those of the layer's seed and the step count
// (checked against the reference generator through the weights' update), so models with the same seeds
// train to the same bits, and a warm-up, an evaluation or a prediction does not advance the count.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromConfig, layers, Model, Sequential, ShapeError, toConfig, type ArrayResult, type Layer, type SymbolicTensor } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose, sameBits } from '../helpers/compare.js';
import { philox4x32, seedKey, uniform01 } from '../reference/philox.js';
import { mulberry32, uniformArray } from '../reference/random.js';


describe('dropout and noise layers in models', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: Model[] = [];
  const open = <M extends Model>(m: M) => (models.push(m), m);
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  /** A regression task: y = tanh(x . w), x of `features` values. */
  function task(count: number, features: number, seed: number) {
    const rng = mulberry32(seed);
    const x = uniformArray(count * features, 1, rng);
    const w = uniformArray(features, 1, rng);
    const y = Float64Array.from({ length: count }, (_, n) => Math.tanh(w.reduce((s, wi, f) => s + wi * x[n * features + f], 0)));
    return { x: { data: x, shape: [count, features] }, y: { data: y, shape: [count, 1] } };
  }

  /** Sequences [count, 5, 4] with one target each: the mean over time of a fixed mix of the features. */
  function sequenceTask(count: number, seed: number) {
    const [T, F] = [5, 4];
    const rng = mulberry32(seed);
    const x = uniformArray(count * T * F, 1, rng);
    const y = Float64Array.from({ length: count }, (_, n) => {
      let s = 0;
      for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) s += (f % 2 ? 0.5 : -0.3) * x[(n * T + t) * F + f];
      return s / T;
    });
    return { x: { data: x, shape: [count, T, F] }, y: { data: y, shape: [count, 1] } };
  }

  /** Every kind of noise layer over sequences: GaussianNoise, SpatialDropout1D, Dropout over time, GaussianDropout, AlphaDropout. */
  const sequenceModel = (seed: number, dropoutSeed?: number) =>
    open(new Sequential(env.ctx, {
      seed,
      layers: [
        layers.input({ shape: [5, 4] }),
        layers.gaussianNoise({ stddev: 0.1 }),
        layers.dense({ units: 8, activation: 'tanh' }),
        layers.spatialDropout1d({ rate: 0.3 }),
        layers.dropout({ rate: 0.2, noiseShape: [null, 1, null], ...(dropoutSeed !== undefined ? { seed: dropoutSeed } : {}) }),
        layers.gaussianDropout({ rate: 0.1 }),
        layers.globalAveragePooling1d(),
        layers.alphaDropout({ rate: 0.1 }),
        layers.dense({ units: 1 }),
      ],
    }));

  it('a Sequential with Dropout trains: the loss falls', async () => {
    const { x, y } = task(128, 8, 1);
    const model = open(new Sequential(env.ctx, {
      seed: 2,
      layers: [layers.input({ shape: [8] }), layers.dense({ units: 32, activation: 'relu' }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 1 })],
    }));
    model.compile({ loss: 'mse', optimizer: 'adam', learningRate: 0.01 });
    const before = await model.evaluate(x, y);
    const history = await model.fit(x, y, { epochs: 30, batchSize: 32 });
    expect(history.history.loss.at(-1)!).toBeLessThan(0.5 * history.history.loss[0]);
    expect(await model.evaluate(x, y)).toBeLessThan(0.3 * before);
  });

  it('predict and evaluate are deterministic and equal those of the same model without its noise layers', async () => {
    const { x, y } = sequenceTask(40, 3);
    const noisy = sequenceModel(4);
    const plain = open(new Sequential(env.ctx, {
      layers: [layers.input({ shape: [5, 4] }), layers.dense({ units: 8, activation: 'tanh' }), layers.globalAveragePooling1d(), layers.dense({ units: 1 })],
    }));
    for (const m of [noisy, plain]) m.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 0.1 });
    await noisy.fit(x, y, { epochs: 2, batchSize: 16 }); // the step counters have moved on
    plain.setWeights(await noisy.getWeights());
    const first = (await noisy.predict(x)) as ArrayResult;
    const second = (await noisy.predict(x)) as ArrayResult;
    const reference = (await plain.predict(x)) as ArrayResult;
    expect(sameBits([first.data as Float32Array], [second.data as Float32Array])).toBe(true);
    expect(sameBits([first.data as Float32Array], [reference.data as Float32Array])).toBe(true);
    const loss = await noisy.evaluate(x, y, { batchSize: 16 });
    expect(await noisy.evaluate(x, y, { batchSize: 16 })).toBe(loss);
    expect(loss).toBe(await plain.evaluate(x, y, { batchSize: 16 }));
  });

  it('models with the same seeds train to the same bits; another dropout seed trains to other weights', async () => {
    const { x, y } = sequenceTask(24, 5);
    const [a, b, other] = [sequenceModel(6), sequenceModel(6), sequenceModel(6, 12_345)];
    for (const m of [a, b, other]) m.compile({ loss: 'mse', optimizer: 'adam', learningRate: 0.01 });
    const initial = await a.getWeights();
    expect(sameBits(await other.getWeights(), initial)).toBe(true); // the dropout seed changes no initializer
    for (let step = 0; step < 6; step++) {
      for (const m of [a, b, other]) await m.trainOnBatch(x, y);
    }
    const [wa, wb, wo] = [await a.getWeights(), await b.getWeights(), await other.getWeights()];
    expect(sameBits(wa, initial)).toBe(false);
    expect(sameBits(wa, wb)).toBe(true);
    expect(sameBits(wa, wo)).toBe(false);
  });

  /**
   * Input [F] -> Dropout(0.5, seed) -> Dense(1, no bias), SGD on one sample of ones: the kernel's update
   * is nonzero exactly where the mask kept the feature, so each step's mask can be read off the weights.
   */
  describe('the masks of each training step', () => {
    const F = 64;
    const SEED = 77;
    const x = { data: new Float64Array(F).fill(1), shape: [1, F] };
    const y = { data: [100], shape: [1, 1] };
    const probe = () => {
      const model = open(new Sequential(env.ctx, {
        seed: 3, layers: [layers.input({ shape: [F] }), layers.dropout({ rate: 0.5, seed: SEED }), layers.dense({ units: 1, useBias: false })],
      }));
      model.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 1e-3 });
      return model;
    };
    /** Which features a training step kept, from the kernel's update. */
    const step = async (model: Model) => {
      const [before] = await model.getWeights();
      await model.trainOnBatch(x, y);
      const [after] = await model.getWeights();
      return Array.from(after, (w, f) => w !== before[f]);
    };
    /** The reference mask of training step `n` (the counter's value then): stream 0 (the layer's first call), element f. */
    const expected = (n: number) => Array.from({ length: F }, (_, f) => uniform01(philox4x32([f, n, 0, 0], seedKey(SEED))[0]) >= 0.5);

    it('step n draws the mask of counter n: consecutive steps on the same batch draw different masks', async () => {
      const model = probe();
      const masks = [await step(model), await step(model), await step(model)];
      masks.forEach((mask, i) => expect(mask, `step ${i + 1}`).toEqual(expected(i + 1)));
      expect(masks[1]).not.toEqual(masks[0]);
      expect(masks[0].filter(Boolean).length).toBeGreaterThan(0);
      expect(masks[0].filter(Boolean).length).toBeLessThan(F);
    });

    it('warmUp, evaluate and predict do not advance the counter', async () => {
      const model = probe();
      await model.warmUp({ batchSize: 1 });
      expect(await step(model)).toEqual(expected(1));
      await model.evaluate(x, y);
      await model.predict(x);
      expect(await step(model)).toEqual(expected(2));
    });

    it('restore() starts the counter afresh, with the optimizer state', async () => {
      const model = probe();
      await step(model);
      await step(model);
      await model.checkpoint();
      const restored = open(await model.restore(env.ctx));
      expect(await step(restored)).toEqual(expected(1));
      expect(await step(model)).toEqual(expected(3));
    });
  });

  it("getConfig is Keras', and toConfig / fromConfig keeps every setting", () => {
    const model = open(new Sequential(env.ctx, [
      layers.input({ shape: [5, 4] }),
      layers.dropout({ rate: 0.25, noiseShape: [null, 1, 4], seed: 7, name: 'drop' }),
      layers.spatialDropout1d({ rate: 0.5, name: 'spatial' }),
      layers.gaussianDropout({ rate: 0.1, name: 'gauss_drop' }),
      layers.gaussianNoise({ stddev: 0.3, seed: 2, name: 'noise' }),
      layers.alphaDropout({ rate: 0.05, name: 'alpha' }),
      layers.dense({ units: 2 }),
    ]));
    const settings = (m: Sequential) => m.layers.slice(1, 6).map((l: Layer) => [l.className, l.getConfig()]);
    expect(settings(model)).toEqual([
      ['Dropout', { name: 'drop', trainable: true, dtype: 'float32', rate: 0.25, noise_shape: [null, 1, 4], seed: 7 }],
      ['SpatialDropout1D', { name: 'spatial', trainable: true, dtype: 'float32', rate: 0.5, seed: null }],
      ['GaussianDropout', { name: 'gauss_drop', trainable: true, dtype: 'float32', rate: 0.1, seed: null }],
      ['GaussianNoise', { name: 'noise', trainable: true, dtype: 'float32', stddev: 0.3, seed: 2 }],
      ['AlphaDropout', { name: 'alpha', trainable: true, dtype: 'float32', rate: 0.05, noise_shape: null, seed: null }],
    ]);
    const reread = open(fromConfig(env.ctx, toConfig(model)) as Sequential);
    expect(settings(reread)).toEqual(settings(model));
  });

  it('a Keras config with Dropout trains (no refusal), Keras 1 p included', async () => {
    const config = (dropout: Record<string, unknown>) => ({
      class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
      config: {
        name: 'noisy',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 3], dtype: 'float32', name: 'features' } },
          { class_name: 'Dropout', config: { name: 'dropout', ...dropout } },
          { class_name: 'Dense', config: { name: 'dense', units: 2 } },
        ],
      },
    });
    const { x } = task(4, 3, 10);
    const y = { data: uniformArray(8, 1, mulberry32(11)), shape: [4, 2] };
    const model = open(fromConfig(env.ctx, config({ rate: 0.5, seed: 3, noise_shape: null })) as Sequential);
    model.compile({ loss: 'mse', optimizer: 'sgd' });
    const before = await model.getWeights();
    await model.trainOnBatch(x, y);
    expect(sameBits(await model.getWeights(), before)).toBe(false);
    expect((model.getLayer('dropout').getConfig()).seed).toBe(3);
    expect(() => fromConfig(env.ctx, config({ rate: 1 }))).toThrow(/layer 1 'dropout' \(Dropout\).*rate must be a number in \[0, 1\), got 1/);
  });

  describe("a recurrent layer's dropout (Keras' dropout of its input)", () => {
    /** Dense -> [Dropout over time] -> LSTM [with dropout] -> Dense; the noise seed 9 in either place. */
    const recurrentModel = (where: 'layer' | 'before' | 'none') =>
      open(new Sequential(env.ctx, {
        seed: 4,
        layers: [
          layers.input({ shape: [5, 4] }),
          layers.dense({ units: 6, activation: 'tanh' }),
          ...(where === 'before' ? [layers.dropout({ rate: 0.4, noiseShape: [null, 1, null], seed: 9 })] : []),
          layers.lstm({ units: 3, ...(where === 'layer' ? { dropout: 0.4, seed: 9 } : {}) }),
          layers.dense({ units: 1 }),
        ],
      }));

    it('is one mask per sequence over the input features, the same at every step: it trains to the bits of a Dropout(noiseShape [null, 1, null]) before the layer', async () => {
      const { x, y } = sequenceTask(7, 12);
      const [inLayer, before, none] = [recurrentModel('layer'), recurrentModel('before'), recurrentModel('none')];
      const weights = await inLayer.getWeights();
      before.setWeights(weights);
      none.setWeights(weights);
      // Inference: the identity.
      const predicted = ((await inLayer.predict(x)) as ArrayResult).data;
      expect(sameBits([predicted as Float32Array], [((await none.predict(x)) as ArrayResult).data as Float32Array])).toBe(true);
      for (const model of [inLayer, before, none]) {
        model.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 0.3 });
        for (let step = 0; step < 3; step++) await model.trainOnBatch(x, y);
      }
      const trained = await inLayer.getWeights();
      expect(sameBits(trained, await before.getWeights()), 'the same masks, the same input gradient').toBe(true);
      expect(sameBits(trained, await none.getWeights()), 'no dropout trains to other weights').toBe(false);
      expect(inLayer.getLayer(inLayer.layers.find((l) => l.className === 'LSTM')!.name).getConfig().dropout).toBe(0.4);
    });

    it("Bidirectional: each direction drops the input with its own mask (streams 0 and 1 of the layer's seed), checked against the reference generator", async () => {
      const [T, F, B, rate, seed] = [5, 4, 6, 0.4, 9];
      const { x, y } = sequenceTask(B, 14);
      const bidirectional = open(new Sequential(env.ctx, {
        seed: 2,
        layers: [layers.input({ shape: [T, F] }), layers.bidirectional({ layer: layers.lstm({ units: 3, dropout: rate, seed }) }), layers.dense({ units: 1 })],
      }));
      // The same model as two LSTMs, each fed x dropped on the host with its direction's reference mask.
      const forward = layers.input({ shape: [T, F] });
      const backward = layers.input({ shape: [T, F] });
      const merged = layers.concatenate().apply([
        layers.lstm({ units: 3 }).apply(forward) as SymbolicTensor,
        layers.lstm({ units: 3, goBackwards: true }).apply(backward) as SymbolicTensor,
      ]) as SymbolicTensor;
      const twoLayers = open(new Model(env.ctx, { inputs: [forward, backward], outputs: layers.dense({ units: 1 }).apply(merged) as SymbolicTensor }));
      twoLayers.setWeights(await bidirectional.getWeights());
      const scale = Math.fround(1 / (1 - rate));
      // Training step 1 (the counter's value), stream d, mask element (sample, feature): the same at every step.
      const dropped = (stream: number) => ({
        data: Float32Array.from(x.data, (v, i) => {
          const [b, f] = [Math.floor(i / (T * F)), i % F];
          return uniform01(philox4x32([b * F + f, 1, stream, 0], seedKey(seed))[0]) >= rate ? v * scale : 0;
        }),
        shape: x.shape,
      });
      for (const model of [bidirectional, twoLayers] as Model[]) model.compile({ loss: 'mse', optimizer: 'sgd', learningRate: 0.3 });
      await bidirectional.trainOnBatch(x, y);
      await twoLayers.trainOnBatch([dropped(0), dropped(1)], y);
      const [a, b] = [await bidirectional.getWeights(), await twoLayers.getWeights()];
      a.forEach((w, i) => expectClose(w, b[i], { atol: 1e-6, rtol: 0 }, `weight ${i} after one step`));
    });

    it('a Keras config with dropout and recurrent_dropout trains, inside a Bidirectional too; bad rates are errors', async () => {
      const config = (lstm: Record<string, unknown>) => ({
        class_name: 'Sequential', keras_version: '2.15.0', backend: 'tensorflow',
        config: {
          name: 'recurrent',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 4], dtype: 'float32', name: 'features' } },
            lstm,
            { class_name: 'Dense', config: { name: 'dense', units: 1 } },
          ],
        },
      });
      const { x, y } = sequenceTask(4, 13);
      const lstm = (extra: Record<string, unknown>) => ({ class_name: 'LSTM', config: { name: 'lstm', units: 3, ...extra } });
      const model = open(fromConfig(env.ctx, config(lstm({ dropout: 0.3 }))) as Sequential);
      model.compile({ loss: 'mse', optimizer: 'sgd' });
      await model.trainOnBatch(x, y);
      expect(model.getLayer('lstm').getConfig().dropout).toBe(0.3);
      const recurrent = open(fromConfig(env.ctx, config(lstm({ recurrent_dropout: 0.2 }))) as Sequential);
      recurrent.compile({ loss: 'mse', optimizer: 'sgd' });
      await recurrent.trainOnBatch(x, y);
      expect(recurrent.getLayer('lstm').getConfig().recurrent_dropout).toBe(0.2);
      const wrapped = open(fromConfig(env.ctx, config({ class_name: 'Bidirectional', config: { name: 'bi', layer: lstm({ dropout: 0.3, recurrent_dropout: 0.2 }) } })) as Sequential);
      wrapped.compile({ loss: 'mse', optimizer: 'sgd' });
      await wrapped.trainOnBatch(x, y);
      expect(() => layers.lstm({ units: 2, dropout: 1, name: 'l1' })).toThrow(/LSTM 'l1' dropout: rate must be a number in \[0, 1\)/);
    });
  });

  it('a rate outside [0, 1), a negative stddev, and a noise shape or input that does not fit are errors naming the layer', () => {
    expect(() => layers.dropout({ rate: 1, name: 'd1' })).toThrow(ShapeError);
    expect(() => layers.dropout({ rate: 1, name: 'd2' })).toThrow(/Dropout 'd2': rate must be a number in \[0, 1\), got 1/);
    expect(() => layers.dropout({ rate: -0.1, name: 'd3' })).toThrow(/Dropout 'd3': rate must be a number in \[0, 1\), got -0.1/);
    expect(() => layers.gaussianDropout({ rate: 1, name: 'g1' })).toThrow(/GaussianDropout 'g1': rate must be/);
    expect(() => layers.gaussianNoise({ stddev: -1, name: 'n1' })).toThrow(/GaussianNoise 'n1': stddev must be a finite number >= 0/);
    expect(() => layers.dropout({ rate: 0.5, noiseShape: [null, 0], name: 'd4' })).toThrow(/Dropout 'd4': noise_shape must be/);
    const input = layers.input({ shape: [5, 4] });
    expect(() => layers.dropout({ rate: 0.5, noiseShape: [null, 1], name: 'd5' }).apply(input)).toThrow(/Dropout 'd5': noise_shape \[null,1\] has 2 axes; the input \(with its batch axis\) has 3/);
    expect(() => layers.dropout({ rate: 0.5, noiseShape: [null, 3, 4], name: 'd6' }).apply(input)).toThrow(/Dropout 'd6': noise_shape \[null,3,4\] axis 1 is 3; it must be null, 1 or the input's 5/);
    expect(() => layers.spatialDropout1d({ rate: 0.5, name: 's1' }).apply(layers.input({ shape: [4] }))).toThrow(/SpatialDropout1D 's1': takes sequences of shape \[steps, features\]/);
  });
});
