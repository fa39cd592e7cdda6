// Legacy Keras weight layouts -> the layout webrnn's layers take (Keras 2's get_weights() order and
// shapes), as tf-keras converts them when it loads an .h5 (tf_keras/saving/legacy/hdf5_format.py:
// preprocess_weights_for_loading, _convert_rnn_weights):
//   - Keras 1 LSTM (consume_less 'cpu' / 'mem'), 12 weights: W [in, u], U [u, u], b [u] for each gate in
//     the order i, c, f, o -> kernel, recurrent_kernel, bias with the gates in Keras 2's order i, f, c, o;
//   - Keras 1 GRU, 9 weights: W, U, b for z, r, h -> the three (GRU reset_after = false);
//   - CuDNNLSTM: kernels per gate in cuDNN's memory order (below), bias [8u] = input then recurrent
//     biases -> LSTM with their sum as its bias;
//   - CuDNNGRU: the same kernels, bias [6u] -> GRU(reset_after = true) with bias [2, 3u];
//   - a GRU(reset_after) layout into the other variant: an error, the two compute differently.
// Anything that already matches passes through. The source layout is told from the count and shapes, as
// tf-keras does (Keras 1's consume_less 'gpu' layers, 3 weights, are already Keras 2's). tf-keras takes
// the per-gate layouts only from files that record version '1', but no other Keras writes 12 LSTM or 9
// GRU weights, so they are converted whatever the version (Keras 1.2 .h5 files record '1.2.2').
//
// cuDNN's kernels: the block of gate g of a stored kernel [rows, gates * u], read row by row, is cuDNN's
// [u, rows] matrix (output by input) row by row; numpy: `kernel.T.reshape(kernel.shape, order='F')` per
// gate. The recurrent blocks [u, u] are simply transposed.

import { ModelFormatError } from '../gpu/errors.js';
import type { NamedWeight } from './tfjs-layers.js';

/** One weight as a file stores it (its name in weight_names, its shape there, row-major values). */
export type StoredWeight = NamedWeight;

/** A weight the layer expects (Keras 2 layout). */
interface ExpectedWeight {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * One layer's weights as a legacy Keras file stores them (the order of its weight_names) converted to the
 * layout the webrnn layer expects (`expected`: the layer's weights, Keras 2 layout, get_weights() order).
 * `fileClass` is the layer's class_name in the file's config, `kerasVersion` the file's keras_version.
 * Returns the values in expected order; a count or shape it cannot convert is a ModelFormatError
 * (src/gpu/errors.ts) naming `where`, the weight and both shapes.
 */
export function convertLegacyWeights(
  fileClass: string, stored: readonly StoredWeight[], expected: readonly ExpectedWeight[], kerasVersion: string, where: string,
): Float32Array[] {
  stored.forEach((w) => checkSize(w, where));
  let weights = stored;
  if (/^(CuDNN)?LSTM$/.test(fileClass)) {
    if (weights.length === 12) weights = joinGates(weights, [0, 2, 1, 3], fileClass, where); // stored i, c, f, o; Keras 2 i, f, c, o
    weights = fromCudnnLstm(weights);
  } else if (/^(CuDNN)?GRU$/.test(fileClass)) {
    if (weights.length === 9) weights = joinGates(weights, [0, 1, 2], fileClass, where);
    weights = gruVariant(weights, expected, where);
  }
  return matchExpected(weights, expected, kerasVersion, where);
}

const shapeOf = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function checkSize(w: StoredWeight, where: string): void {
  const size = w.shape.reduce((a, b) => a * b, 1);
  if (w.values.length !== size) throw new ModelFormatError(`${where}: weight '${w.name}' has ${w.values.length} values, its shape ${shapeOf(w.shape)} holds ${size}`);
}

/**
 * Keras 1's per-gate weights (W, U, b for each gate, in the file's gate order) as Keras 2's kernel,
 * recurrent_kernel and bias, the gates in Keras 2's order: `order[k]` is the file's gate that is gate k.
 */
function joinGates(stored: readonly StoredWeight[], order: readonly number[], fileClass: string, where: string): StoredWeight[] {
  const [w0, u0] = stored;
  if (w0.shape.length !== 2 || u0.shape.length !== 2) {
    throw new ModelFormatError(`${where}: ${stored.length} weights are Keras 1's per-gate ${fileClass} layout, whose '${w0.name}' must be [input, units] ` +
      `and '${u0.name}' [units, units]; they are ${shapeOf(w0.shape)} and ${shapeOf(u0.shape)}`);
  }
  const [rows, units] = w0.shape;
  const wanted = [[rows, units], [units, units], [units]];
  stored.forEach((w, i) => {
    const shape = wanted[i % 3];
    if (!sameShape(w.shape, shape)) {
      throw new ModelFormatError(`${where}: weight '${w.name}' of Keras 1's per-gate ${fileClass} layout has shape ${shapeOf(w.shape)}, expected ${shapeOf(shape)}`);
    }
  });
  const gates = order.length;
  const join = (part: number, shape: readonly number[]): Float32Array => {
    const [r, c] = shape.length === 2 ? shape : [1, shape[0]];
    const out = new Float32Array(r * c * gates);
    order.forEach((from, g) => {
      const src = stored[from * 3 + part].values;
      for (let i = 0; i < r; i++) out.set(src.subarray(i * c, (i + 1) * c), i * c * gates + g * c);
    });
    return out;
  };
  const widen = (shape: readonly number[]) => [...shape.slice(0, -1), shape[shape.length - 1] * gates];
  return (['kernel', 'recurrent_kernel', 'bias'] as const).map((name, part) => ({ name, shape: widen(wanted[part]), values: join(part, wanted[part]) }));
}

/** The 3 weights' shapes when they are a cuDNN layout: [rows, gates * u], [u, gates * u], [2 * gates * u]. */
function cudnnShapes(weights: readonly StoredWeight[], gates: number): { rows: number; units: number } | undefined {
  if (weights.length !== 3) return undefined;
  const [kernel, recurrent, bias] = weights;
  if (kernel.shape.length !== 2 || recurrent.shape.length !== 2) return undefined;
  const units = recurrent.shape[0];
  const cols = gates * units;
  const ok = kernel.shape[1] === cols && recurrent.shape[1] === cols && sameShape(bias.shape, [2 * cols]);
  return ok ? { rows: kernel.shape[0], units } : undefined;
}

/** A CuDNNLSTM layout (bias [8u]) as LSTM's; anything else as it is. */
function fromCudnnLstm(weights: readonly StoredWeight[]): readonly StoredWeight[] {
  const cudnn = cudnnShapes(weights, 4);
  if (!cudnn) return weights;
  const [kernel, recurrent, bias] = weights;
  const cols = 4 * cudnn.units;
  // The input and recurrent biases are always added together: LSTM keeps their sum.
  const summed = Float32Array.from({ length: cols }, (_, j) => bias.values[j] + bias.values[cols + j]);
  return [
    { name: kernel.name, shape: kernel.shape, values: fromCudnnKernel(kernel.values, cudnn.rows, cudnn.units, 4) },
    { name: recurrent.name, shape: recurrent.shape, values: transposeGates(recurrent.values, cudnn.units, 4) },
    { name: bias.name, shape: [cols], values: summed },
  ];
}

/** A GRU's weights in the variant the layer is (the expected bias says which); cuDNN's as reset_after = true. */
function gruVariant(weights: readonly StoredWeight[], expected: readonly ExpectedWeight[], where: string): readonly StoredWeight[] {
  if (weights.length !== 3 || expected.length !== 3 || weights[1].shape.length !== 2) return weights;
  const units = weights[1].shape[0];
  const cols = 3 * units;
  const bias = weights[2].shape;
  const variant = (shape: readonly number[]) =>
    sameShape(shape, [2 * cols]) ? 'CuDNNGRU' : sameShape(shape, [2, cols]) ? 'GRU(reset_after=True)' : sameShape(shape, [cols]) ? 'GRU(reset_after=False)' : undefined;
  const source = variant(bias);
  const target = variant(expected[2].shape);
  if (!source || !target || source === target) return weights; // a shape that fits nothing: matchExpected names it
  if (source === 'GRU(reset_after=False)' || target === 'GRU(reset_after=False)') {
    throw new ModelFormatError(`${where}: the file's weights are ${source}'s (bias '${weights[2].name}' ${shapeOf(bias)}), the layer is ${target} ` +
      `(bias '${expected[2].name}' ${shapeOf(expected[2].shape)}): they are not compatible, the two GRU variants compute differently; ` +
      `build the layer with reset_after ${source === 'GRU(reset_after=False)' ? 'false' : 'true'}`);
  }
  const cudnn = cudnnShapes(weights, 3);
  if (!cudnn) return weights;
  const [kernel, recurrent, b] = weights;
  return [
    { name: kernel.name, shape: kernel.shape, values: fromCudnnKernel(kernel.values, cudnn.rows, units, 3) },
    { name: recurrent.name, shape: recurrent.shape, values: transposeGates(recurrent.values, units, 3) },
    // Row 0 the input biases, row 1 the recurrent ones: the same values as [2, 3u].
    { name: b.name, shape: [2, cols], values: b.values },
  ];
}

/** A cuDNN input kernel [rows, gates * units] in Keras' layout: per gate, kernel.T.reshape(kernel.shape, order='F'). */
function fromCudnnKernel(kernel: Float32Array, rows: number, units: number, gates: number): Float32Array {
  const cols = gates * units;
  const out = new Float32Array(rows * cols);
  for (let g = 0; g < gates; g++) {
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < units; b++) {
        // Element (a, b) of the gate's block is element b * rows + a of cuDNN's [units, rows] matrix in the block's row-major order.
        const flat = b * rows + a;
        out[a * cols + g * units + b] = kernel[Math.floor(flat / units) * cols + g * units + (flat % units)];
      }
    }
  }
  return out;
}

/** A recurrent kernel [units, gates * units] with each gate's [units, units] block transposed. */
function transposeGates(kernel: Float32Array, units: number, gates: number): Float32Array {
  const cols = gates * units;
  const out = new Float32Array(units * cols);
  for (let g = 0; g < gates; g++) {
    for (let a = 0; a < units; a++) {
      for (let b = 0; b < units; b++) out[a * cols + g * units + b] = kernel[b * cols + g * units + a];
    }
  }
  return out;
}

/** The weights when their count and shapes are the layer's; else a ModelFormatError naming both. */
function matchExpected(weights: readonly StoredWeight[], expected: readonly ExpectedWeight[], kerasVersion: string, where: string): Float32Array[] {
  const list = (ws: readonly { name: string; shape: readonly number[] }[]) => ws.map((w) => `'${w.name}' ${shapeOf(w.shape)}`).join(', ') || 'none';
  if (weights.length !== expected.length) {
    throw new ModelFormatError(`${where}: the file has ${weights.length} weight${weights.length === 1 ? '' : 's'} (${list(weights)}; keras_version ${kerasVersion}), ` +
      `the layer expects ${expected.length} (${list(expected)})`);
  }
  return weights.map((w, i) => {
    if (!sameShape(w.shape, expected[i].shape)) {
      throw new ModelFormatError(`${where}: weight '${w.name}' has shape ${shapeOf(w.shape)}, the layer's '${expected[i].name}' is ${shapeOf(expected[i].shape)}`);
    }
    return w.values;
  });
}
