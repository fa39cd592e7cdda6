import { defineConfig } from 'vite';

// Library build: one ES module with every WGSL file inlined (src/gpu/shader-sources.ts pulls them in
// with import.meta.glob), so a browser user needs nothing beyond `import 'webrnn'`. Dawn's Node
// bindings and Node built-ins stay external: they are only imported, dynamically, when running in Node.
// A second entry is the `webrnn` command-line tool (dist/cli.js, src/cli/): it imports the library
// through src/index.ts and, with 'allow-extension', from dist/webrnn.js itself (without it the bundler
// moves the library into a shared chunk and webrnn.js becomes a re-export of it). Only the cli chunk
// gets the `#!/usr/bin/env node` line.
export default defineConfig({
  resolve: {
    // wgsl_reflect's package "main" is CommonJS under "type": "module", which Node cannot load; use its ES build.
    alias: { wgsl_reflect: 'wgsl_reflect/wgsl_reflect.module.js' },
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: {
      entry: { webrnn: 'src/index.ts', cli: 'src/cli/main.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: ['webgpu', /^node:/],
      preserveEntrySignatures: 'allow-extension',
      output: {
        banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
      },
    },
  },
});
