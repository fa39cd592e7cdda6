// Sequential and functional models against TensorFlow.js, an independent implementation of Keras: each
// model is described once over a small builder and built in both, webrnn takes TensorFlow.js' initial
// weights in get_weights() order (which checks that order and every shape), then
//   - predict agrees within 1e-5 (absolute);
//   - one trainOnBatch with SGD (learning rate 0.5, so the update is large next to the tolerance) gives
//     the same weights within 1e-5: the whole backward pass through the graph, losses included.
// Odd sizes, batches of 1 and 17. TensorFlow.js' LSTM and GRU are given Keras 2's sigmoid recurrent
// activation; its GRU has only reset_after = false, so the GRU models use that.

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, Model, Sequential, type Layer, type SymbolicTensor } from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const PREDICT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const WEIGHT_TOLERANCE = { atol: 1e-5, rtol: 0 };
const LEARNING_RATE = 0.5;

type Cell = 'lstm' | 'gru' | 'simple_rnn';
interface RnnOptions {
  units: number;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
}

/** One vocabulary for building a model in either library. */
interface Builder<T> {
  input(shape: (number | null)[], name: string): T;
  embedding(x: T, inputDim: number, outputDim: number): T;
  rnn(cell: Cell, x: T, options: RnnOptions, initialState?: T[]): T[];
  /** LayerNormalization over the last axis. */
  layerNorm(x: T, options?: { epsilon?: number; center?: boolean; scale?: boolean }): T;
  /** GlobalAveragePooling1D / GlobalMaxPooling1D. */
  globalPool(x: T, mode: 'avg' | 'max'): T;
  /** Flatten. */
  flatten(x: T): T;
  /** RepeatVector(n). */
  repeatVector(x: T, n: number): T;
  /** TimeDistributed(Dense). */
  timeDistributed(x: T, units: number, activation?: 'linear' | 'softmax' | 'tanh'): T;
  /** Bidirectional(rnn): the merged output(s), then forward then backward states (returnState). */
  bidirectional(cell: Cell, x: T, options: RnnOptions, mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' | null): T[];
  dense(x: T, units: number, activation?: 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax'): T;
  activation(x: T, activation: 'softmax' | 'tanh'): T;
  concatenate(xs: T[]): T;
  add(xs: T[]): T;
  /** One Dense layer, to call several times. */
  sharedDense(units: number): (x: T) => T;
}

const webrnnBuilder: Builder<SymbolicTensor> = {
  input: (shape, name) => layers.input({ shape, name }),
  embedding: (x, inputDim, outputDim) => layers.embedding({ inputDim, outputDim }).apply(x) as SymbolicTensor,
  rnn: (cell, x, options, initialState) => {
    const layer = cell === 'lstm' ? layers.lstm(options) : cell === 'gru' ? layers.gru({ ...options, resetAfter: false }) : layers.simpleRNN(options);
    const out = layer.apply(x, { initialState });
    return Array.isArray(out) ? out : [out];
  },
  layerNorm: (x, options = {}) => layers.layerNormalization(options).apply(x) as SymbolicTensor,
  globalPool: (x, mode) => (mode === 'avg' ? layers.globalAveragePooling1d() : layers.globalMaxPooling1d()).apply(x) as SymbolicTensor,
  flatten: (x) => layers.flatten().apply(x) as SymbolicTensor,
  repeatVector: (x, n) => layers.repeatVector({ n }).apply(x) as SymbolicTensor,
  timeDistributed: (x, units, activation) => layers.timeDistributed({ layer: layers.dense({ units, activation }) }).apply(x) as SymbolicTensor,
  bidirectional: (cell, x, options, mergeMode) => {
    const layer = cell === 'lstm' ? layers.lstm(options) : cell === 'gru' ? layers.gru({ ...options, resetAfter: false }) : layers.simpleRNN(options);
    const out = layers.bidirectional({ layer, ...(mergeMode !== undefined ? { mergeMode } : {}) }).apply(x);
    return Array.isArray(out) ? out : [out];
  },
  dense: (x, units, activation) => layers.dense({ units, activation }).apply(x) as SymbolicTensor,
  activation: (x, activation) => layers.activation({ activation }).apply(x) as SymbolicTensor,
  concatenate: (xs) => layers.concatenate().apply(xs) as SymbolicTensor,
  add: (xs) => layers.add().apply(xs) as SymbolicTensor,
  sharedDense: (units) => {
    const layer = layers.dense({ units, activation: 'relu' });
    return (x) => layer.apply(x) as SymbolicTensor;
  },
};

const tfjsBuilder: Builder<tf.SymbolicTensor> = {
  input: (shape, name) => tf.input({ shape, name }),
  embedding: (x, inputDim, outputDim) => tf.layers.embedding({ inputDim, outputDim }).apply(x) as tf.SymbolicTensor,
  rnn: (cell, x, options, initialState) => {
    const layer = cell === 'lstm'
      ? tf.layers.lstm({ ...options, recurrentActivation: 'sigmoid' })
      : cell === 'gru' ? tf.layers.gru({ ...options, recurrentActivation: 'sigmoid' }) : tf.layers.simpleRNN(options);
    const out = layer.apply(x, initialState ? { initialState } : undefined);
    return Array.isArray(out) ? (out as tf.SymbolicTensor[]) : [out as tf.SymbolicTensor];
  },
  layerNorm: (x, options = {}) => tf.layers.layerNormalization({ axis: -1, ...options }).apply(x) as tf.SymbolicTensor,
  globalPool: (x, mode) => (mode === 'avg' ? tf.layers.globalAveragePooling1d() : tf.layers.globalMaxPooling1d()).apply(x) as tf.SymbolicTensor,
  flatten: (x) => tf.layers.flatten().apply(x) as tf.SymbolicTensor,
  repeatVector: (x, n) => tf.layers.repeatVector({ n }).apply(x) as tf.SymbolicTensor,
  timeDistributed: (x, units, activation) => tf.layers.timeDistributed({ layer: tf.layers.dense({ units, activation }) }).apply(x) as tf.SymbolicTensor,
  bidirectional: (cell, x, options, mergeMode) => {
    const layer = cell === 'lstm'
      ? tf.layers.lstm({ ...options, recurrentActivation: 'sigmoid' })
      : cell === 'gru' ? tf.layers.gru({ ...options, recurrentActivation: 'sigmoid' }) : tf.layers.simpleRNN(options);
    const out = tf.layers.bidirectional({ layer: layer as never, ...(mergeMode !== undefined ? { mergeMode: mergeMode as never } : {}) }).apply(x);
    return Array.isArray(out) ? (out as tf.SymbolicTensor[]) : [out as tf.SymbolicTensor];
  },
  dense: (x, units, activation) => tf.layers.dense({ units, activation }).apply(x) as tf.SymbolicTensor,
  activation: (x, activation) => tf.layers.activation({ activation }).apply(x) as tf.SymbolicTensor,
  concatenate: (xs) => tf.layers.concatenate().apply(xs) as tf.SymbolicTensor,
  add: (xs) => tf.layers.add().apply(xs) as tf.SymbolicTensor,
  sharedDense: (units) => {
    const layer = tf.layers.dense({ units, activation: 'relu' });
    return (x) => layer.apply(x) as tf.SymbolicTensor;
  },
};

type Loss = 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mse';
const TFJS_LOSS: Record<Loss, string> = {
  binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy', mse: 'meanSquaredError',
};

interface InputSpec {
  shape: (number | null)[];
  /** Token ids below this (an Embedding's input). */
  vocab?: number;
}

interface ModelCase {
  name: string;
  inputs: InputSpec[];
  /** Steps of the inputs whose time axis is null. */
  steps: number;
  build<T>(b: Builder<T>, inputs: T[]): T[];
  /** Loss of the (single) output for the training check; none: predict only. */
  loss?: Loss;
  /** The output holds logits (Keras from_logits; TensorFlow.js: its softmax / sigmoid cross-entropy). */
  fromLogits?: boolean;
  /** Sequential: the layers in order (the same model built with new Sequential). */
  sequential?: boolean;
}

const CASES: ModelCase[] = [
  {
    // Sentiment: Embedding(10000, 64) -> GRU(64) -> Dense(16, relu) -> Dense(1, sigmoid), many-to-one.
    name: 'Embedding -> GRU -> Dense(relu) -> Dense(1, sigmoid), binary cross-entropy',
    inputs: [{ shape: [9], vocab: 37 }], steps: 9, loss: 'binary_crossentropy', sequential: true,
    build: (b, [x]) => [b.dense(b.dense(b.rnn('gru', b.embedding(x, 37, 13), { units: 11 })[0], 7, 'relu'), 1, 'sigmoid')],
  },
  {
    // Character-level text generation: LSTM(128, input [40, 57]) -> Dense(57) -> Activation(softmax).
    name: 'LSTM -> Dense -> Activation(softmax), categorical cross-entropy',
    inputs: [{ shape: [7, 11] }], steps: 7, loss: 'categorical_crossentropy', sequential: true,
    build: (b, [x]) => [b.activation(b.dense(b.rnn('lstm', x, { units: 19 })[0], 11), 'softmax')],
  },
  {
    // Stacked: LSTM(128, return_sequences) -> LSTM(64) -> Dense(30) -> Dense(9, softmax).
    name: 'LSTM(returnSequences) -> LSTM -> Dense -> Dense(softmax), sparse categorical cross-entropy',
    inputs: [{ shape: [null, 5] }], steps: 6, loss: 'sparse_categorical_crossentropy', sequential: true,
    build: (b, [x]) => [b.dense(b.dense(b.rnn('lstm', b.rnn('lstm', x, { units: 13, returnSequences: true })[0], { units: 7 })[0], 5), 3, 'softmax')],
  },
  {
    // The seeds' Keras seq2seq: the decoder LSTM starts from the encoder's [h, c], Dense at every step.
    name: 'seq2seq: LSTM encoder states -> LSTM decoder -> Dense(softmax) per step, categorical cross-entropy',
    inputs: [{ shape: [null, 4] }, { shape: [null, 6] }], steps: 5, loss: 'categorical_crossentropy',
    build: (b, [source, target]) => {
      const [, h, c] = b.rnn('lstm', source, { units: 9, returnState: true });
      const [sequence] = b.rnn('lstm', target, { units: 9, returnSequences: true }, [h, c]);
      return [b.dense(sequence, 6, 'softmax')];
    },
  },
  {
    name: 'a graph: SimpleRNN and GRU branches merged by Concatenate and Add, mse',
    inputs: [{ shape: [null, 3] }], steps: 4, loss: 'mse',
    build: (b, [x]) => {
      const [r] = b.rnn('simple_rnn', x, { units: 5, returnSequences: true });
      const [g] = b.rnn('gru', x, { units: 5, returnSequences: true, goBackwards: true });
      const merged = b.concatenate([b.add([r, g]), r]);
      return [b.dense(merged, 2, 'tanh')];
    },
  },
  {
    name: 'GRU -> Dense(4) logits, categorical cross-entropy from logits',
    inputs: [{ shape: [5, 3] }], steps: 5, loss: 'categorical_crossentropy', fromLogits: true,
    build: (b, [x]) => [b.dense(b.rnn('gru', x, { units: 7 })[0], 4)],
  },
  {
    name: 'SimpleRNN -> Dense(1) logit, binary cross-entropy from logits',
    inputs: [{ shape: [4, 2] }], steps: 4, loss: 'binary_crossentropy', fromLogits: true,
    build: (b, [x]) => [b.dense(b.rnn('simple_rnn', x, { units: 6 })[0], 1)],
  },
  {
    // Initial states copied in from other layers, their gradient copied back out.
    name: 'LSTM whose initial [h, c] come from Dense layers over a second input, mse',
    inputs: [{ shape: [null, 3] }, { shape: [4] }], steps: 5, loss: 'mse',
    build: (b, [x, features]) => {
      const h = b.dense(features, 6, 'tanh');
      const c = b.dense(features, 6);
      const [last] = b.rnn('lstm', x, { units: 6 }, [h, c]);
      return [b.dense(last, 2)];
    },
  },
  {
    // The last output and the returned h are one range (their gradients add); c sits after h in the
    // final-state buffer (an aligned copy for the Dense); the unreturned parts of the state gradient are zeroed.
    name: 'LSTM returnState: the output, h and c all read downstream, mse',
    inputs: [{ shape: [null, 3] }], steps: 4, loss: 'mse',
    build: (b, [x]) => {
      const [out, h, c] = b.rnn('lstm', x, { units: 5, returnState: true });
      return [b.dense(b.concatenate([b.add([out, h]), c]), 3)];
    },
  },
  {
    // One Dense called on two inputs (shared weights: its gradient sums both calls).
    name: 'a layer shared by two calls, and a GRU many-to-one, binary cross-entropy',
    inputs: [{ shape: [null, 4] }, { shape: [null, 4] }], steps: 3, loss: 'binary_crossentropy',
    build: (b, [x1, x2]) => {
      const rnn = (x: Parameters<typeof b.dense>[0]) => b.rnn('gru', x, { units: 6 })[0];
      const shared = b.sharedDense(4);
      return [b.dense(b.add([shared(rnn(x1)), shared(rnn(x2))]), 1, 'sigmoid')];
    },
  },
  {
    // Bidirectional text classifier: Bidirectional(LSTM(64)) -> Dense(softmax).
    name: 'Bidirectional(LSTM) concat -> Dense(softmax), categorical cross-entropy',
    inputs: [{ shape: [6, 5] }], steps: 6, loss: 'categorical_crossentropy', sequential: true,
    build: (b, [x]) => [b.dense(b.bidirectional('lstm', x, { units: 7 })[0], 3, 'softmax')],
  },
  {
    name: 'Embedding -> Bidirectional(GRU, sequences) sum -> Bidirectional(SimpleRNN) ave -> Dense(1, sigmoid), binary cross-entropy',
    inputs: [{ shape: [7], vocab: 23 }], steps: 7, loss: 'binary_crossentropy', sequential: true,
    build: (b, [x]) => {
      const [sequence] = b.bidirectional('gru', b.embedding(x, 23, 5), { units: 6, returnSequences: true }, 'sum');
      return [b.dense(b.bidirectional('simple_rnn', sequence, { units: 5 }, 'ave')[0], 1, 'sigmoid')];
    },
  },
  {
    name: 'Bidirectional(LSTM, sequences, goBackwards) mul -> Dense per step, mse',
    inputs: [{ shape: [null, 3] }], steps: 5, loss: 'mse', sequential: true,
    build: (b, [x]) => [b.dense(b.bidirectional('lstm', x, { units: 5, returnSequences: true, goBackwards: true }, 'mul')[0], 2)],
  },
  {
    name: 'Bidirectional(GRU, sequences) without merging: both directions concatenated downstream, mse',
    inputs: [{ shape: [null, 4] }], steps: 4, loss: 'mse',
    build: (b, [x]) => {
      const [forward, backward] = b.bidirectional('gru', x, { units: 4, returnSequences: true }, null);
      return [b.dense(b.concatenate([backward, forward]), 2, 'tanh')];
    },
  },
  {
    // A Bidirectional encoder's states, concatenated per state, start a decoder of twice the units.
    name: 'seq2seq: Bidirectional(LSTM) encoder states -> LSTM(2 units) decoder -> Dense(softmax), categorical cross-entropy',
    inputs: [{ shape: [null, 4] }, { shape: [null, 5] }], steps: 4, loss: 'categorical_crossentropy',
    build: (b, [source, target]) => {
      const [, hf, cf, hb, cb] = b.bidirectional('lstm', source, { units: 6, returnState: true });
      const [sequence] = b.rnn('lstm', target, { units: 12, returnSequences: true }, [b.concatenate([hf, hb]), b.concatenate([cf, cb])]);
      return [b.dense(sequence, 5, 'softmax')];
    },
  },
  {
    // The merged last step and the returned states all read: the states' gradients and the merge's add up.
    name: 'Bidirectional(LSTM) returnState: merged output, both directions\' h and c read downstream, mse',
    inputs: [{ shape: [null, 3] }], steps: 5, loss: 'mse',
    build: (b, [x]) => {
      const [out, hf, cf, hb, cb] = b.bidirectional('lstm', x, { units: 4, returnState: true });
      return [b.dense(b.concatenate([out, b.add([hf, cb]), cf, hb]), 3)];
    },
  },
  {
    // Keras' addition_rnn example: LSTM encoder -> RepeatVector(answer length) -> LSTM(sequences) -> TimeDistributed(Dense(softmax)).
    name: 'LSTM -> RepeatVector -> LSTM(returnSequences) -> TimeDistributed(Dense(softmax)), categorical cross-entropy',
    inputs: [{ shape: [7, 6] }], steps: 7, loss: 'categorical_crossentropy', sequential: true,
    build: (b, [x]) => [b.timeDistributed(b.rnn('lstm', b.repeatVector(b.rnn('lstm', x, { units: 9 })[0], 4), { units: 8, returnSequences: true })[0], 6, 'softmax')],
  },
  {
    // fastText-style: Embedding -> GlobalAveragePooling1D -> Dense(sigmoid).
    name: 'Embedding -> GlobalAveragePooling1D -> Dense(1, sigmoid), binary cross-entropy',
    inputs: [{ shape: [8], vocab: 31 }], steps: 8, loss: 'binary_crossentropy', sequential: true,
    build: (b, [x]) => [b.dense(b.globalPool(b.embedding(x, 31, 6), 'avg'), 1, 'sigmoid')],
  },
  {
    name: 'GRU(returnSequences) -> GlobalMaxPooling1D and Flatten of the same sequence, concatenated -> Dense, mse',
    inputs: [{ shape: [5, 3] }], steps: 5, loss: 'mse',
    build: (b, [x]) => {
      const [sequence] = b.rnn('gru', x, { units: 4, returnSequences: true });
      return [b.dense(b.concatenate([b.globalPool(sequence, 'max'), b.flatten(sequence)]), 2)];
    },
  },
  {
    // LayerNormalization's gradient is scaled by 1 / sqrt(variance + epsilon): over few features of a
    // small variance (TensorFlow.js' random initial weights) it magnifies float32 rounding past the
    // weight tolerance after an lr 0.5 step, so the rows are wide and epsilon 0.1.
    name: 'LSTM(returnSequences) -> LayerNormalization -> GRU -> LayerNormalization -> Dense, mse',
    inputs: [{ shape: [null, 3] }], steps: 5, loss: 'mse', sequential: true,
    build: (b, [x]) => {
      const [sequence] = b.rnn('lstm', x, { units: 13, returnSequences: true });
      const [last] = b.rnn('gru', b.layerNorm(sequence, { epsilon: 0.1 }), { units: 11 });
      return [b.dense(b.layerNorm(last, { epsilon: 0.1 }), 2)];
    },
  },
  {
    // TensorFlow.js cannot train a LayerNormalization without center or scale (its optimizer fails): predict only.
    name: 'LayerNormalization without center, and without scale, predict',
    inputs: [{ shape: [null, 4] }], steps: 3,
    build: (b, [x]) => [b.dense(b.layerNorm(b.layerNorm(b.rnn('simple_rnn', x, { units: 6, returnSequences: true })[0], { center: false }), { scale: false }), 3)],
  },
  {
    name: 'encoder model with its states as outputs (several outputs), predict',
    inputs: [{ shape: [null, 4] }], steps: 3,
    build: (b, [x]) => b.rnn('lstm', x, { units: 6, returnState: true }),
  },
];

function sampleInputs(c: ModelCase, batch: number, seed: number): { data: Float32Array; shape: number[] }[] {
  const random = mulberry32(seed);
  return c.inputs.map((input) => {
    const shape = [batch, ...input.shape.map((d) => d ?? c.steps)];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = input.vocab
      ? Float32Array.from({ length: size }, () => Math.floor(random() * input.vocab!))
      : Float32Array.from(uniformArray(size, 1, random));
    return { data, shape };
  });
}

/** Targets for a loss on an output of per-sample shape `shape`. */
function sampleTargets(loss: Loss, shape: number[], batch: number, seed: number): { data: Float32Array; shape: number[] } {
  const random = mulberry32(seed);
  const classes = shape[shape.length - 1];
  const rows = batch * shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (loss === 'sparse_categorical_crossentropy') {
    return { data: Float32Array.from({ length: rows }, () => Math.floor(random() * classes)), shape: [batch, ...shape.slice(0, -1)] };
  }
  if (loss === 'categorical_crossentropy') {
    const data = new Float32Array(rows * classes);
    for (let r = 0; r < rows; r++) data[r * classes + Math.floor(random() * classes)] = 1;
    return { data, shape: [batch, ...shape] };
  }
  const data = Float32Array.from({ length: rows * classes }, () => (loss === 'binary_crossentropy' ? Math.floor(random() * 2) : random() * 2 - 1));
  return { data, shape: [batch, ...shape] };
}

describe('Keras-style models against TensorFlow.js', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  beforeAll(async () => {
    env = await gpu();
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  for (const c of CASES) {
    for (const batch of [1, 17]) {
      it(`${c.name}, batch ${batch}`, async () => {
        const tfInputs = c.inputs.map((input, i) => tfjsBuilder.input(input.shape, `in_${i}`));
        const tfModel = tf.model({ inputs: tfInputs, outputs: c.build(tfjsBuilder, tfInputs) });
        const wInputs = c.inputs.map((input, i) => webrnnBuilder.input(input.shape, `in_${i}`));
        const outputs = c.build(webrnnBuilder, wInputs);
        const model = c.sequential
          ? new Sequential(env.ctx, [wInputs[0], ...sequentialLayers(outputs[0])])
          : new Model(env.ctx, { inputs: wInputs, outputs });
        try {
          const tfWeights = tfModel.getWeights();
          expect(model.weightSpecs.map((w) => w.shape)).toEqual(tfWeights.map((w) => w.shape));
          model.setWeights(tfWeights.map((w) => w.dataSync() as Float32Array));

          const x = sampleInputs(c, batch, 7 + batch);
          const tfX = x.map((a) => tf.tensor(a.data, a.shape));
          const expected = [tfModel.predict(tfX.length === 1 ? tfX[0] : tfX)].flat() as tf.Tensor[];
          const actual = [await model.predict(x.length === 1 ? x[0] : x)].flat();
          expect(actual.length).toBe(expected.length);
          actual.forEach((out, i) => {
            expect(out.shape).toEqual(expected[i].shape);
            expectClose(out.data, expected[i].dataSync(), PREDICT_TOLERANCE, `${c.name}: output ${i}`);
          });

          if (c.loss) {
            const outShape = expected[0].shape.slice(1);
            const y = sampleTargets(c.loss, outShape, batch, 99 + batch);
            const tfLoss = !c.fromLogits ? TFJS_LOSS[c.loss]
              : c.loss === 'binary_crossentropy' ? (t: tf.Tensor, p: tf.Tensor) => tf.losses.sigmoidCrossEntropy(t, p)
                : (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p);
            tfModel.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: tfLoss });
            await tfModel.trainOnBatch(tfX.length === 1 ? tfX[0] : tfX, tf.tensor(y.data, y.shape));
            model.compile({ optimizer: 'sgd', learningRate: LEARNING_RATE, loss: { name: c.loss, fromLogits: c.fromLogits } });
            await model.trainOnBatch(x.length === 1 ? x[0] : x, y);
            const trained = await model.getWeights();
            tfModel.getWeights().forEach((w, i) => expectClose(trained[i], w.dataSync(), WEIGHT_TOLERANCE, `${c.name}: weight ${i} (${model.weightSpecs[i].name}) after one SGD step`));
          }
        } finally {
          model.dispose();
          tfModel.dispose?.();
        }
      });
    }
  }
});

/** The layers from a chain's input to `output`, in order (to build the same model as a Sequential). */
function sequentialLayers(output: SymbolicTensor): Layer[] {
  const chain: Layer[] = [];
  for (let t: SymbolicTensor | undefined = output; t && t.node.inbound.length > 0; t = t.node.inbound[0]) chain.unshift(t.layer);
  return chain;
}
