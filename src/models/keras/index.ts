// Keras / TensorFlow.js model configs (the JSON of model.to_json(), model.get_config() wrapped as
// { class_name, config }, TensorFlow.js' model.toJSON(), and the modelTopology of a model.json), both ways:
//
//   const model = fromConfig(gpu, await (await fetch('model.json')).json());   // architecture, fresh weights
//   model.setWeights(kerasWeights);                                            // get_weights() order
//   const json = toConfig(model);                                              // Keras 2-style, for tf.models.modelFromJSON
//
// Reading: read-config.ts unwraps the JSON and tells who wrote it (Keras 1, 2, 3, TensorFlow.js);
// keras1-config.ts reads a Keras 1 layer config in Keras 2 terms; config-layers.ts makes each layer
// (config-reader.ts its values, config-recurrent.ts the recurrent ones, layer-classes.ts which classes);
// build-model.ts the Sequential or the functional graph (inbound-nodes.ts its references);
// training-only.ts what refuses training. Writing: to-config.ts.

import type { GpuContext } from '../../gpu/context.js';
import { ShapeError } from '../../gpu/errors.js';
import type { Model } from '../model.js';
import { buildFunctional, buildSequential } from './build-model.js';
import { describe, isDict } from './config-values.js';
import { readConfig } from './read-config.js';

export { toConfig } from './to-config.js';

/** Options of fromConfig. */
export interface FromConfigOptions {
  /** Seed of every initializer (the weights before setWeights). Default 0. */
  seed?: number;
  /**
   * Train the model even though its config has settings that act only in training and that webrnn does
   * not apply yet (a recurrent layer's or an Embedding's dropout, regularizers, constraints, frozen layers:
   * they change nothing at inference). Default false: training such a model is refused, naming them;
   * predict and evaluate work. Dropout, SpatialDropout1D, GaussianDropout, GaussianNoise and AlphaDropout
   * layers are not among them: they train as in Keras.
   */
  ignoreTrainingOnlySettings?: boolean;
}

/** A Keras 2-style model config, as model.to_json() writes it. */
export interface KerasModelConfig {
  /** 'Sequential', or 'Functional' for any other model. */
  class_name: 'Sequential' | 'Functional';
  /** The model's name and layers (a functional model's also inbound_nodes, input_layers, output_layers). */
  config: Record<string, unknown>;
  /** The Keras config schema it follows: '2.15.0' (Keras 2 semantics: hard_sigmoid, explicit reset_after). */
  keras_version: string;
  /** Who wrote it: 'webrnn'. */
  backend: string;
}

/**
 * A webrnn model from a Keras or TensorFlow.js model config: the JSON (string or object) of Keras'
 * model.to_json() or get_config() (wrapped as { class_name, config }; Keras 1, 2 or 3), TensorFlow.js'
 * model.toJSON(), or a model.json (its modelTopology, possibly holding model_config). A Sequential config gives a Sequential.
 * The weights are fresh (seeded); set them with setWeights in Keras' get_weights() order. Anything the
 * model would compute differently from Keras is a ShapeError naming the layer.
 */
export function fromConfig(gpu: GpuContext, config: object | string, options: FromConfigOptions = {}): Model {
  const { className, body, dialect } = readConfig(config);
  if (className === 'Sequential') return buildSequential(gpu, body, dialect, options);
  if (className === 'Functional' || className === 'Model') {
    if (!isDict(body)) throw new ShapeError(`fromConfig: a ${className} config must be an object with layers, input_layers and output_layers, got ${describe(body)}`);
    return buildFunctional(gpu, body, dialect, options);
  }
  throw new ShapeError(`fromConfig: model class '${className}' is not supported: webrnn reads Sequential and functional ('Functional', 'Model') configs` +
    ' (a subclassed Keras model has no config of its layers)');
}
