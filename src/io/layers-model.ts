// Loading and saving models in the TensorFlow.js Layers format (tfjs-layers.ts), from wherever the files
// are: a path (Node), a URL, the File objects of a file input (browser), bytes in memory, or tf.io's
// artifacts. Node's file system is imported only when a path is read or written.
//
// webrnn writes a checksum of the config and the weights into model.json's userDefinedMetadata; a file
// that carries one loads only if it matches, so a corrupted or edited file webrnn wrote is an error, not a
// different model. (Files from other writers carry none; their structure is still checked in full.)

import type { GpuContext } from '../gpu/context.js';
import { ModelFormatError, WebRnnError } from '../gpu/errors.js';
import { fromConfig, toConfig } from '../models/keras/index.js';
import type { Model } from '../models/model.js';
import { canonicalJson, fnv1a } from './checksum.js';
import {
  isLayersModelJson, isTfjsArtifacts, readLayersModel, readTfjsArtifacts, writeLayersModel, type LayersModelJson, type ModelFile, type NamedWeight, type ManifestEntry,
} from './tfjs-layers.js';
import { namedWeights, weightsInModelOrder } from './weights-by-name.js';

/**
 * Where a TensorFlow.js Layers model is: in Node the path of model.json (or of its directory), otherwise
 * (or http(s)) its URL; in the browser the File objects of model.json and its shards (a file input with
 * `multiple`); bytes in memory; or tf.io's in-memory artifacts (what a save handler receives).
 */
export type LayersModelSource = string | URL | readonly File[] | FileList | LayersModelInMemory | TfjsArtifacts;

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
  if (typeof FileList !== 'undefined' && value instanceof FileList) return true;
  if (Array.isArray(value)) return value.every((f) => typeof File !== 'undefined' && f instanceof File);
  return typeof value === 'object' && value !== null && 'modelJson' in value && 'weights' in value;
}

/** The config and named weights of a model file, read from its source. */
export async function readModelFile(source: LayersModelSource): Promise<ModelFile> {
  if (isTfjsArtifacts(source)) return readTfjsArtifacts(source);
  if (typeof source === 'object' && source !== null && 'modelJson' in source) {
    const json = parse(source.modelJson, 'model.json');
    return readLayersModel(json, async (path) => {
      const bytes = source.weights[path];
      if (!(bytes instanceof ArrayBuffer)) throw new Error(`no bytes given for it (given: ${Object.keys(source.weights).join(', ') || 'none'})`);
      return bytes;
    }, 'model.json');
  }
  if ((typeof FileList !== 'undefined' && source instanceof FileList) || Array.isArray(source)) {
    const files = Array.from(source as ArrayLike<File>);
    const modelFile = files.find((f) => f.name.endsWith('.json'));
    if (!modelFile) throw new ModelFormatError(`load: none of the files (${files.map((f) => f.name).join(', ')}) is a model.json`);
    const json = parse(await modelFile.text(), modelFile.name);
    return readLayersModel(json, async (path) => {
      const file = files.find((f) => f.name === path.split('/').pop());
      if (!file) throw new Error(`not among the files given (${files.map((f) => f.name).join(', ')})`);
      return file.arrayBuffer();
    }, modelFile.name);
  }
  const where = String(source);
  if (typeof source === 'string' && isNodePath(source)) return readFromDisk(source);
  const url = new URL(where, typeof location !== 'undefined' ? location.href : undefined);
  const json = parse(await fetchBytes(url, 'text'), url.href);
  return readLayersModel(json, (path) => fetchBytes(new URL(path, url), 'arrayBuffer'), url.href);
}

function isNodePath(source: string): boolean {
  return typeof process !== 'undefined' && Boolean(process.versions?.node) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

async function readFromDisk(path: string): Promise<ModelFile> {
  const { readFile, stat } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'model.json');
  } catch {
    throw new ModelFormatError(`load: ${path}: no such file or directory`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelFormatError(`load: ${file} cannot be read: ${(error as Error).message}`);
  }
  return readLayersModel(parse(text, file), async (shard) => {
    const bytes = await readFile(join(dirname(file), shard));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }, file);
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

/** A TensorFlow.js Layers model (or a Keras model converted to one) as a webrnn model with its weights. */
export async function loadLayersModel(gpu: GpuContext, source: LayersModelSource): Promise<Model> {
  const file = await readModelFile(source);
  const written = (file.userDefinedMetadata?.webrnn as { checksum?: string } | undefined)?.checksum;
  if (written !== undefined) {
    const sorted = [...file.weights].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (checksum(file.topology, sorted) !== written) {
      throw new ModelFormatError(`load: ${file.source} does not match the checksum webrnn wrote into it (corrupted or edited)`);
    }
  }
  let model: Model;
  try {
    model = fromConfig(gpu, file.topology as object);
  } catch (error) {
    if (error instanceof WebRnnError) throw new (error.constructor as typeof WebRnnError)(`${file.source}: ${error.message}`);
    throw error;
  }
  try {
    model.setWeights(weightsInModelOrder(model.layers, file));
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
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
