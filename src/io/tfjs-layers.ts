// The TensorFlow.js Layers format: model.json (the model's Keras config as `modelTopology`, and a
// `weightsManifest` of groups, each a list of shard files and the weights stored in them one after
// another) plus the shards. Both writers are read: TensorFlow.js' own (`tf.io` artifacts: weightSpecs +
// one weightData) and the converter's from Keras files, current ('layers-model') and 2018-era (no
// `format`, `model_config` under modelTopology, several groups, shards without an extension).
//
// Weight data: float32 and int32 little-endian, and the converter's quantization (uint8 / uint16 with
// scale and min, or float16), dequantized to float32. A group's bytes must be exactly its weights':
// a missing, short or long shard is an error naming the file and the weight, never a shifted model.

import { ModelFormatError } from '../gpu/errors.js';
import { halfToFloat } from './float16.js';

/** A weight of a model file: its name as the file writes it ('lstm/lstm_cell/kernel') and its values. */
export interface NamedWeight {
  /** As the file writes it. */
  readonly name: string;
  /** Keras shape. */
  readonly shape: readonly number[];
  /** Row-major float32 values (dequantized). */
  readonly values: Float32Array;
}

/** What a model file holds: the Keras config (modelTopology) and the weights by name. */
export interface ModelFile {
  /** The model's config: { class_name, config, ... } (unwrapped from model_config where written so). */
  readonly topology: unknown;
  readonly weights: readonly NamedWeight[];
  /** Where it came from, for errors ('model.json', a path, a URL). */
  readonly source: string;
  /** Fields the file's writer added (webrnn's checksum among them). */
  readonly userDefinedMetadata?: Record<string, unknown>;
}

/** One entry of a weights manifest. */
export interface ManifestEntry {
  /** The weight's name ('lstm/lstm_cell/kernel'). */
  name: string;
  /** Its shape. */
  shape: number[];
  /** 'float32' or 'int32' (what it dequantizes to). */
  dtype: string;
  /** How it is stored when not as dtype: uint8 / uint16 as value = q * scale + min, or float16. */
  quantization?: Quantization;
}

/** The converter's quantization of a weight. */
export interface Quantization {
  /** 'uint8', 'uint16' or 'float16'. */
  dtype: string;
  /** uint8 / uint16: the step between levels. */
  scale?: number;
  /** uint8 / uint16: the value of level 0. */
  min?: number;
}

/** A group of a weights manifest: its shard files, concatenated, hold its weights in order. */
export interface WeightGroup {
  /** Shard files, relative to model.json, concatenated in order. */
  paths: string[];
  /** The weights in the shards, one after another. */
  weights: ManifestEntry[];
}

/** model.json as the converter and tf.io write it. */
export interface LayersModelJson {
  /** 'layers-model' (absent in 2018-era files). */
  format?: string;
  /** The writer ('keras v2.15.0', 'TensorFlow.js tfjs-layers v4.22.0', 'webrnn'). */
  generatedBy?: string;
  /** The converter, when there was one. */
  convertedBy?: string | null;
  /** The Keras config: { class_name, config } or { model_config, keras_version, backend }. */
  modelTopology: unknown;
  /** Where the weights are. */
  weightsManifest: WeightGroup[];
  /** What the writer added (webrnn: its checksum). */
  userDefinedMetadata?: Record<string, unknown>;
}

/** Whether a parsed JSON value is a TensorFlow.js Layers model.json. */
export function isLayersModelJson(value: unknown): value is LayersModelJson {
  return typeof value === 'object' && value !== null && 'modelTopology' in value && 'weightsManifest' in value;
}

/** Whether a value is tf.io's in-memory ModelArtifacts (what a save handler receives). */
export function isTfjsArtifacts(value: unknown): value is { modelTopology: unknown; weightSpecs: ManifestEntry[]; weightData: ArrayBuffer | ArrayBuffer[] } {
  return typeof value === 'object' && value !== null && 'modelTopology' in value && 'weightSpecs' in value && 'weightData' in value;
}

/** A model.json and its shards (read by path, as the manifest names them) to a ModelFile. */
export async function readLayersModel(json: LayersModelJson, readShard: (path: string) => Promise<ArrayBuffer>, source: string): Promise<ModelFile> {
  if (!Array.isArray(json.weightsManifest)) throw new ModelFormatError(`${source}: weightsManifest is not a list of weight groups`);
  const weights: NamedWeight[] = [];
  for (const [g, group] of json.weightsManifest.entries()) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelFormatError(`${source}: weight group ${g} is not { paths, weights }`);
    }
    const shards = await Promise.all(group.paths.map(async (path) => {
      try {
        return await readShard(path);
      } catch (error) {
        throw new ModelFormatError(`${source}: weight shard '${path}' (group ${g}) cannot be read: ${(error as Error).message}`);
      }
    }));
    weights.push(...decodeWeights(group.weights, concat(shards), `${source} group ${g} (${group.paths.join(', ')})`));
  }
  return { topology: json.modelTopology, weights, source, ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}) };
}

/** tf.io's in-memory artifacts to a ModelFile. */
export function readTfjsArtifacts(artifacts: { modelTopology: unknown; weightSpecs: ManifestEntry[]; weightData: ArrayBuffer | ArrayBuffer[]; userDefinedMetadata?: Record<string, unknown> }, source = 'artifacts'): ModelFile {
  const data = Array.isArray(artifacts.weightData) ? concat(artifacts.weightData) : artifacts.weightData;
  if (!(data instanceof ArrayBuffer)) throw new ModelFormatError(`${source}: weightData is not an ArrayBuffer`);
  return {
    topology: artifacts.modelTopology, weights: decodeWeights(artifacts.weightSpecs, data, source), source,
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** The weights stored one after another in `data`, which must hold exactly them. */
export function decodeWeights(specs: readonly ManifestEntry[], data: ArrayBuffer, where: string): NamedWeight[] {
  if (!Array.isArray(specs)) throw new ModelFormatError(`${where}: the weight list is missing`);
  const view = new DataView(data);
  const out: NamedWeight[] = [];
  let offset = 0;
  for (const [i, spec] of specs.entries()) {
    if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d: number) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFormatError(`${where}: weight entry ${i} is not { name, shape, dtype }`);
    }
    const stored = spec.quantization?.dtype ?? spec.dtype;
    const bytes = BYTES[stored];
    if (bytes === undefined || (spec.dtype !== 'float32' && spec.dtype !== 'int32')) {
      throw new ModelFormatError(`${where}: weight '${spec.name}' has dtype '${spec.dtype}'${spec.quantization ? ` quantized as '${stored}'` : ''}, which webrnn cannot read`);
    }
    const count = spec.shape.reduce((a: number, b: number) => a * b, 1);
    const end = offset + count * bytes;
    if (end > data.byteLength) {
      throw new ModelFormatError(`${where}: weight '${spec.name}' [${spec.shape.join(', ')}] needs bytes ${offset} to ${end}, but the data has ${data.byteLength} (a missing or truncated shard?)`);
    }
    out.push({ name: spec.name, shape: [...spec.shape], values: dequantize(view, offset, count, spec, stored) });
    offset = end;
  }
  if (offset !== data.byteLength) {
    throw new ModelFormatError(`${where}: ${data.byteLength - offset} bytes are left after the last weight ('${specs.at(-1)?.name ?? 'none'}'): the shards do not match the manifest`);
  }
  return out;
}

function dequantize(view: DataView, offset: number, count: number, spec: ManifestEntry, stored: string): Float32Array {
  const out = new Float32Array(count);
  const scale = spec.quantization?.scale ?? 1;
  const min = spec.quantization?.min ?? 0;
  for (let k = 0; k < count; k++) {
    switch (stored) {
      case 'float32': out[k] = view.getFloat32(offset + 4 * k, true); break;
      case 'int32': out[k] = view.getInt32(offset + 4 * k, true); break;
      case 'uint8': out[k] = view.getUint8(offset + k) * scale + min; break;
      case 'uint16': out[k] = view.getUint16(offset + 2 * k, true) * scale + min; break;
      default: out[k] = halfToFloat(view.getUint16(offset + 2 * k, true));
    }
  }
  return out;
}

function concat(buffers: readonly ArrayBuffer[]): ArrayBuffer {
  if (buffers.length === 1) return buffers[0];
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** model.json and its one shard for a config and named float32 weights, as tf.loadLayersModel reads them. */
export function writeLayersModel(
  topology: unknown, weights: readonly NamedWeight[], meta: { generatedBy: string; userDefinedMetadata?: Record<string, unknown> }, shardName = 'group1-shard1of1.bin',
): { json: LayersModelJson; shard: ArrayBuffer } {
  const shard = new ArrayBuffer(weights.reduce((n, w) => n + w.values.length * 4, 0));
  const view = new DataView(shard);
  let offset = 0;
  for (const w of weights) {
    for (let k = 0; k < w.values.length; k++) view.setFloat32(offset + 4 * k, w.values[k], true);
    offset += w.values.length * 4;
  }
  const json: LayersModelJson = {
    format: 'layers-model',
    generatedBy: meta.generatedBy,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [shardName], weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })) }],
    ...(meta.userDefinedMetadata ? { userDefinedMetadata: meta.userDefinedMetadata } : {}),
  };
  return { json, shard };
}
