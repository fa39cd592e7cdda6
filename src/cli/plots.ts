// The SVG figures of a run, drawn with src/plot/line-chart.ts: loss curves, and per task what the seeds
// plotted (predicted vs correct curves, the closed-loop continuation, accuracy per epoch).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart } from '../plot/line-chart.js';
import type { TranslationWindows } from '../index.js';

type Series = Parameters<typeof lineChart>[0]['series'][number];

const WIDTH = 720;
const HEIGHT = 420;
const epochsAxis = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

function chart(options: Omit<Parameters<typeof lineChart>[0], 'width' | 'height' | 'background'>): string {
  return lineChart({ width: WIDTH, height: HEIGHT, background: 'white', ...options });
}

/** Writes `svg` to dir/name and returns the file name. */
export function writeSvg(dir: string, name: string, svg: string): string {
  writeFileSync(join(dir, name), svg);
  return name;
}

/** Training loss and validation loss per epoch, log scale. */
export function lossChart(title: string, loss: number[], valLoss?: number[]): string {
  const series: Series[] = [{ name: 'loss', x: epochsAxis(loss.length), y: loss }];
  if (valLoss && valLoss.length > 0) series.push({ name: 'val_loss', x: epochsAxis(valLoss.length), y: valLoss });
  return chart({ title, xLabel: 'epoch', yLabel: 'loss', logY: positive(loss, valLoss), series });
}

/** Windows to draw: four spread over the range, as the seeds' figures (windows 0, 24, 49, 74 of 76). */
export function figureWindows(count: number): number[] {
  if (count <= 4) return Array.from({ length: count }, (_, i) => i);
  return [0, 1, 2, 3].map((k) => Math.round((k * (count - 2)) / 3));
}

/**
 * The seeds' figure: for a few windows, the encoder input and the decoded output over the window's x,
 * and the whole correct curve dashed.
 */
export function predictionChart(title: string, windows: TranslationWindows, outputs: Float32Array, show: number[], names = { input: 'input', output: 'output', correct: 'correct' }): string {
  const { grid, steps } = windows;
  // One series per role, the windows separated by a NaN point (a break in the line).
  const pieces = (values: (w: number) => ArrayLike<number>) => {
    const x: number[] = [];
    const y: number[] = [];
    show.forEach((w, i) => {
      if (i > 0) x.push(NaN), y.push(NaN);
      x.push(...grid.subarray(w, w + steps));
      y.push(...Array.from(values(w)));
    });
    return { x, y };
  };
  const series: Series[] = [
    { name: names.input, ...pieces((w) => windows.input.subarray(w, w + steps)), color: '#1f77b4' },
    { name: names.output, ...pieces((w) => outputs.subarray(w * steps, (w + 1) * steps)), color: '#d62728' },
    { name: names.correct, x: grid, y: windows.output, dashed: true, color: '#d62728' },
  ];
  return chart({ title, xLabel: 'x', yLabel: 'y', series });
}

/** Closed-loop generation: the true series dashed, the priming window, and each model's continuation. */
export function closedLoopChart(title: string, grid: ArrayLike<number>, series: ArrayLike<number>, steps: number, runs: { name: string; generated: ArrayLike<number> }[]): string {
  const colors = ['#d62728', '#2ca02c', '#9467bd'];
  const x = Float64Array.from(grid);
  const lines: Series[] = [
    { name: 'correct', x: x.subarray(0, series.length), y: Float64Array.from(series), dashed: true, color: '#7f7f7f' },
    { name: 'prime', x: x.subarray(0, steps), y: Float64Array.from(series).subarray(0, steps), color: '#1f77b4' },
  ];
  runs.forEach((run, i) => lines.push({ name: run.name, x: x.subarray(steps, steps + run.generated.length), y: run.generated, color: colors[i % colors.length] }));
  return chart({ title, xLabel: 'x', yLabel: 'y', series: lines });
}

/** Exact-match and per-position accuracy per epoch (test set). */
export function accuracyChart(title: string, exact: number[], perPosition: number[][]): string {
  const x = epochsAxis(exact.length);
  const positions = perPosition[0]?.length ?? 0;
  const series: Series[] = [{ name: 'exact match', x, y: exact, color: '#000000' }];
  for (let k = 0; k < positions; k++) series.push({ name: `position ${k + 1}`, x, y: perPosition.map((p) => p[k]), dashed: true });
  return chart({ title, xLabel: 'epoch', yLabel: 'test accuracy', series });
}

/** One metric per epoch for several runs (e.g. plain vs reversed input). */
export function compareChart(title: string, yLabel: string, runs: { name: string; values: number[]; dashed?: boolean }[], logY = false): string {
  const series: Series[] = runs.map((run) => ({ name: run.name, x: epochsAxis(run.values.length), y: run.values, dashed: run.dashed }));
  return chart({ title, xLabel: 'epoch', yLabel, logY: logY && runs.every((r) => positive(r.values)), series });
}

function positive(...lists: (ArrayLike<number> | undefined)[]): boolean {
  return lists.every((list) => !list || Array.prototype.every.call(list, (v: number) => v > 0));
}
