// lineChart(): a standalone SVG string with axes, ticks, legend and one path per series.

import { describe, expect, it } from 'vitest';
import { lineChart } from '../../src/plot/line-chart.js';

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;
const paths = (svg: string) => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => (m[1].match(/[ML]/g) ?? []).length);

describe('lineChart', () => {
  it('draws a standalone SVG with a title, labels, a legend entry and a path per series', () => {
    const x = [0, 1, 2, 3, 4];
    const svg = lineChart({
      width: 640, height: 360, title: 'sin & <cos>', xLabel: 'x', yLabel: 'y', background: 'white',
      series: [{ name: 'sin', x, y: x.map(Math.sin) }, { name: 'cos', x, y: x.map(Math.cos), dashed: true, color: 'red' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title>sin &amp; &lt;cos&gt;</title>');
    expect(svg).toContain('fill="white"');
    expect(paths(svg)).toEqual([5, 5]);
    expect(count(svg, /stroke-dasharray/g), 'the dashed series and its legend swatch').toBe(2);
    expect(svg).toContain('stroke="red"');
    expect(svg).toMatch(/<text[^>]*>sin<\/text>/);
    expect(svg).toMatch(/<text[^>]*>cos<\/text>/);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('breaks lines at non-finite values, skips y <= 0 on a log axis, and draws a lone point as a dot', () => {
    const svg = lineChart({
      width: 400, height: 300, logY: true,
      series: [{ name: 'loss', x: [1, 2, 3, 4, 5, 6], y: [1, 0.1, NaN, 1e-3, 0, 1e-5] }],
    });
    expect(paths(svg)).toEqual([2]);
    expect(count(svg, /<circle/g), 'the points at x = 4 and x = 6 have no neighbour').toBe(2);
    for (const tick of ['1e-5', '1e-4', '0.001', '0.01', '0.1', '>1<']) expect(svg).toContain(tick);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('uses whole-number ticks for whole-number x values and survives empty or flat data', () => {
    const svg = lineChart({ width: 400, height: 300, series: [{ name: 'a', x: [1, 2, 3], y: [2, 2, 2] }] });
    const xTicks = [...svg.matchAll(/<text[^>]*text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(xTicks).toEqual(['1', '2', '3']);
    const empty = lineChart({ width: 300, height: 200, series: [] });
    expect(paths(empty)).toEqual([]);
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  it('rejects a series whose x and y differ in length, and a size that is not positive', () => {
    expect(() => lineChart({ width: 300, height: 200, series: [{ name: 'bad', x: [1, 2], y: [1] }] })).toThrow(/'bad' has 2 x values but 1 y values/);
    expect(() => lineChart({ width: 0, height: 200, series: [] })).toThrow(/width must be a positive number/);
  });
});
