// The Embedding layer (gather, and the gradient scatter over rows grouped by id) against the reference.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedding, ShapeError } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { embeddingBackward, embeddingForward } from '../reference/embedding.js';
import { mulberry32, randomInts, uniformArray } from '../reference/random.js';

// A lookup copies f32 values exactly; the gradient sums at most N f32 values of magnitude <= 1 per entry.
const EXACT = { atol: 0, rtol: 0 };
const SUM = { atol: 1e-6, rtol: 1e-6 };

describe('Embedding layer vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const layers: Embedding[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => layers.forEach((l) => l.dispose()));

  for (const [vocab, dim, rows] of [[1, 1, 1], [12, 64, 224], [13, 3, 7], [100, 65, 1000]] as const) {
    it(`vocab ${vocab}, dim ${dim}, ${rows} ids (repeats included)`, async () => {
      const rng = mulberry32(vocab * dim + rows);
      const table = Float64Array.from(Float32Array.from(uniformArray(vocab * dim, 1, rng)));
      const ids = randomInts(rows, vocab, rng);
      const dOut = Float64Array.from(Float32Array.from(uniformArray(rows * dim, 1, rng)));
      const layer = Embedding.create(env.ctx, { vocabSize: vocab, outputDim: dim }, { registry: env.registry });
      layers.push(layer);
      layer.setWeights([Float32Array.from(table)]);
      expectClose(await layer.forward(ids), embeddingForward(table, vocab, ids), EXACT, 'lookup');
      const { weights } = await layer.backward(Float32Array.from(dOut));
      expectClose(weights[0], embeddingBackward(vocab, dim, ids, dOut), SUM, 'dTable');
    });
  }

  it('rejects token ids out of range, naming the id and position', async () => {
    const layer = Embedding.create(env.ctx, { vocabSize: 5, outputDim: 2 }, { registry: env.registry });
    layers.push(layer);
    await expect(layer.forward([0, 4, 5])).rejects.toThrow(ShapeError);
    await expect(layer.forward([0, 4, 5])).rejects.toThrow(/token id 5 at position 2 is out of range \[0, 5\)/);
    await expect(layer.forward([1, -1])).rejects.toThrow(/token id -1 at position 1/);
    await expect(layer.forward([1.5])).rejects.toThrow(/token id 1.5/);
    expect(Array.from(await layer.forward([4, 0]))).toHaveLength(4); // still usable afterwards
  });
});
