// Timing helpers shared by the benchmarks: repeat, take the median (this machine is noisy).

export interface Timing {
  msMedian: number;
  msMin: number;
  msMax: number;
  runs: number;
}

/** Runs `once` `warmup` times untimed, then `runs` times, each awaited; returns each run's ms. */
export async function samples(once: () => Promise<void>, runs: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    out.push(performance.now() - start);
  }
  return out;
}

/** As samples(), summarized: median / min / max in ms. */
export async function time(once: () => Promise<void>, runs = 7, warmup = 2): Promise<Timing> {
  const sorted = (await samples(once, runs, warmup)).sort((a, b) => a - b);
  return { msMedian: sorted[Math.floor(sorted.length / 2)], msMin: sorted[0], msMax: sorted[sorted.length - 1], runs };
}
