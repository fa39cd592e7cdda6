// The build's reflection tables in a compact form (arrays, each distinct entry point once), so that the
// tables of every bundled program cost a few kilobytes of the bundle: packed by scripts/shader-plugin.ts,
// unpacked once when the library loads.
//
//   packed = { names: string[], entries: PackedEntry[], programs: { [files joined by '+']: [overrides, { [entry]: index }] } }
//   PackedEntry = [bindings: [name, binding, kind, fixedBytes][], dims: [binding, size, [name, offset, type][]] | 0]
//   with every binding and member name an index into `names`

import type { BindingInfo, DimsMember, EntryInfo, ProgramTable } from './reflection.js';

const KINDS: readonly BindingInfo['kind'][] = ['uniform', 'read-only-storage', 'storage'];
const TYPES: readonly DimsMember['type'][] = ['u32', 'i32', 'f32'];

type PackedBinding = [number, number, number, number];
type PackedDims = [number, number, [number, number, number][]];
type PackedEntry = [PackedBinding[], PackedDims | 0];
export interface PackedTables {
  names: string[];
  entries: PackedEntry[];
  programs: Record<string, [string[], Record<string, number>]>;
}

export function packTables(programs: Record<string, ProgramTable>): PackedTables {
  const names: string[] = [];
  const name = (n: string): number => {
    if (!names.includes(n)) names.push(n);
    return names.indexOf(n);
  };
  const entries: PackedEntry[] = [];
  const index = new Map<string, number>();
  const packed: PackedTables['programs'] = {};
  for (const [key, table] of Object.entries(programs)) {
    const entryIndex: Record<string, number> = {};
    for (const [entryName, info] of Object.entries(table.entries)) {
      const entry: PackedEntry = [
        info.bindings.map((b) => [name(b.name), b.binding, KINDS.indexOf(b.kind), b.fixedBytes]),
        info.dims ? [info.dims.binding, info.dims.size, info.dims.members.map((m) => [name(m.name), m.offset, TYPES.indexOf(m.type)])] : 0,
      ];
      const id = JSON.stringify(entry);
      if (!index.has(id)) {
        index.set(id, entries.length);
        entries.push(entry);
      }
      entryIndex[entryName] = index.get(id)!;
    }
    packed[key] = [table.overrides, entryIndex];
  }
  return { names, entries, programs: packed };
}

export function unpackTables(packed: PackedTables): Record<string, ProgramTable> {
  const { names } = packed;
  const entries = packed.entries.map(([bindings, dims]): EntryInfo => ({
    bindings: bindings.map(([name, binding, kind, fixedBytes]) => ({ name: names[name], binding, kind: KINDS[kind], fixedBytes })),
    ...(dims ? { dims: { binding: dims[0], size: dims[1], members: dims[2].map(([name, offset, type]) => ({ name: names[name], offset, type: TYPES[type] })) } } : {}),
  }));
  const programs: Record<string, ProgramTable> = {};
  for (const [key, [overrides, names]] of Object.entries(packed.programs)) {
    programs[key] = { overrides, entries: Object.fromEntries(Object.entries(names).map(([name, i]) => [name, entries[i]])) };
  }
  return programs;
}
