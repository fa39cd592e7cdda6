// Modules the build provides or that have no typings of their own.

declare module 'virtual:webrnn-shaders' {
  import type { PackedTables } from './gpu/reflection-tables.js';
  /** shaders/**\/*.wgsl by path under shaders/, minified line by line (every line kept). */
  export const sources: Record<string, string>;
  /** The reflection of every bundled program, packed. */
  export const tables: PackedTables;
}

// wgsl_reflect's ES build (its "main" is CommonJS under "type": "module", which Node cannot load).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
