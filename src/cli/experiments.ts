// `webrnn experiments`: every configuration issue 7 asks for, run one after another on one GPU context,
// each into OUT/<id>/ (model, task.json, plots), then OUT/REPORT.md (measured numbers against the targets,
// the command of each run, links to the plots) and OUT/results.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuContext } from '../index.js';
import { parseCommand, UsageError } from './args.js';
import { closedLoopChart, compareChart, writeSvg } from './plots.js';
import { formatNumber, formatPercent, formatSeconds } from './progress.js';
import { buildData, cellLabel, describeSettings, resolveSettings } from './tasks.js';
import { train, type Metrics, type TrainResult } from './train.js';

interface Target {
  metric: keyof Metrics;
  op: '<=' | '>=';
  value: number;
  /** Where the target comes from. */
  source: string;
}

export interface Experiment {
  id: string;
  title: string;
  /** Arguments of `webrnn train`. */
  args: string[];
  /** With --quick, these replace args (a scaled-down run; its target is not judged). */
  quickArgs?: string[];
  /** The number to report, and the target it must reach (if any). */
  metric: keyof Metrics;
  target?: Target;
}

export const EXPERIMENTS: readonly Experiment[] = [
  {
    id: 'sin-cos-lstm', title: 'sin -> cos, LSTM(75), seed 000 configuration', args: ['sin-cos'],
    metric: 'decode_mse', target: { metric: 'decode_mse', op: '<=', value: 1e-4, source: 'issue 7' },
  },
  {
    id: 'sin-cos-lstm-70', title: 'sin -> cos, LSTM(75), seed 000 configuration trained for 70 epochs instead of 35', args: ['sin-cos', '--epochs', '70'],
    metric: 'decode_mse', target: { metric: 'decode_mse', op: '<=', value: 1e-4, source: 'issue 7' },
  },
  {
    id: 'sin-cos-rnn', title: 'sin -> cos, SimpleRNN(10), seed 002 configuration', args: ['sin-cos', '--cell', 'rnn'],
    metric: 'val_loss', target: { metric: 'val_loss', op: '<=', value: 2.1e-3, source: 'TensorFlow.js on this machine' },
  },
  {
    id: 'exp-sin', title: 'exp(-x/5)cos(x) -> exp(-x/5)sin(x)', args: ['exp-sin'],
    metric: 'decode_mse', target: { metric: 'decode_mse', op: '<=', value: 1e-2, source: 'issue 7; the seed gave up' },
  },
  {
    id: 'sqrt', title: 'x^2 -> x^0.5', args: ['sqrt'],
    metric: 'decode_mse', target: { metric: 'decode_mse', op: '<=', value: 1e-2, source: 'issue 7; the seed gave up' },
  },
  {
    id: 'damped-lstm', title: 'damped oscillation, LSTM(40), closed loop (seed 004)', args: ['damped', '--cell', 'lstm'],
    metric: 'closed_loop_mse', target: { metric: 'closed_loop_mse', op: '<=', value: 1e-3, source: 'tracks the curve: 2% of its mean square (0.045)' },
  },
  {
    id: 'damped-rnn', title: 'damped oscillation, SimpleRNN(40), closed loop (seed 004)', args: ['damped', '--cell', 'rnn'],
    metric: 'closed_loop_mse', target: { metric: 'closed_loop_mse', op: '<=', value: 1e-3, source: 'tracks the curve: 2% of its mean square (0.045)' },
  },
  {
    id: 'addition-plain', title: '2-digit addition, plain input (seed 001)', args: ['addition'],
    metric: 'exact_match',
  },
  {
    id: 'addition-reversed', title: '2-digit addition, reversed input (seed 001)', args: ['addition', '--reverse'],
    metric: 'exact_match',
  },
  {
    id: 'addition-3digit', title: '3-digit addition, Keras example budget (50,000 examples, LSTM(128)), reversed input',
    args: ['addition', '--digits', '3', '--reverse'],
    quickArgs: ['addition', '--digits', '3', '--reverse', '--train-size', '9000', '--test-size', '1000', '--epochs', '10'],
    metric: 'exact_match', target: { metric: 'exact_match', op: '>=', value: 0.99, source: 'issue 7; Keras reports 99% per character' },
  },
  {
    id: 'rotate', title: 'rotation, length 5, shift 2 (seed 001)', args: ['rotate'],
    metric: 'exact_match', target: { metric: 'exact_match', op: '>=', value: 0.99, source: 'issue 7' },
  },
];

export interface ExperimentOptions {
  out: string;
  quick: boolean;
  only?: string[];
  list: boolean;
  progress: boolean;
  gpu: () => Promise<GpuContext>;
}

interface Outcome {
  experiment: Experiment;
  args: string[];
  quick: boolean;
  result?: TrainResult;
  error?: string;
}

export async function experiments(options: ExperimentOptions): Promise<number> {
  const unknown = (options.only ?? []).filter((id) => !EXPERIMENTS.some((e) => e.id === id));
  if (unknown.length) throw new UsageError(`--only: unknown experiment ${unknown.join(', ')}; the ids are: ${EXPERIMENTS.map((e) => e.id).join(', ')}`, 'experiments');
  const chosen = EXPERIMENTS.filter((e) => !options.only?.length || options.only.includes(e.id));
  const argsOf = (e: Experiment) => (options.quick && e.quickArgs ? e.quickArgs : e.args);
  // Check every command line before running anything.
  const settings = chosen.map((e) => {
    const { values, positionals } = parseCommand('train', argsOf(e));
    return resolveSettings(positionals[0], values);
  });
  if (options.list) {
    for (const [i, e] of chosen.entries()) {
      process.stdout.write(`${e.id.padEnd(18)} ${command(argsOf(e), options.out, e.id)}\n${' '.repeat(19)}${describeSettings(settings[i])}\n`);
    }
    return 0;
  }

  mkdirSync(options.out, { recursive: true });
  const ctx = await options.gpu();
  const adapter = ctx.adapterInfo.description || ctx.adapterInfo.device || ctx.adapterInfo.vendor || 'unknown adapter';
  const outcomes: Outcome[] = [];
  const started = performance.now();
  try {
    for (const [i, experiment] of chosen.entries()) {
      const args = argsOf(experiment);
      const quick = options.quick && experiment.quickArgs !== undefined;
      process.stderr.write(`\n[${i + 1}/${chosen.length}] ${experiment.id}: ${command(args, options.out, experiment.id)}\n`);
      const outcome: Outcome = { experiment, args, quick };
      try {
        outcome.result = await train(ctx, settings[i], { out: join(options.out, experiment.id), progress: options.progress, label: experiment.id });
        const value = outcome.result.metrics[experiment.metric] as number;
        process.stderr.write(`${experiment.id}: ${experiment.metric} ${formatValue(experiment.metric, value)} (${formatSeconds(outcome.result.seconds)})\n`);
      } catch (error) {
        outcome.error = (error as Error).message;
        process.stderr.write(`${experiment.id} failed: ${outcome.error}\n`);
      }
      outcomes.push(outcome);
      writeReport(options, outcomes, (performance.now() - started) / 1000, adapter);
    }
  } finally {
    ctx.destroy();
  }
  process.stderr.write(`\nreport: ${join(options.out, 'REPORT.md')}\n`);
  process.stdout.write(`${table(outcomes, options.out, false)}\n`);
  return outcomes.some((o) => o.error) ? 1 : 0;
}

function command(args: string[], out: string, id: string): string {
  return `webrnn train ${args.join(' ')} --out ${join(out, id)}`;
}

function formatValue(metric: keyof Metrics, value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return metric === 'exact_match' || metric === 'char_accuracy' ? formatPercent(value) : formatNumber(value);
}

function met(target: Target, value: number | null | undefined): boolean {
  if (value === null || value === undefined || !Number.isFinite(value)) return false;
  return target.op === '<=' ? value <= target.value : value >= target.value;
}

function table(outcomes: Outcome[], out: string, markdown: boolean): string {
  const header = ['experiment', 'metric', 'measured', 'target', 'met', 'time', 'command'];
  const rows = outcomes.map(({ experiment: e, args, quick, result, error }) => {
    const value = result?.metrics[e.metric] as number | null | undefined;
    const target = e.target ? `${e.target.op} ${formatValue(e.metric, e.target.value)}` : '-';
    const verdict = error ? 'failed' : !e.target ? '-' : quick ? 'scaled down (--quick)' : met(e.target, value) ? 'yes' : 'NO';
    const cmd = markdown ? `\`${command(args, out, e.id)}\`` : command(args, out, e.id);
    return [markdown ? `[${e.id}](#${e.id})` : e.id, e.metric, error ? `error: ${error}` : formatValue(e.metric, value), target, verdict,
      result ? formatSeconds(result.seconds) : '-', cmd];
  });
  if (markdown) {
    return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

function writeReport(options: ExperimentOptions, outcomes: Outcome[], seconds: number, adapter: string): void {
  const { out } = options;
  const lines: string[] = [
    '# webrnn: the seed experiments (issue 7)',
    '',
    `Written by \`npm run experiments${options.quick ? ' -- --quick' : ''}\` (\`webrnn experiments${options.quick ? ' --quick' : ''}\`) on ${new Date().toISOString().slice(0, 10)}, ` +
      `${formatSeconds(seconds)} in all, on ${adapter} (Node, Dawn). Every run's model, task.json and plots are in its directory.`,
    '',
    table(outcomes, out, true),
    '',
    'Metrics: `decode_mse`: greedy decoding of every window, the decoder fed its own outputs (the seeds\' inference loop); ' +
      '`val_loss`: MSE on the last 20% of the windows (Keras validation_split); `closed_loop_mse`: primed with the first window, ' +
      'the model predicts every later sample from its own predictions; `exact_match`: whole answers right, greedy decoding of every test question.',
    '',
  ];
  for (const { experiment: e, args, quick, result, error } of outcomes) {
    lines.push(`## ${e.id}`, '', `${e.title}${quick ? ' - **scaled down by --quick**' : ''}.`, '', `\`${command(args, out, e.id)}\``, '');
    if (error || !result) {
      lines.push(`Failed: ${error}`, '');
      continue;
    }
    lines.push(`${describeSettings(result.settings)}; ${formatSeconds(result.seconds)}.`, '');
    const m = result.metrics;
    const facts = [`training loss ${formatNumber(m.loss)}`];
    if (m.val_loss !== null) facts.push(`validation loss ${formatNumber(m.val_loss)}`);
    if (m.decode_mse !== undefined) facts.push(`greedy decode MSE ${formatNumber(m.decode_mse)}`);
    if (m.closed_loop_mse !== undefined) facts.push(`closed-loop MSE over ${m.closed_loop_steps} steps ${formatNumber(m.closed_loop_mse)}`);
    if (m.exact_match !== undefined) {
      facts.push(`exact match ${formatPercent(m.exact_match)} of ${m.test_size} test questions`, `per position ${m.per_position!.map(formatPercent).join(' / ')}`);
    }
    if (e.target) facts.push(`target: ${e.metric} ${e.target.op} ${formatValue(e.metric, e.target.value)} (${e.target.source})`);
    lines.push(`${facts.join('; ')}.`, '');
    for (const file of result.files.filter((f) => f.endsWith('.svg'))) lines.push(`![${e.id} ${file}](${e.id}/${file})`, '');
  }

  // Figures comparing runs, as the seeds draw them.
  const byId = new Map(outcomes.filter((o) => o.result).map((o) => [o.experiment.id, o.result!]));
  const comparisons: string[] = [];
  const plain = byId.get('addition-plain');
  const reversed = byId.get('addition-reversed');
  if (plain?.accuracy && reversed?.accuracy) {
    comparisons.push(writeSvg(out, 'addition-reversal.svg', compareChart('2-digit addition: test exact match, plain vs reversed input', 'exact match', [
      { name: 'plain', values: plain.accuracy.exact }, { name: 'reversed', values: reversed.accuracy.exact },
    ])));
    comparisons.push(writeSvg(out, 'addition-reversal-loss.svg', compareChart('2-digit addition: training loss, plain vs reversed input', 'loss', [
      { name: 'plain', values: plain.history.loss }, { name: 'reversed', values: reversed.history.loss },
    ], true)));
  }
  const lstm = byId.get('damped-lstm');
  const rnn = byId.get('damped-rnn');
  if (lstm?.generated && rnn?.generated) {
    const data = buildData(lstm.settings);
    if (data.kind === 'next-step') {
      comparisons.push(writeSvg(out, 'damped-closed-loop.svg', closedLoopChart('damped oscillation: closed-loop generation, SimpleRNN vs LSTM', data.grid, data.series, data.steps, [
        { name: `${cellLabel(rnn.settings)} (MSE ${formatNumber(rnn.metrics.closed_loop_mse)})`, generated: rnn.generated },
        { name: `${cellLabel(lstm.settings)} (MSE ${formatNumber(lstm.metrics.closed_loop_mse)})`, generated: lstm.generated },
      ])));
      comparisons.push(writeSvg(out, 'damped-loss.svg', compareChart('damped oscillation: loss, SimpleRNN vs LSTM', 'loss', [
        { name: 'rnn loss', values: rnn.history.loss }, { name: 'rnn val_loss', values: rnn.history.val_loss ?? [], dashed: true },
        { name: 'lstm loss', values: lstm.history.loss }, { name: 'lstm val_loss', values: lstm.history.val_loss ?? [], dashed: true },
      ], true)));
    }
  }
  if (comparisons.length) {
    lines.push('## Comparisons', '');
    for (const file of comparisons) lines.push(`![${file}](${file})`, '');
  }
  writeFileSync(join(out, 'REPORT.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(outcomes.map(({ experiment, args, quick, result, error }) => ({
    id: experiment.id, command: command(args, out, experiment.id), quick, metric: experiment.metric, target: experiment.target ?? null,
    ...(result ? { settings: result.settings, metrics: result.metrics, seconds: result.seconds } : { error }),
  })), null, 1)}\n`);
}
