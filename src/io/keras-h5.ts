// Keras' HDF5 format (model.save('m.h5') of Keras 1, 2 and 3, tf.keras; model.save_weights('w.h5') of
// Keras 1 / 2), both ways, as Keras' legacy_h5_format / tf-keras' hdf5_format lay it out:
//
//   /                       attrs: model_config (the model's JSON), keras_version, backend, training_config
//   /model_weights          attrs: layer_names (every layer, in model.layers order), keras_version, backend
//   /model_weights/<layer>  attrs: weight_names ('lstm/lstm_cell/kernel:0', ...; none for a weightless layer)
//   /model_weights/<layer>/<weight name>   the dataset ('/' in a name makes groups)
//
// A weights-only file is the model_weights group at the root. An attribute longer than HDF5's 64 kB
// object-header limit is split by Keras as name0, name1, ...; both forms are read. keras_version missing
// means Keras 1, as Keras assumes.

import { ModelFormatError } from '../gpu/errors.js';
import { childAt, type Hdf5Attribute, type Hdf5Group, type Hdf5GroupToWrite } from './hdf5.js';
import type { KerasFileLayer, KerasFileWeights } from './keras-weights.js';
import type { NamedWeight } from './tfjs-layers.js';

/** A legacy Keras .h5: the config (when it is a whole model) and the weights. */
export interface KerasH5File {
  /** { model_config, keras_version, backend } for fromConfig, or undefined for a weights-only file. */
  readonly topology?: { model_config: unknown; keras_version?: string; backend?: string };
  readonly weights: KerasFileWeights;
}

/** Whether the HDF5 tree is a legacy Keras model or weights file (rather than Keras 3's .weights.h5). */
export function isLegacyKerasH5(root: Hdf5Group): boolean {
  return 'model_config' in root.attrs || hasListAttribute(root, 'layer_names');
}

/** The model config and weights of a legacy Keras .h5 tree. */
export function readKerasH5(root: Hdf5Group, source: string): KerasH5File {
  if (!('model_config' in root.attrs)) {
    if (!hasListAttribute(root, 'layer_names')) {
      throw new ModelFormatError(`${source}: an HDF5 file, but not a Keras model or weights file (no model_config or layer_names attribute)`);
    }
    return { weights: readWeightsGroup(root, source, new Map()) };
  }
  const configText = root.attrs.model_config;
  if (typeof configText !== 'string') throw new ModelFormatError(`${source}: the model_config attribute is not a JSON string`);
  let modelConfig: unknown;
  try {
    modelConfig = JSON.parse(configText);
  } catch (error) {
    throw new ModelFormatError(`${source}: the model_config attribute is not valid JSON: ${(error as Error).message}`);
  }
  const weightsGroup = root.children.get('model_weights');
  if (!weightsGroup || weightsGroup.kind !== 'group') throw new ModelFormatError(`${source}: the file has a model_config but no model_weights group (saved without weights?)`);
  const kerasVersion = stringAttribute(root, 'keras_version') ?? stringAttribute(weightsGroup, 'keras_version');
  const backend = stringAttribute(root, 'backend') ?? stringAttribute(weightsGroup, 'backend');
  return {
    topology: { model_config: modelConfig, ...(kerasVersion ? { keras_version: kerasVersion } : {}), ...(backend ? { backend } : {}) },
    weights: readWeightsGroup(weightsGroup, `${source} model_weights`, layerClasses(modelConfig), kerasVersion),
  };
}

function readWeightsGroup(group: Hdf5Group, source: string, classes: ReadonlyMap<string, string>, version?: string): KerasFileWeights {
  const layers: KerasFileLayer[] = listAttribute(group, 'layer_names', source).map((name) => {
    const layerGroup = group.children.get(name);
    if (!layerGroup || layerGroup.kind !== 'group') throw new ModelFormatError(`${source}: layer_names lists '${name}', but the file has no group for it`);
    const weights: NamedWeight[] = listAttribute(layerGroup, 'weight_names', `${source}/${name}`).map((weightName) => {
      const dataset = childAt(layerGroup, weightName);
      if (!dataset || dataset.kind !== 'dataset') throw new ModelFormatError(`${source}: layer '${name}' lists weight '${weightName}', but the file has no dataset for it`);
      if (dataset.values.length !== dataset.shape.reduce((a, b) => a * b, 1)) {
        throw new ModelFormatError(`${source}: layer '${name}' weight '${weightName}' is not numeric (${dataset.dtype})`);
      }
      return { name: weightName, shape: dataset.shape, values: dataset.values };
    });
    const className = classes.get(name);
    const innerClassName = classes.get(`${name}/layer`);
    return { name, ...(className ? { className } : {}), ...(innerClassName ? { innerClassName } : {}), weights };
  });
  const kerasVersion = version ?? stringAttribute(group, 'keras_version') ?? '1';
  return { source, kerasVersion, pairing: 'by-order', layers };
}

/**
 * Each layer's class by name, from a model config of any Keras version (a Keras 1 Sequential is a bare
 * list); a wrapper's wrapped layer under '<name>/layer'.
 */
export function layerClasses(modelConfig: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const body = (modelConfig as { config?: unknown } | null)?.config;
  const list = Array.isArray(body) ? body : Array.isArray((body as { layers?: unknown } | null)?.layers) ? (body as { layers: unknown[] }).layers : [];
  for (const entry of list as { class_name?: unknown; name?: unknown; config?: { name?: unknown } }[]) {
    const name = typeof entry?.name === 'string' ? entry.name : entry?.config?.name;
    if (typeof name === 'string' && typeof entry.class_name === 'string') out.set(name, entry.class_name);
    const wrapped = (entry?.config as { layer?: { class_name?: unknown } } | undefined)?.layer?.class_name;
    if (typeof name === 'string' && typeof wrapped === 'string') out.set(`${name}/layer`, wrapped);
  }
  return out;
}

function stringAttribute(group: Hdf5Group, name: string): string | undefined {
  const value = group.attrs[name];
  return typeof value === 'string' ? value : undefined;
}

function hasListAttribute(group: Hdf5Group, name: string): boolean {
  return name in group.attrs || `${name}0` in group.attrs;
}

/** A list attribute, joined from Keras' chunks (name0, name1, ...) when it was split. */
function listAttribute(group: Hdf5Group, name: string, where: string): string[] {
  const chunks: Hdf5Attribute[] = [];
  if (name in group.attrs) chunks.push(group.attrs[name]);
  else for (let i = 0; `${name}${i}` in group.attrs; i++) chunks.push(group.attrs[`${name}${i}`]);
  return chunks.flatMap((chunk) => {
    // (h5py writes an empty list as an empty float array: no items.)
    const items = Array.isArray(chunk) ? chunk : [chunk];
    if (items.some((item) => typeof item !== 'string')) throw new ModelFormatError(`${where}: the ${name} attribute is not a list of strings`);
    return items as string[];
  });
}

/** One layer of a model, to write: its name, its class, and its weights named as Keras names them. */
export interface LayerToWrite {
  readonly name: string;
  readonly weights: readonly NamedWeight[];
}

/** The version webrnn's files claim: the Keras 2 config schema they follow. */
export const WRITTEN_KERAS_VERSION = '2.15.0';

/** The HDF5 tree of a legacy Keras model file (Keras 2 layout), as tf.keras and Keras 3 load it. */
export function kerasH5Tree(modelConfig: object, layers: readonly LayerToWrite[], extraAttrs: Readonly<Record<string, string>> = {}): Hdf5GroupToWrite {
  const meta = { keras_version: WRITTEN_KERAS_VERSION, backend: 'tensorflow' };
  // Keras writes the layer groups sorted by name ("to ensure that group names are strictly growing").
  const sorted = [...layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    attrs: { ...meta, model_config: JSON.stringify(modelConfig), ...extraAttrs },
    children: [['model_weights', {
      attrs: { layer_names: layers.map((l) => l.name), ...meta },
      children: sorted.map((layer) => [layer.name, layerGroup(layer)] as const),
    }]],
  };
}

function layerGroup(layer: LayerToWrite): Hdf5GroupToWrite {
  type Tree = { attrs?: Record<string, string[]>; children: [string, Tree | { shape: readonly number[]; values: Float32Array }][] };
  const root: Tree = { attrs: { weight_names: layer.weights.map((w) => w.name) }, children: [] };
  if (layer.weights.length === 0) return { attrs: { weight_names: [] }, children: [] };
  for (const weight of layer.weights) {
    const parts = weight.name.split('/');
    let at = root;
    for (const part of parts.slice(0, -1)) {
      let next = at.children.find(([name]) => name === part)?.[1] as Tree | undefined;
      if (!next) {
        next = { children: [] };
        at.children.push([part, next]);
      }
      at = next;
    }
    at.children.push([parts.at(-1)!, { shape: weight.shape, values: weight.values }]);
  }
  return root;
}
