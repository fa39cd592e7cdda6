// A model file's weights by name onto a model's layers, and a model's weights named for a file.
//
// Files name a weight by its layer, any scopes, and the weight: 'lstm/kernel' (TensorFlow.js),
// 'lstm/lstm_cell/kernel' (the converter, from tf.keras), 'bidirectional/forward_lstm/lstm_cell_1/kernel',
// with or without ':0', in any order (the converter sorts them by name). A weight of layer L called W
// ('kernel', or 'forward/kernel' for one direction of a Bidirectional layer) is the one entry whose first
// part is L, whose last part is W's last part, and whose middle parts start with W's other parts in order.
// Every weight must be found once and every entry used: anything else is an error naming the weight.

import { ModelFormatError } from '../gpu/errors.js';
import type { Layer } from '../layers/keras/layer.js';
import type { ModelFile, NamedWeight } from './tfjs-layers.js';

function parts(name: string): string[] {
  return name.replace(/:\d+$/, '').split('/');
}

function matches(entry: string, layer: string, weight: string): boolean {
  const p = parts(entry);
  const w = weight.split('/');
  if (p.length < 2 || p[0] !== layer || p[p.length - 1] !== w[w.length - 1]) return false;
  const middle = p.slice(1, -1);
  let at = 0;
  for (const scope of w.slice(0, -1)) {
    while (at < middle.length && !middle[at].startsWith(scope)) at++;
    if (at === middle.length) return false;
    at++;
  }
  return true;
}

/** The file's weights for `layers` (Keras' order), in the order getWeights() lists them. */
export function weightsInModelOrder(layers: readonly Layer[], file: ModelFile): Float32Array[] {
  const used = new Set<NamedWeight>();
  const out: Float32Array[] = [];
  for (const layer of layers) {
    const owner = layer.weightLayer;
    if (!owner) continue;
    for (const weight of owner.weights) {
      const found = file.weights.filter((e) => matches(e.name, layer.name, weight.name));
      const what = `${file.source}: ${layer.className} '${layer.name}' weight '${weight.name}'`;
      if (found.length === 0) {
        const ofLayer = file.weights.filter((e) => parts(e.name)[0] === layer.name).map((e) => `'${e.name}'`);
        throw new ModelFormatError(`${what} is not in the file (${ofLayer.length ? `the layer's entries: ${ofLayer.join(', ')}` : 'no entry names the layer'})`);
      }
      if (found.length > 1) throw new ModelFormatError(`${what}: ${found.length} entries match (${found.map((e) => `'${e.name}'`).join(', ')})`);
      const [entry] = found;
      if (entry.shape.join() !== weight.shape.join()) {
        throw new ModelFormatError(`${what}: the file's '${entry.name}' has shape [${entry.shape.join(', ')}], the layer's config makes [${weight.shape.join(', ')}]`);
      }
      used.add(entry);
      out.push(entry.values);
    }
  }
  const unused = file.weights.filter((e) => !used.has(e));
  if (unused.length > 0) {
    throw new ModelFormatError(`${file.source}: ${unused.length} weight${unused.length > 1 ? 's' : ''} of the file belong to no layer of the model: ${unused.slice(0, 5).map((e) => `'${e.name}'`).join(', ')}${unused.length > 5 ? ', ...' : ''}`);
  }
  return out;
}

/** A model's weights named as TensorFlow.js names them ('layer/kernel'), in getWeights() order. */
export async function namedWeights(layers: readonly Layer[]): Promise<NamedWeight[]> {
  const out: NamedWeight[] = [];
  for (const layer of layers) {
    const owner = layer.weightLayer;
    if (!owner) continue;
    const values = await owner.getWeights();
    owner.weights.forEach((w, i) => out.push({ name: layer.weightPath(w.name), shape: [...w.shape], values: values[i] }));
  }
  return out;
}
