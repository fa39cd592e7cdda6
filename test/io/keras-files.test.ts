// Keras' own files: .h5 (Keras 1.2, tf.keras 1.x / 2.15, Keras 3), save_weights' .h5, Keras 3's .keras
// archive and .weights.h5 — the fixtures of test/fixtures/keras, written with h5py the way Keras' savers lay
// them out (scripts/fixtures/make-keras-files.py). Each fixture comes with the Keras 2 config of the same
// model and its weights in Keras 2 get_weights() order, converted in numpy from the file's layout
// (Keras 1 per-gate weights, cuDNN), independently of webrnn. Checked:
//   - the loaded model's weights are exactly those (float16 files: the float16 values), so every weight
//     landed in its place, in Keras' layout;
//   - it predicts what TensorFlow.js predicts, built from the Keras 2 config with those weights, within
//     1e-5 (GRU reset_after=True, which TensorFlow.js lacks: the same model built by webrnn's fromConfig);
//   - webrnn's own .h5 and .keras files load back to the same weights and predictions, and have the
//     layout Keras reads (attributes, groups, variable paths);
//   - damaged files and mismatched weights are errors naming the file and the layer; nothing stays allocated.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromConfig, layers, loadModel, loadWeights, Model, ModelFormatError, saveModel, Sequential, type ArrayResult, type ModelFileSource, type SymbolicTensor } from '../../src/index.js';
import { readHdf5, childAt, type Hdf5Group } from '../../src/io/hdf5.js';
import { unzip } from '../../src/io/zip.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const TOLERANCE = { atol: 1e-5, rtol: 0 };
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras');

interface Sidecar {
  note: string;
  keras2Config: object;
  inputShape: number[] | number[][];
  inputDtype: 'float32' | 'int32';
  weights: { shape: number[]; values: number[] }[];
}

const sidecar = (name: string): Sidecar => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

/** Inputs for the fixture's model: batch 3, floats or tokens below the vocabulary. */
function inputsFor(side: Sidecar): { data: Float32Array; shape: number[] }[] {
  const shapes = (Array.isArray(side.inputShape[0]) ? side.inputShape : [side.inputShape]) as number[][];
  return shapes.map((shape, i) => {
    const full = [3, ...shape];
    const count = full.reduce((a, b) => a * b, 1);
    const random = mulberry32(40 + i);
    const data = side.inputDtype === 'int32'
      ? Float32Array.from({ length: count }, () => Math.floor(random() * 9))
      : Float32Array.from(uniformArray(count, 1, random));
    return { data, shape: full };
  });
}

async function predictWebrnn(model: Model, x: { data: Float32Array; shape: number[] }[]): Promise<Float32Array> {
  const out = await model.predict((x.length === 1 ? x[0] : x) as never);
  return (Array.isArray(out) ? out[0] : (out as ArrayResult)).data;
}

async function predictTfjs(side: Sidecar, x: { data: Float32Array; shape: number[] }[]): Promise<Float32Array> {
  const model = await tf.models.modelFromJSON(side.keras2Config as never);
  model.setWeights(side.weights.map((w) => tf.tensor(w.values, w.shape)));
  const inputs = x.map((a, i) => tf.tensor(a.data, a.shape, side.inputDtype === 'int32' && i === 0 ? 'int32' : 'float32'));
  const y = (model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor).dataSync() as Float32Array;
  model.dispose();
  return y;
}

const FIXTURE_FILES = [
  { file: 'tfkeras2-lstm.h5', reference: 'tfjs' },
  { file: 'keras3-functional.h5', reference: 'fromConfig' },
  { file: 'keras1-lstm.h5', reference: 'tfjs' },
  { file: 'tfkeras1-cudnnlstm.h5', reference: 'tfjs' },
  { file: 'tfkeras2-float16.h5', reference: 'tfjs' },
  { file: 'keras3-two-inputs.keras', reference: 'tfjs' },
  { file: 'tfkeras2-hard-sigmoid.keras', reference: 'tfjs' },
  { file: 'tfkeras2-bidirectional.h5', reference: 'tfjs' },
  { file: 'keras3-bidirectional.keras', reference: 'tfjs' },
  { file: 'keras22-addition-rnn.h5', reference: 'tfjs' },
] as const;

describe('Keras files', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let dir: string;
  beforeAll(async () => {
    env = await gpu();
    dir = mkdtempSync(join(tmpdir(), 'webrnn-keras-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const { file, reference } of FIXTURE_FILES) {
    it(`${file}: exact weights, and predictions of ${reference === 'tfjs' ? 'TensorFlow.js' : 'the same config'} within 1e-5`, async () => {
      const side = sidecar(file);
      const model = await loadModel(env.ctx, join(FIXTURES, file));
      try {
        const weights = await model.getWeights();
        expect(weights.length).toBe(side.weights.length);
        weights.forEach((w, i) => expect(Array.from(w), `weight ${i}`).toEqual(Array.from(Float32Array.from(side.weights[i].values))));
        const x = inputsFor(side);
        const got = await predictWebrnn(model, x);
        let want: Float32Array;
        if (reference === 'tfjs') want = await predictTfjs(side, x);
        else {
          const twin = fromConfig(env.ctx, side.keras2Config);
          twin.setWeights(side.weights.map((w) => Float32Array.from(w.values)));
          want = await predictWebrnn(twin, x);
          twin.dispose();
        }
        expectClose(got, want, TOLERANCE, file);
      } finally {
        model.dispose();
      }
    });
  }

  it('loads from bytes, a File, a URL-less browser-style list, and an unzipped .keras directory the same', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'keras3-two-inputs.keras')));
    const side = sidecar('keras3-two-inputs.keras');
    const x = inputsFor(side);
    const want = await predictTfjs(side, x);
    const unzipped = join(dir, 'unzipped');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(unzipped);
    for (const [name, data] of await unzip(bytes, 'fixture')) writeFileSync(join(unzipped, name), data);
    for (const source of [bytes, bytes.buffer.slice(0) as ArrayBuffer, new File([bytes], 'model.keras'), [new File([bytes], 'model.keras')], unzipped]) {
      const model = await loadModel(env.ctx, source as ModelFileSource);
      expectClose(await predictWebrnn(model, x), want, TOLERANCE, String(source));
      model.dispose();
    }
  });

  it('weights-only files (save_weights .h5 with chunked layer_names, Keras 3 .weights.h5) load onto a model built in code', async () => {
    const lstmSide = sidecar('tfkeras2-lstm.weights-only.h5');
    const model = new Sequential(env.ctx, [layers.lstm({ units: 7, returnSequences: true, inputShape: [4, 5], name: 'a' }), layers.dense({ units: 3, name: 'b' })]);
    await loadWeights(model, join(FIXTURES, 'tfkeras2-lstm.weights-only.h5'));
    const x = inputsFor(lstmSide);
    expectClose(await predictWebrnn(model, x), await predictTfjs(lstmSide, x), TOLERANCE, 'weights-only h5 (paired by order: other layer names)');
    model.dispose();

    const side = sidecar('keras3-two-inputs.weights.h5');
    const sequence = layers.input({ shape: [5, 3], name: 'sequence' });
    const context = layers.input({ shape: [4], name: 'context' });
    const h = layers.dense({ units: 6, activation: 'tanh', name: 'init_h' }).apply(context) as SymbolicTensor;
    const c = layers.dense({ units: 6, name: 'init_c' }).apply(context) as SymbolicTensor;
    const encoded = layers.lstm({ units: 6, name: 'encoder' }).apply(sequence, { initialState: [h, c] }) as SymbolicTensor;
    const head = layers.dense({ units: 2, name: 'head' }).apply(encoded) as SymbolicTensor;
    const functional = new Model(env.ctx, { inputs: [sequence, context], outputs: head });
    await loadWeights(functional, join(FIXTURES, 'keras3-two-inputs.weights.h5'));
    const y = inputsFor(side);
    expectClose(await predictWebrnn(functional, y), await predictTfjs(side, y), TOLERANCE, '.weights.h5');
    await expect(loadModel(env.ctx, join(FIXTURES, 'tfkeras2-lstm.weights-only.h5'))).rejects.toThrow(/weights only.*loadWeights/);
    // model.to_json() and save_weights(), as Keras users keep them.
    const joined = await loadModel(env.ctx, { architecture: JSON.stringify(lstmSide.keras2Config), weights: join(FIXTURES, 'tfkeras2-lstm.weights-only.h5') });
    expectClose(await predictWebrnn(joined, x), await predictTfjs(lstmSide, x), TOLERANCE, '{ architecture, weights }');
    joined.dispose();
    functional.dispose();
  });

  it("webrnn's .h5 and .keras load back the same and have Keras' layout", async () => {
    const tokens = layers.input({ shape: [6], dtype: 'int32', name: 'tokens' });
    const features = layers.input({ shape: [6, 3], name: 'features' });
    const embedded = layers.embedding({ inputDim: 11, outputDim: 4, name: 'embed' }).apply(tokens) as SymbolicTensor;
    const joined = layers.concatenate({ name: 'join' }).apply([embedded, features]) as SymbolicTensor;
    const gru = layers.gru({ units: 5, returnSequences: true, name: 'gru_a', seed: 3 }).apply(joined) as SymbolicTensor;
    const lstm = layers.lstm({ units: 4, name: 'lstm_b', seed: 4 }).apply(gru) as SymbolicTensor;
    const out = layers.dense({ units: 2, activation: 'softmax', name: 'out', seed: 5 }).apply(lstm) as SymbolicTensor;
    const model = new Model(env.ctx, { inputs: [tokens, features], outputs: out, name: 'mixed' });
    const random = mulberry32(9);
    const x = [
      { data: Float32Array.from({ length: 12 }, () => Math.floor(random() * 11)), shape: [2, 6] },
      { data: Float32Array.from(uniformArray(36, 1, random)), shape: [2, 6, 3] },
    ];
    const want = await predictWebrnn(model, x);
    const weights = await model.getWeights();
    for (const format of ['h5', 'keras'] as const) {
      const path = join(dir, `mixed.${format}`);
      const bytes = await saveModel(model, path as `${string}.h5`);
      expect(Array.from(readFileSync(path))).toEqual(Array.from(bytes));
      if (process.env.WEBRNN_KEEP_KERAS_FILES) writeFileSync(join(process.env.WEBRNN_KEEP_KERAS_FILES, `mixed.${format}`), bytes);
      const back = await loadModel(env.ctx, path);
      const again = await back.getWeights();
      again.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));
      expectClose(await predictWebrnn(back, x), want, { atol: 0, rtol: 0 }, format);
      back.dispose();
    }
    // The layout Keras' loaders read.
    const h5 = await readHdf5(new Uint8Array(readFileSync(join(dir, 'mixed.h5'))), 'mixed.h5');
    expect(JSON.parse(h5.attrs.model_config as string).class_name).toBe('Functional');
    const group = childAt(h5, 'model_weights') as Hdf5Group;
    expect(group.attrs.layer_names).toEqual(model.layers.map((l) => l.name));
    expect(model.layers).toHaveLength(7);
    expect((childAt(group, 'gru_a') as Hdf5Group).attrs.weight_names).toEqual(['gru_a/gru_cell/kernel:0', 'gru_a/gru_cell/recurrent_kernel:0', 'gru_a/gru_cell/bias:0']);
    expect(childAt(group, 'gru_a/gru_a/gru_cell/bias:0')).toMatchObject({ kind: 'dataset', shape: [2, 15] });
    const archive = await unzip(new Uint8Array(readFileSync(join(dir, 'mixed.keras'))), 'mixed.keras');
    expect([...archive.keys()].sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5']);
    const config = JSON.parse(new TextDecoder().decode(archive.get('config.json')));
    expect(config).toMatchObject({ module: 'keras.src.models.functional', class_name: 'Functional' });
    const gruEntry = config.config.layers.find((l: { name: string }) => l.name === 'gru_a');
    expect(gruEntry).toMatchObject({ module: 'keras.layers', class_name: 'GRU', registered_name: null });
    expect(gruEntry.config).not.toHaveProperty('time_major');
    expect(gruEntry.inbound_nodes[0].args[0]).toMatchObject({ class_name: '__keras_tensor__', config: { keras_history: ['join', 0, 0] } });
    const joinEntry = config.config.layers.find((l: { name: string }) => l.name === 'join');
    expect(joinEntry.inbound_nodes[0].args[0]).toHaveLength(2);
    const tree = await readHdf5(archive.get('model.weights.h5')!, 'model.weights.h5');
    expect(childAt(tree, 'layers/gru/cell/vars/2')).toMatchObject({ kind: 'dataset', shape: [2, 15] });
    expect(childAt(tree, 'layers/lstm/cell/vars/0')).toMatchObject({ kind: 'dataset', shape: [5, 16] });
    expect(childAt(tree, 'layers/embedding/vars/0')).toMatchObject({ kind: 'dataset', shape: [11, 4] });
    expect(childAt(tree, 'layers/dense/vars/1')).toMatchObject({ kind: 'dataset', shape: [2] });
    model.dispose();
  });

  it("a Bidirectional model in webrnn's .h5 and .keras: Keras' names and paths for both directions, back the same", async () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [5, 3] }), layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true, name: 'gru' }), mergeMode: 'mul', name: 'bi' }), layers.dense({ units: 2 })]);
    const weights = await model.getWeights();
    for (const format of ['h5', 'keras'] as const) {
      const path = join(dir, `bi.${format}`);
      await saveModel(model, path as `${string}.h5`);
      const back = await loadModel(env.ctx, path);
      (await back.getWeights()).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));
      back.dispose();
    }
    const h5 = await readHdf5(new Uint8Array(readFileSync(join(dir, 'bi.h5'))), 'bi.h5');
    expect((childAt(h5, 'model_weights/bi') as Hdf5Group).attrs.weight_names).toEqual([
      'bi/forward_gru/gru_cell/kernel:0', 'bi/forward_gru/gru_cell/recurrent_kernel:0', 'bi/forward_gru/gru_cell/bias:0',
      'bi/backward_gru/gru_cell/kernel:0', 'bi/backward_gru/gru_cell/recurrent_kernel:0', 'bi/backward_gru/gru_cell/bias:0',
    ]);
    const archive = await unzip(new Uint8Array(readFileSync(join(dir, 'bi.keras'))), 'bi.keras');
    const entry = JSON.parse(new TextDecoder().decode(archive.get('config.json'))).config.layers[1];
    expect(entry).toMatchObject({ class_name: 'Bidirectional', config: { merge_mode: 'mul', layer: { class_name: 'GRU', config: { name: 'forward_gru', go_backwards: false } }, backward_layer: { config: { name: 'backward_gru', go_backwards: true } } } });
    const tree = await readHdf5(archive.get('model.weights.h5')!, 'model.weights.h5');
    expect(childAt(tree, 'layers/bidirectional/forward_layer/cell/vars/0')).toMatchObject({ kind: 'dataset', shape: [3, 12] });
    expect(childAt(tree, 'layers/bidirectional/backward_layer/cell/vars/2')).toMatchObject({ kind: 'dataset', shape: [2, 12] });
    model.dispose();
  });

  it('RepeatVector and TimeDistributed(Dense) through .h5, .keras and TensorFlow.js files, the last loaded by tf.loadLayersModel', async () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [5, 4] }), layers.lstm({ units: 6 }), layers.repeatVector({ n: 3 }),
      layers.lstm({ units: 5, returnSequences: true }), layers.timeDistributed({ layer: layers.dense({ units: 4, activation: 'softmax' }) })]);
    const x = [{ data: Float32Array.from(uniformArray(2 * 5 * 4, 1, mulberry32(3))), shape: [2, 5, 4] }];
    const want = await predictWebrnn(model, x);
    for (const format of ['h5', 'keras'] as const) {
      const path = join(dir, `addition.${format}`);
      await saveModel(model, path as `${string}.h5`);
      const back = await loadModel(env.ctx, path);
      expectClose(await predictWebrnn(back, x), want, { atol: 0, rtol: 0 }, format);
      back.dispose();
    }
    const archive = await unzip(new Uint8Array(readFileSync(join(dir, 'addition.keras'))), 'addition.keras');
    const entries = JSON.parse(new TextDecoder().decode(archive.get('config.json'))).config.layers;
    expect(entries.map((e: { class_name: string }) => e.class_name)).toEqual(['InputLayer', 'LSTM', 'RepeatVector', 'LSTM', 'TimeDistributed']);
    expect(entries[4].config.layer).toMatchObject({ module: 'keras.layers', class_name: 'Dense', config: { units: 4, activation: 'softmax' } });
    const tree = await readHdf5(archive.get('model.weights.h5')!, 'model.weights.h5');
    expect(childAt(tree, 'layers/time_distributed/layer/vars/0')).toMatchObject({ kind: 'dataset', shape: [5, 4] });
    const saved = await saveModel(model);
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelJson.modelTopology as object, weightSpecs: saved.modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[], weightData: saved.shard }));
    expectClose((tfModel.predict(tf.tensor(x[0].data, x[0].shape)) as tf.Tensor).dataSync() as Float32Array, want, TOLERANCE, 'tf.loadLayersModel');
    tfModel.dispose();
    model.dispose();
  });

  it('damaged files and mismatched weights are errors naming the file and the layer; nothing stays allocated', async () => {
    const live = env.ctx.liveBuffers;
    const h5 = readFileSync(join(FIXTURES, 'tfkeras2-lstm.h5'));
    const truncated = join(dir, 'truncated.h5');
    writeFileSync(truncated, h5.subarray(0, 3000));
    await expect(loadModel(env.ctx, truncated)).rejects.toThrow(ModelFormatError);
    await expect(loadModel(env.ctx, truncated)).rejects.toThrow(/truncated\.h5: HDF5 cannot read it/);
    const keras = readFileSync(join(FIXTURES, 'keras3-two-inputs.keras'));
    const cut = join(dir, 'cut.keras');
    writeFileSync(cut, keras.subarray(0, 2000));
    await expect(loadModel(env.ctx, cut)).rejects.toThrow(/cut\.keras/);
    await expect(loadModel(env.ctx, new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/neither a Keras \.h5.*nor a \.keras/);
    // Weights for another model: the layer and both shapes are named.
    const other = new Sequential(env.ctx, [layers.lstm({ units: 8, returnSequences: true, inputShape: [4, 5] }), layers.dense({ units: 3 })]);
    await expect(loadWeights(other, join(FIXTURES, 'tfkeras2-lstm.weights-only.h5'))).rejects.toThrow(/tfkeras2-lstm\.weights-only\.h5.*layer 'lstm'.*\[5, 28\]|tfkeras2-lstm\.weights-only\.h5.*'lstm'/);
    const fewer = new Sequential(env.ctx, [layers.lstm({ units: 7, inputShape: [4, 5] })]);
    await expect(loadWeights(fewer, join(FIXTURES, 'tfkeras2-lstm.weights-only.h5'))).rejects.toThrow(/weights for 2 layers \('lstm', 'dense'\).*1 layer with weights/);
    other.dispose();
    fewer.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
  });

  it('fuzzed files (bit flips in Keras files and in webrnn\'s) load exactly or fail with a webrnn error; webrnn\'s checksum catches changed weights', async () => {
    const live = env.ctx.liveBuffers;
    const random = mulberry32(77);
    const model = new Sequential(env.ctx, [layers.input({ shape: [4, 3] }), layers.gru({ units: 5, returnSequences: true, seed: 1 }), layers.dense({ units: 2, seed: 2 })]);
    const original = await model.getWeights();
    const ours = {
      h5: await saveModel(model, join(dir, 'fuzz.h5') as `${string}.h5`),
      keras: await saveModel(model, join(dir, 'fuzz.keras') as `${string}.keras`),
    };
    model.dispose();
    const theirs = new Uint8Array(readFileSync(join(FIXTURES, 'tfkeras2-lstm.h5')));
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 90; i++) {
      const which = i % 3 === 0 ? 'theirs' : i % 3 === 1 ? 'h5' : 'keras';
      const bytes = (which === 'theirs' ? theirs : ours[which as 'h5' | 'keras']).slice();
      for (let k = 0, flips = 1 + Math.floor(random() * 4); k < flips; k++) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
      try {
        const loaded = await loadModel(env.ctx, bytes);
        if (which !== 'theirs') {
          // A webrnn file that loads is the model webrnn wrote: a flip that changed a weight is a checksum error.
          const weights = await loaded.getWeights();
          weights.forEach((w, j) => expect(Array.from(w), `${which} #${i} weight ${j}`).toEqual(Array.from(original[j])));
        }
        loaded.dispose();
        outcomes[`${which} loaded`] = (outcomes[`${which} loaded`] ?? 0) + 1;
      } catch (error) {
        expect((error as Error).constructor.name, `${which} #${i}: ${(error as Error).message}`).toMatch(/^(ModelFormatError|ShapeError)$/);
        outcomes[`${which} refused`] = (outcomes[`${which} refused`] ?? 0) + 1;
      }
    }
    expect(outcomes['h5 refused'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(0);
    expect(outcomes['keras refused'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(0);
    // The readers are still sound after all that.
    const again = await loadModel(env.ctx, ours.h5);
    again.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
  });
});
