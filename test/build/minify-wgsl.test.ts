// The build's WGSL minifier (scripts/minify-wgsl.ts): lines stay where they were, no token is made or
// lost, and only names the shaders declare are renamed — consistently across the files of a program.
// (Every GPU test runs the minified shaders, which is what shows their meaning is unchanged.)

import { describe, expect, it } from 'vitest';
import { minifyWgsl } from '../../scripts/minify-wgsl.js';

const PRELUDE = `// helpers
fn scaled_value(value: f32, factor: f32) -> f32 {
  return value * factor; // trailing comment
}
`;
const KERNEL = `override FACTOR: f32 = 2.0;
struct Dims { count: u32, offset: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> output_values: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main_entry(@builtin(global_invocation_id) id: vec3<u32>) {
  let position = id.x;
  if (position >= dims.count) { return; }
  var total = output_values[position].x - -1.0;
  total = total / *(&total);
  switch (position) {
    case 0u: { total = 0.0; }
    default: { total = scaled_value(total, FACTOR); }
  }
  output_values[position] = vec4<f32>(total, total, total, total);
}
`;

describe('WGSL minifier', () => {
  const out = minifyWgsl({ 'prelude.wgsl': PRELUDE, 'kernel.wgsl': KERNEL }, new Set(['main_entry', 'FACTOR']));

  it('keeps every line and drops comments and needless spaces', () => {
    expect(out['prelude.wgsl'].split('\n')).toHaveLength(PRELUDE.split('\n').length);
    expect(out['kernel.wgsl'].split('\n')).toHaveLength(KERNEL.split('\n').length);
    expect(out['prelude.wgsl']).not.toMatch(/\/\/|helpers|trailing/);
    expect(out['kernel.wgsl'].split('\n')[0]).toBe('override FACTOR:f32=2.0;');
  });

  it('keeps a space where removing it would make a new token', () => {
    expect(out['kernel.wgsl']).toMatch(/- -1\.0/);
    expect(out['kernel.wgsl']).toMatch(/\/ \*\(/);
  });

  it('renames declared names consistently across files, and nothing the host or WGSL owns', () => {
    const kernel = out['kernel.wgsl'];
    for (const kept of ['main_entry', 'FACTOR', 'global_invocation_id', 'workgroup_size', 'builtin', 'default', 'vec4', 'read_write', '.x']) {
      expect(kernel, kept).toContain(kept);
    }
    for (const renamed of ['scaled_value', 'output_values', 'position', 'total', 'Dims', 'count']) expect(kernel, renamed).not.toMatch(new RegExp(`\\b${renamed}\\b`));
    const helper = /^fn (\w+)\(/m.exec(out['prelude.wgsl'])![1];
    expect(kernel).toContain(`${helper}(`);
  });
});
