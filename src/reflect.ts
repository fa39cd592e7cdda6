// webrnn/reflect: WGSL reflection by parsing (wgsl_reflect), for a KernelRegistry over shaders of your own:
//   new KernelRegistry(gpu, { sources: { 'mine.wgsl': code }, reflect: reflectWgsl })
// The library's own shaders are reflected when it is built, so the main entry ships no parser.

export { reflectWgsl } from './gpu/reflect-wgsl.js';
export type { Reflector, ProgramTable, JoinedProgram, EntryInfo, BindingInfo, DimsMember } from './gpu/reflection.js';
