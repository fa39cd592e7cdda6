// A webrnn Model or Sequential as the Keras 2-style config that model.to_json() writes, for
// tf.models.modelFromJSON (TensorFlow.js), Keras' model_from_json, and fromConfig.

import { ShapeError } from '../../gpu/errors.js';
import type { Layer, SymbolicTensor } from '../../layers/keras/layer.js';
import type { Model } from '../model.js';
import { Sequential } from '../sequential.js';
import type { KerasModelConfig } from './index.js';

/**
 * The model's Keras 2-style config, as model.to_json() writes it (parse-ready object): a Sequential as
 * class_name 'Sequential' with its layers (InputLayer first), any other model as 'Functional' with every
 * layer's inbound_nodes ([layer, node, tensor, {}] entries, a recurrent layer's initial states after its
 * input), input_layers and output_layers. Node indices count the model's own calls of a layer
 * (model.nodeIndex). tf.models.modelFromJSON (TensorFlow.js) and Keras' model_from_json rebuild it;
 * TensorFlow.js' GRU has only resetAfter false.
 */
export function toConfig(model: Model): KerasModelConfig {
  const graph = model.graph;
  const layerConfig = (layer: Layer): Record<string, unknown> => {
    const config = layer.getConfig();
    for (const key of ['activation', 'recurrent_activation']) {
      if (config[key] === 'hard_sigmoid_keras3') {
        throw new ShapeError(`toConfig: ${layer.className} '${layer.name}' uses ${key} 'hard_sigmoid_keras3' (Keras 3's hard_sigmoid), ` +
          'which a Keras 2 / TensorFlow.js config cannot express');
      }
    }
    return config;
  };
  const keras = { keras_version: '2.15.0', backend: 'webrnn' };
  if (model instanceof Sequential) {
    return {
      class_name: 'Sequential',
      config: { name: model.name, layers: graph.layers.map((layer) => ({ class_name: layer.className, config: layerConfig(layer) })) },
      ...keras,
    };
  }
  const ref = (t: SymbolicTensor) => [t.layer.name, model.nodeIndex(t.node), t.index];
  const layers = graph.layers.map((layer) => ({
    name: layer.name,
    class_name: layer.className,
    config: layerConfig(layer),
    inbound_nodes: layer.nodes
      .filter((node) => graph.nodes.includes(node) && node.inbound.length > 0)
      .map((node) => node.inbound.map((t) => [...ref(t), {}])),
  }));
  return {
    class_name: 'Functional',
    config: { name: model.name, layers, input_layers: graph.inputs.map(ref), output_layers: graph.outputs.map(ref) },
    ...keras,
  };
}
