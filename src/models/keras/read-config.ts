// The model config inside any of the JSON forms that carry one, and who wrote it.
//
// Forms read, each as an object or its JSON string: Keras' model.to_json(), get_config() wrapped as
// { class_name, config } or bare (functional when it names its inputs), TensorFlow.js' model.toJSON(),
// and a model.json (its modelTopology, possibly holding model_config).
//
// Which writer a config comes from decides the meaning of what it leaves out or names alike (the meanings
// are applied where the layers are read: config-reader.ts, config-layers.ts):
//   - Keras 3: a `module` key anywhere (unless keras_version says 2.x: tf.keras 2.13+'s .keras files), or
//     keras_version 3.x;
//   - TensorFlow.js: keras_version, backend or generatedBy naming it;
//   - Keras 1: keras_version 1.x (Keras 1's to_json and .h5 write it), or, without a version, Keras 1's
//     key names or classes (keras1-config.ts);
//   - Keras 2 otherwise; legacy when before 2.3 (and not a -tf version), or a version-less 2018 list config.

import { ShapeError } from '../../gpu/errors.js';
import { describe, isDict, type Dict } from './config-values.js';
import { looksLikeKeras1 } from './keras1-config.js';

/** Who wrote a config: what its defaults and names mean. */
export interface Dialect {
  /** keras1: its layer configs are read in Keras 2 terms first (keras1-config.ts). */
  readonly kind: 'keras1' | 'keras2' | 'keras3' | 'tfjs';
  /** Keras before 2.3 (Keras 1 too, or a version-less list config): GRU reset_after false, hard_sigmoid gates by default. */
  readonly legacy: boolean;
}

/** The model class, its config and its writer, from any of the wrappers. */
export function readConfig(input: object | string): { className: string; body: unknown; dialect: Dialect } {
  let value: unknown = input;
  if (typeof value === 'string') value = parseJson(value, 'the config');
  if (!isDict(value)) throw new ShapeError(`fromConfig: a model config must be an object or its JSON string, got ${describe(value)}`);
  const versions: Dict[] = [value];
  // A model.json wraps the config in modelTopology, the converter (and Keras' h5) in model_config too.
  for (const key of ['modelTopology', 'model_config']) {
    const outer = value as Dict;
    if (!(key in outer)) continue;
    let inner = outer[key];
    if (typeof inner === 'string') inner = parseJson(inner, key);
    if (!isDict(inner)) throw new ShapeError(`fromConfig: ${key} must be an object, got ${describe(inner)}`);
    value = inner;
    versions.unshift(inner);
  }
  const model = value as Dict;
  let className = model.class_name;
  let body: unknown = model.config;
  if (className === undefined && Array.isArray(model.layers)) {
    // A bare get_config(): functional when it names its inputs.
    className = 'input_layers' in model ? 'Functional' : 'Sequential';
    body = model;
  }
  if (typeof className !== 'string') {
    throw new ShapeError(`fromConfig: the config has no class_name (expected { class_name: 'Sequential' | 'Functional' | 'Model', config }), got keys ${Object.keys(model).join(', ') || 'none'}`);
  }
  if (body === undefined || body === null) throw new ShapeError(`fromConfig: the ${className} config has no 'config'`);
  return { className, body, dialect: detectDialect(versions, model, body) };
}

/** The writer, from the version fields of the model and its wrappers (innermost first), or the config's shape. */
function detectDialect(wrappers: readonly Dict[], model: Dict, body: unknown): Dialect {
  const field = (key: string): string | undefined => {
    for (const w of wrappers) if (typeof w[key] === 'string') return w[key] as string;
    return undefined;
  };
  const version = field('keras_version') ?? '';
  const backend = field('backend') ?? '';
  const generatedBy = field('generatedBy') ?? '';
  const layers = Array.isArray(body) ? body : isDict(body) && Array.isArray(body.layers) ? body.layers : [];
  const hasModule = 'module' in model || layers.some((l) => isDict(l) && 'module' in l);
  // tf.keras 2.13+ writes .keras files in Keras 3's module form, with Keras 2 semantics (its hard_sigmoid).
  if ((hasModule && !/^2\./.test(version)) || /^3\./.test(version)) return { kind: 'keras3', legacy: false };
  if (/tfjs|tensorflow\.?js/i.test(version) || /tensor_?flow\.js/i.test(backend) || /tfjs|tensorflow\.js/i.test(generatedBy)) return { kind: 'tfjs', legacy: false };
  if (/^1(\.|$)/.test(version) || (version === '' && looksLikeKeras1(layers))) return { kind: 'keras1', legacy: true };
  const match = /^(\d+)\.(\d+)/.exec(version);
  const legacy = match
    ? (Number(match[1]) < 2 || (Number(match[1]) === 2 && Number(match[2]) < 3)) && !version.includes('-tf')
    : Array.isArray(body);
  return { kind: 'keras2', legacy };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ShapeError(`fromConfig: ${what} is not valid JSON: ${(error as Error).message}`);
  }
}
