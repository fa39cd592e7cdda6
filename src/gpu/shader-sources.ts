// The WGSL of shaders/, keyed by path under shaders/ ('matmul.wgsl', 'cells/lstm.wgsl'), and the
// reflection of every program made of them. Both come from the build (scripts/shader-plugin.ts): the
// bundle carries each shader without its comments, needs no file access at run time, ships no WGSL
// parser, and loads a program's WGSL (a small chunk) only when one of its kernels is first compiled.

import { files, programs } from 'virtual:webrnn-shaders';
import type { ProgramTable } from './reflection.js';
import { unpackTables } from './reflection-tables.js';

/** The bundled shader files, by path under shaders/. */
export const bundledShaderFiles: readonly string[] = Object.freeze([...files]);

/** A bundled program: its files' WGSL (comments stripped) and its reflection table. */
export interface BundledProgram {
  /** WGSL by path under shaders/. */
  readonly sources: Readonly<Record<string, string>>;
  /** The reflection of the program the files make, joined in order. */
  readonly table: ProgramTable;
}

const loaded = new Map<string, Promise<BundledProgram>>();

/** The bundled program of these files joined with '+' (loaded once), or undefined when the build made none. */
export function loadBundledProgram(key: string): Promise<BundledProgram> | undefined {
  const load = programs[key];
  if (!load) return undefined;
  let program = loaded.get(key);
  if (!program) {
    program = load().then((m) => ({ sources: m.sources, table: unpackTables(m.table)[key] }));
    loaded.set(key, program);
  }
  return program;
}

/** Every bundled shader and program table (loads them all): for tools and tests. */
export async function bundledShaders(): Promise<{ sources: Record<string, string>; programs: Record<string, ProgramTable> }> {
  const sources: Record<string, string> = {};
  const tables: Record<string, ProgramTable> = {};
  for (const key of Object.keys(programs)) {
    const program = await loadBundledProgram(key)!;
    Object.assign(sources, program.sources);
    tables[key] = program.table;
  }
  return { sources, programs: tables };
}
