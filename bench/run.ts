// `npm run bench`: every benchmark on each available driver, one at a time (the machine has few cores;
// two at once would measure contention). Prints tables, writes bench/results/latest.json.
// `-- --json` prints the report as one JSON document instead; `-- --adapter NAME` (repeatable) picks drivers.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    adapter: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
  },
});

const KNOWN = { lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json', swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json' };
const adapters = values.adapter ?? ['auto', ...Object.entries(KNOWN).filter(([, icd]) => existsSync(icd)).map(([name]) => name)];
type Row = Record<string, string | number>;
const report: { machine: Record<string, unknown>; runs: unknown[] } = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() },
  runs: [],
};
const log = (...args: unknown[]) => { if (!values.json) console.log(...args); };

function runBench(script: string, adapter: string): Record<string, unknown> {
  const args = ['--import', 'tsx', script, '--adapter', adapter, ...(values.quick && script.includes('matmul') ? ['--quick'] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

const seen = new Set<string>();
for (const adapter of adapters) {
  const lstm = runBench('bench/lstm.ts', adapter) as { adapter: string; results: { strategy: string; [part: string]: unknown }[] };
  if (seen.has(lstm.adapter)) continue; // 'auto' is lavapipe on a machine without a GPU: measure it once
  seen.add(lstm.adapter);
  const matmul = runBench('bench/matmul.ts', adapter) as { adapter: string; results: Row[] };
  const train = runBench('bench/train.ts', adapter) as { results: Row[] };
  const decode = runBench('bench/decode.ts', adapter) as { results: Row[] };
  report.runs.push({ requested: adapter, adapter: matmul.adapter, matmul: matmul.results, lstm75: lstm.results, training: train.results, decoding: decode.results });
  log(`\n== ${adapter}: ${matmul.adapter}`);
  log('decoding, seed LSTM(75) model, 24 steps (one submit, one readback per call)');
  if (!values.json) {
    console.table(decode.results.map((r) => ({
      workload: r.workload, 'ms median': Number(r.msMedian).toFixed(2), 'min-max': `${Number(r.msMin).toFixed(2)}-${Number(r.msMax).toFixed(2)}`,
      'windows/s': r.windowsPerSec, dispatches: r.dispatchesPerCall, submits: r.submitsPerCall, readbacks: r.readbacksPerCall,
    })));
  }
  log('training epochs (after a warm-up epoch)');
  if (!values.json) {
    console.table(train.results.map((r) => ({
      workload: r.workload, 'ms/epoch median': Number(r.msMedian).toFixed(1), 'min-max': `${Number(r.msMin).toFixed(1)}-${Number(r.msMax).toFixed(1)}`,
      'samples/s': r.samplesPerSec, 'dispatches/step': r.dispatchesPerStep, 'submits/step': r.submitsPerStep,
    })));
  }
  log('matmul');
  if (!values.json) console.table(matmul.results.map((r) => ({ case: r.case, 'GFLOP/s': r.gflops, 'ms median': Number(r.msMedian).toFixed(2) })));
  log('LSTM(75), batch 10, 24 steps, input 1 (ms median, dispatches)');
  if (!values.json) {
    console.table(lstm.results.map((r) => {
      const cell = (part: string) => {
        const p = r[part] as { msMedian: number; dispatches: number };
        return `${p.msMedian.toFixed(2)} ms / ${p.dispatches}`;
      };
      return { strategy: r.strategy, forward: cell('forward'), backward: cell('backward'), 'forward+backward': cell('forwardBackward') };
    }));
  }
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(report, null, 2) + '\n');
if (values.json) console.log(JSON.stringify(report));
else console.log('\nwritten: bench/results/latest.json');
