// Vite plugin: the bundled shaders and their reflection, made at build time, as the virtual module
// 'virtual:webrnn-shaders' ({ sources, tables }). The library then needs no WGSL parser at run time.
//
//   sources:  every shaders/**/*.wgsl by its path under shaders/, minified (scripts/minify-wgsl.ts:
//             every line stays, so a compile error still names the line of the file)
//   tables:   the reflection tables (src/gpu/reflection.ts ProgramTable) of every program as written,
//             keyed by its files joined with '+', packed (src/gpu/reflection-tables.ts). A top-level file is a
//             program on its own, or, when its header says `//! joined after: a.wgsl, dir/*.wgsl`,
//             after those files (one program per file a pattern matches). Files under shaders/common/
//             and shaders/cells/ are only ever joined.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plugin } from 'vite';
import { reflectWgsl } from '../src/gpu/reflect-wgsl.js';
import { joinProgram, programKey, type ProgramTable } from '../src/gpu/reflection.js';
import { packTables } from '../src/gpu/reflection-tables.js';
import { minifyWgsl } from './minify-wgsl.js';

const ID = 'virtual:webrnn-shaders';
const RESOLVED = `\0${ID}`;

function wgslFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return wgslFiles(root, path);
    return e.name.endsWith('.wgsl') ? [relative(root, path).split('\\').join('/')] : [];
  });
}

function matching(files: readonly string[], pattern: string): string[] {
  if (!pattern.includes('*')) return [pattern];
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return files.filter((f) => re.test(f)).sort();
}

/** The programs of shaders/: lists of files, the last one holding the entry points. */
export function shaderPrograms(files: readonly string[], read: (file: string) => string): string[][] {
  const programs: string[][] = [];
  for (const file of files.filter((f) => !f.includes('/')).sort()) {
    const header = /^\/\/! joined after: (.+)$/m.exec(read(file));
    let prefixes: string[][] = [[]];
    for (const pattern of header ? header[1].split(',').map((p) => p.trim()) : []) {
      const options = matching(files, pattern);
      if (options.length === 0) throw new Error(`shaders/${file}: '//! joined after' names ${pattern}, which matches no shader`);
      prefixes = prefixes.flatMap((p) => options.map((o) => [...p, o]));
    }
    for (const prefix of prefixes) programs.push([...prefix, file]);
  }
  return programs;
}

export function shaderPlugin(shadersDir: string): Plugin {
  return {
    name: 'webrnn-shaders',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      const files = wgslFiles(shadersDir);
      const raw = new Map(files.map((f) => [f, readFileSync(join(shadersDir, f), 'utf8')]));
      for (const f of files) this.addWatchFile(join(shadersDir, f));
      const programs: Record<string, ProgramTable> = {};
      for (const program of shaderPrograms(files, (f) => raw.get(f)!)) {
        programs[programKey(program)] = reflectWgsl(joinProgram(program.map((file) => ({ file, source: raw.get(file)! }))));
      }
      const hostNames = new Set(Object.values(programs).flatMap((t) => [...Object.keys(t.entries), ...t.overrides]));
      const sources = minifyWgsl(Object.fromEntries(raw), hostNames);
      return `export const sources = ${JSON.stringify(sources)};\nexport const tables = ${JSON.stringify(packTables(programs))};\n`;
    },
  };
}
