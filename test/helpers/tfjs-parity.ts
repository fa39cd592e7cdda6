// Fixtures for tests that hold webrnn models against TensorFlow.js (tfjs on its CPU backend): seeded
// inputs, the GPU context with every opened model disposed at the end, and predictions compared output
// by output within PREDICT_TOLERANCE.

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Model } from '../../src/index.js';
import { mulberry32, uniformArray } from '../reference/random.js';
import { expectClose } from './compare.js';
import { gpu } from './gpu.js';

export const PREDICT_TOLERANCE = { atol: 1e-5, rtol: 0 };

export type Env = Awaited<ReturnType<typeof gpu>>;

export interface Sample {
  data: Float32Array;
  shape: number[];
}

/** Inputs of these shapes (batch first): uniform in [-1, 1], or token ids below `vocab`. */
export function samples(shapes: { shape: number[]; vocab?: number }[], seed: number): Sample[] {
  const random = mulberry32(seed);
  return shapes.map(({ shape, vocab }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = vocab ? Float32Array.from({ length: size }, () => Math.floor(random() * vocab)) : Float32Array.from(uniformArray(size, 1, random));
    return { data, shape };
  });
}

/**
 * Registers, in the calling scope (file or describe), a beforeAll that acquires the GPU and sets
 * TensorFlow.js' CPU backend and an afterAll that disposes every model passed to `open` and
 * TensorFlow.js' variables.
 */
export function modelsForParity(): { env: () => Env; open<M extends Model>(model: M): M } {
  let env: Env | undefined;
  const opened: Model[] = [];
  beforeAll(async () => {
    env = await gpu();
    await tf.setBackend('cpu');
  });
  afterAll(() => {
    for (const m of opened) m.dispose();
    tf.disposeVariables();
  });
  return {
    env: () => {
      if (!env) throw new Error('modelsForParity: env() before beforeAll ran');
      return env;
    },
    open: <M extends Model>(model: M): M => {
      opened.push(model);
      return model;
    },
  };
}

/** A TensorFlow.js model's predictions, as a reference for expectSamePredictions. */
const predictor = (tfModel: tf.LayersModel) => (x: tf.Tensor[]) => [tfModel.predict(x.length === 1 ? x[0] : x)].flat() as tf.Tensor[];

/** webrnn's predictions against the reference's (a TensorFlow.js model or tf ops) for the same inputs. */
export async function expectSamePredictions(
  model: Model,
  reference: tf.LayersModel | ((x: tf.Tensor[]) => tf.Tensor[]),
  x: Sample[],
  what: string,
): Promise<void> {
  const predict = typeof reference === 'function' ? reference : predictor(reference);
  const expected = predict(x.map((a) => tf.tensor(a.data, a.shape)));
  const actual = [await model.predict(x.length === 1 ? x[0] : x)].flat();
  expect(actual.length).toBe(expected.length);
  actual.forEach((out, i) => {
    expect(out.shape, `${what}: output ${i} shape`).toEqual(expected[i].shape);
    expectClose(out.data, expected[i].dataSync(), PREDICT_TOLERANCE, `${what}: output ${i}`);
  });
}
