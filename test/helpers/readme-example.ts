// The README's first example (the ```ts block under "## Using it"), as a user would paste it: the
// package tests build it and run it, so the README cannot drift from what works.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const readme = fileURLToPath(new URL('../../README.md', import.meta.url));

export function readmeExample(): string {
  const text = readFileSync(readme, 'utf8');
  const section = text.indexOf('## Using it');
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(section));
  if (section < 0 || !block) throw new Error("README.md has no ```ts example under '## Using it'");
  return block[1];
}
