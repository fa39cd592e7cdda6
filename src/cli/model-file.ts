// `webrnn predict --model PATH --input FILE.json` and `webrnn summary --model PATH` for any model file
// webrnn loads (a TensorFlow.js Layers model.json and its shards, or its directory): the input file is
// { "shape": [...], "data": [...] } (row-major, batch first), or a list of them for several inputs; the
// output has the same form (a list for several outputs).

import { readFileSync } from 'node:fs';
import { loadModel, type ArrayResult, type GpuContext, type Model } from '../index.js';
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

async function open(gpu: () => Promise<GpuContext>, path: string): Promise<Model> {
  return loadModel(await gpu(), path);
}

/** The model's outputs for the input file, as JSON text. */
export async function predictFile(gpu: () => Promise<GpuContext>, modelPath: string, inputPath: string): Promise<string> {
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
export async function summaryOf(gpu: () => Promise<GpuContext>, modelPath: string): Promise<string> {
  const model = await open(gpu, modelPath);
  try {
    return model.summary(() => {});
  } finally {
    model.dispose();
  }
}
