// Vite plugin: the bundled shaders and their reflection, made at build time, so the library needs no
// WGSL parser at run time and loads each program's WGSL only when a kernel of it is first compiled:
//
//   'virtual:webrnn-shaders':                  { files, programs: { [key]: () => import(program) } }
//   'virtual:webrnn-shader-program/<key>':     { sources: { [file]: wgsl }, table } for one program
//   'virtual:webrnn-shader-file/<file>':       one file's WGSL (a program imports its files, so a file
//                                              joined into several programs ships once)
//
// A program's key is its files joined with '+'. A top-level file is a program on its own, or, when its
// header says `//! joined after: a.wgsl, dir/*.wgsl`, after those files (one program per file a pattern
// matches); files under shaders/common/ and shaders/cells/ are only ever joined. Sources are minified
// (scripts/minify-wgsl.ts: every line stays, so a compile error still names the line of the file);
// tables are the reflection (src/gpu/reflection.ts ProgramTable) of the program as written, packed
// (src/gpu/reflection-tables.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plugin } from 'vite';
import { reflectWgsl } from '../src/gpu/reflect-wgsl.js';
import { joinProgram, programKey, type ProgramTable } from '../src/gpu/reflection.js';
import { packTables } from '../src/gpu/reflection-tables.js';
import { minifyWgsl } from './minify-wgsl.js';

const ID = 'virtual:webrnn-shaders';

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

const FILE = 'virtual:webrnn-shader-file/';
const PROGRAM = 'virtual:webrnn-shader-program/';

export function shaderPlugin(shadersDir: string): Plugin {
  let built: { files: string[]; minified: Record<string, string>; programs: Map<string, { files: string[]; table: ProgramTable }> } | null = null;
  const compute = () => {
    if (built) return built;
    const files = wgslFiles(shadersDir);
    const raw = new Map(files.map((f) => [f, readFileSync(join(shadersDir, f), 'utf8')]));
    const programs = new Map<string, { files: string[]; table: ProgramTable }>();
    for (const program of shaderPrograms(files, (f) => raw.get(f)!)) {
      programs.set(programKey(program), { files: program, table: reflectWgsl(joinProgram(program.map((file) => ({ file, source: raw.get(file)! })))) });
    }
    const hostNames = new Set([...programs.values()].flatMap(({ table }) => [...Object.keys(table.entries), ...table.overrides]));
    built = { files, minified: minifyWgsl(Object.fromEntries(raw), hostNames), programs };
    return built;
  };
  return {
    name: 'webrnn-shaders',
    resolveId: (id) => (id === ID || id.startsWith(FILE) || id.startsWith(PROGRAM) ? `\0${id}` : undefined),
    watchChange(id) {
      if (id.endsWith('.wgsl')) built = null;
    },
    load(id) {
      if (!id.startsWith('\0virtual:webrnn-shader')) return undefined;
      const { files, minified, programs } = compute();
      for (const f of files) this.addWatchFile(join(shadersDir, f));
      const name = id.slice(1);
      if (name === ID) {
        const loaders = [...programs.keys()].map((key) => `${JSON.stringify(key)}: () => import(${JSON.stringify(PROGRAM + key)})`);
        return `export const files = ${JSON.stringify(files)};\nexport const programs = {\n${loaders.join(',\n')}\n};\n`;
      }
      if (name.startsWith(FILE)) return `export default ${JSON.stringify(minified[name.slice(FILE.length)])};\n`;
      const program = programs.get(name.slice(PROGRAM.length));
      if (!program) return undefined;
      const imports = program.files.map((f, i) => `import s${i} from ${JSON.stringify(FILE + f)};`);
      const sources = program.files.map((f, i) => `${JSON.stringify(f)}: s${i}`);
      return `${imports.join('\n')}\nexport const sources = { ${sources.join(', ')} };\n` +
        `export const table = ${JSON.stringify(packTables({ [name.slice(PROGRAM.length)]: program.table }))};\n`;
    },
  };
}
