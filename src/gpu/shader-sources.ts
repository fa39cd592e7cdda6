// The WGSL sources of shaders/, keyed by their path under shaders/ ('matmul.wgsl', 'cells/lstm.wgsl').
// Vite (the library build and Vitest) inlines them at build time, so the published bundle carries every
// shader and needs no file access at run time.

const files = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

export const shaderSources: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(files).map(([path, source]) => [path.slice(path.indexOf('/shaders/') + '/shaders/'.length), source])),
);
