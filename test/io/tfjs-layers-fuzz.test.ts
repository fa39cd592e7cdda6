// Files webrnn wrote in the TensorFlow.js Layers format cannot load wrong: seeded mutations (edits of
// model.json's text, bit flips, truncation and extension of the shard, manifest entries shuffled,
// renamed, dropped or reshaped) each either load exactly the saved weights or fail with a webrnn error
// (ModelFormatError, or a ShapeError naming a layer) — never another error, never different numbers,
// never a buffer left behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, saveModel, Sequential, WebRnnError, type LayersModelFiles, type LayersModelJson } from '../../src/index.js';
import { sameBits } from '../helpers/compare.js';
import { gpu } from '../helpers/gpu.js';
import { mulberry32 } from '../reference/random.js';

const MUTATIONS = 150;

function mutate(saved: LayersModelFiles, rng: () => number): { kind: string; modelJson: LayersModelJson | string; shard: ArrayBuffer } {
  const int = (n: number) => Math.floor(rng() * n);
  const json = structuredClone(saved.modelJson);
  const entries = json.weightsManifest[0].weights;
  const entry = entries[int(entries.length)];
  const shard = saved.shard.slice(0);
  const kinds: Record<string, () => LayersModelJson | string> = {
    'text edit': () => {
      const text = JSON.stringify(saved.modelJson).split('');
      text[int(text.length)] = '01"9,a-. '[int(9)];
      return text.join('');
    },
    'shard bit flip': () => ((new Uint8Array(shard)[int(shard.byteLength)] ^= 1 << int(8)), json),
    'entries shuffled': () => {
      for (let i = entries.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [entries[i], entries[j]] = [entries[j], entries[i]];
      }
      return json;
    },
    'entry renamed': () => ((entry.name = `${entry.name}x`), json),
    'entry dropped': () => (entries.splice(int(entries.length), 1), json),
    'entry reshaped': () => ((entry.shape = [...entry.shape].reverse()), json),
  };
  const kind = Object.keys(kinds)[int(Object.keys(kinds).length)];
  const modelJson = kinds[kind]();
  if (kind === 'shard bit flip' && rng() < 0.3) return { kind: 'shard truncated', modelJson, shard: shard.slice(0, int(shard.byteLength)) };
  return { kind, modelJson, shard };
}

describe('TensorFlow.js Layers files webrnn wrote, fuzzed', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  let model: Sequential;
  beforeAll(async () => {
    env = await gpu();
    model = new Sequential(env.ctx, [layers.input({ shape: [6] }), layers.embedding({ inputDim: 11, outputDim: 4 }), layers.lstm({ units: 4, returnSequences: true }), layers.gru({ units: 4 }), layers.dense({ units: 4 })]);
  });
  afterAll(() => model.dispose());

  it(`${MUTATIONS} seeded mutations: each loads exactly or throws a webrnn error`, async () => {
    const saved = await saveModel(model);
    const weights = await model.getWeights();
    const live = env.ctx.liveBuffers;
    const rng = mulberry32(11);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < MUTATIONS; i++) {
      const { kind, modelJson, shard } = mutate(saved, rng);
      let outcome: string;
      try {
        const loaded = await loadModel(env.ctx, { modelJson, weights: { [saved.shardName]: shard } });
        const same = sameBits(await loaded.getWeights(), weights);
        loaded.dispose();
        expect(same, `${kind} (mutation ${i}) loaded different weights`).toBe(true);
        outcome = 'loaded exactly';
      } catch (error) {
        if (!(error instanceof WebRnnError)) throw new Error(`${kind} (mutation ${i}): ${(error as Error).name}: ${(error as Error).message}`);
        outcome = error.name;
      }
      outcomes[`${kind}: ${outcome}`] = (outcomes[`${kind}: ${outcome}`] ?? 0) + 1;
      expect(env.ctx.liveBuffers, `${kind} (mutation ${i}) left buffers`).toBe(live);
    }
    expect(Object.keys(outcomes).some((k) => k.endsWith('loaded exactly')), JSON.stringify(outcomes)).toBe(true);
  });
});
