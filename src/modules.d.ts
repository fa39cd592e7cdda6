// Modules the build provides or that have no typings of their own.

declare module 'virtual:webrnn-shaders' {
  import type { PackedTables } from './gpu/reflection-tables.js';
  /** shaders/**\/*.wgsl by path under shaders/. */
  export const files: string[];
  /** Each bundled program (its files joined with '+'): its files' WGSL, minified line by line, and its packed reflection. */
  export const programs: Record<string, () => Promise<{ sources: Record<string, string>; table: PackedTables }>>;
}

// wgsl_reflect's ES build (its "main" is CommonJS under "type": "module", which Node cannot load).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
