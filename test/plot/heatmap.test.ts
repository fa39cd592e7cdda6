// The SVG heatmap of src/plot/heatmap.ts: a shaded cell per value with its value in a tooltip, labels
// escaped, and a clear error for values that do not fill the grid.

import { describe, expect, it } from 'vitest';
import { heatmap } from '../../src/plot/heatmap.js';

describe('heatmap', () => {
  it('draws a cell per value, shaded by it, labelled and escaped', () => {
    const svg = heatmap({ title: 'a < b', rows: ['x', 'y'], columns: ['1', ' ', '&'], values: [0, 0.5, 1, 2, -1, 0.25] });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const cells = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="18" height="18" fill="rgb\((\d+),\d+,255\)"><title>([^<]*)<\/title>/g)];
    expect(cells.map((c) => Number(c[1]))).toEqual([255, 128, 0, 0, 255, 191]); // 0 white, 1 (and above) darkest
    expect(cells[1][2]).toBe('x /  : 0.500');
    expect(svg).toContain('a &lt; b');
    expect(svg).toContain('&amp;');
    expect(svg).toContain('\u2423'); // a space shown as a visible blank
  });

  it('refuses values that do not fill the grid', () => {
    expect(() => heatmap({ rows: ['a'], columns: ['b', 'c'], values: [1] })).toThrow(/1 x 2 cells need as many values, got 1/);
  });
});
