// The API reference (`npm run docs`, TypeDoc over typedoc.json) covers the main entry completely: every
// symbol `webrnn` exports, and every member of its classes and interfaces that the reference shows,
// has a doc comment. TypeDoc runs here on src/index.ts alone, with typedoc.json's settings and nothing
// written; the names it reports as undocumented must be none. (Types the main entry's signatures
// mention but only `webrnn/advanced` exports are not its to document, so `notExported` is off.)

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Application, Logger, LogLevel } from 'typedoc';

const root = fileURLToPath(new URL('../..', import.meta.url));

class CollectingLogger extends Logger {
  readonly messages: { level: LogLevel; text: string }[] = [];
  override log(message: string, level: LogLevel): void {
    this.messages.push({ level, text: message });
  }
}

describe('API reference (TypeDoc)', () => {
  it('documents every exported symbol of the main entry', async () => {
    const { $schema: _, ...config } = JSON.parse(readFileSync(`${root}/typedoc.json`, 'utf8')) as Record<string, unknown>;
    const app = await Application.bootstrap({
      ...config,
      entryPoints: [`${root}/src/index.ts`],
      tsconfig: `${root}/${String(config.tsconfig ?? 'tsconfig.json')}`,
      validation: { notDocumented: true, notExported: false, invalidLink: true },
    });
    const logger = new CollectingLogger();
    app.logger = logger;
    const project = await app.convert();
    expect(project, `TypeDoc could not convert src/index.ts: ${logger.messages.map((m) => m.text).join('\n')}`).toBeDefined();
    app.validate(project!);
    const problems = logger.messages.filter((m) => m.level >= LogLevel.Warn).map((m) => m.text);
    const undocumented = problems.filter((text) => text.includes('does not have any documentation'));
    expect(undocumented, `undocumented in the main entry:\n${undocumented.join('\n')}`).toEqual([]);
    expect(problems, 'other TypeDoc warnings (broken links, bad comments)').toEqual([]);
  }, 60_000);
});
