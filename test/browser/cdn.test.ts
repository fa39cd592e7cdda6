// webrnn as a page without a bundler uses it: a plain HTML page, a <script type="module"> importing the
// built dist/webrnn.js by URL (as from a CDN), running the README example as written (fewer epochs:
// Chromium's WebGPU runs on SwiftShader here) in headless Chromium.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { readmeExample } from '../helpers/readme-example.js';
import { serveStatic, type StaticServer } from '../helpers/static-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EPOCHS = 3;

describe('a no-bundler page importing dist/webrnn.js', () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(`${root}/dist/webrnn.js`)) throw new Error('dist/webrnn.js is missing: run `npm run build` first (npm test does)');
    server = await serveStatic(root, ['dist/', 'test/browser/']);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(`trains the README example (${EPOCHS} epochs) and its loss falls`, async () => {
    const example = readmeExample();
    expect(example).toMatch(/from 'webrnn'/);
    expect(example).toMatch(/epochs: \d+/);
    const code =
      example.replace(/from 'webrnn'/, "from '/dist/webrnn.js'").replace(/epochs: \d+/, `epochs: ${EPOCHS}`) +
      '\nwindow.readme = { loss: history.history.loss, liveBuffers: gpu.liveBuffers };\n';
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // A missing file is reported below with its URL.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} for ${response.url()}`);
    });
    await page.goto(`${server.url}/test/browser/blank.html`);
    await page.addScriptTag({ type: 'module', content: code });
    await page.waitForFunction('window.readme !== undefined', { timeout: 150_000, polling: 250 }).catch(() => {
      throw new Error(`the README example did not finish: ${problems.join('; ') || 'no page error reported'}`);
    });
    const result = (await page.evaluate('window.readme')) as { loss: number[]; liveBuffers: number };
    expect(problems, 'errors in the page').toEqual([]);
    expect(result.loss).toHaveLength(EPOCHS);
    expect(result.loss.every(Number.isFinite)).toBe(true);
    expect(result.loss[EPOCHS - 1], `loss per epoch: ${result.loss.join(', ')}`).toBeLessThan(result.loss[0]);
    expect(result.liveBuffers, 'model.dispose() released every buffer').toBe(0);
    await page.close();
  }, 180_000);
});
