// Model files from a file input in the browser: a page without a bundler (dist/webrnn.js by URL, h5wasm
// and fflate through an import map, as a page using a CDN would) gets File objects of a Keras .keras, a
// Keras .h5, and the TensorFlow.js model.json and shard saveModel makes of the first, loads each with loadModel(gpu, files), and
// predicts what TensorFlow.js computes from the same config and weights (within 1e-5; Chromium's WebGPU
// runs on SwiftShader here). Nothing stays allocated after dispose().

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(root, 'test', 'fixtures', 'keras');

interface Case {
  /** Files the user picks: fixture names, and (for TF.js) their contents made here. */
  files: { name: string; path: string }[];
  sidecar: string;
}

const IMPORT_MAP = {
  imports: { h5wasm: '/node_modules/h5wasm/dist/esm/hdf5_hl.js', fflate: '/node_modules/fflate/esm/browser.js' },
};

describe('model files from a file input in the browser', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(`${root}/dist/webrnn.js`)) throw new Error('dist/webrnn.js is missing: run `npm run build` first (npm test does)');
    server = await serveStatic(root, ['dist/', 'test/browser/', 'test/fixtures/', 'node_modules/h5wasm/dist/esm/', 'node_modules/fflate/esm/']);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a .keras, an .h5 and a model.json with its shard, as File objects, predict what TensorFlow.js predicts', async () => {
    const cases: Case[] = [
      { files: [{ name: 'model.keras', path: '/test/fixtures/keras/keras3-two-inputs.keras' }], sidecar: 'keras3-two-inputs.keras.json' },
      { files: [{ name: 'model.h5', path: '/test/fixtures/keras/keras1-lstm.h5' }], sidecar: 'keras1-lstm.h5.json' },
    ];
    const expected: number[][] = [];
    const inputs: { data: number[]; shape: number[] }[][] = [];
    for (const c of cases) {
      const side = JSON.parse(readFileSync(join(FIXTURES, c.sidecar), 'utf8'));
      const shapes: number[][] = Array.isArray(side.inputShape[0]) ? side.inputShape : [side.inputShape];
      const x = shapes.map((shape, i) => {
        const full = [2, ...shape];
        return { shape: full, data: Array.from({ length: full.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k * 0.7 + i)) };
      });
      const model = await tf.models.modelFromJSON(side.keras2Config);
      model.setWeights(side.weights.map((w: { shape: number[]; values: number[] }) => tf.tensor(w.values, w.shape)));
      const tensors = x.map((a) => tf.tensor(a.data, a.shape));
      expected.push(Array.from((model.predict(tensors.length === 1 ? tensors[0] : tensors) as tf.Tensor).dataSync()));
      inputs.push(x);
    }

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} for ${response.url()}`);
    });
    await page.goto(`${server.url}/test/browser/blank.html`);
    await page.addScriptTag({ type: 'importmap', content: JSON.stringify(IMPORT_MAP) });
    const code = `
      import { requestGpu, loadModel, saveModel } from '/dist/webrnn.js';
      const cases = ${JSON.stringify(cases)};
      const inputs = ${JSON.stringify(inputs)};
      const gpu = await requestGpu();
      const outputs = [];
      for (const [i, c] of cases.entries()) {
        // What a file input's change event hands over.
        const files = await Promise.all(c.files.map(async (f) => new File([await (await fetch(f.path)).arrayBuffer()], f.name)));
        const model = await loadModel(gpu, files);
        const x = inputs[i].map((a) => ({ data: Float32Array.from(a.data), shape: a.shape }));
        const y = await model.predict(x.length === 1 ? x[0] : x);
        outputs.push(Array.from(y.data));
        if (i === 0) {
          // The same model as TensorFlow.js files (saveModel in the browser gives them in memory), picked as two Files.
          const saved = await saveModel(model);
          const picked = [new File([JSON.stringify(saved.modelJson)], 'model.json'), new File([saved.shard], saved.shardName)];
          const again = await loadModel(gpu, picked);
          outputs.push(Array.from((await again.predict(x)).data));
          again.dispose();
        }
        model.dispose();
      }
      window.result = { outputs, liveBuffers: gpu.liveBuffers };
    `;
    await page.addScriptTag({ type: 'module', content: code });
    await page.waitForFunction('window.result !== undefined', { timeout: 120_000, polling: 250 }).catch(() => {
      throw new Error(`the page did not finish: ${problems.join('; ') || 'no page error reported'}`);
    });
    const result = (await page.evaluate('window.result')) as { outputs: number[][]; liveBuffers: number };
    expect(problems, 'errors in the page').toEqual([]);
    expected.splice(1, 0, expected[0]);
    result.outputs.forEach((out, i) => {
      expect(out).toHaveLength(expected[i].length);
      out.forEach((v, k) => expect(Math.abs(v - expected[i][k]), `case ${i} output ${k}`).toBeLessThan(1e-5));
    });
    expect(result.liveBuffers, 'dispose() released every buffer').toBe(0);
    await page.close();
  }, 180_000);
});
