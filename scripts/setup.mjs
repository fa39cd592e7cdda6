#!/usr/bin/env node
// Fresh-machine set-up, run by `npm test`, `npm run bench` and `npm run demo` before anything else:
//  1. npm dependencies: `npm ci` when node_modules is missing or older than package-lock.json;
//  2. system pieces (Mesa lavapipe, Chromium): scripts/setup-system.sh, which uses apt-get when it
//     runs as root and otherwise prints what to install.
// Quiet when everything is already there.

import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  console.error('webrnn setup: installing npm dependencies');
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

if (process.platform === 'linux') {
  try {
    run('bash', [join(root, 'scripts', 'setup-system.sh')]);
  } catch {
    console.error('webrnn setup: the system set-up above failed; the GPU tests need a Vulkan driver and Chromium.');
    process.exit(1);
  }
}
