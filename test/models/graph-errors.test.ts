// Bad graphs and bad data get clear errors that name the layer (or input) and what was wrong, before
// anything runs; summary() counts parameters as Keras does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromConfig, layers, Model, Sequential, type RecurrentLayerNode, type SymbolicTensor } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';

describe('graph errors and summary', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: { dispose(): void }[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('shape mismatches between layers name the layer', () => {
    const seq = layers.input({ shape: [null, 4] });
    const flat = layers.input({ shape: [4] });
    expect(() => layers.lstm({ units: 3, name: 'enc' }).apply(flat)).toThrow(/LSTM 'enc': takes sequences of shape \[steps, features\], got \[4\]/);
    const dense = layers.dense({ units: 2, name: 'head' });
    dense.apply(seq);
    const model = new Model(env.ctx, { inputs: seq, outputs: dense.apply(seq) as SymbolicTensor });
    models.push(model);
    expect(() => dense.apply(layers.input({ shape: [null, 5] }))).toThrow(/Dense 'head': built for 4 input features, called on 5/);
    expect(() => layers.concatenate({ name: 'cat' }).apply([seq, flat])).toThrow(/Concatenate 'cat': input 1 has shape \[4\], input 0 \[null,4\]/);
    expect(() => layers.add({ name: 'sum' }).apply([seq, layers.input({ shape: [null, 3] })])).toThrow(/Add 'sum': .* they must be the same/);
    expect(() => layers.add().apply([seq])).toThrow(/takes 2 to 64 inputs, got 1/);
  });

  it('Bidirectional: what it cannot wrap or merge, a layer used twice, initial states, a backward layer that is not the mirror', () => {
    const x = layers.input({ shape: [null, 3] });
    expect(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as unknown as RecurrentLayerNode, name: 'bi' })).toThrow(/Bidirectional 'bi': layer must be an LSTM, GRU or SimpleRNN layer \(layers.lstm\(...\)\), got Dense/);
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'max' as never, name: 'bi2' })).toThrow(/Bidirectional 'bi2': mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got "max"/);
    const used = layers.gru({ units: 2, name: 'used' });
    used.apply(x);
    expect(() => layers.bidirectional({ layer: used })).toThrow(/the wrapped layer 'used' is already used in a model/);
    const h = layers.dense({ units: 2 }).apply(layers.input({ shape: [4] })) as SymbolicTensor;
    expect(() => layers.bidirectional({ layer: layers.simpleRNN({ units: 2 }), name: 'bi3' }).apply(x, { initialState: [h, h] })).toThrow(/Bidirectional 'bi3': takes no initialState/);
    const lstm = (extra: Record<string, unknown> = {}) => ({ class_name: 'LSTM', config: { name: 'lstm', units: 3, return_sequences: false, ...extra } });
    const config = (bidirectional: Record<string, unknown>) => ({ class_name: 'Sequential', keras_version: '2.15.0', config: { name: 's', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 2], name: 'in' } },
      { class_name: 'Bidirectional', config: { name: 'bidirectional', ...bidirectional } }] } });
    expect(() => fromConfig(env.ctx, config({ layer: lstm(), backward_layer: lstm({ name: 'backward_lstm', go_backwards: true, activation: 'relu' }) })))
      .toThrow(/layer 1 'bidirectional' \(Bidirectional\).*backward_layer is not the wrapped layer's mirror \(it differs in activation\)/);
    expect(() => fromConfig(env.ctx, config({ layer: lstm(), backward_layer: lstm({ name: 'backward_lstm' }) }))).toThrow(/go_backwards is not the other way/);
    expect(() => fromConfig(env.ctx, config({ layer: { class_name: 'Dense', config: { units: 2 } } }))).toThrow(/it wraps a Dense: webrnn's Bidirectional wraps LSTM, GRU and SimpleRNN layers/);
    expect(() => fromConfig(env.ctx, config({ layer: lstm(), merge_mode: 'max' }))).toThrow(/merge_mode must be 'concat', 'sum', 'mul', 'ave' or null, got 'max'|merge_mode must be .* got "max"/);
    const ok = fromConfig(env.ctx, config({ layer: lstm(), backward_layer: lstm({ name: 'backward_lstm', go_backwards: true }), merge_mode: 'ave' }));
    models.push(ok);
    expect(ok.outputs.map((t) => t.shape)).toEqual([[3]]);
    // 2 directions x (4 gates x 3 units x (2 inputs + 3 units) + 4 x 3 biases), as Keras counts.
    expect(ok.summary(() => {})).toMatch(/bidirectional \(Bidirectional\)\s+\(None, 3\)\s+144/);
  });

  it("LayerNormalization: tf.keras' axis [2] of a sequence is its last axis; another axis is an error", () => {
    const config = (axis: unknown) => ({ class_name: 'Sequential', keras_version: '2.15.0', config: { name: 's', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 3], name: 'in' } },
      { class_name: 'LayerNormalization', config: { name: 'layer_normalization', axis, epsilon: 0.001, center: true, scale: true } }] } });
    const ok = fromConfig(env.ctx, config([2]));
    models.push(ok);
    expect(ok.weightSpecs.map((w) => [w.name, w.shape])).toEqual([['layer_normalization/gamma', [3]], ['layer_normalization/beta', [3]]]);
    expect(() => fromConfig(env.ctx, config([1]))).toThrow(/LayerNormalization 'layer_normalization': axis 1 of its input \(batch axis included: rank 3\) is not the last/);
    expect(() => fromConfig(env.ctx, config([1, 2]))).toThrow(/axis \[1,2\] is not supported/);
  });

  it('RepeatVector and TimeDistributed: what they take and wrap', () => {
    const seq = layers.input({ shape: [null, 3] });
    expect(() => layers.repeatVector({ n: 3, name: 'rv' }).apply(seq)).toThrow(/RepeatVector 'rv': takes vectors of shape \[features\], got \[null,3\]/);
    expect(() => layers.repeatVector({ n: 0 })).toThrow(/n must be a positive integer/);
    expect(() => layers.timeDistributed({ layer: layers.lstm({ units: 2 }) as never, name: 'td' })).toThrow(/TimeDistributed 'td': webrnn wraps a Dense layer \(layers.dense\(...\)\), got LSTM/);
    expect(() => layers.timeDistributed({ layer: layers.dense({ units: 2 }), name: 'td2' }).apply(layers.input({ shape: [4] }))).toThrow(/TimeDistributed 'td2': takes sequences of shape \[steps, ...features\], got \[4\]/);
    const config = { class_name: 'Sequential', keras_version: '2.15.0', config: { name: 's', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 2], name: 'in' } },
      { class_name: 'TimeDistributed', config: { name: 'time_distributed', layer: { class_name: 'Conv1D', config: { filters: 2 } } } }] } };
    expect(() => fromConfig(env.ctx, config)).toThrow(/layer 1 'time_distributed' \(TimeDistributed\).*it wraps a Conv1D: webrnn's TimeDistributed wraps Dense layers/);
  });

  it('a state fed to a layer of another size, or the wrong number of states, name the layer', () => {
    const x = layers.input({ shape: [null, 2] });
    const [, h, c] = layers.lstm({ units: 5, returnState: true }).apply(x) as SymbolicTensor[];
    expect(() => layers.lstm({ units: 6, name: 'decoder' }).apply(x, { initialState: [h, c] })).toThrow(/LSTM 'decoder': initial state 0 must have shape \[6\] \(the layer's units\), got \[5\]/);
    expect(() => layers.lstm({ units: 5, name: 'short' }).apply(x, { initialState: [h] })).toThrow(/LSTM 'short': initialState needs 2 states \(h, c\), got 1/);
    expect(() => layers.dense({ units: 2, name: 'd' }).apply(x, { initialState: [h] })).toThrow(/Dense 'd': takes no initialState/);
  });

  it('an input the outputs need but the model does not list, duplicate names, and non-inputs as inputs', () => {
    const a = layers.input({ shape: [3], name: 'a' });
    const b = layers.input({ shape: [3], name: 'b' });
    const sum = layers.add().apply([a, b]) as SymbolicTensor;
    const live = env.ctx.liveBuffers;
    expect(() => new Model(env.ctx, { inputs: [a], outputs: sum })).toThrow(/the outputs need input 'b', which is not one of the model's inputs/);
    expect(env.ctx.liveBuffers, 'a model that fails to build holds nothing').toBe(live);
    expect(() => new Model(env.ctx, { inputs: [sum], outputs: sum })).toThrow(/input 0 must be a model input/);
    const twin = layers.dense({ units: 3, name: 'same' }).apply(layers.dense({ units: 3, name: 'same' }).apply(a) as SymbolicTensor) as SymbolicTensor;
    expect(() => new Model(env.ctx, { inputs: [a], outputs: twin })).toThrow(/two layers are named 'same'/);
  });

  it('Sequential: the first layer needs an input shape; every layer one output', () => {
    const noShape = new Sequential(env.ctx, [layers.dense({ units: 2, name: 'first' })]);
    models.push(noShape);
    expect(() => noShape.summary(() => {})).toThrow(/give the first layer \('first'\) an inputShape, or start with input\(\{ shape \}\)/);
    const twoOutputs = new Sequential(env.ctx, [layers.input({ shape: [4, 2] }), layers.lstm({ units: 3, returnState: true, name: 'stateful_out' })]);
    models.push(twoOutputs);
    expect(() => twoOutputs.summary(() => {})).toThrow(/layer 'stateful_out' has 3 outputs; every layer of a Sequential must have one/);
  });

  it('data that does not fit the inputs names the input and the shape', async () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [6], name: 'tokens' }), layers.embedding({ inputDim: 10, outputDim: 4 }), layers.gru({ units: 3 }), layers.dense({ units: 1, activation: 'sigmoid' })]);
    models.push(model);
    await expect(model.predict({ data: new Float32Array(10), shape: [2, 5] })).rejects.toThrow(/predict input 'tokens': expected shape \[samples, 6\], got \[2, 5\]/);
    await expect(model.predict({ data: Float32Array.from({ length: 6 }, (_, i) => (i === 4 ? 10 : 1)), shape: [1, 6] })).rejects.toThrow(/token id 10 at \[0, 4\] is out of range \[0, 10\)/);
    model.compile({ loss: 'binary_crossentropy' });
    await expect(model.fit({ data: new Float32Array(12), shape: [2, 6] }, { data: new Float32Array(3), shape: [3, 1] })).rejects.toThrow(/x has 2 samples but the target of 'dense(_\d+)?' has 3/);
    await expect(model.fit({ data: new Float32Array(12), shape: [2, 6] }, [[1], [Number.NaN]])).rejects.toThrow(/value at \[1, 0\] is NaN/);
  });

  it("summary() prints Keras' parameter counts (the published models' layer sizes)", () => {
    const sentiment = new Sequential(env.ctx, { name: 'sentiment', layers: [
      layers.input({ shape: [100] }), layers.embedding({ inputDim: 10000, outputDim: 64 }), layers.gru({ units: 64 }),
      layers.dense({ units: 16, activation: 'relu' }), layers.dense({ units: 1, activation: 'sigmoid' }),
    ] });
    const text = new Sequential(env.ctx, [layers.lstm({ units: 128, inputShape: [40, 57] }), layers.dense({ units: 57 }), layers.activation({ activation: 'softmax' })]);
    models.push(sentiment, text);
    const lines: string[] = [];
    const printed = sentiment.summary((l) => lines.push(l));
    expect(lines).toEqual([printed]);
    // Embedding 10000 x 64; GRU (reset_after) 3 (64 (64 + 64) + 2 x 64); Dense 64 x 16 + 16; Dense 16 + 1.
    for (const count of ['640,000', '24,960', '1,040', '17', 'Total params: 666,017']) expect(printed).toContain(count);
    expect(printed).toMatch(/gru(_\d+)? \(GRU\)\s+\(None, 64\)\s+24,960/);
    expect(sentiment.countParams()).toBe(666_017);
    // LSTM 4 (128 (57 + 128) + 128); Dense 128 x 57 + 57.
    expect(text.summary(() => {})).toMatch(/\(None, 128\)\s+95,232[\s\S]*7,353[\s\S]*Total params: 102,585/);
  });

  it('a layer with weights cannot join a model whose other layers share weights with another', () => {
    const x = layers.input({ shape: [null, 2] });
    const encoder = layers.lstm({ units: 4, returnState: true });
    const [, h, c] = encoder.apply(x) as SymbolicTensor[];
    const training = new Model(env.ctx, { inputs: x, outputs: [h, c] });
    models.push(training);
    const extra = layers.dense({ units: 2, name: 'late' }).apply(h) as SymbolicTensor;
    expect(() => new Model(env.ctx, { inputs: x, outputs: extra })).toThrow(/layer 'late' is new, but the others share their weights with another model/);
  });
});

