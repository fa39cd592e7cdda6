// --help texts: every command, task and option.

import { optionHelp, type CommandName } from './args.js';
import { COMMON_TRAIN_OPTIONS, TASKS } from './tasks.js';

function taskList(detailed: boolean): string {
  const width = Math.max(...TASKS.map((t) => t.name.length)) + 2;
  return TASKS.map((task) => {
    const head = `  ${task.name.padEnd(width)}${task.summary}`;
    if (!detailed) return head;
    const options = task.options.length ? [`options: ${task.options.map((o) => `--${o}`).join(', ')}`] : [];
    return [head, ...[...task.help, ...options].map((line) => `  ${' '.repeat(width)}${line}`)].join('\n');
  }).join('\n');
}

export function mainHelp(): string {
  return `webrnn - train and run LSTM / GRU / SimpleRNN sequence models on WebGPU

Usage:
  webrnn train <task> [options]        train a task's model, print its metrics, save it and its plots
  webrnn predict --model DIR [input]   decode with a model saved by train
  webrnn predict --model PATH [--weights PATH] --input FILE.json
                                       run a model file (.h5, .keras, model.json; or an architecture
                                       JSON and its weights) on the arrays of FILE.json
  webrnn summary --model PATH          the layers and parameter counts of a model file
  webrnn convert IN OUT [--weights W]  a model file in another format: OUT.h5, OUT.keras, or a TF.js directory
  webrnn experiments [--quick]         reproduce the seed experiments against their targets, write REPORT.md
  webrnn help <command> | <command> --help | --version

Tasks:
${taskList(false)}

Examples:
  webrnn train sin-cos                         seed 000: LSTM(75), 35 epochs; greedy decode MSE
  webrnn train sin-cos --cell rnn              seed 002: SimpleRNN(10), 80 epochs, validation split 0.2
  webrnn train addition --reverse --json       seed 001 with reversed input; metrics as JSON on stdout
  webrnn predict --model webrnn-out/addition 12+34 7+8
  webrnn train dates                           dates in 8 formats -> ISO, with attention
  webrnn predict --model webrnn-out/dates --beam-width 4 "Sat, 13 Nov 2021"

Run 'webrnn train --help' for every task and option.
Exit status: 0 done, 1 failed while running (e.g. no WebGPU adapter), 2 bad command line.
`;
}

export function commandHelp(command: CommandName): string {
  if (command === 'train') {
    const specific = [...new Set(TASKS.flatMap((t) => t.options))];
    return `Usage: webrnn train <task> [options]

Trains the task's model with its seed's configuration (options override it), with a progress bar on
stderr, then prints the metrics, saves the model (model.json, weights.bin) with task.json, and writes
SVG plots into --out: loss.svg, and prediction.svg (function tasks), closed-loop.svg (damped) or
accuracy.svg (addition, rotate, reverse, dates; exact match and per-position accuracy on the test set after each epoch).

Metrics: function tasks: greedy decode MSE over every window (the decoder fed its own outputs);
damped: closed-loop MSE over the generated steps; character tasks: exact-match, per-position and
character accuracy on the test questions.

Tasks:
${taskList(true)}

Options:
${optionHelp('train', COMMON_TRAIN_OPTIONS)}

Task options:
${optionHelp('train', specific)}
`;
  }
  if (command === 'summary') {
    return `Usage: webrnn summary --model PATH

Prints the layers of a model file (a Keras .h5 or .keras, a TensorFlow.js Layers model.json or its
directory), their output shapes and parameter counts, as Keras' model.summary() does.

Options:
${optionHelp('summary')}
`;
  }
  if (command === 'convert') {
    return `Usage: webrnn convert IN OUT [--weights W]

Loads the model file IN (a Keras .h5 of Keras 1, 2 or 3, a .keras archive, a TensorFlow.js Layers
model.json or its directory; the format is told by content; or, with --weights W, IN is an architecture
JSON from Keras' model.to_json() and W its weights file) and writes it as OUT: OUT ending in .h5 is
Keras 2's HDF5 layout (tf.keras, Keras 3 and the TensorFlow.js converter read it), .keras is Keras 3's
archive, anything else a directory with a TensorFlow.js Layers model.json and its shard
(tf.loadLayersModel reads it). Keras 1 per-gate and cuDNN weights are written in today's layout.

Options:
${optionHelp('convert')}
`;
  }
  if (command === 'predict') {
    return `Usage: webrnn predict --model DIR [input...]
       webrnn predict --model PATH [--weights PATH] --input FILE.json [--json]

With --input, runs any model file webrnn loads (a Keras .h5 or .keras, a TensorFlow.js Layers model.json
or its directory; or, with --weights, an architecture JSON from Keras' model.to_json() and its weights
file) on the arrays of FILE.json ({ "shape": [...], "data": [...] }, row-major, batch first; a list of them for
several inputs) and prints the outputs in the same form (a list for several outputs).

Loads a model written by 'webrnn train' and decodes with it:
  sin-cos, exp-sin, sqrt   input: window indices (default 0); prints and plots (predict.svg) the
                           greedy-decoded curve of each window against the correct one
  damped                   input: steps to generate in closed loop (default: the rest of the series)
  addition, rotate         input: questions ('12+34', '12345'); default: ten test questions
  reverse, dates           input: questions ('abc...', 'Sat, 13 Nov 2021'); default: ten test questions

Options:
${optionHelp('predict')}
`;
  }
  return `Usage: webrnn experiments [--quick] [--only ID,ID] [--out DIR]

Runs the seed experiments (sin -> cos, the damped oscillation, character addition and rotation) one
after another, each into DIR/<id>/ (model, plots), and writes DIR/REPORT.md: the measured numbers
against the target each should reach, the command of each run, and links to the plots. The small function tasks run with 8 seeds each
(--seed 0 .. 7, into DIR/<id>/seed-K/) and are judged by the median, since one seed moves their numbers
by 2x. The 3-digit addition run (50,000 examples, LSTM(128)) takes about 30 minutes on a CPU adapter;
--quick scales it down (and says so in the report).

Options:
${optionHelp('experiments')}
`;
}
