// `webrnn`: train the seed experiments' models on WebGPU from the command line, decode with saved
// models, and run the seed experiments into a report.
//
// Exit codes: 0 done, 1 a failure while running (no GPU, a bad model file), 2 a bad command line.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requestGpu, type GpuContext } from '../index.js';
import { COMMAND_OPTIONS, intOption, parseCommand, stringOption, UsageError, type CommandName } from './args.js';
import { experiments } from './experiments.js';
import { commandHelp, mainHelp } from './help.js';
import { convertFile, predictFile, summaryOf } from './model-file.js';
import { predict } from './predict.js';
import { resolveSettings } from './tasks.js';
import { jsonResult, summary, train } from './train.js';

const VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !(topic in COMMAND_OPTIONS)) throw new UsageError(`no help on '${topic}'; the commands are: ${Object.keys(COMMAND_OPTIONS).join(', ')}`);
    if (first === undefined) {
      await write(process.stderr, mainHelp());
      return 2;
    }
    await write(process.stdout, topic ? commandHelp(topic as CommandName) : mainHelp());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    await write(process.stdout, `webrnn ${VERSION}\n`);
    return 0;
  }
  if (!(first in COMMAND_OPTIONS)) {
    throw new UsageError(first.startsWith('-')
      ? `'${first}' before a command; the commands are: ${Object.keys(COMMAND_OPTIONS).join(', ')}`
      : `unknown command '${first}'; the commands are: ${Object.keys(COMMAND_OPTIONS).join(', ')}`);
  }
  const command = first as CommandName;
  const { values, positionals } = parseCommand(command, rest);
  if (values.help) {
    await write(process.stdout, commandHelp(command));
    return 0;
  }
  const adapter = checkAdapter(stringOption(values, 'adapter'), command);

  if (command === 'train') {
    if (positionals.length > 1) throw new UsageError(`one task at a time; got ${positionals.join(', ')}`, command);
    const settings = resolveSettings(positionals[0], values);
    const out = stringOption(values, 'out') ?? join('webrnn-out', settings.task);
    const ctx = await gpu(adapter);
    try {
      const result = await train(ctx, settings, { out, progress: !values.quiet });
      await write(process.stdout, values.json ? `${JSON.stringify(jsonResult(result))}\n` : `${summary(result)}\n`);
    } finally {
      ctx.destroy();
    }
    return 0;
  }

  if (command === 'convert') {
    if (positionals.length !== 2) throw new UsageError(`convert takes a model file and where to write it (webrnn convert IN OUT); got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`, command);
    let ctx: GpuContext | undefined;
    try {
      const written = await convertFile(async () => (ctx = await gpu(adapter)), { model: positionals[0], weights: stringOption(values, 'weights') }, positionals[1]);
      await write(process.stdout, `wrote ${written}\n`);
    } finally {
      ctx?.destroy();
    }
    return 0;
  }

  if (command === 'summary' || (command === 'predict' && values.input !== undefined)) {
    const path = stringOption(values, 'model');
    if (path === undefined) throw new UsageError('--model PATH is required (a .h5, a .keras, a model.json or its directory)', command);
    if (positionals.length > 0) throw new UsageError(`${command} takes no arguments here; got ${positionals.join(' ')}`, command);
    let ctx: GpuContext | undefined;
    try {
      const open = async () => (ctx = await gpu(adapter));
      const paths = { model: path, weights: stringOption(values, 'weights') };
      const text = command === 'summary' ? await summaryOf(open, paths) : await predictFile(open, paths, stringOption(values, 'input')!);
      await write(process.stdout, `${text}\n`);
    } finally {
      ctx?.destroy();
    }
    return 0;
  }

  if (command === 'predict') {
    if (values.weights !== undefined) throw new UsageError('--weights goes with --input (running a model file); a model saved by train has its weights', command);
    const dir = stringOption(values, 'model');
    if (dir === undefined) throw new UsageError('--model DIR is required (a directory written by webrnn train)', command);
    let ctx: GpuContext | undefined;
    try {
      const result = await predict(async () => (ctx = await gpu(adapter)), dir, positionals, stringOption(values, 'out') ?? dir, intOption(values, 'beam-width', 1, 16));
      await write(process.stdout, values.json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    } finally {
      ctx?.destroy();
    }
    return 0;
  }

  if (positionals.length > 0) throw new UsageError(`experiments takes no arguments; got ${positionals.join(' ')}`, command);
  return experiments({
    out: stringOption(values, 'out') ?? 'experiments',
    quick: Boolean(values.quick),
    only: stringOption(values, 'only')?.split(',').map((s) => s.trim()).filter(Boolean),
    list: Boolean(values.list),
    progress: !values.quiet,
    gpu: () => gpu(adapter),
  });
}

/** The adapter option: a known CPU driver, 'auto', or an ICD json that exists. */
function checkAdapter(adapter: string | undefined, command: CommandName): string | undefined {
  if (adapter === undefined || adapter === 'auto' || adapter === 'lavapipe' || adapter === 'swiftshader') return adapter;
  if (!existsSync(adapter)) throw new UsageError(`--adapter must be lavapipe, swiftshader, auto or the path of a Vulkan ICD json; '${adapter}' does not exist`, command);
  return adapter;
}

async function gpu(adapter: string | undefined): Promise<GpuContext> {
  return requestGpu(adapter ? { adapter } : {});
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => (stream.write(text) ? resolve() : stream.once('drain', () => resolve())));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error: Error) => {
    if (error instanceof UsageError) {
      const help = error.command ? `webrnn ${error.command} --help` : 'webrnn --help';
      await write(process.stderr, `webrnn${error.command ? ` ${error.command}` : ''}: ${error.message}\nRun '${help}' for the options.\n`);
      process.exit(2);
    }
    await write(process.stderr, `webrnn: ${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}\n`);
    if (process.env.WEBRNN_DEBUG) await write(process.stderr, `${error.stack}\n`);
    process.exit(1);
  },
);
