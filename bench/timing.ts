// Timing helpers shared by the benchmarks: repeat, take the median (this machine is noisy).

export interface Timing {
  msMedian: number;
  msMin: number;
  msMax: number;
  runs: number;
}

/** Runs `once` `warmup` times untimed, then `runs` times, each awaited; returns median / min / max in ms. */
export async function time(once: () => Promise<void>, runs = 7, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { msMedian: samples[Math.floor(samples.length / 2)], msMin: samples[0], msMax: samples[samples.length - 1], runs };
}
