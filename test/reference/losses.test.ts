import { describe, expect, it } from 'vitest';
import { expectGradient } from './gradcheck.js';
import { kerasLoss, meanSquaredError, rowAccuracy, rowLoss, sparseSoftmaxCrossEntropy } from './losses.js';
import { mulberry32, randomInts, uniformArray } from './random.js';

describe('mean squared error', () => {
  it('hand-computed value: mean over every element', () => {
    // diffs 1, -2, 0.5, 0 -> (1 + 4 + 0.25 + 0) / 4
    const r = meanSquaredError(new Float64Array([1, 0, 2.5, 3]), new Float64Array([0, 2, 2, 3]));
    expect(r.loss).toBe(1.3125);
    expect(Array.from(r.grad)).toEqual([0.5, -1, 0.25, 0]); // 2 d / n
  });

  it('gradient matches finite differences over [B=3, T=4, F=5] (rel err <= 1e-6)', () => {
    const rng = mulberry32(8);
    const pred = uniformArray(3 * 4 * 5, 1, rng);
    const target = uniformArray(3 * 4 * 5, 1, rng);
    const { grad } = meanSquaredError(pred, target);
    expectGradient('dPred', grad, () => meanSquaredError(pred, target).loss, pred);
  });
});

describe('sparse softmax cross-entropy', () => {
  const N = 12; // B = 3, T = 4 rows
  const V = 7;

  it('hand-computed value for two rows, one masked', () => {
    const logits = new Float64Array([0, 0, 0, 1, 2, 3]);
    const targets = new Int32Array([1, 0]);
    // Unmasked: rows average of -log(1/3) and -log(e/(e + e^2 + e^3)).
    const full = sparseSoftmaxCrossEntropy(logits, targets, 2, 3);
    const row2 = -Math.log(Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    expect(full.loss).toBeCloseTo((Math.log(3) + row2) / 2, 15);
    // Second row masked: loss is the first row's alone; its gradient is softmax - onehot.
    const masked = sparseSoftmaxCrossEntropy(logits, targets, 2, 3, new Float64Array([1, 0]));
    expect(masked.loss).toBeCloseTo(Math.log(3), 15);
    expect(Array.from(masked.grad)).toEqual([1 / 3, 1 / 3 - 1, 1 / 3, 0, 0, 0].map((v) => expect.closeTo(v, 15)));
  });

  it.each([false, true])('gradient matches finite differences, mask=%s (rel err <= 1e-6)', (useMask) => {
    const rng = mulberry32(21);
    const logits = uniformArray(N * V, 3, rng);
    const targets = randomInts(N, V, rng);
    const mask = useMask ? new Float64Array([1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1]) : undefined;
    const { grad } = sparseSoftmaxCrossEntropy(logits, targets, N, V, mask);
    expectGradient('dLogits', grad, () => sparseSoftmaxCrossEntropy(logits, targets, N, V, mask).loss, logits);
    if (mask) {
      // Masked rows get exactly zero gradient.
      for (let n = 0; n < N; n++) if (mask[n] === 0) expect(grad.subarray(n * V, (n + 1) * V).every((v) => v === 0)).toBe(true);
    }
  });

  it('divides by the number of unmasked rows, not N', () => {
    const rng = mulberry32(5);
    const logits = uniformArray(4 * V, 2, rng);
    const targets = new Int32Array([1, 2, 3, 4]);
    const one = sparseSoftmaxCrossEntropy(logits.subarray(0, V), targets.subarray(0, 1), 1, V);
    const masked = sparseSoftmaxCrossEntropy(logits, targets, 4, V, new Float64Array([1, 0, 0, 0]));
    expect(masked.loss).toBeCloseTo(one.loss, 15);
  });

  it('stays finite for huge logits (max shift) and returns 0 when every row is masked', () => {
    const logits = new Float64Array([1000, -1000, 0, -1000, 1000, 0]);
    const r = sparseSoftmaxCrossEntropy(logits, new Int32Array([0, 0]), 2, 3);
    expect(r.loss).toBeCloseTo(1000, 9); // row 1: 0; row 2: 2000
    expect(r.grad.every(Number.isFinite)).toBe(true);
    const none = sparseSoftmaxCrossEntropy(logits, new Int32Array([0, 0]), 2, 3, new Float64Array([0, 0]));
    expect(none.loss).toBe(0);
    expect(none.grad.every((v) => v === 0)).toBe(true);
  });

  it('throws on a target out of range in an unmasked row, ignores padding targets in masked rows', () => {
    const logits = new Float64Array(6);
    expect(() => sparseSoftmaxCrossEntropy(logits, new Int32Array([0, 3]), 2, 3)).toThrow(RangeError);
    expect(() => sparseSoftmaxCrossEntropy(logits, new Int32Array([0, -1]), 2, 3, new Float64Array([1, 0]))).not.toThrow();
  });
});

describe('every Keras loss kind', () => {
  const rows = 5;
  const cols = 4;
  const kinds = [
    'mse', 'mae', 'binary_crossentropy', 'binary_crossentropy_logits', 'categorical_crossentropy', 'categorical_crossentropy_logits',
    'sparse_categorical_crossentropy', 'sparse_categorical_crossentropy_logits',
  ] as const;

  /** Predictions in the domain of the kind: probabilities away from the clip, logits anywhere. */
  function data(kind: (typeof kinds)[number], seed: number) {
    const rng = mulberry32(seed);
    const probs = !kind.endsWith('logits') && kind !== 'mse' && kind !== 'mae';
    const pred = uniformArray(rows * cols, probs ? 0.4 : 2, rng).map((v) => (probs ? 0.5 + v : v));
    const sparse = kind.startsWith('sparse');
    const target = sparse
      ? Float64Array.from(randomInts(rows, cols, rng))
      : kind.startsWith('categorical')
        ? Float64Array.from({ length: rows * cols }, (_, i) => (i % cols === (i * 7) % cols ? 0.7 : 0.1))
        : kind.startsWith('binary') ? Float64Array.from({ length: rows * cols }, () => (rng() > 0.5 ? 1 : 0)) : uniformArray(rows * cols, 1, rng);
    return { pred, target };
  }

  it.each(kinds)('%s: the analytic gradient matches finite differences, with a mask (rel err <= 1e-6)', (kind) => {
    const { pred, target } = data(kind, 3);
    const mask = Float64Array.from({ length: rows }, (_, r) => (r === 2 ? 0 : 1));
    const { grad } = kerasLoss(kind, pred, target, rows, cols, mask);
    expectGradient(`d${kind}`, grad, () => kerasLoss(kind, pred, target, rows, cols, mask).loss, pred);
  });

  it('hand-computed values', () => {
    const one = (kind: (typeof kinds)[number], p: number[], y: number[]) => rowLoss(kind, Float64Array.from(p), Float64Array.from(y));
    expect(one('mae', [1, -1], [0, 1])).toBe(1.5);
    expect(one('binary_crossentropy', [0.8], [1])).toBeCloseTo(-Math.log(0.8), 14);
    expect(one('binary_crossentropy_logits', [0], [1])).toBeCloseTo(Math.log(2), 14);
    expect(one('categorical_crossentropy', [0.2, 0.6, 0.2], [0, 1, 0])).toBeCloseTo(-Math.log(0.6), 14);
    // Probabilities are normalized first, as Keras does.
    expect(one('categorical_crossentropy', [0.4, 1.2, 0.4], [0, 1, 0])).toBeCloseTo(-Math.log(0.6), 14);
    expect(one('sparse_categorical_crossentropy_logits', [0, 0, 0], [2])).toBeCloseTo(Math.log(3), 14);
    expect(rowAccuracy('sparse', Float64Array.from([0.1, 0.7, 0.2]), Float64Array.from([1]))).toBe(1);
    expect(rowAccuracy('binary', Float64Array.from([0.6, 0.4]), Float64Array.from([1, 1]))).toBe(0.5);
    expect(rowAccuracy('categorical', Float64Array.from([0.5, 0.5]), Float64Array.from([0, 1]))).toBe(0); // first maximum
  });
});
