// `npm run bench`: every benchmark on each available driver, one driver at a time (the machine has
// few cores; running two at once would measure contention). Prints a table, writes bench/results/.

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

const report: { machine: Record<string, unknown>; matmul: unknown[] } = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() },
  matmul: [],
};

for (const adapter of adapters) {
  const args = ['--import', 'tsx', 'bench/matmul.ts', '--adapter', adapter, ...(values.quick ? ['--quick'] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop() ?? '{}';
  const result = { requested: adapter, ...JSON.parse(line) };
  report.matmul.push(result);
  if (!values.json) {
    console.log(`\nmatmul on ${adapter} (${result.adapter})`);
    console.table(result.results.map((r: Record<string, unknown>) => ({ case: r.case, 'GFLOP/s': r.gflops, 'ms median': Number(r.msMedian).toFixed(2), 'ms min-max': `${Number(r.msMin).toFixed(2)}-${Number(r.msMax).toFixed(2)}` })));
  }
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify(report, null, 2) + '\n');
if (values.json) console.log(JSON.stringify(report));
else console.log('\nwritten: bench/results/latest.json');
