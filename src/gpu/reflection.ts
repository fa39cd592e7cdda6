// What the registry knows of a WGSL program without parsing it: which buffers each entry point binds (by
// name, number and access), the layout of its `dims` uniform and the override constants — a table made
// at build time (scripts/shader-plugin.ts runs src/gpu/reflect-wgsl.ts over shaders/) — and a map from a
// line of the joined source back to the file and line it came from (so compile errors name
// shaders/cells/gru.wgsl:12, not line 212 of a concatenation).

/** One buffer binding of an entry point, as reflection finds it. */
export interface BindingInfo {
  /** The variable's name in the shader: what Kernel.step binds by. */
  name: string;
  /** Its binding number (group 0). */
  binding: number;
  /** Its buffer binding type. */
  kind: 'uniform' | 'read-only-storage' | 'storage';
  /** Fixed size in bytes from reflection, 0 when runtime-sized. */
  fixedBytes: number;
}

/** One scalar member of an entry point's `dims` uniform struct. */
export interface DimsMember {
  /** Member name. */
  name: string;
  /** Byte offset in the struct. */
  offset: number;
  /** Scalar type. */
  type: 'u32' | 'i32' | 'f32';
}

/** What reflection knows of one compute entry point: its bindings and its `dims` uniform. */
export interface EntryInfo {
  /** Every buffer binding the entry point uses except `dims`, by binding number. */
  bindings: BindingInfo[];
  /** The `dims` uniform (a struct of scalars), when the entry point uses one. */
  dims?: {
    /** Binding number of the uniform. */
    binding: number;
    /** Bytes of the struct. */
    size: number;
    /** Its members, in order. */
    members: DimsMember[];
  };
}

/** The reflection of one program, as JSON: what the build emits per program. */
export interface ProgramTable {
  /** Every compute entry point, by name. */
  entries: Record<string, EntryInfo>;
  /** Names of the program's override constants. */
  overrides: string[];
}

/** WGSL files joined into one program, with a map from its lines back to the files. */
export interface JoinedProgram {
  /** The joined source. */
  code: string;
  /** 'shaders/a.wgsl + shaders/b.wgsl'. */
  name: string;
  /** 'shaders/<file>:<line>' for a 1-based line of the joined source. */
  locate(line: number): string;
}

export interface ProgramInfo extends JoinedProgram {
  entries: Map<string, EntryInfo>;
  overrides: Set<string>;
}

/** Reflects a joined program (the build's tables, or wgsl_reflect at run time for custom shaders). */
export type Reflector = (program: JoinedProgram, files: readonly string[]) => ProgramTable;

/** Joins the files in order, each starting on a fresh line. */
export function joinProgram(parts: readonly { file: string; source: string }[]): JoinedProgram {
  const starts: { file: string; first: number }[] = [];
  let line = 1;
  const chunks: string[] = [];
  for (const { file, source } of parts) {
    starts.push({ file, first: line });
    const text = source.endsWith('\n') ? source : `${source}\n`;
    chunks.push(text);
    line += text.split('\n').length - 1;
  }
  const locate = (n: number): string => {
    let at = starts[0];
    for (const s of starts) if (s.first <= n) at = s;
    return `shaders/${at.file}:${n - at.first + 1}`;
  };
  return { code: chunks.join(''), name: parts.map((p) => `shaders/${p.file}`).join(' + '), locate };
}

export function programInfo(joined: JoinedProgram, table: ProgramTable): ProgramInfo {
  return { ...joined, entries: new Map(Object.entries(table.entries)), overrides: new Set(table.overrides) };
}

/** The key of a program: its files in order. */
export function programKey(files: readonly string[]): string {
  return files.join('+');
}
