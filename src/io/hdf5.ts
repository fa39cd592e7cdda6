// HDF5 files (Keras' .h5 and the model.weights.h5 inside a .keras) as plain trees, both ways, through
// h5wasm (the HDF5 C library compiled to WebAssembly). It is imported only when an HDF5 file is read or
// written, so the 4 MB module costs nothing to users who never touch one; the file lives in h5wasm's
// in-memory file system only while it is read or written, the same way in Node and in the browser.
//
// A file is read whole into an Hdf5Group: its attributes (strings, numbers and lists of them) and its
// children; numeric datasets come out as float32 with their shape. Files of this kind are weights of
// models, small enough to hold twice in memory.

import { ModelFormatError } from '../gpu/errors.js';
import { isHdf5 } from './file-kinds.js';
import { halfToFloat } from './float16.js';

/** An attribute's value: a string (Keras' JSON configs), a number, or a list of them (layer_names). */
export type Hdf5Attribute = string | number | boolean | readonly (string | number | boolean)[];

/** A dataset read as float32 (or, to write, given as float32). */
export interface Hdf5Dataset {
  readonly kind: 'dataset';
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** The stored type ('<f4', '<f8', '<e' for float16, ...), as read; float32 when written. */
  readonly dtype?: string;
  readonly attrs?: Readonly<Record<string, Hdf5Attribute>>;
}

/** A group: attributes and named children, in the file's order. */
export interface Hdf5Group {
  readonly kind: 'group';
  readonly attrs: Readonly<Record<string, Hdf5Attribute>>;
  readonly children: ReadonlyMap<string, Hdf5Group | Hdf5Dataset>;
}

export { isHdf5 } from './file-kinds.js';

type H5 = typeof import('h5wasm');
type H5Module = Awaited<H5['ready']>;
let loading: Promise<{ h5: H5; module: H5Module }> | undefined;
let nextFile = 0;

async function h5wasm(): Promise<{ h5: H5; module: H5Module }> {
  loading ??= (async () => {
    const h5 = (await import('h5wasm')) as H5 & { default?: H5 };
    const lib = h5.default ?? h5;
    const module = await lib.ready;
    // HDF5 errors become exceptions (with HDF5's message) instead of a page printed to the console.
    module.activate_throwing_error_handler();
    return { h5: lib, module };
  })();
  return loading;
}

/** The whole file as a tree. A file HDF5 cannot open is a ModelFormatError naming `where`. */
export async function readHdf5(bytes: Uint8Array, where: string): Promise<Hdf5Group> {
  if (!isHdf5(bytes)) throw new ModelFormatError(`${where} is not an HDF5 file (it does not start with the HDF5 signature)`);
  const { h5, module } = await h5wasm();
  const path = `/webrnn-read-${nextFile++}.h5`;
  module.FS.writeFile(path, bytes);
  let file: InstanceType<H5['File']> | undefined;
  try {
    file = new h5.File(path, 'r');
    return readGroup(h5, module, file, where, '/');
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`${where}: HDF5 cannot read it (damaged or truncated?): ${firstLine((error as Error).message)}`);
  } finally {
    try { file?.close(); } catch { /* already failed */ }
    module.FS.unlink(path);
  }
}

/** HDF5's error stack, reduced to the innermost reason ('unable to open file', 'truncated file: eof = ...'). */
function firstLine(message: string): string {
  const reasons = [...message.matchAll(/ in [A-Za-z0-9_]+\(\): (.*)/g)].map((m) => m[1].trim());
  return reasons.at(-1) ?? message.split('\n')[0];
}

function readGroup(h5: H5, module: H5Module, group: InstanceType<H5['Group']>, where: string, path: string): Hdf5Group {
  const children = new Map<string, Hdf5Group | Hdf5Dataset>();
  for (const name of group.keys()) {
    const child = group.get(name);
    const at = `${path}${name}`;
    if (child instanceof h5.Group) children.set(name, readGroup(h5, module, child, where, `${at}/`));
    else if (child instanceof h5.Dataset) children.set(name, readDataset(module, child, where, at));
    // Links to elsewhere, named datatypes and references carry no weights: they are left out.
  }
  return { kind: 'group', attrs: readAttrs(group), children };
}

function readDataset(module: H5Module, dataset: InstanceType<H5['Dataset']>, where: string, path: string): Hdf5Dataset {
  const shape = dataset.shape ?? [];
  const meta = dataset.metadata;
  const dtype = typeof dataset.dtype === 'string' ? dataset.dtype : JSON.stringify(dataset.dtype);
  const numeric = meta.type === 0 || meta.type === 1; // H5T_INTEGER, H5T_FLOAT
  if (!numeric) return { kind: 'dataset', shape, values: new Float32Array(0), dtype, attrs: readAttrs(dataset) };
  const values = meta.type === 1 && meta.size === 2 ? halves(module, dataset, meta.total_size, where, path) : numbers(dataset.value, `${where}: dataset ${path} (${dtype})`);
  return { kind: 'dataset', shape, values, dtype, attrs: readAttrs(dataset) };
}

function numbers(raw: unknown, what: string): Float32Array {
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Float32Array.from(raw as unknown as ArrayLike<number>, Number);
  if (typeof raw === 'number' || typeof raw === 'bigint') return Float32Array.of(Number(raw));
  throw new ModelFormatError(`${what} cannot be read as numbers`);
}

/** float16 datasets (mixed-precision Keras models): h5wasm has no float16 accessor, so read the raw halves. */
function halves(module: H5Module, dataset: InstanceType<H5['Dataset']>, count: number, where: string, path: string): Float32Array {
  const pointer = module._malloc(2 * count);
  if (!pointer) throw new ModelFormatError(`${where}: no memory to read float16 dataset ${path}`);
  try {
    module.get_dataset_data(dataset.file_id, dataset.path, null, null, null, BigInt(pointer));
    const bits = new Uint16Array(module.HEAPU8.slice(pointer, pointer + 2 * count).buffer);
    return Float32Array.from(bits, halfToFloat);
  } finally {
    module._free(pointer);
  }
}

function readAttrs(object: { attrs: Record<string, { value: unknown }> }): Record<string, Hdf5Attribute> {
  const out: Record<string, Hdf5Attribute> = {};
  for (const [name, attribute] of Object.entries(object.attrs)) {
    const value = attribute.value;
    const plain = toPlain(value);
    if (plain === undefined) continue; // references, compounds: nothing a model file needs
    out[name] = plain;
  }
  return out;
}

function toPlain(value: unknown): Hdf5Attribute | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array && value.length > 0) return new TextDecoder().decode(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, Number);
  if (Array.isArray(value)) {
    const items = value.map((v) => toPlain(v));
    if (items.every((v): v is string | number | boolean => v !== undefined && !Array.isArray(v))) return items;
  }
  return undefined;
}

/** What to write: groups, float32 datasets and string / number attributes. */
export interface Hdf5GroupToWrite {
  readonly attrs?: Readonly<Record<string, string | number | readonly string[]>>;
  /** Children in order; a dataset is { shape, values }. */
  readonly children?: ReadonlyArray<readonly [string, Hdf5GroupToWrite | { readonly shape: readonly number[]; readonly values: Float32Array }]>;
}

/** An HDF5 file of the tree, readable by HDF5 1.8 and later (h5py, Keras). */
export async function writeHdf5(root: Hdf5GroupToWrite): Promise<Uint8Array> {
  const { h5, module } = await h5wasm();
  const path = `/webrnn-write-${nextFile++}.h5`;
  const file = new h5.File(path, 'w', { libver: ['earliest', 'v110'] });
  try {
    writeGroup(file, root);
  } finally {
    file.close();
  }
  try {
    return module.FS.readFile(path);
  } finally {
    module.FS.unlink(path);
  }
}

function writeGroup(group: InstanceType<H5['Group']>, tree: Hdf5GroupToWrite): void {
  for (const [name, value] of Object.entries(tree.attrs ?? {})) {
    if (Array.isArray(value)) group.create_attribute(name, [...value] as string[]);
    else group.create_attribute(name, value as string | number);
  }
  for (const [name, child] of tree.children ?? []) {
    if ('values' in child) {
      group.create_dataset({ name, data: child.values, shape: [...child.shape], dtype: '<f4' });
    } else {
      writeGroup(group.create_group(name), child);
    }
  }
}

/** The child at a '/'-separated path below `group`, or undefined. */
export function childAt(group: Hdf5Group, path: string): Hdf5Group | Hdf5Dataset | undefined {
  let at: Hdf5Group | Hdf5Dataset | undefined = group;
  for (const part of path.split('/').filter((p) => p !== '')) {
    if (!at || at.kind !== 'group') return undefined;
    at = at.children.get(part);
  }
  return at;
}
