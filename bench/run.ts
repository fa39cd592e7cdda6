// `npm run bench`: webrnn against TensorFlow.js on the seed workloads, side by side in one run.
// Implementations run one at a time (the machine has few cores), interleaved over rounds, each round a
// fresh process with a warm-up; medians, min-max and ratios are printed and written to bench/results/.
//   -- --json            one JSON document on stdout instead of tables
//   -- --quick           one round, fewer repeats (a smoke run)
//   -- --no-swiftshader  skip the SwiftShader section; -- --no-kernels skip the kernel section;
//   -- --no-beam skip the beam search section

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { WORKLOADS, type Measurement, type Workload } from './workloads.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'no-swiftshader': { type: 'boolean', default: false },
    'no-kernels': { type: 'boolean', default: false },
    'no-beam': { type: 'boolean', default: false },
  },
});
const log = (...args: unknown[]) => {
  if (!values.json) console.log(...args);
};
const table = (rows: Record<string, unknown>[]) => {
  if (!values.json) console.table(rows);
};

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const rounds = values.quick ? 1 : 3;

/** Targets from the benchmark issue (webrnn on the Node default adapter). */
const TARGETS: Partial<Record<Workload, { ms: number; what: string }>> = {
  'train-lstm75-epoch': { ms: 100, what: 'ms per epoch' },
  'train-rnn10-epoch': { ms: 5, what: 'ms per epoch' },
  'decode-lstm75-1': { ms: 2, what: 'ms per window' },
};

interface Runner {
  impl: Measurement['impl'];
  adapter: string;
  script: string;
  args: string[];
  /** Extra arguments per workload (e.g. fewer timed steps where an implementation is slow). */
  per?: Partial<Record<Workload, string[]>>;
  /** Workloads not run, with the reason (printed). */
  skip?: Partial<Record<Workload, string>>;
}

function measure(runner: Runner, workload: Workload, repeats: number): Measurement {
  const args = ['--import', 'tsx', runner.script, '--workload', workload, '--adapter', runner.adapter, '--repeats', String(repeats), ...runner.args, ...(runner.per?.[workload] ?? [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function summarize(samples: Measurement[]) {
  const all = samples.flatMap((s) => s.samplesMs).sort((a, b) => a - b);
  const first = samples[0];
  const median = all[Math.floor(all.length / 2)];
  return {
    workload: first.workload,
    impl: first.impl,
    msMedian: round(median),
    msMin: round(all[0]),
    msMax: round(all[all.length - 1]),
    samplesPerSec: Math.round((first.items / median) * 1000),
    dispatchesPerStep: first.dispatchesPerStep ?? null,
    submitsPerStep: first.submitsPerStep ?? null,
    readbacksPerCall: first.readbacksPerCall ?? (first.workload.startsWith('decode') ? null : undefined),
    runs: all.length,
    ...(first.note ? { note: first.note } : {}),
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

function compare(section: string, runners: Runner[], repeatsFor: (w: Workload) => number) {
  const results: ReturnType<typeof summarize>[] = [];
  for (const workload of WORKLOADS) {
    const samples = new Map<string, Measurement[]>(runners.map((r) => [r.impl, []]));
    for (let r = 0; r < rounds; r++) {
      for (const runner of runners) {
        const done = samples.get(runner.impl)!;
        if (runner.skip?.[workload]) {
          if (r === 0) log(`  ${runner.impl} ${workload}: not run (${runner.skip[workload]})`);
          continue;
        }
        // Keep the whole benchmark within minutes: what takes over 5 s a sample is measured in one round.
        if (done.length > 0 && Math.max(...done[0].samplesMs) > 5000) continue;
        try {
          done.push(measure(runner, workload, repeatsFor(workload)));
        } catch (error) {
          log(`  ${runner.impl} ${workload}: failed (${(error as Error).message.split('\n')[0]})`);
        }
      }
    }
    for (const runner of runners) {
      const s = samples.get(runner.impl)!;
      if (s.length > 0) results.push({ ...summarize(s), adapter: runner.adapter } as ReturnType<typeof summarize>);
    }
  }
  log(`\n== ${section}`);
  table(results.map((r) => {
    const base = results.find((x) => x.workload === r.workload && x.impl === 'webrnn');
    const target = r.impl === 'webrnn' && section.includes('default') ? TARGETS[r.workload] : undefined;
    return {
      workload: r.workload,
      impl: r.impl,
      'ms median': r.msMedian,
      'min-max': `${r.msMin}-${r.msMax}`,
      'x webrnn': base && r.impl !== 'webrnn' ? `${(r.msMedian / base.msMedian).toFixed(1)}x slower` : '',
      dispatches: r.dispatchesPerStep ?? '',
      submits: r.submitsPerStep ?? '',
      readbacks: r.readbacksPerCall ?? '',
      target: target ? `${target.ms} ${target.what}: ${r.msMedian <= target.ms ? 'met' : `missed by ${(r.msMedian / target.ms).toFixed(2)}x`}` : '',
      note: r.note ?? '',
    };
  }));
  return results;
}

function kernelSection(adapter: string) {
  const run = (script: string, ...extra: string[]) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', script, '--adapter', adapter, ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!);
  // SwiftShader takes seconds per 1024^3 product: only the plain one there.
  const matmul = run('bench/matmul.ts', ...(adapter === 'swiftshader' ? ['--quick'] : []));
  const lstm = run('bench/lstm.ts');
  log(`\n== kernels on ${adapter} (${matmul.adapter})`);
  type MatmulRow = { case: string; kernel: string; gflops: number; msMedian: number; kernels: Record<string, { gflops: number }> };
  table(matmul.results.map((r: MatmulRow) => ({
    matmul: r.case, kernel: r.kernel, 'GFLOP/s': r.gflops, 'ms median': round(r.msMedian),
    ...Object.fromEntries(Object.entries(r.kernels).filter(([k]) => k !== r.kernel).map(([k, v]) => [`${k} GFLOP/s`, v.gflops])),
  })));
  if (matmul.fmaCeiling) log(`the driver's ceiling (a kernel of FMAs alone, as many as 1024^3): ${matmul.fmaCeiling.gflops} GFLOP/s`);
  if (matmul.numpySgemm) log(`the CPU's sgemm at 1024^3 (numpy): ${matmul.numpySgemm.gflops !== undefined ? `${matmul.numpySgemm.gflops} GFLOP/s` : `skipped, ${matmul.numpySgemm.skipped}`}`);
  table(lstm.results.map((r: Record<string, { msMedian: number; dispatches: number }> & { strategy: string }) => ({
    'LSTM(75) B10 T24': r.strategy,
    forward: `${round(r.forward.msMedian)} ms / ${r.forward.dispatches} dispatches`,
    backward: `${round(r.backward.msMedian)} ms / ${r.backward.dispatches} dispatches`,
  })));
  return { adapter, device: matmul.adapter, matmul: matmul.results, fmaCeiling: matmul.fmaCeiling, numpySgemm: matmul.numpySgemm, lstm75: lstm.results };
}

const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
log(`webrnn vs TensorFlow.js 4.22 on ${machine.cores} x ${machine.cpu}, ${rounds} round(s) per implementation`);

// TF.js's WebGPU backend is slow on CPU drivers: its training is timed over a few steps and scaled.
const tfjsWebgpuSteps: Partial<Record<Workload, string[]>> = {
  'train-lstm75-epoch': ['--steps', '3'], 'train-gru75-epoch': ['--steps', '3'], 'train-rnn10-epoch': ['--steps', '2'], 'train-addition3-epoch': ['--steps', '3'],
};
const repeats = (w: Workload) => (values.quick ? 1 : w === 'decode-lstm75-1' ? 15 : w === 'decode-lstm75-1000' || w === 'decode-gru75-1000' || w === 'train-addition3-epoch' ? 1 : 3);

const results = compare('default adapter (Node, Dawn)', [
  { impl: 'webrnn', adapter: 'auto', script: 'bench/webrnn.ts', args: [], per: { 'train-addition3-epoch': ['--steps', '20'] } },
  { impl: 'tfjs-cpu', adapter: 'auto', script: 'bench/tfjs.ts', args: ['--backend', 'cpu'], per: { 'train-addition3-epoch': ['--steps', '10'] } },
  { impl: 'tfjs-webgpu', adapter: 'auto', script: 'bench/tfjs.ts', args: ['--backend', 'webgpu'], per: tfjsWebgpuSteps },
], repeats);

let swiftshader: unknown[] = [];
if (!values['no-swiftshader'] && existsSync(SWIFTSHADER_ICD)) {
  const slow: Partial<Record<Workload, string[]>> = { 'train-lstm75-epoch': ['--steps', '2'], 'train-gru75-epoch': ['--steps', '2'], 'train-rnn10-epoch': ['--steps', '2'], 'train-addition3-epoch': ['--steps', '2'] };
  swiftshader = compare('SwiftShader (the driver of headless Chromium here)', [
    { impl: 'webrnn', adapter: 'swiftshader', script: 'bench/webrnn.ts', args: [], per: { 'train-addition3-epoch': ['--steps', '5'] } },
    { impl: 'tfjs-webgpu', adapter: 'swiftshader', script: 'bench/tfjs.ts', args: ['--backend', 'webgpu'], per: slow,
      skip: { 'decode-lstm75-1000': 'about 105 s a call here, too long for this benchmark', 'decode-gru75-1000': 'as decode-lstm75-1000' } },
  ], (w) => (w === 'decode-lstm75-1' ? 5 : 1));
}

const kernels = values['no-kernels'] ? [] : ['auto', ...(existsSync(SWIFTSHADER_ICD) && !values['no-swiftshader'] ? ['swiftshader'] : [])].map(kernelSection);

// Beam search against greedy decoding: 1,000 questions in one call each way (webrnn only: neither
// TF.js nor the seeds decode with beams on the GPU).
function beamSection() {
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', 'bench/beam.ts', '--repeats', values.quick ? '1' : '3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!);
  const greedy = out.results[0].msMedian;
  log(`\n== beam search, ${out.questions} addition questions of ${out.steps} tokens in one call (${out.adapter})`);
  table(out.results.map((r: { decode: string; msMedian: number; submitsPerCall: number; readbacksPerCall: number }) => ({
    decode: r.decode, 'ms median': round(r.msMedian), 'x greedy (per-step)': round(r.msMedian / greedy), submits: r.submitsPerCall, readbacks: r.readbacksPerCall,
  })));
  return out;
}
const beam = values['no-beam'] ? null : beamSection();

const report = { machine, results, swiftshader, kernels, beam };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(report, null, 2) + '\n');
if (values.json) console.log(JSON.stringify(report));
else log('\nwritten: bench/results/latest.json');
