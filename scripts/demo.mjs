#!/usr/bin/env node
// `npm run demo [-- --port N]`: serves the demo page (demo/) with Vite on http://127.0.0.1:N/.
// The page imports webrnn from src/ exactly as a user imports the package.

import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '5173' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log('usage: npm run demo [-- --port N]   serve the webrnn demo on http://127.0.0.1:N/ (default 5173)');
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`demo: --port must be an integer from 1 to 65535, got '${values.port}'`);
  process.exit(2);
}

const root = fileURLToPath(new URL('../demo', import.meta.url));
const server = await createServer({
  configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
  root,
  server: { host: '127.0.0.1', port, strictPort: true },
  resolve: {
    alias: [
      { find: /^webrnn$/, replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
      { find: /^webrnn\/advanced$/, replacement: fileURLToPath(new URL('../src/advanced.ts', import.meta.url)) },
    ],
  },
});
await server.listen();
console.log(`webrnn demo: http://127.0.0.1:${port}/  (open it in a browser with WebGPU; Ctrl-C stops)`);
