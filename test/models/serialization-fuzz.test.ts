// Saved models cannot load wrong: a few hundred seeded mutations of saved models (bit flips and
// truncations of the blob, edits of the manifest's text, and structured edits of entries and config,
// both left as they are and re-sealed with a valid checksum, as a tool rewriting the file would) each
// either load exactly the saved weights or fail with a ModelFormatError — never another error, never
// different numbers, never a buffer left behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ModelFormatError, Seq2Seq, SequenceModel, loadModel, modelChecksum, saveModel, type ModelArtifacts, type ModelManifest,
} from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32 } from '../reference/random.js';

const MUTATIONS = 300;

type Mutation = { kind: string; artifacts: ModelArtifacts | null };

function mutate(saved: ModelArtifacts, rng: () => number): Mutation {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
  const int = (n: number) => Math.floor(rng() * n);
  const manifest = structuredClone(saved.manifest) as ModelManifest & Record<string, unknown>;
  const blob = saved.weights.slice(0);
  const reseal = rng() < 0.6;
  const entry = manifest.weights[int(manifest.weights.length)];
  const kinds: Record<string, () => ModelArtifacts | null> = {
    'blob bit flip': () => {
      const bytes = new Uint8Array(blob);
      bytes[int(bytes.length)] ^= 1 << int(8);
      return { manifest, weights: blob };
    },
    'blob truncated': () => ({ manifest, weights: blob.slice(0, int(blob.byteLength)) }),
    'blob extended': () => ({ manifest, weights: concat(blob, new ArrayBuffer(4 * (1 + int(3)))) }),
    'manifest text edit': () => {
      const text = JSON.stringify(saved.manifest).split('');
      text[int(text.length)] = pick(['0', '1', '9', '"', ',', 'a', '-', '.', ' ']);
      try {
        return { manifest: JSON.parse(text.join('')), weights: blob };
      } catch {
        return null; // not JSON: the file is unreadable before it reaches loadModel
      }
    },
    'offset shifted': () => ((entry.byteOffset += pick([-8, -4, 4, 8, 12])), { manifest, weights: blob }),
    'shape changed': () => {
      entry.shape = entry.shape.length ? entry.shape.map((d, i) => (i === int(entry.shape.length) ? d + pick([-1, 1, 2]) : d)) : [2];
      return { manifest, weights: blob };
    },
    'shape transposed': () => ((entry.shape = [...entry.shape].reverse()), { manifest, weights: blob }),
    'entries swapped': () => {
      const [i, j] = [int(manifest.weights.length), int(manifest.weights.length)];
      [manifest.weights[i], manifest.weights[j]] = [manifest.weights[j], manifest.weights[i]];
      return { manifest, weights: blob };
    },
    'entry dropped': () => (manifest.weights.splice(int(manifest.weights.length), 1), { manifest, weights: blob }),
    'entry renamed': () => ((entry.name = `${entry.name}x`), { manifest, weights: blob }),
    'dtype changed': () => ((entry.dtype = pick(['float16', 'int32', 'float64']) as 'float32'), { manifest, weights: blob }),
    'byteLength changed': () => ((manifest.byteLength += pick([-4, 4])), { manifest, weights: blob }),
    'config units changed': () => {
      const branch = (manifest.config as { encoder?: { layers: { units: number }[] }; layers?: { units: number }[] });
      const layers = branch.encoder?.layers ?? branch.layers!;
      layers[int(layers.length)].units += pick([-1, 1]);
      return { manifest, weights: blob };
    },
    'config cell changed': () => {
      const branch = (manifest.config as { decoder?: { layers: { cell?: string }[] }; layers?: { cell?: string }[] });
      const layers = branch.decoder?.layers ?? branch.layers!;
      layers[int(layers.length)].cell = pick(['gru', 'simple_rnn', 'lstm']);
      return { manifest, weights: blob };
    },
    'field removed': () => (delete manifest[pick(['weights', 'config', 'byteLength', 'modelType', 'checksum'])], { manifest, weights: blob }),
    'format version 1': () => ((manifest.formatVersion = 1), { manifest, weights: blob }),
  };
  const kind = pick(Object.keys(kinds));
  const artifacts = kinds[kind]();
  // Re-sealing edited values would make a different, valid file: only edits of the structure are re-sealed.
  const sealed = reseal && kind !== 'blob bit flip';
  if (artifacts && sealed && artifacts.manifest.weights) artifacts.manifest.checksum = modelChecksum(artifacts.manifest, artifacts.weights);
  return { kind: `${kind}${sealed ? ', re-sealed' : ''}`, artifacts };
}

function concat(a: ArrayBuffer, b: ArrayBuffer): ArrayBuffer {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(new Uint8Array(a), 0);
  out.set(new Uint8Array(b), a.byteLength);
  return out.buffer;
}

describe('model files cannot load wrong', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: (Seq2Seq | SequenceModel)[] = [];
  beforeAll(async () => {
    env = await gpu();
    models.push(
      new Seq2Seq(env.ctx, {
        encoder: { inputSize: 2, layers: [{ cell: 'lstm', units: 3 }] },
        decoder: { inputSize: 1, layers: [{ cell: 'lstm', units: 3 }] },
        head: { units: 1 },
        seed: 3,
      }),
      new SequenceModel(env.ctx, { vocabSize: 5, embeddingDim: 2, layers: [{ cell: 'gru', units: 4 }, { cell: 'simple_rnn', units: 2 }], head: { units: 5, activation: 'softmax' }, seed: 4 }),
    );
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it(`${MUTATIONS} seeded mutations: each loads exactly or throws ModelFormatError`, async () => {
    const rng = mulberry32(2026);
    const outcomes = new Map<string, number>();
    const live = env.ctx.liveBuffers;
    for (let n = 0; n < MUTATIONS; n++) {
      const model = models[n % models.length];
      const saved = await saveModel(model);
      const expected = await model.getWeights();
      const { kind, artifacts } = mutate(saved, rng);
      if (!artifacts) continue;
      let outcome: string;
      try {
        const loaded = await loadModel(env.ctx, artifacts);
        const weights = await loaded.getWeights();
        loaded.dispose();
        const same = sameBits(weights, expected);
        expect(same, `mutation ${n} (${kind}) loaded different weights`).toBe(true);
        outcome = 'loaded exactly';
      } catch (error) {
        if (!(error instanceof ModelFormatError)) throw new Error(`mutation ${n} (${kind}) failed with ${String(error)}, not a ModelFormatError`);
        outcome = 'ModelFormatError';
      }
      outcomes.set(`${kind}: ${outcome}`, (outcomes.get(`${kind}: ${outcome}`) ?? 0) + 1);
    }
    expect(env.ctx.liveBuffers, 'a failed load left buffers behind').toBe(live);
    const rejected = [...outcomes].filter(([k]) => k.endsWith('ModelFormatError')).reduce((a, [, v]) => a + v, 0);
    expect(rejected, [...outcomes].map(([k, v]) => `${k} x${v}`).join('\n')).toBeGreaterThan(MUTATIONS / 2);
    // Re-sealing a shifted offset defeats the checksum: the tiling check is what catches it.
    expect(outcomes.get('offset shifted, re-sealed: loaded exactly') ?? 0).toBe(0);
  });

  it('names what is wrong: a shifted entry, a gap, an edited manifest', async () => {
    const saved = await saveModel(models[0]);
    const sealed = (edit: (m: ModelManifest) => void): ModelArtifacts => {
      const manifest = structuredClone(saved.manifest);
      edit(manifest);
      manifest.checksum = modelChecksum(manifest, saved.weights);
      return { manifest, weights: saved.weights };
    };
    await expect(loadModel(env.ctx, sealed((m) => (m.weights[1].byteOffset += 4)))).rejects.toThrow(/starts at byte \d+; the weights before it end at \d+/);
    await expect(loadModel(env.ctx, sealed((m) => m.weights.pop()))).rejects.toThrow(/cover \d+ bytes of a \d+-byte blob/);
    const edited = structuredClone(saved.manifest);
    edited.weights[1].byteOffset += 4;
    await expect(loadModel(env.ctx, { manifest: edited, weights: saved.weights })).rejects.toThrow(/manifest and weights blob do not match the checksum/);
  });
});
