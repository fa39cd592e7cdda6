// The WGSL of shaders/, keyed by path under shaders/ ('matmul.wgsl', 'cells/lstm.wgsl'), and the
// reflection of every program made of them. Both come from the build (scripts/shader-plugin.ts): the
// bundle carries each shader without its comments, needs no file access at run time, and ships no
// WGSL parser.

import { sources, tables } from 'virtual:webrnn-shaders';
import type { ProgramTable } from './reflection.js';
import { unpackTables } from './reflection-tables.js';

export const shaderSources: Readonly<Record<string, string>> = Object.freeze(sources);

/** Reflection tables of the bundled programs, by their files joined with '+'. */
export const shaderPrograms: Readonly<Record<string, ProgramTable>> = Object.freeze(unpackTables(tables));
