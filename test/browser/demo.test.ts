// The demo page as a newcomer meets it: `node scripts/demo.mjs` (what `npm run demo` starts) serves it,
// headless Chromium (WebGPU on SwiftShader) opens it, and the test drives the UI: trains a small
// sin -> cos model and checks the live loss curve and the prediction plot, trains a tiny addition model
// and asks it a question, and opens the page once more without WebGPU. Screenshots go to test-output/.
// The models are tiny (SwiftShader runs on the CPU); the page's own defaults are the seeds' settings.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outputDir = `${root}/test-output`;

interface DemoState {
  ready: boolean;
  adapter: string | null;
  error: string | null;
  train: { state: string; runs: number; task: string | null; loss: number[]; valLoss: number[]; samplesPerSecond: number | null; error: string | null };
  compare: { state: string; runs: number; error: string | null; closedLoopMse: Record<string, number> };
  playground: { trained: boolean; answer: string | null; exactMatch: number | null; alignment: { rows: number; columns: number } | null };
}

describe('demo page (npm run demo) in headless Chromium', () => {
  let server: ChildProcess | undefined;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    ({ server, url } = await startDemo(port));
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction('window.__demo && window.__demo.ready === true', { timeout: 60_000 }).catch(() => {
      throw new Error(`the demo page did not start within 60 s: ${pageErrors.join('; ') || 'no page error reported'}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  const demoState = () => page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo) as Promise<DemoState>;

  /** Sets form fields through the UI: typing into inputs, choosing options. */
  async function setFields(fields: Record<string, string>): Promise<void> {
    for (const [id, value] of Object.entries(fields)) {
      const tag = await page.$eval(`#${id}`, (node) => node.tagName);
      if (tag === 'SELECT') await page.select(`#${id}`, value);
      else await page.locator(`#${id}`).fill(value);
    }
  }

  /** Waits for the run after `before` of a section ('train' or 'compare') to end; fails unless it ends as `expected`. */
  async function waitForRun(section: 'train' | 'compare', before: number, timeout: number, expected = 'done'): Promise<DemoState> {
    await page.waitForFunction(
      (name: string, runs: number) => {
        const run = (window as unknown as { __demo: Record<string, { runs: number; state: string }> }).__demo[name];
        return run.runs > runs && ['done', 'stopped', 'error'].includes(run.state);
      },
      { timeout, polling: 250 },
      section,
      before,
    ).catch(async () => {
      throw new Error(`${section}: the run did not finish within ${timeout / 1000} s; status: ${await text(section === 'train' ? '#train-status' : '#cmp-status')}`);
    });
    const state = await demoState();
    const run = state[section];
    if (run.state !== expected) throw new Error(`${section}: the run ended '${run.state}', expected '${expected}': ${run.error ?? await text(section === 'train' ? '#train-status' : '#cmp-status')}`);
    return state;
  }

  /** Sets the fields, presses Train and waits for the run to end. */
  async function train(fields: Record<string, string>, timeout: number): Promise<DemoState> {
    await setFields(fields);
    const before = (await demoState()).train.runs;
    await page.click('#train-btn');
    return waitForRun('train', before, timeout);
  }

  const text = (selector: string) => page.$eval(selector, (node) => node.textContent ?? '');
  type ChartSnapshot = { title: string; series: { name: string; points: number; shown: boolean; dashed: boolean }[] };
  /** What a chart shows (demo/charts.ts), or null when it has drawn nothing. */
  const chart = (selector: string) =>
    page.evaluate((id: string) => (window as unknown as { __demo: { charts: Record<string, () => unknown> } }).__demo.charts[id]?.() ?? null, selector.slice(1)) as Promise<ChartSnapshot | null>;
  /** The point count of every series of a chart. */
  const chartLines = async (selector: string) => (await chart(selector))?.series.map((s) => s.points) ?? [];

  it('finds the WebGPU adapter and shows its name', async () => {
    const state = await demoState();
    expect(state.error, 'requestGpu failed in the page').toBeNull();
    expect(state.adapter).toBeTruthy();
    expect(await text('#adapter')).toContain(state.adapter!);
    expect(await page.$eval('#no-gpu', (node) => (node as HTMLElement).hidden)).toBe(true);
  });

  it('trains sin -> cos through the UI: the loss falls, the loss curve and the prediction plot hold data', async () => {
    const state = await train({ task: 'sin-cos', cell: 'lstm', units: '16', epochs: '3', batch: '10', lr: '0.01', val: '0' }, 90_000);
    const loss = state.train.loss;
    expect(loss, 'one loss per epoch').toHaveLength(3);
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(loss[2], `loss per epoch: ${loss.join(', ')}`).toBeLessThan(loss[0]);
    expect(state.train.samplesPerSecond).toBeGreaterThan(0);
    expect(await text('#train-status')).toMatch(/Trained 3 epochs .* samples\/s/);

    expect(await chartLines('#loss-chart'), 'loss chart: one line of 3 epochs').toEqual([3]);
    // Input, model output and correct curve over one 24-step window.
    expect(await chartLines('#prediction-chart'), 'prediction chart lines').toEqual([24, 24, 24]);
    const prediction = (await chart('#prediction-chart'))!;
    expect(prediction.series.map((s) => s.dashed), 'the correct curve is dashed').toEqual([false, false, true]);
    expect(await text('#prediction-status')).toMatch(/Decode latency: [\d.]+ m?s/);
    const legend = await text('#prediction-chart .u-legend');
    for (const name of ['input: sin x', 'model output', 'correct: cos x']) expect(legend).toContain(name);

    // Hovering the plot shows the values under the cursor in the legend.
    const plot = (await page.$('#prediction-chart .u-over'))!;
    const box = (await plot.boundingBox())!;
    const values = () => page.$$eval('#prediction-chart .u-legend .u-series .u-value', (cells) => cells.map((c) => c.textContent ?? ''));
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#prediction-chart .u-legend .u-series .u-value')).slice(1).every((c) => /\d/.test(c.textContent ?? '')), { timeout: 5000 })
      .catch(async () => { throw new Error(`hovering the prediction chart shows no values; the legend reads ${JSON.stringify(await values())}`); });
    const hovered = await values();
    expect(hovered.slice(1).map(Number).every(Number.isFinite), `legend values ${hovered.join(' | ')}`).toBe(true);
    // Clicking a legend entry hides its series; clicking again shows it.
    const entry = '#prediction-chart .u-legend .u-series:nth-child(3)';
    const label = `${entry} > th`;
    await page.mouse.move(0, 0); // off the plot first: the legend's values reset as the cursor leaves
    await page.click(label);
    expect((await chart('#prediction-chart'))!.series.map((s) => s.shown)).toEqual([true, false, true]);
    expect(await page.$eval(entry, (node) => node.classList.contains('u-off'))).toBe(true);
    await page.click(label);
    expect((await chart('#prediction-chart'))!.series.map((s) => s.shown)).toEqual([true, true, true]);
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: `${outputDir}/demo-sin-cos.png`, fullPage: true });
  });

  it('damped oscillation, next step: Stop ends training early, then the closed-loop plot is drawn', async () => {
    await setFields({ task: 'damped-next', cell: 'simple_rnn', units: '8', epochs: '1000', batch: '20', lr: '0.003', val: '0.1' });
    const before = (await demoState()).train.runs;
    await page.click('#train-btn');
    await page.waitForFunction(() => (window as unknown as { __demo: DemoState }).__demo.train.loss.length >= 2, { timeout: 60_000, polling: 100 });
    await page.click('#stop-btn');
    const state = await waitForRun('train', before, 60_000, 'stopped');
    const epochs = state.train.loss.length;
    expect(epochs).toBeGreaterThanOrEqual(2);
    expect(epochs).toBeLessThan(1000);
    expect(state.train.valLoss, 'a validation loss per epoch (validation split 0.1)').toHaveLength(epochs);
    expect(await text('#train-status')).toMatch(new RegExp(`Stopped after ${epochs} epochs`));
    expect(await chartLines('#loss-chart'), 'training and validation loss').toEqual([epochs, epochs]);
    // The true curve over all 200 points, the first 20 values, 180 generated in closed loop.
    expect(await chartLines('#prediction-chart')).toEqual([200, 20, 180]);
    expect(await text('#prediction-status')).toMatch(/180 steps in closed loop: [\d.]+ m?s \(one generate\(\) call/);
  });

  it('SimpleRNN vs LSTM: trains both, plots both loss curves and both closed-loop curves', async () => {
    await setFields({ 'cmp-units': '8', 'cmp-epochs': '3', 'cmp-batch': '20' });
    const before = (await demoState()).compare.runs;
    await page.click('#cmp-train');
    const state = await waitForRun('compare', before, 90_000);
    expect(await chartLines('#cmp-loss-chart'), 'loss and validation loss of both cells').toEqual([3, 3, 3, 3]);
    expect(await chartLines('#cmp-loop-chart'), 'SimpleRNN, LSTM, true curve').toEqual([180, 180, 200]);
    expect(Object.keys(state.compare.closedLoopMse).sort()).toEqual(['lstm', 'simple_rnn']);
    for (const mse of Object.values(state.compare.closedLoopMse)) expect(Number.isFinite(mse)).toBe(true);
    expect(await text('#cmp-status')).toMatch(/SimpleRNN \(Adam lr 0.003\): 3 epochs .* LSTM \(Adam lr 0.003\): 3 epochs/);
  });

  it('addition playground: a tiny model trained through the UI answers a typed question', async () => {
    const state = await train({ task: 'addition', cell: 'lstm', units: '32', epochs: '2', batch: '100', lr: '0.01', val: '0', digits: '2', count: '2000' }, 90_000);
    expect(state.train.loss).toHaveLength(2);
    expect(state.playground.trained, 'the playground did not load the trained model').toBe(true);
    expect(state.playground.exactMatch).toBeGreaterThanOrEqual(0);
    expect(await text('#exact-match')).toMatch(/Exact match: [\d.]+% of \d+ questions/);
    // Target positions: 3 answer digits + the end token, plus the header column.
    expect(await page.$$eval('#positions tr:last-child > *', (cells) => cells.length)).toBe(5);
    // Cosine similarity over padding, the ten digits and '+': 12 x 12, with a header row and column.
    expect(await page.$$eval('#similarity tr', (rows) => rows.length)).toBe(13);
    expect(await page.$$eval('#similarity td', (cells) => cells.length)).toBe(144);

    await page.locator('#question').fill('12+34');
    await page.click('#ask-btn');
    await page.waitForFunction(() => document.querySelector('#answer')?.textContent?.startsWith('12+34 →'), { timeout: 30_000 }).catch(async () => {
      throw new Error(`no answer to '12+34' appeared; the answer line reads '${await text('#answer')}'`);
    });
    const answer = await text('#answer');
    expect(answer).toMatch(/^12\+34 → \S+/);
    expect(answer).toMatch(/decoded in [\d.]+ m?s/);
    expect((await demoState()).playground.answer).toMatch(/^[0-9+]*$/);

    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: `${outputDir}/demo.png`, fullPage: true });
    expect(pageErrors, 'errors in the page').toEqual([]);
  });

  it('dates playground: a model with attention trained through the UI answers a date and shows its alignment', async () => {
    const state = await train({ task: 'dates', cell: 'lstm', units: '16', epochs: '1', batch: '100', lr: '0.01', val: '0', count: '500' }, 120_000);
    expect(state.train.loss).toHaveLength(1);
    expect(state.playground.trained, 'the playground did not load the trained model').toBe(true);
    expect(await text('#exact-match')).toMatch(/Exact match: [\d.]+% of 500 questions/);
    await page.locator('#question').fill('Sat, 13 Nov 2021');
    await page.click('#ask-btn');
    await page.waitForFunction(() => document.querySelector('#answer')?.textContent?.startsWith('Sat, 13 Nov 2021 →'), { timeout: 30_000 }).catch(async () => {
      throw new Error(`no answer to the date appeared; the answer line reads '${await text('#answer')}'`);
    });
    expect(await text('#answer')).toMatch(/correct: 2021-11-13|✓/);
    // The heatmap: one row per answer character and the end token (at most 11), one column per source step.
    const { alignment } = (await demoState()).playground;
    expect(alignment, 'no alignment was drawn').not.toBeNull();
    expect(alignment!.rows).toBeGreaterThanOrEqual(1);
    expect(alignment!.rows).toBeLessThanOrEqual(11);
    expect(alignment!.columns).toBeGreaterThanOrEqual('Saturday, September 30, 2049'.length);
    expect(await page.$eval('#alignment', (node) => (node as HTMLElement).hidden)).toBe(false);
    expect(await page.$$eval('#alignment svg rect', (cells) => cells.length)).toBeGreaterThanOrEqual(alignment!.rows * alignment!.columns);
    mkdirSync(outputDir, { recursive: true });
    await (await page.$('#playground'))!.screenshot({ path: `${outputDir}/demo-dates.png` });
    expect(pageErrors, 'errors in the page').toEqual([]);
  });

  it('without WebGPU the page says so and how to enable it, and does not break', async () => {
    const plain = await browser.newPage();
    try {
      const errors: string[] = [];
      plain.on('pageerror', (error) => errors.push(String(error)));
      await plain.setViewport({ width: 420, height: 900 });
      await plain.evaluateOnNewDocument(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
      await plain.goto(url);
      await plain.waitForFunction('window.__demo && window.__demo.ready === true', { timeout: 60_000 });
      const notice = await plain.$eval('#no-gpu', (node) => ({ hidden: (node as HTMLElement).hidden, text: node.textContent ?? '' }));
      expect(notice.hidden, 'the no-WebGPU notice is hidden').toBe(false);
      expect(notice.text).toContain('cannot run WebGPU');
      expect(notice.text).toContain('--enable-unsafe-webgpu');
      expect(await plain.$eval('#train-btn', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(errors).toEqual([]);
      mkdirSync(outputDir, { recursive: true });
      await plain.screenshot({ path: `${outputDir}/demo-no-webgpu.png`, fullPage: true });
    } finally {
      await plain.close();
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `node scripts/demo.mjs --port N` and waits for its "serving" line. */
async function startDemo(port: number): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, ['scripts/demo.mjs', '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/demo.mjs did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes(`http://127.0.0.1:${port}/`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/demo.mjs exited with code ${code} before serving:\n${output}`));
    });
  });
  return { server, url: `http://127.0.0.1:${port}/` };
}
