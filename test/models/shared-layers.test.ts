// Layers shared between a training graph and its inference graphs, as the seeds' Keras seq2seq does it:
// after training, an encoder model (input -> [h, c]) and a one-step decoder model ([input, h, c] ->
// [output, h, c]) made of the same layers reproduce the training model's teacher-forced outputs step by
// step (within 1e-5: the same weights, the same f32 kernels, other batch shapes). Models sharing layers
// share their weights; disposing them all releases every buffer.

import { beforeAll, describe, expect, it } from 'vitest';
import { layers, Model, type ArrayResult, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const TOLERANCE = { atol: 1e-5, rtol: 0 };

describe('layers shared between models', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
  });

  it('seq2seq training model, then encoder and one-step decoder models over the same layers', async () => {
    const live = env.ctx.liveBuffers;
    const [N, Ts, Tt, F, U, V] = [5, 6, 4, 3, 7, 5];
    const encoderInput = layers.input({ shape: [null, F], name: 'encoder_input' });
    const decoderInput = layers.input({ shape: [null, V], name: 'decoder_input' });
    const encoder = layers.lstm({ units: U, returnState: true, name: 'encoder' });
    const decoder = layers.lstm({ units: U, returnSequences: true, returnState: true, name: 'decoder' });
    const head = layers.dense({ units: V, activation: 'softmax', name: 'head' });
    const [, h, c] = encoder.apply(encoderInput) as SymbolicTensor[];
    const [sequence] = decoder.apply(decoderInput, { initialState: [h, c] }) as SymbolicTensor[];
    const training = new Model(env.ctx, { inputs: [encoderInput, decoderInput], outputs: head.apply(sequence) as SymbolicTensor, name: 'training' });

    const random = mulberry32(3);
    const source = { data: Float32Array.from(uniformArray(N * Ts * F, 1, random)), shape: [N, Ts, F] };
    const targetIds = Array.from({ length: N * Tt }, () => Math.floor(random() * V));
    const oneHot = (ids: number[], steps: number) => {
      const data = new Float32Array(ids.length * V);
      ids.forEach((id, i) => (data[i * V + id] = 1));
      return { data, shape: [ids.length / steps, steps, V] };
    };
    // Teacher forcing: the decoder sees the target shifted right by one step (a zero vector first).
    const shifted = Array.from({ length: N * Tt }, (_, i) => (i % Tt === 0 ? -1 : targetIds[i - 1]));
    const decoderData = oneHot(shifted.map((id) => Math.max(id, 0)), Tt);
    shifted.forEach((id, i) => id < 0 && decoderData.data.fill(0, i * V, (i + 1) * V));
    training.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', learningRate: 0.05 });
    await training.fit([source, decoderData], oneHot(targetIds, Tt), { epochs: 3, batchSize: 2 });
    const full = (await training.predict([source, decoderData])) as ArrayResult;

    const encoderModel = new Model(env.ctx, { inputs: encoderInput, outputs: [h, c], name: 'encoder_model' });
    const stepInput = layers.input({ shape: [1, V], name: 'step_input' });
    const hIn = layers.input({ shape: [U], name: 'h_in' });
    const cIn = layers.input({ shape: [U], name: 'c_in' });
    const [stepSequence, hOut, cOut] = decoder.apply(stepInput, { initialState: [hIn, cIn] }) as SymbolicTensor[];
    const decoderModel = new Model(env.ctx, { inputs: [stepInput, hIn, cIn], outputs: [head.apply(stepSequence) as SymbolicTensor, hOut, cOut], name: 'decoder_model' });
    expect(await decoderModel.getWeights()).toEqual((await training.getWeights()).slice(3));

    let [hState, cState] = (await encoderModel.predict(source)) as ArrayResult[];
    for (let t = 0; t < Tt; t++) {
      const step = new Float32Array(N * V);
      for (let n = 0; n < N; n++) step.set(decoderData.data.subarray((n * Tt + t) * V, (n * Tt + t + 1) * V), n * V);
      const [probabilities, hNext, cNext] = (await decoderModel.predict([{ data: step, shape: [N, 1, V] }, hState, cState])) as ArrayResult[];
      const expected = new Float32Array(N * V);
      for (let n = 0; n < N; n++) expected.set(full.data.subarray((n * Tt + t) * V, (n * Tt + t + 1) * V), n * V);
      expectClose(probabilities.data, expected, TOLERANCE, `step ${t}`);
      [hState, cState] = [hNext, cNext];
    }

    training.dispose();
    // The weights outlive the training model while the inference models use them.
    expect((await encoderModel.predict(source)) as ArrayResult[]).toHaveLength(2);
    encoderModel.dispose();
    decoderModel.dispose();
    expect(env.ctx.liveBuffers).toBe(live);
  });
});
