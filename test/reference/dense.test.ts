import { describe, expect, it } from 'vitest';
import { denseBackward, denseForward, type DenseActivation, type DenseParams } from './dense.js';
import { dot } from './finite-diff.js';
import { expectGradient } from './gradcheck.js';
import { mulberry32, uniformArray } from './random.js';

// N = B*T rows of a [3, 4, 5] sequence, 7 outputs.
const N = 3 * 4;
const F = 5;
const O = 7;

function makeParams(rng: () => number): DenseParams {
  return { kernel: uniformArray(F * O, 0.6, rng), bias: uniformArray(O, 0.6, rng) };
}

const activations: DenseActivation[] = ['linear', 'tanh', 'sigmoid', 'relu', 'softmax'];

describe('dense gradients match finite differences (tolerance: see gradcheck.ts, rel err <= 1e-6)', () => {
  it.each(activations)('%s', (activation) => {
    const rng = mulberry32(2024);
    const p = makeParams(rng);
    const x = uniformArray(N * F, 1, rng);
    const r = uniformArray(N * O, 1, rng);
    const loss = () => dot(denseForward(p, x, N, activation).output, r);
    const g = denseBackward(p, x, denseForward(p, x, N, activation), r);
    expectGradient('dKernel', g.dKernel, loss, p.kernel);
    expectGradient('dBias', g.dBias, loss, p.bias);
    expectGradient('dx', g.dx, loss, x);
  });
});

describe('dense forward', () => {
  it('matches a hand-computed 2x2 -> 3 example for each activation', () => {
    // x = [[1, 2], [-1, 0.5]], W = [[1, 0, -1], [0.5, 2, 1]], b = [0, -1, 0.5]
    const p: DenseParams = { kernel: new Float64Array([1, 0, -1, 0.5, 2, 1]), bias: new Float64Array([0, -1, 0.5]) };
    const x = new Float64Array([1, 2, -1, 0.5]);
    const z = [2, 3, 1.5, -0.75, 0, 2]; // x W + b, by hand
    const expected: Record<DenseActivation, number[]> = {
      linear: z,
      tanh: z.map(Math.tanh),
      sigmoid: z.map((v) => 1 / (1 + Math.exp(-v))),
      relu: [2, 3, 1.5, 0, 0, 2],
      softmax: [
        ...[2, 3, 1.5].map((v) => Math.exp(v) / (Math.exp(2) + Math.exp(3) + Math.exp(1.5))),
        ...[-0.75, 0, 2].map((v) => Math.exp(v) / (Math.exp(-0.75) + Math.exp(0) + Math.exp(2))),
      ],
    };
    for (const a of activations) {
      const y = denseForward(p, x, 2, a).output;
      expected[a].forEach((v, i) => expect(y[i], `${a}[${i}]`).toBeCloseTo(v, 14));
    }
  });

  it('softmax rows sum to 1 and survive huge logits', () => {
    const p: DenseParams = { kernel: new Float64Array([1000, -1000, 300]), bias: new Float64Array(3) };
    const y = denseForward(p, new Float64Array([1, -1]), 2, 'softmax').output;
    expect(y.every(Number.isFinite)).toBe(true);
    expect(y[0] + y[1] + y[2]).toBeCloseTo(1, 15);
    expect(y[0]).toBe(1);
    expect(y[4]).toBe(1);
  });

  it('rejects a kernel that does not match the bias', () => {
    expect(() => denseForward({ kernel: new Float64Array(7), bias: new Float64Array(3) }, new Float64Array(2), 1)).toThrow();
  });
});
