// The recurrent cells against TensorFlow.js, an independent implementation of Keras' semantics: the
// tfjs-layers LSTM, SimpleRNN and GRU (resetAfter = false, the only GRU tfjs-layers has) with the same
// weights, and for the GRU with resetAfter = true (Keras 2.x/3's default, which tfjs-layers refuses) the
// Keras equations written with tf ops. Gradients come from TensorFlow.js' autodiff (tf.grads) of the same
// equations. Outputs within 1e-5 absolute; gradients within 1e-4 of the largest gradient magnitude.

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELLS, RecurrentLayer } from '../../src/advanced.js';
import { expectClose } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const OUTPUT_TOLERANCE = { atol: 1e-5, rtol: 0 };
function gradientTolerance(reference: ArrayLike<number>) {
  let largest = 0;
  for (let i = 0; i < reference.length; i++) largest = Math.max(largest, Math.abs(reference[i]));
  return { atol: 1e-4 * largest, rtol: 0 };
}

type Cell = 'lstm' | 'gru' | 'simple_rnn';

/**
 * Keras' equations for one layer over x [B, T, F] with tf ops: returns the output sequence [B, T, U]
 * (processed order) and the final states.
 */
function kerasRecurrence(
  cell: Cell, x: tf.Tensor3D, states: tf.Tensor2D[], W: tf.Tensor2D, R: tf.Tensor2D, bias: tf.Tensor, opts: { resetAfter: boolean; goBackwards: boolean },
): { sequence: tf.Tensor3D; states: tf.Tensor2D[] } {
  const units = R.shape[0];
  // A reversed copy: reversing unstack's own output array in place would scramble the tape's gradients.
  const unstacked = tf.unstack(x, 1) as tf.Tensor2D[];
  const steps = opts.goBackwards ? [...unstacked].reverse() : unstacked;
  let [h, c] = states;
  const outputs: tf.Tensor2D[] = [];
  const inputBias = cell === 'gru' && opts.resetAfter ? (bias as tf.Tensor2D).slice([0, 0], [1, 3 * units]).reshape([3 * units]) : bias;
  for (const xt of steps) {
    const zx = tf.add(tf.matMul(xt, W), inputBias) as tf.Tensor2D;
    if (cell === 'simple_rnn') {
      h = tf.tanh(tf.add(zx, tf.matMul(h, R))) as tf.Tensor2D;
    } else if (cell === 'lstm') {
      const z = tf.add(zx, tf.matMul(h, R));
      const [i, f, g, o] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    } else if (opts.resetAfter) {
      const recurrentBias = (bias as tf.Tensor2D).slice([1, 0], [1, 3 * units]).reshape([3 * units]);
      const [xz, xr, xh] = tf.split(zx, 3, 1);
      const [rz, rr, rh] = tf.split(tf.add(tf.matMul(h, R), recurrentBias), 3, 1);
      const z = tf.sigmoid(tf.add(xz, rz));
      const r = tf.sigmoid(tf.add(xr, rr));
      const n = tf.tanh(tf.add(xh, tf.mul(r, rh)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n));
    } else {
      const [xz, xr, xh] = tf.split(zx, 3, 1);
      const Rzr = R.slice([0, 0], [units, 2 * units]);
      const Rh = R.slice([0, 2 * units], [units, units]);
      const [rz, rr] = tf.split(tf.matMul(h, Rzr), 2, 1);
      const z = tf.sigmoid(tf.add(xz, rz));
      const r = tf.sigmoid(tf.add(xr, rr));
      const n = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, h), Rh)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), n));
    }
    outputs.push(h);
  }
  return { sequence: tf.stack(outputs, 1) as tf.Tensor3D, states: cell === 'lstm' ? [h, c] : [h] };
}

interface Case {
  cell: Cell;
  resetAfter?: boolean;
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  goBackwards?: boolean;
  strategy?: 'sequence' | 'step';
}

const CASES: Case[] = [
  { cell: 'gru', resetAfter: true, batch: 1, steps: 7, inputSize: 3, units: 5 },
  { cell: 'gru', resetAfter: true, batch: 17, steps: 13, inputSize: 4, units: 29, goBackwards: true },
  { cell: 'gru', resetAfter: true, batch: 5, steps: 6, inputSize: 3, units: 11, strategy: 'step' },
  { cell: 'gru', resetAfter: false, batch: 1, steps: 7, inputSize: 3, units: 5 },
  { cell: 'gru', resetAfter: false, batch: 17, steps: 13, inputSize: 4, units: 29, goBackwards: true },
  { cell: 'gru', resetAfter: false, batch: 5, steps: 6, inputSize: 3, units: 11, strategy: 'step' },
  { cell: 'lstm', batch: 9, steps: 11, inputSize: 2, units: 13 },
  { cell: 'simple_rnn', batch: 9, steps: 11, inputSize: 2, units: 13, goBackwards: true },
];

describe('recurrent cells vs TensorFlow.js (Keras semantics)', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: RecurrentLayer[] = [];
  beforeAll(async () => {
    env = await gpu();
    await tf.setBackend('cpu');
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  for (const c of CASES) {
    const name = `${c.cell}${c.cell === 'gru' ? ` resetAfter=${c.resetAfter}` : ''} B${c.batch} T${c.steps} in${c.inputSize} u${c.units}${c.goBackwards ? ' goBackwards' : ''}${c.strategy ? ` ${c.strategy}` : ''}`;
    it(name, async () => {
      const rng = mulberry32(c.batch * 100 + c.units);
      const gates = CELLS[c.cell].gates;
      const G = gates * c.units;
      const scale = 1 / Math.sqrt(c.units + c.inputSize);
      const kernel = Float32Array.from(uniformArray(c.inputSize * G, scale, rng));
      const recurrent = Float32Array.from(uniformArray(c.units * G, scale, rng));
      const biasShape = c.cell === 'gru' && c.resetAfter ? [2, G] : [G];
      const bias = Float32Array.from(uniformArray(biasShape[0] * (biasShape[1] ?? 1), 0.5, rng));
      const x = Float32Array.from(uniformArray(c.batch * c.steps * c.inputSize, 1, rng));
      const stateCount = c.cell === 'lstm' ? 2 : 1;
      const initial = Array.from({ length: stateCount }, () => Float32Array.from(uniformArray(c.batch * c.units, 0.8, rng)));
      const dOut = Float32Array.from(uniformArray(c.batch * c.steps * c.units, 1, rng));
      const dStates = Array.from({ length: stateCount }, () => Float32Array.from(uniformArray(c.batch * c.units, 1, rng)));

      // webrnn on the GPU.
      const layer = RecurrentLayer.of(env.ctx, c.cell, {
        units: c.units, inputSize: c.inputSize, returnSequences: true, goBackwards: c.goBackwards, strategy: c.strategy,
        ...(c.cell === 'gru' ? { resetAfter: c.resetAfter } : {}),
      }, { registry: env.registry });
      layers.push(layer);
      layer.setWeights([kernel, recurrent, bias]);
      const forward = await layer.forward(x, { batch: c.batch, steps: c.steps }, initial);
      const backward = await layer.backward(dOut, dStates);

      // TensorFlow.js: the equations, their autodiff, and (where tfjs-layers has the cell) the layer itself.
      const opts = { resetAfter: c.resetAfter ?? true, goBackwards: c.goBackwards ?? false };
      const inputs = [
        tf.tensor3d(x, [c.batch, c.steps, c.inputSize]),
        ...initial.map((s) => tf.tensor2d(s, [c.batch, c.units])),
        tf.tensor2d(kernel, [c.inputSize, G]),
        tf.tensor2d(recurrent, [c.units, G]),
        tf.tensor(bias, biasShape),
      ];
      const run = (...t: tf.Tensor[]) => {
        const [xt, ...rest] = t;
        const states = rest.slice(0, stateCount) as tf.Tensor2D[];
        const [W, R, b] = rest.slice(stateCount) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor];
        return kerasRecurrence(c.cell, xt as tf.Tensor3D, states, W, R, b, opts);
      };
      const reference = run(...inputs);
      expectClose(forward.output, await reference.sequence.data(), OUTPUT_TOLERANCE, 'output sequence');
      for (let i = 0; i < stateCount; i++) expectClose(forward.states[i], await reference.states[i].data(), OUTPUT_TOLERANCE, `final state ${i}`);
      if (!(c.cell === 'gru' && c.resetAfter)) {
        const tfLayer = c.cell === 'gru'
          // tfjs-layers' GRU is Keras' resetAfter = false (the only variant it has).
          ? tf.layers.gru({ units: c.units, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: c.goBackwards })
          : c.cell === 'lstm'
            ? tf.layers.lstm({ units: c.units, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: c.goBackwards })
            : tf.layers.simpleRNN({ units: c.units, returnSequences: true, goBackwards: c.goBackwards });
        const out = tfLayer.apply(inputs[0], { initialState: inputs.slice(1, 1 + stateCount) }) as tf.Tensor;
        tfLayer.setWeights([inputs[1 + stateCount], inputs[2 + stateCount], inputs[3 + stateCount]]);
        const layerOut = tfLayer.apply(inputs[0], { initialState: inputs.slice(1, 1 + stateCount) }) as tf.Tensor;
        out.dispose();
        expectClose(forward.output, await layerOut.data(), OUTPUT_TOLERANCE, 'output vs tf.layers');
      }
      const dOutT = tf.tensor3d(dOut, [c.batch, c.steps, c.units]);
      const dStatesT = dStates.map((s) => tf.tensor2d(s, [c.batch, c.units]));
      const grads = tf.grads((...t: tf.Tensor[]) => {
        const r = run(...t);
        return r.states.reduce((sum, s, i) => tf.add(sum, tf.sum(tf.mul(s, dStatesT[i]))), tf.sum(tf.mul(r.sequence, dOutT)) as tf.Tensor);
      })(inputs);
      const [gx, ...gRest] = await Promise.all(grads.map((g) => g.data()));
      const gStates = gRest.slice(0, stateCount);
      const [gW, gR, gB] = gRest.slice(stateCount);
      expectClose(backward.weights[0], gW, gradientTolerance(gW), 'dKernel');
      expectClose(backward.weights[1], gR, gradientTolerance(gR), 'dRecurrentKernel');
      expectClose(backward.weights[2], gB, gradientTolerance(gB), 'dBias');
      expectClose(backward.input, gx, gradientTolerance(gx), 'dInput');
      gStates.forEach((g, i) => expectClose(backward.initialState[i], g, gradientTolerance(g), `dInitialState ${i}`));
      tf.dispose([...inputs, reference.sequence, ...reference.states, dOutT, ...dStatesT, ...grads]);
    });
  }

  it('pre-activations of +-300 stay finite in the GRU, both variants, forward and backward', async () => {
    for (const resetAfter of [true, false]) {
      const layer = RecurrentLayer.of(env.ctx, 'gru', { units: 4, inputSize: 1, returnSequences: true, resetAfter }, { registry: env.registry });
      layers.push(layer);
      const G = 12;
      layer.setWeights([
        Float32Array.from({ length: G }, (_, i) => (i % 2 ? 300 : -300)),
        Float32Array.from({ length: 4 * G }, (_, i) => (i % 3 ? 300 : -300)),
        new Float32Array(resetAfter ? 2 * G : G),
      ]);
      const { output, states } = await layer.forward([1, -1, 1, 1, -1, -1], { batch: 2, steps: 3 });
      const grads = await layer.backward(new Float32Array(2 * 3 * 4).fill(1), [new Float32Array(8).fill(1)]);
      for (const values of [output, ...states, ...grads.weights, grads.input, ...grads.initialState]) {
        expect(Array.from(values).every(Number.isFinite), `resetAfter=${resetAfter}`).toBe(true);
      }
    }
  });
});
