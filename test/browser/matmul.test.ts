// The built library (dist/) in headless Chromium, WebGPU on SwiftShader: a page served from 127.0.0.1
// imports it as a user would and runs matmuls that are checked against the float64 reference.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';
import { expectClose } from '../helpers/compare.js';
import { matmul } from '../reference/matmul.js';
import { mulberry32, uniformArray } from '../reference/random.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Same bound as the Node matmul test: f32 accumulation over K terms of magnitude <= 1.
const tolerance = (K: number) => ({ atol: 2e-6 * Math.sqrt(K), rtol: 1e-5 });

describe('webrnn in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(`${root}/dist/webrnn.js`)) throw new Error('dist/webrnn.js is missing: run `npm run build` first (npm test does)');
    server = await serveStatic(root, ['dist/', 'test/browser/']);
    browser = await launchChromium();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${server.url}/test/browser/page.html`);
    await page.waitForFunction('window.webrnnReady === true', { timeout: 30_000 }).catch(() => {
      throw new Error(`the test page did not load the library: ${errors.join('; ') || 'no page error reported'}`);
    });
    const hasGpu = await page.evaluate('Boolean(navigator.gpu)');
    if (!hasGpu) throw new Error('navigator.gpu is missing in headless Chromium: check the --enable-unsafe-webgpu flags');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const shapes: [number, number, number, boolean, boolean][] = [
    [1, 1, 1, false, false],
    [7, 13, 5, false, false],
    [33, 65, 17, true, false],
    [20, 31, 45, false, true],
  ];
  for (const [M, K, N, transA, transB] of shapes) {
    it(`matmul ${M}x${K}x${N}${transA ? ' transA' : ''}${transB ? ' transB' : ''} matches the reference`, async () => {
      const rng = mulberry32(M * 1000 + K * 10 + N);
      const a = Float32Array.from(uniformArray(M * K, 1, rng));
      const b = Float32Array.from(uniformArray(K * N, 1, rng));
      const result = (await page.evaluate(
        (args) => (window as unknown as { runMatmul(x: unknown): Promise<unknown> }).runMatmul(args),
        { M, K, N, a: Array.from(a), b: Array.from(b), transA, transB },
      )) as { c: number[]; adapter: { runtime: string; description: string }; liveBuffers: number };
      expect(result.adapter.runtime).toBe('browser');
      expect(result.liveBuffers).toBe(0);
      const expected = matmul(Float64Array.from(a), Float64Array.from(b), M, K, N, { transA, transB });
      expectClose(result.c, expected, tolerance(K), `browser matmul ${M}x${K}x${N}`);
    });
  }
});
