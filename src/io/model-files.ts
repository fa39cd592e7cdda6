// Loading and saving model files from wherever they are: a path (Node), a URL, the File objects of a file
// input (browser), bytes in memory, or tf.io's artifacts. What a source holds is told by its content:
// a TensorFlow.js Layers model.json and its shards (tfjs-layers.ts), or a Keras file: .h5, .keras or an
// unzipped .keras directory (keras-model.ts). Node's file system is imported only when a path is read
// or written.
//
// webrnn writes a checksum of the config and the weights into model.json's userDefinedMetadata; a file
// that carries one loads only if it matches, so a corrupted or edited file webrnn wrote is an error, not a
// different model. (Files from other writers carry none; their structure is still checked in full.)

import type { GpuContext } from '../gpu/context.js';
import { ModelFormatError, WebRnnError } from '../gpu/errors.js';
import { fromConfig, toConfig } from '../models/keras/index.js';
import type { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { canonicalJson, fnv1a } from './checksum.js';
import { isKerasFile, KERAS_ARCHIVE } from './file-kinds.js';
import type { KerasFormat } from './keras-model.js';
import {
  isLayersModelJson, isTfjsArtifacts, readLayersModel, readTfjsArtifacts, writeLayersModel, type LayersModelJson, type ModelFile, type NamedWeight, type ManifestEntry,
} from './tfjs-layers.js';
import { namedWeights, weightsInModelOrder } from './weights-by-name.js';

/**
 * Where a model file is: in Node a path (of model.json or its directory, of a .h5 or .keras file, or of
 * an unzipped .keras directory), otherwise (or http(s)) its URL; in the browser the File objects of a
 * file input (a .h5 or .keras file, or model.json and its shards with `multiple`); a Keras file's bytes;
 * a model.json and its shards in memory; or tf.io's in-memory artifacts (what a save handler receives).
 */
export type ModelFileSource = string | URL | File | readonly File[] | FileList | ArrayBuffer | Uint8Array | LayersModelInMemory | TfjsArtifacts | ArchitectureAndWeights;

/**
 * A model as Keras users often keep one: the architecture JSON of model.to_json() (a Keras or TensorFlow.js
 * config, as text or parsed) and a weights file (save_weights' .h5, a .weights.h5, or any model file),
 * wherever that is.
 */
export interface ArchitectureAndWeights {
  /** model.to_json()'s text, or the parsed config. */
  architecture: string | object;
  /** Where the weights are (any source but another ArchitectureAndWeights). */
  weights: Exclude<ModelFileSource, ArchitectureAndWeights>;
}

function isArchitectureAndWeights(value: unknown): value is ArchitectureAndWeights {
  return typeof value === 'object' && value !== null && 'architecture' in value && 'weights' in value;
}

/** The sources of TensorFlow.js Layers models (every ModelFileSource). */
export type LayersModelSource = ModelFileSource;

/** What a source holds: a TensorFlow.js model read, or a Keras file's bytes (or unzipped directory) to read. */
type SourceContent =
  | { readonly kind: 'layers'; readonly file: ModelFile }
  | { readonly kind: 'keras'; readonly input: Uint8Array | ReadonlyMap<string, Uint8Array>; readonly source: string };

/** A model.json and its shards in memory. */
export interface LayersModelInMemory {
  /** model.json, parsed or as text. */
  modelJson: LayersModelJson | string;
  /** Each shard's bytes, by the name model.json gives it. */
  weights: Record<string, ArrayBuffer>;
}

/** tf.io's ModelArtifacts: the config and the weights in one buffer (or several, concatenated). */
export interface TfjsArtifacts {
  /** The Keras config. */
  modelTopology: unknown;
  /** The weights in weightData, in order. */
  weightSpecs: ManifestEntry[];
  /** The weights' bytes. */
  weightData: ArrayBuffer | ArrayBuffer[];
}

/** A saved TensorFlow.js Layers model: model.json and its one weight shard. */
export interface LayersModelFiles {
  /** model.json's content. */
  modelJson: LayersModelJson;
  /** The shard's name as model.json lists it. */
  shardName: string;
  /** The shard's bytes. */
  shard: ArrayBuffer;
}

/** Whether a value is a source loadLayersModel reads. */
export function isLayersModelSource(value: unknown): boolean {
  if (typeof value === 'string' || value instanceof URL || isTfjsArtifacts(value)) return true;
  if (value instanceof ArrayBuffer || value instanceof Uint8Array || (typeof File !== 'undefined' && value instanceof File)) return true;
  if (isArchitectureAndWeights(value)) return true;
  if (typeof FileList !== 'undefined' && value instanceof FileList) return true;
  if (Array.isArray(value)) return value.every((f) => typeof File !== 'undefined' && f instanceof File);
  return typeof value === 'object' && value !== null && 'modelJson' in value && 'weights' in value;
}

/** What the Keras formats need of the config code (see ConfigCodec). */
const CODEC = { fromConfig, toConfig, isSequential: (model: Model) => model instanceof Sequential };

/** The Keras formats (and HDF5 and zip with them), loaded when a Keras file is first met. */
const kerasFormats = () => import('./keras-model.js');

/** What a source holds, read as far as its kind needs. */
async function readSource(source: ModelFileSource): Promise<SourceContent> {
  const layers = (file: ModelFile): SourceContent => ({ kind: 'layers', file });
  if (isTfjsArtifacts(source)) return layers(readTfjsArtifacts(source));
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    if (!isKerasFile(bytes)) throw new ModelFormatError('load: the bytes are neither a Keras .h5 (HDF5) nor a .keras (zip) file (a model.json needs its shards: give { modelJson, weights })');
    return { kind: 'keras', input: bytes, source: 'the bytes given' };
  }
  if (typeof File !== 'undefined' && source instanceof File) return readSource([source]);
  if (typeof source === 'object' && source !== null && 'modelJson' in source) {
    const json = parse(source.modelJson, 'model.json');
    return layers(await readLayersModel(json, async (path) => {
      const bytes = source.weights[path];
      if (!(bytes instanceof ArrayBuffer)) throw new Error(`no bytes given for it (given: ${Object.keys(source.weights).join(', ') || 'none'})`);
      return bytes;
    }, 'model.json'));
  }
  if ((typeof FileList !== 'undefined' && source instanceof FileList) || Array.isArray(source)) {
    const files = Array.from(source as ArrayLike<File>);
    if (files.length === 1 && !files[0].name.endsWith('.json')) {
      const bytes = new Uint8Array(await files[0].arrayBuffer());
      if (isKerasFile(bytes)) return { kind: 'keras', input: bytes, source: files[0].name };
    }
    const modelFile = files.find((f) => f.name.endsWith('.json'));
    if (!modelFile) throw new ModelFormatError(`load: none of the files (${files.map((f) => f.name).join(', ')}) is a model.json, a .h5 or a .keras file`);
    const json = parse(await modelFile.text(), modelFile.name);
    return layers(await readLayersModel(json, async (path) => {
      const file = files.find((f) => f.name === path.split('/').pop());
      if (!file) throw new Error(`not among the files given (${files.map((f) => f.name).join(', ')})`);
      return file.arrayBuffer();
    }, modelFile.name));
  }
  const where = String(source);
  if (typeof source === 'string' && isNodePath(source)) return readFromDisk(source);
  const url = new URL(where, typeof location !== 'undefined' ? location.href : undefined);
  const bytes = new Uint8Array(await fetchBytes(url, 'arrayBuffer'));
  if (isKerasFile(bytes)) return { kind: 'keras', input: bytes, source: url.href };
  const json = parse(new TextDecoder().decode(bytes), url.href);
  return layers(await readLayersModel(json, (path) => fetchBytes(new URL(path, url), 'arrayBuffer'), url.href));
}

/** The config and named weights of a TensorFlow.js model file, read from its source. */
export async function readModelFile(source: ModelFileSource): Promise<ModelFile> {
  const content = await readSource(source);
  if (content.kind !== 'layers') throw new ModelFormatError(`load: ${content.source} is a Keras file, not a TensorFlow.js model.json`);
  return content.file;
}

function isNodePath(source: string): boolean {
  return typeof process !== 'undefined' && Boolean(process.versions?.node) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

async function readFromDisk(path: string): Promise<SourceContent> {
  const { readFile, stat } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const read = async (file: string): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await readFile(file));
    } catch (error) {
      throw new ModelFormatError(`load: ${file} cannot be read: ${(error as Error).message}`);
    }
  };
  const exists = async (file: string) => stat(file).then(() => true, () => false);
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) {
      file = join(path, 'model.json');
      if (!(await exists(file)) && (await exists(join(path, KERAS_ARCHIVE.config)))) {
        // An unzipped .keras archive (Keras' save_model to a directory).
        const files = new Map<string, Uint8Array>();
        for (const name of Object.values(KERAS_ARCHIVE)) if (await exists(join(path, name))) files.set(name, await read(join(path, name)));
        return { kind: 'keras', input: files, source: path };
      }
    }
  } catch {
    throw new ModelFormatError(`load: ${path}: no such file or directory`);
  }
  const bytes = await read(file);
  if (isKerasFile(bytes)) return { kind: 'keras', input: bytes, source: file };
  return {
    kind: 'layers',
    file: await readLayersModel(parse(new TextDecoder().decode(bytes), file), async (shard) => {
      const data = await readFile(join(dirname(file), shard));
      return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    }, file),
  };
}

async function fetchBytes(url: URL, as: 'text'): Promise<string>;
async function fetchBytes(url: URL, as: 'arrayBuffer'): Promise<ArrayBuffer>;
async function fetchBytes(url: URL, as: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelFormatError(`load: ${url.href} cannot be fetched: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ModelFormatError(`load: ${url.href}: HTTP ${response.status} ${response.statusText}`);
  return as === 'text' ? response.text() : response.arrayBuffer();
}

function parse(json: unknown, where: string): LayersModelJson {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new ModelFormatError(`load: ${where} is not JSON: ${(error as Error).message}`);
    }
  }
  if (!isLayersModelJson(value)) throw new ModelFormatError(`load: ${where} is not a TensorFlow.js Layers model.json (it has no modelTopology and weightsManifest)`);
  return value;
}

/** The checksum webrnn writes: the config and every weight (name, shape, values), independent of shard layout. */
function checksum(topology: unknown, weights: readonly NamedWeight[]): string {
  const encoder = new TextEncoder();
  return fnv1a([
    encoder.encode(canonicalJson(topology)),
    ...weights.flatMap((w) => [encoder.encode(`${w.name}[${w.shape.join(',')}]`), new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength)]),
  ]);
}

/** A model file (TensorFlow.js Layers, Keras .h5 or .keras) as a webrnn model with its weights. */
export async function loadLayersModel(gpu: GpuContext, source: ModelFileSource): Promise<Model> {
  if (isArchitectureAndWeights(source)) {
    const model = withSource('the architecture', () => fromConfig(gpu, source.architecture));
    try {
      await loadWeights(model, source.weights);
      return model;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const content = await readSource(source);
  if (content.kind === 'keras') return (await kerasFormats()).loadKerasModel(gpu, content.input, content.source, CODEC);
  const file = checked(content.file);
  const model = withSource(file.source, () => fromConfig(gpu, file.topology as object));
  try {
    model.setWeights(weightsInModelOrder(model.layers, file));
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** `build()`, its webrnn errors prefixed with where the config came from. */
function withSource<T>(source: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof WebRnnError) throw new (error.constructor as typeof WebRnnError)(`${source}: ${error.message}`);
    throw error;
  }
}

/**
 * The weights of a model file onto `model`, which must have the same layers (a model built in code, or
 * one loaded from its config): Keras' weights-only files (save_weights' .h5, Keras 3's .weights.h5), whole
 * Keras files, and TensorFlow.js model.json and shards. Legacy .h5 weights pair with the model's layers in
 * order, as Keras' load_weights pairs them; the others by the layers' names or places.
 */
export async function loadWeights(model: Model, source: ModelFileSource): Promise<void> {
  if (isArchitectureAndWeights(source)) return loadWeights(model, source.weights);
  const content = await readSource(source);
  if (content.kind === 'keras') return (await kerasFormats()).loadKerasWeights(model, content.input, content.source);
  model.setWeights(weightsInModelOrder(model.layers, checked(content.file)));
}

/** The file, after checking the checksum webrnn wrote into it, if it carries one. */
function checked(file: ModelFile): ModelFile {
  const written = (file.userDefinedMetadata?.webrnn as { checksum?: string } | undefined)?.checksum;
  if (written !== undefined) {
    const sorted = [...file.weights].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (checksum(file.topology, sorted) !== written) {
      throw new ModelFormatError(`load: ${file.source} does not match the checksum webrnn wrote into it (corrupted or edited)`);
    }
  }
  return file;
}

/**
 * The model as a Keras file's bytes ('h5': Keras 2's HDF5 layout, read by tf.keras, Keras 3 and the
 * TensorFlow.js converter; 'keras': Keras 3's archive); in Node, with `path`, written there too.
 */
export async function saveKerasFile(model: Model, format: KerasFormat, path?: string): Promise<Uint8Array> {
  const bytes = await (await kerasFormats()).saveKerasModel(model, format, CODEC);
  if (path !== undefined) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  return bytes;
}

/**
 * model.json and its shard for a model, as tf.loadLayersModel loads them; in Node, with `directory`,
 * also written there (model.json and group1-shard1of1.bin).
 */
export async function saveLayersModel(model: Model, directory?: string): Promise<LayersModelFiles> {
  const topology = toConfig(model);
  const weights = await namedWeights(model.layers);
  const sorted = [...weights].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { json, shard } = writeLayersModel(topology, weights, {
    generatedBy: 'webrnn',
    userDefinedMetadata: { webrnn: { checksum: checksum(topology, sorted) } },
  });
  const shardName = json.weightsManifest[0].paths[0];
  if (directory !== undefined) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    await writeFile(join(directory, shardName), new Uint8Array(shard));
  }
  return { modelJson: json, shardName, shard };
}
