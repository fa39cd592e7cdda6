// What a Keras file holds, whatever its format (.h5 of Keras 1 / 2 / 3, .weights.h5, .keras), and putting
// its weights onto a webrnn model: every layer that has weights, with the class its config gives it and
// its weights in the order the file stores them. The format readers (keras-h5.ts, keras-archive.ts) make
// one; assignKerasWeights converts each layer's weights from the file's layout (Keras 1's per-gate weights,
// cuDNN layers: legacy-weights.ts) and sets them.
//
// Layers are paired as Keras pairs them: a legacy .h5 by order (Keras' load_weights), a .keras by the
// layer's place in the config (the path Keras derives from it), so a file whose layers were renamed
// still loads, and a file with a layer too many or too few is an error naming both sides.

import { ModelFormatError } from '../gpu/errors.js';
import type { BidirectionalLayer } from '../layers/keras/bidirectional.js';
import type { Layer } from '../layers/keras/layer.js';
import { convertLegacyWeights } from './legacy-weights.js';
import type { NamedWeight } from './tfjs-layers.js';

/** One layer's weights in a Keras file. */
export interface KerasFileLayer {
  /** The layer's name in the file. */
  readonly name: string;
  /** Its class in the file's config ('LSTM', 'CuDNNLSTM', ...), when the file has a config. */
  readonly className?: string;
  /** A wrapper's (Bidirectional's) wrapped class in the file's config. */
  readonly innerClassName?: string;
  /** Its weights, in the file's order (names as the file writes them). */
  readonly weights: readonly NamedWeight[];
}

/** The weights of a Keras file. */
export interface KerasFileWeights {
  /** For errors: the file and the part of it ('model.h5 model_weights'). */
  readonly source: string;
  /** keras_version as the file records it ('1' when it records none, as Keras assumes). */
  readonly kerasVersion: string;
  /** 'by-order' (legacy .h5) or 'by-name' (each entry named by the config layer it belongs to). */
  readonly pairing: 'by-order' | 'by-name';
  /** The layers that have weights, in the file's order. */
  readonly layers: readonly KerasFileLayer[];
}

/** The file's weights for `layers` (the model's, Keras' order), in the order model.setWeights takes them. */
export function kerasWeightsInModelOrder(layers: readonly Layer[], file: KerasFileWeights): Float32Array[] {
  const owners = layers.filter((layer) => (layer.weightLayer?.weights.length ?? 0) > 0);
  const stored = file.layers.filter((layer) => layer.weights.length > 0);
  const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ') || 'none';
  let pairs: [Layer, KerasFileLayer][];
  if (file.pairing === 'by-order') {
    if (owners.length !== stored.length) {
      throw new ModelFormatError(`${file.source}: the file has weights for ${stored.length} layer${stored.length === 1 ? '' : 's'} (${list(stored.map((l) => l.name))}), ` +
        `the model has ${owners.length} layer${owners.length === 1 ? '' : 's'} with weights (${list(owners.map((l) => l.name))})`);
    }
    pairs = owners.map((layer, i) => [layer, stored[i]]);
  } else {
    const byName = new Map(stored.map((l) => [l.name, l]));
    pairs = owners.map((layer) => {
      const entry = byName.get(layer.name);
      if (!entry) throw new ModelFormatError(`${file.source}: no weights for ${layer.className} '${layer.name}' (the file has weights for ${list(stored.map((l) => l.name))})`);
      byName.delete(layer.name);
      return [layer, entry];
    });
    if (byName.size > 0) throw new ModelFormatError(`${file.source}: weights for ${list([...byName.keys()])} belong to no layer of the model`);
  }
  return pairs.flatMap(([layer, entry]) => {
    const expected = layer.weightLayer!.weights;
    const where = `${file.source}: layer '${entry.name}'${entry.name === layer.name ? '' : ` (the model's ${layer.className} '${layer.name}')`}`;
    if (layer.className === 'Bidirectional') {
      // Each direction's weights on their own (tf-keras' convert_nested_bidirectional): the file's halves.
      const half = entry.weights.length / 2;
      const inner = entry.innerClassName ?? (layer as BidirectionalLayer).inner.className;
      const perDirection = expected.length / 2;
      if (!Number.isInteger(half)) throw new ModelFormatError(`${where}: a Bidirectional layer stores its two directions' weights, but the file has ${entry.weights.length}`);
      return [0, 1].flatMap((d) => convertLegacyWeights(inner, entry.weights.slice(d * half, (d + 1) * half), expected.slice(d * perDirection, (d + 1) * perDirection),
        file.kerasVersion, `${where} ${d === 0 ? 'forward' : 'backward'}`));
    }
    return convertLegacyWeights(entry.className ?? layer.className, entry.weights, expected, file.kerasVersion, where);
  });
}
