import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { shaderPlugin } from './scripts/shader-plugin.js';

// Library build: one ES module with every WGSL file inlined, comments stripped, and the reflection of
// every program as tables (scripts/shader-plugin.ts, read by src/gpu/shader-sources.ts), so a browser
// user needs nothing beyond `import 'webrnn'` and no WGSL parser is shipped. `webrnn/advanced`
// (src/advanced.ts: kernels, plans, layouts, constants) re-exports the main entry and adds the rest; it
// imports the library from dist/webrnn.js, so both entries share one copy of every class. `webrnn/reflect`
// (src/reflect.ts) is a separate entry with the parser, for registries over shaders of one's own.
// Dawn's Node bindings and Node built-ins stay external: they are only imported, dynamically, when running in Node;
// so do h5wasm and fflate (dependencies), imported only when a Keras .h5 / .keras file is read or written.
// A second entry is the `webrnn` command-line tool (dist/cli.js, src/cli/): it imports the library
// through src/index.ts and, with 'allow-extension', from dist/webrnn.js itself (without it the bundler
// moves the library into a shared chunk and webrnn.js becomes a re-export of it). Only the cli chunk
// gets the `#!/usr/bin/env node` line.
export default defineConfig({
  plugins: [shaderPlugin(fileURLToPath(new URL('./shaders', import.meta.url)))],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { webrnn: 'src/index.ts', advanced: 'src/advanced.ts', reflect: 'src/reflect.ts', cli: 'src/cli/main.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: ['webgpu', 'h5wasm', 'fflate', /^node:/],
      preserveEntrySignatures: 'allow-extension',
      output: {
        // What the lazily loaded Keras formats share with the main entry gets a chunk of its own, so that an
        // application's bundler keeps it only where it is used (in the Keras chunk), not in the main bundle.
        manualChunks: (id) => (/\/src\/io\/(file-kinds|float16|checksum)\.ts$/.test(id) ? 'io-shared' : undefined),
        banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
      },
    },
  },
});
