// `webrnn predict --model PATH --input FILE.json`, `webrnn summary --model PATH` and `webrnn convert IN OUT`
// for any model file webrnn loads (a Keras .h5 or .keras, a TensorFlow.js Layers model.json and its
// shards, or its directory): the input file is
// { "shape": [...], "data": [...] } (row-major, batch first), or a list of them for several inputs; the
// output has the same form (a list for several outputs).

import { readFileSync } from 'node:fs';
import { loadModel, saveModel, type ArrayResult, type GpuContext, type Model } from '../index.js';
import { UsageError } from './args.js';

interface ArrayFile {
  shape: number[];
  data: number[];
}

function readArrays(path: string): ArrayFile[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--input ${path}: ${(error as Error).message}`, 'predict');
  }
  const list = Array.isArray(value) ? value : [value];
  list.forEach((item, i) => {
    const ok = item && typeof item === 'object' && Array.isArray((item as ArrayFile).shape) && Array.isArray((item as ArrayFile).data);
    if (!ok) throw new UsageError(`--input ${path}: entry ${i} is not { "shape": [...], "data": [...] }`, 'predict');
  });
  return list as ArrayFile[];
}

/** A model file, or (with `weights`) an architecture JSON file and a weights file. */
export interface ModelPaths {
  readonly model: string;
  readonly weights?: string;
}

async function open(gpu: () => Promise<GpuContext>, paths: ModelPaths | string): Promise<Model> {
  const { model, weights } = typeof paths === 'string' ? { model: paths, weights: undefined } : paths;
  if (weights === undefined) return loadModel(await gpu(), model);
  let architecture: string;
  try {
    architecture = readFileSync(model, 'utf8');
  } catch (error) {
    throw new UsageError(`--model ${model} (the architecture JSON, with --weights) cannot be read: ${(error as Error).message}`);
  }
  return loadModel(await gpu(), { architecture, weights });
}

/** The model's outputs for the input file, as JSON text. */
export async function predictFile(gpu: () => Promise<GpuContext>, modelPath: ModelPaths | string, inputPath: string): Promise<string> {
  const inputs = readArrays(inputPath);
  const model = await open(gpu, modelPath);
  try {
    const result = await model.predict(inputs.length === 1 ? inputs[0] : inputs);
    const asJson = (r: ArrayResult) => ({ shape: r.shape, data: Array.from(r.data) });
    return JSON.stringify(Array.isArray(result) ? result.map(asJson) : asJson(result));
  } finally {
    model.dispose();
  }
}

/** Keras' summary() of a model file. */
export async function summaryOf(gpu: () => Promise<GpuContext>, modelPath: ModelPaths | string): Promise<string> {
  const model = await open(gpu, modelPath);
  try {
    return model.summary(() => {});
  } finally {
    model.dispose();
  }
}

/**
 * The model file `from` written as `to`, in the format `to` names: a .h5 (Keras 2's HDF5 layout), a
 * .keras (Keras 3's archive), or otherwise a directory of TensorFlow.js Layers files. Returns what was written.
 */
export async function convertFile(gpu: () => Promise<GpuContext>, from: ModelPaths | string, to: string): Promise<string> {
  const model = await open(gpu, from);
  try {
    if (/\.(h5|keras)$/i.test(to)) {
      const bytes = await saveModel(model, to as `${string}.h5`);
      return `${to} (${/\.h5$/i.test(to) ? 'Keras HDF5' : 'Keras 3 archive'}, ${bytes.byteLength} bytes)`;
    }
    const files = await saveModel(model, to);
    return `${to}/model.json and ${to}/${files.shardName} (TensorFlow.js Layers)`;
  } finally {
    model.dispose();
  }
}
