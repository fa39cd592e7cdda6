// What in a config acts only in training: dropout, recurrent_dropout, regularizers, constraints and
// frozen layers (trainable: false) change nothing at inference, so a config with them predicts and
// evaluates exactly as Keras does. webrnn does not apply them in training yet (but for a recurrent
// layer's dropout and recurrent dropout, which it applies), so training such a model
// (fit, trainOnBatch, warmUp) is refused with an error naming each of them, rather than silently
// training another model; `ignoreTrainingOnlySettings` lifts that. The Dropout-like layers (Dropout,
// SpatialDropout1D, GaussianDropout, GaussianNoise, AlphaDropout) are not among them: webrnn trains them
// as Keras does (src/layers/keras/dropout.ts).

import { describe, isDict, type Dict } from './config-values.js';
import { CELLS, isInert } from './layer-classes.js';

/**
 * A layer's settings that act only in training and that webrnn does not apply (a recurrent layer's or an
 * Embedding's dropout, regularizers, constraints, frozen layers), described by
 * the keys the config wrote: `origin` maps a key read in Keras 2 terms to its Keras 1 name (keras1-config.ts).
 */
export function trainingOnlySettings(className: string, config: Dict, who: string, origin: Readonly<Record<string, string>> = {}): string[] {
  const found: string[] = [];
  const label = (key: string) => (Object.hasOwn(origin, key) ? origin[key] : key);
  const positive = (key: string) => typeof config[key] === 'number' && (config[key] as number) > 0;
  if (!isInert(className)) {
    // A recurrent layer's dropout and recurrent dropout are applied (src/layers/keras/recurrent.ts, in a
    // Bidirectional too), but not Keras 1's dropout_W and dropout_U (a mask per gate).
    const applied = (key: string) => Object.hasOwn(CELLS, className) && !Object.hasOwn(origin, key);
    for (const key of ['dropout', 'recurrent_dropout']) if (positive(key) && !applied(key)) found.push(`${label(key)} ${config[key]}`);
  }
  if (config.trainable === false) found.push('trainable false (a frozen layer)');
  for (const [key, value] of Object.entries(config)) {
    if (/_(regularizer|constraint)$/.test(key) && value !== null && value !== undefined) found.push(`${label(key)} ${kind(value)}`);
  }
  return found.map((what) => `${who.replace(/ of model '.*'$/, '')}: ${what}`);
}

/** A regularizer's or constraint's class (Keras 2: class_name; Keras 1: name), else the value. */
function kind(value: unknown): string {
  if (isDict(value) && typeof value.class_name === 'string') return value.class_name;
  if (isDict(value) && typeof value.name === 'string') return value.name;
  return describe(value);
}

/** A model frozen as a whole. */
export function modelTrainingOnly(body: unknown): string[] {
  return isDict(body) && body.trainable === false ? ['the model: trainable false (frozen)'] : [];
}

/** Why training the model is refused (its trainingRefusal), or undefined when nothing or `ignore` says so. */
export function refusal(model: string, trainingOnly: readonly string[], ignore: boolean | undefined): string | undefined {
  if (trainingOnly.length === 0 || ignore) return undefined;
  return `model '${model}' was read from a config with settings that act only in training, which webrnn does not apply yet: ` +
    `${trainingOnly.join('; ')}. It predicts and evaluates as Keras does; to train it without them, pass ` +
    '{ ignoreTrainingOnlySettings: true } to fromConfig';
}
