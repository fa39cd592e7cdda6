// Saving and loading models: a JSON manifest (model type and config, every weight's name, shape and byte
// offset, in the manner of the TensorFlow.js weights manifest) plus one binary blob of little-endian
// float32, weights in Keras layout, stored one after another in manifest order. A load gives exactly the
// saved model or throws ModelFormatError, never a half-loaded or shifted one: the checksum covers the
// manifest and the blob, the entries must tile the blob exactly (in order, no gap, no overlap), and each
// entry's name, shape and dtype must be what the config's model has.
//
// Format versions: 2 (written) checksums the manifest (its JSON with sorted keys, without `checksum`)
// followed by the blob; 1 (still read) checksummed the blob only.

import type { GpuContext } from '../gpu/context.js';
import { ModelFormatError } from '../gpu/errors.js';
import { canonicalJson, fnv1a } from '../io/checksum.js';
// Imported statically: as a lazy chunk its imports from the main chunk (fromConfig, toConfig) would keep
// the config code in every app's bundle; statically, an app that never loads a model file shakes it out.
import { isLayersModelSource, loadLayersModel, saveKerasFile, saveLayersModel, type LayersModelFiles, type LayersModelSource } from '../io/model-files.js';
import type { Model } from './model.js';
import type { RecurrentModel } from './recurrent-model.js';
import { Seq2Seq, type Seq2SeqConfig } from './seq2seq.js';
import { SequenceModel, type SequenceModelConfig } from './sequence-model.js';

/** The `format` of every model manifest webrnn writes. */
export const MODEL_FORMAT = 'webrnn-model';
/** The manifest version saveModel() writes (loadModel() reads 1 and 2). */
export const MODEL_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

/** One weight of a saved model: where its values are in the blob. */
export interface WeightEntry {
  /** The weight's name, layer-prefixed ('encoder.lstm_0/kernel'). */
  name: string;
  /** Its Keras shape. */
  shape: number[];
  /** Always 'float32'. */
  dtype: 'float32';
  /** Byte offset in the blob. */
  byteOffset: number;
}

/** The JSON half of a saved model (model.json): what model it is and where its weights are in the blob. */
export interface ModelManifest {
  /** {@link MODEL_FORMAT}. */
  format: typeof MODEL_FORMAT;
  /** The manifest's version. */
  formatVersion: number;
  /** The model class. */
  modelType: 'Seq2Seq' | 'SequenceModel';
  /** The model's configuration, as its constructor took it. */
  config: Seq2SeqConfig | SequenceModelConfig;
  /** Every weight, in getWeights() order; together they tile the blob. */
  weights: WeightEntry[];
  /** Bytes of the blob. */
  byteLength: number;
  /** FNV-1a 32-bit hash, hex, of the manifest without this field and the blob (see modelChecksum). */
  checksum: string;
}

/** A saved model: the manifest (JSON) and the weights blob (float32, little-endian). */
export interface ModelArtifacts {
  /** What the model is (write it as model.json). */
  manifest: ModelManifest;
  /** Its weights, one float32 blob (write it as weights.bin). */
  weights: ArrayBuffer;
}

export { ModelFormatError };

/**
 * The model's configuration and weights (one readback), checksummed: store `manifest` as JSON and
 * `weights` as bytes; {@link loadModel} gives the same model back.
 */
export async function saveModel(model: Seq2Seq | SequenceModel): Promise<ModelArtifacts>;
/**
 * A Model or Sequential as a Keras file, by the path's extension: `.h5` (Keras 2's HDF5 layout, which
 * tf.keras, Keras 3 and the TensorFlow.js converter load) or `.keras` (Keras 3's archive). Returns the
 * file's bytes; in Node it is written to the path too. In the browser, pass just a name ('model.keras').
 */
export async function saveModel(model: Model, path: `${string}.h5` | `${string}.keras`): Promise<Uint8Array>;
/**
 * A Model or Sequential in the TensorFlow.js Layers format (model.json and one shard) that
 * tf.loadLayersModel loads; in Node, with `directory`, written there too.
 */
export async function saveModel(model: Model, directory?: string): Promise<LayersModelFiles>;
export async function saveModel(model: Seq2Seq | SequenceModel | Model, directory?: string): Promise<ModelArtifacts | LayersModelFiles | Uint8Array> {
  if (!(model instanceof Seq2Seq) && !(model instanceof SequenceModel)) {
    const keras = directory === undefined ? undefined : /\.(h5|keras)$/i.exec(directory)?.[1].toLowerCase();
    if (keras) return saveKerasFile(model, keras as 'h5' | 'keras', isNodeEnvironment() ? directory : undefined);
    return saveLayersModel(model, directory);
  }
  return saveRecurrentModel(model);
}

async function saveRecurrentModel(model: Seq2Seq | SequenceModel): Promise<ModelArtifacts> {
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
    checksum: '',
  };
  manifest.checksum = modelChecksum(manifest, blob);
  return { manifest, weights: blob };
}

function isNodeEnvironment(): boolean {
  return typeof process !== 'undefined' && Boolean(process.versions?.node);
}

/** Rebuilds a saved model. Throws ModelFormatError (and releases everything) on any inconsistency. */
export async function loadModel(ctx: GpuContext, artifacts: ModelArtifacts): Promise<Seq2Seq | SequenceModel>;
/**
 * A model file as a Model or Sequential with its weights: a TensorFlow.js Layers model (model.json and
 * its shards), a Keras .h5 (Keras 1, 2, 3, tf.keras) or a .keras archive (Keras 3, tf.keras 2.13+), told
 * apart by content: from a path (Node), a URL, File objects, a Keras file's bytes, a model.json and
 * shards in memory, tf.io artifacts, or `{ architecture, weights }` (model.to_json() and a weights file). Anything webrnn cannot load as it is throws (a ModelFormatError, or a ShapeError naming the
 * layer), and nothing stays allocated.
 */
export async function loadModel(ctx: GpuContext, source: LayersModelSource): Promise<Model>;
export async function loadModel(ctx: GpuContext, source: ModelArtifacts | LayersModelSource): Promise<Seq2Seq | SequenceModel | Model> {
  if (isWebrnnArtifacts(source)) return loadRecurrentModel(ctx, source);
  if (!isLayersModelSource(source)) {
    throw new ModelFormatError('load: expected a webrnn { manifest, weights }, a model file (path, URL, File objects, a Keras file\'s bytes, { modelJson, weights }, { architecture, weights }) or tf.io artifacts');
  }
  return loadLayersModel(ctx, source);
}

function isWebrnnArtifacts(value: unknown): value is ModelArtifacts {
  return typeof value === 'object' && value !== null && 'manifest' in value;
}

async function loadRecurrentModel(ctx: GpuContext, artifacts: ModelArtifacts): Promise<Seq2Seq | SequenceModel> {
  const { manifest, weights: blob } = artifacts ?? ({} as ModelArtifacts);
  if (!manifest || typeof manifest !== 'object') throw new ModelFormatError('load: the manifest is missing');
  if (manifest.format !== MODEL_FORMAT) throw new ModelFormatError(`load: not a webrnn model manifest (format '${String(manifest.format)}')`);
  if (!READABLE_VERSIONS.includes(manifest.formatVersion)) {
    throw new ModelFormatError(`load: manifest format version ${manifest.formatVersion}, this webrnn reads ${READABLE_VERSIONS.join(' and ')}`);
  }
  if (!(blob instanceof ArrayBuffer)) throw new ModelFormatError('load: the weights blob is missing (expected an ArrayBuffer)');
  if (blob.byteLength !== manifest.byteLength) {
    throw new ModelFormatError(`load: the weights blob has ${blob.byteLength} bytes, the manifest says ${manifest.byteLength} (truncated or wrong file?)`);
  }
  if (modelChecksum(manifest, blob) !== manifest.checksum) {
    throw new ModelFormatError(`load: the ${manifest.formatVersion === 1 ? 'weights blob' : 'manifest and weights blob'} do not match the checksum (corrupted or edited)`);
  }
  checkTiling(manifest);

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
    const value = new Float32Array(size);
    for (let k = 0; k < size; k++) value[k] = view.getFloat32(entry.byteOffset + 4 * k, true);
    return value;
  });
  model.setWeights(values);
}

/**
 * The entries, in order, cover the blob exactly: each starts where the one before ends, holds its shape's
 * float32 values, and the last ends at the blob's end. (A shifted offset would read neighbouring values.)
 */
function checkTiling(manifest: ModelManifest): void {
  if (!Array.isArray(manifest.weights)) throw new ModelFormatError('load: the manifest has no weights list');
  let offset = 0;
  manifest.weights.forEach((entry, i) => {
    const shape = (entry as Partial<WeightEntry> | null)?.shape;
    if (!entry || typeof entry.name !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFormatError(`load: weight entry ${i} is not { name, shape: integer[], dtype, byteOffset }`);
    }
    if (entry.byteOffset !== offset) {
      throw new ModelFormatError(`load: weight '${entry.name}' starts at byte ${entry.byteOffset}; the weights before it end at ${offset} (entries must tile the blob in order)`);
    }
    offset += 4 * shape.reduce((a, b) => a * b, 1);
  });
  if (offset !== manifest.byteLength) {
    throw new ModelFormatError(`load: the weights cover ${offset} bytes of a ${manifest.byteLength}-byte blob (entries must tile the blob exactly)`);
  }
}

/** The checksum a manifest of `manifest.formatVersion` carries for itself and its blob. */
export function modelChecksum(manifest: ModelManifest, blob: ArrayBuffer): string {
  const bytes = new Uint8Array(blob);
  if (manifest.formatVersion === 1) return fnv1a([bytes]);
  const { checksum: _, ...rest } = manifest;
  return fnv1a([new TextEncoder().encode(canonicalJson(rest)), bytes]);
}

