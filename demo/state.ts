// What the page is doing, in one object: the sections read and write it, and it is exposed as
// `window.__demo` so that a test (or a curious reader in the console) can follow training.
// One training run at a time: the sections share one GPU device.

import { charts, type ChartSnapshot } from './charts.js';

export type RunState = 'idle' | 'training' | 'done' | 'stopped' | 'error';

export interface DemoState {
  ready: boolean;
  /** The adapter's name, or null without WebGPU. */
  adapter: string | null;
  error: string | null;
  busy: string | null;
  train: { state: RunState; runs: number; task: string | null; loss: number[]; valLoss: number[]; samplesPerSecond: number | null; error: string | null };
  compare: { state: RunState; runs: number; error: string | null; closedLoopMse: Record<string, number> };
  /** alignment: the shape of the last attention heatmap shown (answer rows x question columns). */
  playground: { trained: boolean; answer: string | null; exactMatch: number | null; alignment: { rows: number; columns: number } | null };
  /** What each chart on the page shows, by element id (demo/charts.ts). */
  charts: Record<string, () => ChartSnapshot | null>;
}

export const state: DemoState = {
  ready: false,
  adapter: null,
  error: null,
  busy: null,
  train: { state: 'idle', runs: 0, task: null, loss: [], valLoss: [], samplesPerSecond: null, error: null },
  compare: { state: 'idle', runs: 0, error: null, closedLoopMse: {} },
  playground: { trained: false, answer: null, exactMatch: null, alignment: null },
  charts,
};

declare global {
  interface Window {
    __demo: DemoState;
  }
}
window.__demo = state;

const listeners: (() => void)[] = [];

/** Takes the GPU for a run; false when another run holds it. */
export function claim(name: string): boolean {
  if (state.busy) return false;
  state.busy = name;
  listeners.forEach((fn) => fn());
  return true;
}

export function release(): void {
  state.busy = null;
  listeners.forEach((fn) => fn());
}

/** Called when a run starts or ends (to enable and disable buttons). */
export function onBusyChange(fn: () => void): void {
  listeners.push(fn);
}
