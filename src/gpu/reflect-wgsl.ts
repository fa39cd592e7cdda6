// Reflection by parsing WGSL (wgsl_reflect): run by the build over the bundled shaders, and at run time
// only for a registry given shaders of its own (`new KernelRegistry(gpu, { sources, reflect: reflectWgsl })`),
// so the library itself ships no parser.

import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { ShaderError } from './errors.js';
import type { BindingInfo, EntryInfo, JoinedProgram, ProgramTable } from './reflection.js';

export function reflectWgsl(program: JoinedProgram): ProgramTable {
  let reflect: WgslReflect;
  try {
    reflect = new WgslReflect(program.code);
  } catch (error) {
    const message = (error as Error).message;
    const found = /line (\d+)/i.exec(message);
    throw new ShaderError(`${found ? program.locate(Number(found[1])) : program.name}: reflection failed: ${message}`);
  }
  const entries: Record<string, EntryInfo> = {};
  for (const fn of reflect.entry.compute) {
    const where = `${program.name} entry '${fn.name}'`;
    const info: EntryInfo = { bindings: [] };
    for (const v of fn.resources) {
      if (v.group !== 0) throw new ShaderError(`${where}: binding '${v.name}' is in group ${v.group}; webrnn kernels use group 0 only`);
      if (v.name === 'dims' && v.resourceType === ResourceType.Uniform) info.dims = dimsLayout(where, v);
      else info.bindings.push(bindingInfo(where, v));
    }
    info.bindings.sort((a, b) => a.binding - b.binding);
    entries[fn.name] = info;
  }
  return { entries, overrides: reflect.overrides.map((o) => o.name) };
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
