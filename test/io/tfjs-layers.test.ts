// The TensorFlow.js Layers format both ways, against TensorFlow.js itself (devDependency):
//   - models TensorFlow.js builds and saves (tf.io's in-memory artifacts) load into webrnn and predict
//     the same within 1e-5; the same files as the converter writes them (model.json + shards without an
//     extension, weights sorted by name with cell scopes, several groups, the 2018 form without `format`
//     and with model_config) and quantized (uint16 within 1e-3, float16 within 1e-2 of the outputs);
//   - webrnn's saveModel loads in tf.loadLayersModel with the same predictions, and from a directory;
//   - bad files (a missing or short shard, bytes left over, a wrong shape, a weight of no layer, a
//     flipped bit in a file webrnn wrote) are errors naming the file and the weight; nothing stays
//     allocated after a failed load.

import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, ModelFormatError, saveModel, Sequential, type ArrayResult, type LayersModelJson, type ManifestEntry, type Model } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const TOLERANCE = { atol: 1e-5, rtol: 0 };

type Artifacts = { modelTopology: object; weightSpecs: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }[]; weightData: ArrayBuffer };

async function tfjsArtifacts(model: tf.LayersModel): Promise<Artifacts> {
  let saved: Artifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts as Artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

function tokens(count: number, steps: number, vocab: number, seed: number) {
  const random = mulberry32(seed);
  return { data: Float32Array.from({ length: count * steps }, () => Math.floor(random() * vocab)), shape: [count, steps] };
}

function floats(shape: number[], seed: number) {
  return { data: Float32Array.from(uniformArray(shape.reduce((a, b) => a * b, 1), 1, mulberry32(seed))), shape };
}

/** The models of the checks, built in TensorFlow.js, with an input for each. */
function tfjsModels(): { name: string; model: tf.LayersModel; x: { data: Float32Array; shape: number[] } }[] {
  const sentiment = tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: 23, outputDim: 5, inputLength: 7 }), tf.layers.gru({ units: 9 }), tf.layers.dense({ units: 4, activation: 'relu' }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  const stacked = tf.sequential({ layers: [
    tf.layers.lstm({ units: 7, returnSequences: true, inputShape: [null, 3] }), tf.layers.dropout({ rate: 0.2 }), tf.layers.lstm({ units: 5 }),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  const source = tf.input({ shape: [null, 4] });
  const target = tf.input({ shape: [null, 3] });
  const [, h, c] = tf.layers.lstm({ units: 6, returnState: true, recurrentActivation: 'sigmoid' }).apply(source) as tf.SymbolicTensor[];
  const decoded = tf.layers.lstm({ units: 6, returnSequences: true }).apply(target, { initialState: [h, c] }) as tf.SymbolicTensor;
  const seq2seq = tf.model({ inputs: [source, target], outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(decoded) as tf.SymbolicTensor });
  const bidirectional = tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: 19, outputDim: 4, inputLength: 6 }),
    tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }) as never }),
    tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }) as never, mergeMode: 'sum' }),
    tf.layers.dense({ units: 2, activation: 'softmax' }),
  ] });
  return [
    { name: 'Embedding -> GRU -> Dense -> Dense(sigmoid)', model: sentiment, x: tokens(5, 7, 23, 1) },
    { name: 'Embedding -> Bidirectional(LSTM) -> Bidirectional(GRU, sum) -> Dense(softmax)', model: bidirectional, x: tokens(4, 6, 19, 5) },
    { name: 'LSTM -> Dropout -> LSTM -> Dense(softmax)', model: stacked, x: floats([4, 6, 3], 2) },
    { name: 'seq2seq (functional, initial states)', model: seq2seq, x: [floats([3, 5, 4], 3), floats([3, 4, 3], 4)] as never },
  ];
}

function predictTfjs(model: tf.LayersModel, x: { data: Float32Array; shape: number[] } | { data: Float32Array; shape: number[] }[]): Float32Array {
  const inputs = (Array.isArray(x) ? x : [x]).map((a) => tf.tensor(a.data, a.shape));
  return (model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor).dataSync() as Float32Array;
}

/** The artifacts as the converter writes model.json: entries sorted by name with cell scopes, two shards without an extension. */
function asConverterFiles(artifacts: Artifacts, options: { legacy?: boolean; quantize?: 'uint8' | 'uint16' | 'float16' } = {}) {
  const view = new DataView(artifacts.weightData);
  let offset = 0;
  const entries = artifacts.weightSpecs.map((spec) => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: count }, (_, k) => view.getFloat32(offset + 4 * k, true));
    offset += 4 * count;
    // 'lstm/kernel' -> 'lstm/lstm_cell/kernel', 'bidirectional/forward_gru/kernel' -> '.../forward_gru/gru_cell/kernel'.
    const parts = spec.name.split('/');
    const weight = parts.pop();
    const recurrent = parts.find((p) => /lstm|gru|simple_rnn/i.test(p));
    const cell = recurrent ? `/${recurrent.toLowerCase().includes('gru') ? 'gru' : 'lstm'}_cell` : '';
    return { name: `${parts.join('/')}${cell}/${weight}`, shape: spec.shape, values };
  }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const specs: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const e of entries) {
    if (!options.quantize) {
      specs.push({ name: e.name, shape: e.shape, dtype: 'float32' });
      chunks.push(new Uint8Array(e.values.buffer));
      continue;
    }
    const min = Math.min(...e.values);
    const max = Math.max(...e.values);
    if (options.quantize === 'float16') {
      specs.push({ name: e.name, shape: e.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
      chunks.push(new Uint8Array(Uint16Array.from(e.values, toHalf).buffer));
      continue;
    }
    const levels = options.quantize === 'uint8' ? 255 : 65535;
    const scale = (max - min) / levels || 1;
    const q = Array.from(e.values, (v) => Math.round((v - min) / scale));
    specs.push({ name: e.name, shape: e.shape, dtype: 'float32', quantization: { dtype: options.quantize, scale, min } });
    chunks.push(options.quantize === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer));
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const half = Math.floor(all.length / 2);
  const topology = options.legacy
    ? { keras_version: '2.1.6', backend: 'tensorflow', model_config: artifacts.modelTopology }
    : artifacts.modelTopology;
  const modelJson = {
    ...(options.legacy ? {} : { format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0' }),
    modelTopology: topology,
    weightsManifest: [{ paths: ['group1-shard1of2', 'group1-shard2of2'], weights: specs }],
  };
  return { modelJson: modelJson as LayersModelJson, weights: { 'group1-shard1of2': all.slice(0, half).buffer, 'group1-shard2of2': all.slice(half).buffer } };
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  return sign | (exponent << 10) | Math.round(mantissa / 8192);
}

describe('TensorFlow.js Layers files', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let cases: ReturnType<typeof tfjsModels>;
  beforeAll(async () => {
    env = await gpu();
    await tf.setBackend('cpu');
    cases = tfjsModels();
  });
  afterAll(() => tf.disposeVariables());

  const predictWebrnn = async (model: Model, x: unknown) => ((await model.predict(x as never)) as ArrayResult).data;

  it('models TensorFlow.js saved (in-memory artifacts) load and predict the same', async () => {
    for (const c of cases) {
      const model = await loadModel(env.ctx, await tfjsArtifacts(c.model));
      try {
        expectClose(await predictWebrnn(model, c.x), predictTfjs(c.model, c.x), TOLERANCE, c.name);
      } finally {
        model.dispose();
      }
    }
  });

  it("the converter's files: sorted entries with cell scopes, two shards without an extension, the 2018 form, quantized weights", async () => {
    for (const c of cases) {
      const artifacts = await tfjsArtifacts(c.model);
      const expected = predictTfjs(c.model, c.x);
      for (const [options, tol] of [
        [{}, TOLERANCE], [{ legacy: true }, TOLERANCE], [{ quantize: 'float16' }, { atol: 1e-2, rtol: 0 }], [{ quantize: 'uint16' }, { atol: 1e-3, rtol: 0 }],
      ] as const) {
        const model = await loadModel(env.ctx, asConverterFiles(artifacts, options));
        try {
          expectClose(await predictWebrnn(model, c.x), expected, tol, `${c.name} ${JSON.stringify(options)}`);
        } finally {
          model.dispose();
        }
      }
    }
  });

  it('a Bidirectional model webrnn saves loads in tf.loadLayersModel (its forward_ / backward_ weight names) and predicts the same', async () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [null, 3] }), layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }),
      layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }), mergeMode: 'ave' }), layers.dense({ units: 2, activation: 'tanh' })]);
    try {
      const x = floats([3, 5, 3], 8);
      const expected = await predictWebrnn(model, x);
      const saved = await saveModel(model);
      expect(saved.modelJson.weightsManifest[0].weights.map((w) => w.name).slice(0, 3)).toEqual(['bidirectional/forward_lstm/kernel', 'bidirectional/forward_lstm/recurrent_kernel', 'bidirectional/forward_lstm/bias']);
      const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelJson.modelTopology as object, weightSpecs: saved.modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[], weightData: saved.shard }));
      expectClose(predictTfjs(tfModel, x), expected, TOLERANCE, 'tf.loadLayersModel of a Bidirectional model');
      const back = await loadModel(env.ctx, { modelJson: saved.modelJson, weights: { [saved.shardName]: saved.shard } });
      expect(await back.getWeights()).toEqual(await model.getWeights());
      back.dispose();
    } finally {
      model.dispose();
    }
  });

  it('webrnn saves what tf.loadLayersModel loads, and loads its own files back from a directory', async () => {
    const model = new Sequential(env.ctx, [layers.input({ shape: [null, 3] }), layers.lstm({ units: 5, returnSequences: true }), layers.gru({ units: 4, resetAfter: false }), layers.dense({ units: 2, activation: 'tanh' })]);
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-tfjs-'));
    try {
      const x = floats([3, 6, 3], 5);
      const expected = await predictWebrnn(model, x);
      const saved = await saveModel(model, dir);
      const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.modelJson.modelTopology as object, weightSpecs: saved.modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[], weightData: saved.shard }));
      expectClose(predictTfjs(tfModel, x), expected, TOLERANCE, 'tf.loadLayersModel');
      const fromDisk = await loadModel(env.ctx, dir);
      expect(await fromDisk.getWeights()).toEqual(await model.getWeights());
      fromDisk.dispose();
      const fromPath = await loadModel(env.ctx, join(dir, 'model.json'));
      fromPath.dispose();

      // A flipped bit in a file webrnn wrote is caught by its checksum.
      const shard = readFileSync(join(dir, saved.shardName));
      shard[17] ^= 0x04;
      writeFileSync(join(dir, saved.shardName), shard);
      const live = env.ctx.liveBuffers;
      await expect(loadModel(env.ctx, dir)).rejects.toThrow(/does not match the checksum webrnn wrote/);
      expect(env.ctx.liveBuffers).toBe(live);
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad files are errors naming the file and the weight, and leave nothing allocated', async () => {
    const artifacts = await tfjsArtifacts(cases[0].model);
    const files = asConverterFiles(artifacts);
    const live = env.ctx.liveBuffers;
    const load = (modelJson: object, weights: Record<string, ArrayBuffer>) => loadModel(env.ctx, { modelJson: modelJson as never, weights });
    await expect(load(files.modelJson, { 'group1-shard1of2': files.weights['group1-shard1of2'] })).rejects.toThrow(/weight shard 'group1-shard2of2' \(group 0\) cannot be read/);
    await expect(load(files.modelJson, { ...files.weights, 'group1-shard2of2': files.weights['group1-shard2of2'].slice(0, 40) })).rejects.toThrow(/needs bytes \d+ to \d+, but the data has \d+ \(a missing or truncated shard\?\)/);
    const longer = new Uint8Array(files.weights['group1-shard2of2'].byteLength + 8);
    longer.set(new Uint8Array(files.weights['group1-shard2of2']));
    await expect(load(files.modelJson, { ...files.weights, 'group1-shard2of2': longer.buffer })).rejects.toThrow(/8 bytes are left after the last weight/);
    const specs = files.modelJson.weightsManifest[0].weights as { name: string; shape: number[] }[];
    const renamed = structuredClone(files.modelJson);
    (renamed.weightsManifest[0].weights[0] as { name: string }).name = 'nowhere/kernel';
    await expect(load(renamed, files.weights)).rejects.toThrow(/model\.json: \w+ '\w+' weight '\w+' is not in the file \(the layer's entries: (none|'.*')?|belong to no layer of the model: 'nowhere\/kernel'/);
    const reshaped = structuredClone(files.modelJson);
    const dense = reshaped.weightsManifest[0].weights.findIndex((w) => (w as { name: string }).name.endsWith('/bias'));
    (reshaped.weightsManifest[0].weights[dense] as { shape: number[] }).shape = [1, specs[dense].shape[0]];
    await expect(load(reshaped, files.weights)).rejects.toThrow(/weight 'bias': the file's '.+\/bias' has shape \[1, \d+\], the layer's config makes \[\d+\]/);
    await expect(loadModel(env.ctx, { modelJson: '{ not json', weights: {} })).rejects.toThrow(ModelFormatError);
    expect(env.ctx.liveBuffers).toBe(live);
  });
});
