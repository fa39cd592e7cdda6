// Reflection of a WGSL program: which buffers each entry point binds (by name, number and access), the
// layout of its `dims` uniform, the override constants, and a map from a line of the joined source back
// to the file and line it came from (so compile errors name shaders/cells/gru.wgsl:12, not line 212 of
// a concatenation).

import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect';
import { ShaderError } from './errors.js';

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
  /** Fixed size in bytes from reflection, 0 when runtime-sized. */
  fixedBytes: number;
}

export interface DimsMember {
  name: string;
  offset: number;
  type: 'u32' | 'i32' | 'f32';
}

export interface EntryInfo {
  /** Every buffer binding the entry point uses except `dims`, by binding number. */
  bindings: BindingInfo[];
  /** The `dims` uniform (a struct of scalars), when the entry point uses one. */
  dims?: { binding: number; size: number; members: DimsMember[] };
}

export interface ProgramInfo {
  /** The joined source. */
  code: string;
  entries: Map<string, EntryInfo>;
  overrides: Set<string>;
  /** 'shaders/<file>:<line>' for a 1-based line of the joined source. */
  locate(line: number): string;
}

/** Joins the files in order (each starting on a fresh line) and reflects the result. */
export function reflectProgram(parts: readonly { file: string; source: string }[]): ProgramInfo {
  const starts: { file: string; first: number }[] = [];
  let line = 1;
  const chunks: string[] = [];
  for (const { file, source } of parts) {
    starts.push({ file, first: line });
    const text = source.endsWith('\n') ? source : `${source}\n`;
    chunks.push(text);
    line += text.split('\n').length - 1;
  }
  const code = chunks.join('');
  const locate = (n: number): string => {
    let at = starts[0];
    for (const s of starts) if (s.first <= n) at = s;
    return `shaders/${at.file}:${n - at.first + 1}`;
  };
  const name = parts.map((p) => `shaders/${p.file}`).join(' + ');
  let reflect: WgslReflect;
  try {
    reflect = new WgslReflect(code);
  } catch (error) {
    const message = (error as Error).message;
    const found = /line (\d+)/i.exec(message);
    throw new ShaderError(`${found ? locate(Number(found[1])) : name}: reflection failed: ${message}`);
  }
  const entries = new Map<string, EntryInfo>();
  for (const fn of reflect.entry.compute) {
    const where = `${name} entry '${fn.name}'`;
    const info: EntryInfo = { bindings: [] };
    for (const v of fn.resources) {
      if (v.group !== 0) throw new ShaderError(`${where}: binding '${v.name}' is in group ${v.group}; webrnn kernels use group 0 only`);
      if (v.name === 'dims' && v.resourceType === ResourceType.Uniform) info.dims = dimsLayout(where, v);
      else info.bindings.push(bindingInfo(where, v));
    }
    info.bindings.sort((a, b) => a.binding - b.binding);
    entries.set(fn.name, info);
  }
  return { code, entries, overrides: new Set(reflect.overrides.map((o) => o.name)), locate };
}

function bindingInfo(where: string, v: VariableInfo): BindingInfo {
  let kind: BindingInfo['kind'];
  if (v.resourceType === ResourceType.Uniform) kind = 'uniform';
  else if (v.resourceType === ResourceType.Storage) kind = v.access === 'read' ? 'read-only-storage' : 'storage';
  else throw new ShaderError(`${where}: binding '${v.name}' is not a buffer; webrnn kernels bind buffers only`);
  const runtimeSized = v.isArray && v.count === 0;
  return { name: v.name, binding: v.binding, kind, fixedBytes: runtimeSized ? 0 : v.size };
}

function dimsLayout(where: string, v: VariableInfo): EntryInfo['dims'] {
  const members = v.members;
  if (!members) throw new ShaderError(`${where}: the 'dims' uniform must be a struct of u32, i32 and f32 members`);
  return {
    binding: v.binding,
    size: Math.ceil(v.size / 16) * 16,
    members: members.map((m) => {
      const type = m.type.name;
      if (type !== 'u32' && type !== 'i32' && type !== 'f32') {
        throw new ShaderError(`${where}: dims member '${m.name}' is ${type}; only u32, i32 and f32 are packed`);
      }
      return { name: m.name, offset: m.offset, type };
    }),
  };
}
