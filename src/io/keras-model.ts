// Keras model files as webrnn models, and back: a legacy .h5 (Keras 1 / 2 / 3, tf.keras), a .keras
// archive (Keras 3, tf.keras 2.13+) or its unzipped directory, and weights-only files (.h5 of
// save_weights, Keras 3's .weights.h5) onto a model built in code. The format is told by content, not by
// the file's name. HDF5 and zip support are imported only when such a file is met.

import type { GpuContext } from '../gpu/context.js';
import { ModelFormatError, WebRnnError } from '../gpu/errors.js';
import type { BidirectionalLayer } from '../layers/keras/bidirectional.js';
import type { Layer } from '../layers/keras/layer.js';
import type { fromConfig, toConfig } from '../models/keras/index.js';
import { toKeras3Config } from '../models/keras/to-keras3-config.js';
import type { Model } from '../models/model.js';
import { canonicalJson, fnv1a } from './checksum.js';
import { isHdf5, isZip } from './file-kinds.js';
import { readHdf5, writeHdf5 } from './hdf5.js';
import { archiveLayers, archiveWeightsTree, CONFIG_FILE, METADATA_FILE, readArchiveWeights, WEIGHTS_FILE, type ArchiveLayer } from './keras-archive.js';
import { isLegacyKerasH5, kerasH5Tree, readKerasH5, type LayerToWrite } from './keras-h5.js';
import { kerasWeightsInModelOrder, type KerasFileWeights } from './keras-weights.js';
import { unzip, zip } from './zip.js';

/**
 * The config readers and writers, handed in by the caller that imports them statically: this module is
 * loaded on first use, and importing them here would keep them in every bundle that never loads a model.
 */
export interface ConfigCodec {
  readonly fromConfig: typeof fromConfig;
  readonly toConfig: typeof toConfig;
  readonly isSequential: (model: Model) => boolean;
}

/** The Keras file formats webrnn writes: Keras 3's archive, or the HDF5 file of Keras 2 (read by Keras 2 and 3). */
export type KerasFormat = 'keras' | 'h5';

/** What a Keras file holds once read: the config when it is a whole model, and the weights (or how to get them). */
interface KerasFile {
  readonly topology?: object;
  /** The model config itself (inside topology), for the checksum. */
  readonly config?: unknown;
  /** The checksum webrnn wrote into the file, if webrnn wrote it. */
  readonly writtenChecksum?: string;
  /** The weights, given the model's layers (a .keras tree is addressed through the config's layers). */
  readonly weights: (layers: readonly ArchiveLayer[]) => KerasFileWeights;
}

/** A Keras file's content from its bytes (`files`: an unzipped .keras directory instead). */
async function readKerasFile(input: Uint8Array | ReadonlyMap<string, Uint8Array>, source: string): Promise<KerasFile> {
  if (input instanceof Uint8Array && isHdf5(input)) {
    const root = await readHdf5(input, source);
    if (isLegacyKerasH5(root)) {
      const file = readKerasH5(root, source);
      const written = root.attrs[CHECKSUM_KEY];
      return {
        ...(file.topology ? { topology: file.topology, config: file.topology.model_config } : {}),
        ...(typeof written === 'string' ? { writtenChecksum: written } : {}),
        weights: () => file.weights,
      };
    }
    return { weights: (layers) => readArchiveWeights(root, layers, source, '3') };
  }
  const files = input instanceof Uint8Array ? (isZip(input) ? await unzip(input, source) : undefined) : input;
  if (!files) throw new ModelFormatError(`${source} is neither a Keras .h5 (HDF5) nor a .keras (zip) file`);
  const text = (name: string) => (files.has(name) ? new TextDecoder().decode(files.get(name)) : undefined);
  const configText = text(CONFIG_FILE);
  if (configText === undefined) throw new ModelFormatError(`${source}: not a .keras archive: it has no ${CONFIG_FILE} (its files: ${[...files.keys()].join(', ') || 'none'})`);
  const config = parseJson(configText, `${source} ${CONFIG_FILE}`);
  const metadata = text(METADATA_FILE) === undefined ? {} : parseJson(text(METADATA_FILE)!, `${source} ${METADATA_FILE}`);
  const kerasVersion = typeof metadata.keras_version === 'string' ? metadata.keras_version : '3';
  const weightsBytes = files.get(WEIGHTS_FILE);
  if (!weightsBytes) {
    const npz = [...files.keys()].some((n) => n.endsWith('.npz'));
    throw new ModelFormatError(`${source}: the archive has no ${WEIGHTS_FILE}${npz ? ' (its weights are in .npz form, which webrnn does not read: save with weights_format="h5")' : ''}`);
  }
  const root = await readHdf5(weightsBytes, `${source} ${WEIGHTS_FILE}`);
  const layers = archiveLayers(config, `${source} ${CONFIG_FILE}`);
  return {
    topology: { model_config: config, keras_version: kerasVersion },
    config,
    ...(typeof metadata[CHECKSUM_KEY] === 'string' ? { writtenChecksum: metadata[CHECKSUM_KEY] as string } : {}),
    weights: () => readArchiveWeights(root, layers, `${source} ${WEIGHTS_FILE}`, kerasVersion),
  };
}

/** Where webrnn writes its checksum: a root attribute of an .h5, a field of a .keras' metadata.json (Keras ignores both). */
const CHECKSUM_KEY = 'webrnn_checksum';

/** The checksum of a file's content: its config, then every weight (shape and float32 bytes) of every layer in file order. */
function contentChecksum(config: unknown, layers: readonly { weights: readonly { shape: readonly number[]; values: Float32Array }[] }[]): string {
  const encoder = new TextEncoder();
  return fnv1a([
    encoder.encode(canonicalJson(config)),
    ...layers.flatMap((l) => l.weights.flatMap((w) => [encoder.encode(`[${w.shape.join(',')}]`), new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength)])),
  ]);
}

/** The file's weights for the layers, after checking the checksum webrnn wrote into it, if it carries one. */
function checkedWeights(file: KerasFile, layers: readonly ArchiveLayer[], source: string): KerasFileWeights {
  const weights = file.weights(layers);
  if (file.writtenChecksum !== undefined && contentChecksum(file.config, weights.layers) !== file.writtenChecksum) {
    throw new ModelFormatError(`${source} does not match the checksum webrnn wrote into it (corrupted or edited)`);
  }
  return weights;
}

function parseJson(text: string, where: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value;
  } catch (error) {
    throw new ModelFormatError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
  throw new ModelFormatError(`${where} is not a JSON object`);
}

const asArchiveLayers = (layers: readonly Layer[]): ArchiveLayer[] => layers.map((l) => ({ name: l.name, className: l.className }));

/** A whole Keras model file as a webrnn model with its weights. */
export async function loadKerasModel(gpu: GpuContext, input: Uint8Array | ReadonlyMap<string, Uint8Array>, source: string, codec: ConfigCodec): Promise<Model> {
  const file = await readKerasFile(input, source);
  if (!file.topology) {
    throw new ModelFormatError(`${source} holds weights only (model.save_weights); build the model, then load them with loadWeights(model, source)`);
  }
  let model: Model;
  try {
    model = codec.fromConfig(gpu, file.topology);
  } catch (error) {
    if (error instanceof WebRnnError) throw new (error.constructor as typeof WebRnnError)(`${source}: ${error.message}`);
    throw error;
  }
  try {
    model.setWeights(kerasWeightsInModelOrder(model.layers, checkedWeights(file, archiveLayersOf(file.topology, model), source)));
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The config's layer list for a .keras tree (its order and classes address the weights), else the model's. */
function archiveLayersOf(topology: object, model: Model): ArchiveLayer[] {
  const config = (topology as { model_config?: unknown }).model_config;
  try {
    return archiveLayers(config, 'config');
  } catch {
    return asArchiveLayers(model.layers);
  }
}

/** Weights from a Keras file (weights-only or whole model) onto a model with the same layers. */
export async function loadKerasWeights(model: Model, input: Uint8Array | ReadonlyMap<string, Uint8Array>, source: string): Promise<void> {
  const file = await readKerasFile(input, source);
  const layers = file.topology ? archiveLayersOf(file.topology, model) : asArchiveLayers(model.layers);
  model.setWeights(kerasWeightsInModelOrder(model.layers, checkedWeights(file, layers, source)));
}

/** A wrapper's (Bidirectional's, TimeDistributed's) wrapped layer, as the .keras tree names it. */
function wrappedOf(layer: Layer): { innerClassName?: string; innerName?: string } {
  const wrapped = layer as Partial<Pick<BidirectionalLayer, 'inner' | 'baseName'>>;
  if (!wrapped.inner) return {};
  return { innerClassName: wrapped.inner.className, innerName: wrapped.baseName ?? wrapped.inner.name };
}

async function layersToWrite(model: Model): Promise<{ layer: Layer; values: Float32Array[] }[]> {
  return Promise.all(model.layers.map(async (layer) => ({ layer, values: layer.weightLayer ? await layer.weightLayer.getWeights() : [] })));
}

/**
 * The model as a Keras file: 'h5' is the HDF5 layout of Keras 2 (model_config + model_weights), which
 * tf.keras, Keras 3's load_model and TensorFlow.js' converter read; 'keras' is Keras 3's archive
 * (config.json, metadata.json, model.weights.h5).
 */
export async function saveKerasModel(model: Model, format: KerasFormat, codec: ConfigCodec): Promise<Uint8Array> {
  const layers = await layersToWrite(model);
  if (format === 'h5') {
    const write: LayerToWrite[] = layers.map(({ layer, values }) => ({
      name: layer.name,
      weights: (layer.weightLayer?.weights ?? []).map((w, i) => ({ name: `${layer.weightPath(w.name, 'keras')}:0`, shape: [...w.shape], values: values[i] })),
    }));
    const config = codec.toConfig(model);
    return writeHdf5(kerasH5Tree(config, write, { [CHECKSUM_KEY]: contentChecksum(config, write) }));
  }
  const config = toKeras3Config(model, codec.isSequential(model));
  const archived = layers.map(({ layer, values }) => ({
    name: layer.name, className: layer.className, ...wrappedOf(layer),
    weights: (layer.weightLayer?.weights ?? []).map((w, i) => ({ shape: [...w.shape], values: values[i] })),
  }));
  const weights = await writeHdf5(archiveWeightsTree(archived));
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const date = new Date().toISOString().replace(/T(\d+):(\d+):(\d+).*/, '@$1:$2:$3');
  return zip([
    [METADATA_FILE, encode({ keras_version: '3.0.0', date_saved: date, saved_by: 'webrnn', [CHECKSUM_KEY]: contentChecksum(config, archived) })],
    [CONFIG_FILE, encode(config)],
    [WEIGHTS_FILE, weights],
  ]);
}
