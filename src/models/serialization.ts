// Saving and loading models: a JSON manifest (model type and config, every weight's name, shape and byte
// offset, in the manner of the TensorFlow.js weights manifest) plus one binary blob of little-endian
// float32, weights in Keras layout. A checksum over the blob catches truncation and corruption; a load
// either gives a complete model or throws, never a half-loaded one.

import type { GpuContext } from '../gpu/context.js';
import { WebRnnError } from '../gpu/errors.js';
import type { RecurrentModel } from './recurrent-model.js';
import { Seq2Seq, type Seq2SeqConfig } from './seq2seq.js';
import { SequenceModel, type SequenceModelConfig } from './sequence-model.js';

export const MODEL_FORMAT = 'webrnn-model';
export const MODEL_FORMAT_VERSION = 1;

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset in the blob. */
  byteOffset: number;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  modelType: 'Seq2Seq' | 'SequenceModel';
  config: Seq2SeqConfig | SequenceModelConfig;
  weights: WeightEntry[];
  /** Bytes of the blob. */
  byteLength: number;
  /** FNV-1a 32-bit hash of the blob, hex. */
  checksum: string;
}

export interface ModelArtifacts {
  manifest: ModelManifest;
  weights: ArrayBuffer;
}

export class ModelFormatError extends WebRnnError {}

export async function saveModel(model: Seq2Seq | SequenceModel): Promise<ModelArtifacts> {
  const values = await model.getWeights();
  const specs = model.weightSpecs;
  const byteLength = values.reduce((n, v) => n + v.byteLength, 0);
  const blob = new ArrayBuffer(byteLength);
  const view = new DataView(blob);
  const weights: WeightEntry[] = [];
  let offset = 0;
  values.forEach((value, i) => {
    weights.push({ name: specs[i].name, shape: specs[i].shape, dtype: 'float32', byteOffset: offset });
    for (let k = 0; k < value.length; k++) view.setFloat32(offset + 4 * k, value[k], true);
    offset += value.byteLength;
  });
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    modelType: model instanceof Seq2Seq ? 'Seq2Seq' : 'SequenceModel',
    config: structuredClone(model.config),
    weights,
    byteLength,
    checksum: fnv1a(new Uint8Array(blob)),
  };
  return { manifest, weights: blob };
}

/** Rebuilds a saved model. Throws ModelFormatError (and releases everything) on any inconsistency. */
export async function loadModel(ctx: GpuContext, artifacts: ModelArtifacts): Promise<Seq2Seq | SequenceModel> {
  const { manifest, weights: blob } = artifacts ?? ({} as ModelArtifacts);
  if (!manifest || typeof manifest !== 'object') throw new ModelFormatError('load: the manifest is missing');
  if (manifest.format !== MODEL_FORMAT) throw new ModelFormatError(`load: not a webrnn model manifest (format '${String(manifest.format)}')`);
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`load: manifest format version ${manifest.formatVersion}, this webrnn reads ${MODEL_FORMAT_VERSION}`);
  }
  if (!(blob instanceof ArrayBuffer)) throw new ModelFormatError('load: the weights blob is missing (expected an ArrayBuffer)');
  if (blob.byteLength !== manifest.byteLength) {
    throw new ModelFormatError(`load: the weights blob has ${blob.byteLength} bytes, the manifest says ${manifest.byteLength} (truncated or wrong file?)`);
  }
  if (fnv1a(new Uint8Array(blob)) !== manifest.checksum) throw new ModelFormatError('load: the weights blob does not match its checksum (corrupted)');

  let model: Seq2Seq | SequenceModel;
  try {
    if (manifest.modelType === 'Seq2Seq') model = new Seq2Seq(ctx, manifest.config as Seq2SeqConfig);
    else if (manifest.modelType === 'SequenceModel') model = new SequenceModel(ctx, manifest.config as SequenceModelConfig);
    else throw new ModelFormatError(`load: unknown model type '${String(manifest.modelType)}'`);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`load: the manifest's config does not describe a valid model: ${(error as Error).message}`);
  }
  try {
    setFromBlob(model, manifest, blob);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function setFromBlob(model: RecurrentModel, manifest: ModelManifest, blob: ArrayBuffer): void {
  const specs = model.weightSpecs;
  if (!Array.isArray(manifest.weights) || manifest.weights.length !== specs.length) {
    throw new ModelFormatError(`load: the manifest lists ${manifest.weights?.length} weights, the model has ${specs.length}`);
  }
  const view = new DataView(blob);
  const values = specs.map((spec, i) => {
    const entry = manifest.weights[i];
    if (entry.name !== spec.name || entry.shape.join() !== spec.shape.join() || entry.dtype !== 'float32') {
      throw new ModelFormatError(`load: weight ${i} is '${entry.name}' [${entry.shape}] ${entry.dtype}, the model expects '${spec.name}' [${spec.shape}] float32`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(entry.byteOffset) || entry.byteOffset < 0 || entry.byteOffset + 4 * size > blob.byteLength) {
      throw new ModelFormatError(`load: weight '${entry.name}' lies outside the blob (offset ${entry.byteOffset}, ${4 * size} bytes)`);
    }
    const value = new Float32Array(size);
    for (let k = 0; k < size; k++) value[k] = view.getFloat32(entry.byteOffset + 4 * k, true);
    return value;
  });
  model.setWeights(values);
}

/** FNV-1a, 32 bits: a fast hash that any change or truncation of the blob changes. */
function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
