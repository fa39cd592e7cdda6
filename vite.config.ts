import { defineConfig } from 'vite';

// Library build: one ES module with every WGSL file inlined (src/gpu/shader-sources.ts pulls them in
// with import.meta.glob), so a browser user needs nothing beyond `import 'webrnn'`. Dawn's Node
// bindings and Node built-ins stay external: they are only imported, dynamically, when running in Node.
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
      entry: { webrnn: 'src/index.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: ['webgpu', /^node:/],
    },
  },
});
