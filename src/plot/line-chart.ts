// lineChart(): a standalone SVG line chart as a string (axes, ticks, grid, legend), with no DOM and no
// dependencies: the .svg files the CLI writes (the demo's interactive charts are uPlot, demo/charts.ts).
// Kept by hand because a static file of a few curves needs none of what a charting library brings:
// the libraries that render SVG without a browser (Vega-Lite + Vega) are dozens of packages, and the
// current Vega-Lite requires Node 22; uPlot, D3 and Observable Plot need a DOM (jsdom) or a canvas.
//
//   lineChart({ width: 640, height: 360, title: 'loss', logY: true, series: [{ name: 'loss', x, y }] })
//
// Non-finite points (and y <= 0 on a log axis) are skipped and break the line. Text uses currentColor, so
// an inline chart follows the page's colour scheme; pass `background` for a file viewed on its own.

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
  /** Any SVG colour; default: the next colour of a 10-colour palette. */
  color?: string;
}

export interface LineChartOptions {
  width: number;
  height: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (base 10). */
  logY?: boolean;
  series: LineSeries[];
  /** Fill behind the chart, e.g. 'white' for a standalone file. Default: none (transparent). */
  background?: string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT = 12;
const CHAR_WIDTH = 0.6 * FONT; // estimate for layout: no text measurement without a DOM

interface Scale {
  (value: number): number;
  ticks: number[];
  format(value: number): string;
}

export function lineChart(options: LineChartOptions): string {
  const width = positive(options.width, 'width');
  const height = positive(options.height, 'height');
  const logY = options.logY ?? false;
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length], points: points(s, logY) }));

  // Vertical layout: title, legend rows, plot, x tick labels, x label.
  const legendRows = layoutLegend(series.map((s) => s.name), width - 16);
  let top = 8;
  const titleY = options.title ? (top += FONT + 4) : 0;
  const legendTop = top + (legendRows.length ? 6 : 0);
  top = legendTop + legendRows.length * (FONT + 6) + 8;
  const bottom = height - (options.xLabel ? 2 * FONT + 14 : FONT + 10);

  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const plotHeight = Math.max(bottom - top, 10);
  const yDomain = extent(ys, logY);
  const y = logY ? logScale(yDomain, [top + plotHeight, top]) : linearScale(yDomain, [top + plotHeight, top], true, Math.max(2, Math.floor(plotHeight / 40)));
  // The left margin fits the longest y tick label.
  const yLabelWidth = Math.max(...y.ticks.map((t) => y.format(t).length), 1) * CHAR_WIDTH;
  const left = 10 + yLabelWidth + (options.yLabel ? FONT + 8 : 0);
  // Whole-number x values (epochs, steps) get whole-number ticks; the right margin fits the last tick label.
  const integerX = xs.length > 0 && xs.every((v) => Number.isNaN(v) || Number.isInteger(v));
  const xScale = (plotWidth: number) => linearScale(extent(xs, false), [left, left + plotWidth], false, Math.max(2, Math.floor(plotWidth / 70)), integerX ? 1 : 0);
  const probe = xScale(width - 14 - left);
  const lastLabel = probe.ticks.length ? probe.format(probe.ticks[probe.ticks.length - 1]).length * CHAR_WIDTH : 0;
  const plotWidth = Math.max(width - Math.max(14, lastLabel / 2 + 6) - left, 10);
  const x = xScale(plotWidth);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT}" role="img"${options.title ? ` aria-label="${escape(options.title)}"` : ''}>`,
  );
  if (options.title) out.push(`<title>${escape(options.title)}</title>`);
  if (options.background) out.push(`<rect width="${width}" height="${height}" fill="${escape(options.background)}"/>`);

  // Grid and ticks.
  out.push('<g class="grid" stroke="currentColor" stroke-opacity="0.12">');
  for (const t of x.ticks) out.push(`<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${r(top)}" y2="${r(top + plotHeight)}"/>`);
  for (const t of y.ticks) out.push(`<line x1="${r(left)}" x2="${r(left + plotWidth)}" y1="${r(y(t))}" y2="${r(y(t))}"/>`);
  out.push('</g>');
  out.push('<g class="axes" fill="currentColor">');
  out.push(`<rect x="${r(left)}" y="${r(top)}" width="${r(plotWidth)}" height="${r(plotHeight)}" fill="none" stroke="currentColor" stroke-opacity="0.5"/>`);
  for (const t of x.ticks) out.push(`<text x="${r(x(t))}" y="${r(top + plotHeight + FONT + 4)}" text-anchor="middle">${escape(x.format(t))}</text>`);
  for (const t of y.ticks) out.push(`<text x="${r(left - 6)}" y="${r(y(t) + FONT / 3)}" text-anchor="end">${escape(y.format(t))}</text>`);
  if (options.xLabel) out.push(`<text x="${r(left + plotWidth / 2)}" y="${r(height - 6)}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  if (options.yLabel) {
    const cy = top + plotHeight / 2;
    out.push(`<text x="${FONT + 2}" y="${r(cy)}" text-anchor="middle" transform="rotate(-90 ${FONT + 2} ${r(cy)})">${escape(options.yLabel)}</text>`);
  }
  if (options.title) out.push(`<text x="${r(width / 2)}" y="${titleY}" text-anchor="middle" font-weight="600">${escape(options.title)}</text>`);
  out.push('</g>');

  // Lines, clipped to the plot area.
  const clip = `clip${hash(JSON.stringify([width, height, left, top, options.title ?? '', series.map((s) => s.name)]))}`;
  out.push(`<clipPath id="${clip}"><rect x="${r(left)}" y="${r(top)}" width="${r(plotWidth)}" height="${r(plotHeight)}"/></clipPath>`);
  out.push(`<g class="series" fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" clip-path="url(#${clip})">`);
  for (const s of series) {
    const runs = segments(s.points).map((run) => run.map(([px, py]): [string, string] => [r(x(px)), r(y(py))]));
    const d = runs.filter((run) => run.length > 1).map((run) => run.map(([px, py], i) => `${i ? 'L' : 'M'}${px} ${py}`).join('')).join('');
    if (d) out.push(`<path d="${d}" stroke="${escape(s.color)}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escape(s.name)}</title></path>`);
    // A point with no neighbour to join (e.g. the first epoch) is drawn as a dot.
    for (const [[px, py]] of runs.filter((run) => run.length === 1)) out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${escape(s.color)}" stroke="none"/>`);
  }
  out.push('</g>');

  // Legend: a swatch and the name of each series, in rows above the plot.
  out.push('<g class="legend" fill="currentColor">');
  legendRows.forEach((row, i) => {
    const rowY = legendTop + i * (FONT + 6) + FONT / 2;
    let cx = (width - row.width) / 2;
    for (const index of row.items) {
      const s = series[index];
      out.push(`<line x1="${r(cx)}" x2="${r(cx + 22)}" y1="${r(rowY)}" y2="${r(rowY)}" stroke="${escape(s.color)}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      out.push(`<text x="${r(cx + 28)}" y="${r(rowY + FONT / 3)}">${escape(s.name)}</text>`);
      cx += legendItemWidth(s.name);
    }
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`lineChart: ${name} must be a positive number, got ${value}`);
  return value;
}

/** The points of a series; a point that cannot be drawn (not finite, or y <= 0 on a log axis) is NaN: a break. */
function points(s: LineSeries, logY: boolean): [number, number][] {
  if (s.x.length !== s.y.length) throw new RangeError(`lineChart: series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
  return Array.from({ length: s.x.length }, (_, i): [number, number] => {
    const [px, py] = [s.x[i], s.y[i]];
    return Number.isFinite(px) && Number.isFinite(py) && (!logY || py > 0) ? [px, py] : [NaN, NaN];
  });
}

function extent(values: number[], log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return log ? [0.1, 10] : [0, 1];
  if (lo === hi) return log ? [lo / 10, hi * 10] : [lo - (lo === 0 ? 1 : Math.abs(lo) / 2), hi + (hi === 0 ? 1 : Math.abs(hi) / 2)];
  return [lo, hi];
}

/** 1, 2 or 5 times a power of ten, near `span / count`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}

function linearScale([lo, hi]: [number, number], range: [number, number], nice: boolean, count = 5, minStep = 0): Scale {
  const step = Math.max(niceStep(hi - lo, count), minStep);
  if (nice) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  const stepExponent = Math.floor(Math.log10(step) + 1e-9);
  const decimals = Math.max(0, -stepExponent);
  const largest = Math.max(...ticks.map(Math.abs), 0);
  const exponential = largest >= 1e6 || (largest > 0 && largest < 1e-3);
  const scale = ((v: number) => range[0] + ((v - lo) / (hi - lo)) * (range[1] - range[0])) as Scale;
  scale.ticks = ticks;
  scale.format = (v) => {
    if (!exponential) return v.toFixed(Math.min(decimals, 20));
    if (v === 0) return '0';
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - stepExponent);
    return v.toExponential(Math.min(digits, 20)).replace('e+', 'e');
  };
  return scale;
}

function logScale([lo, hi]: [number, number], range: [number, number]): Scale {
  const l0 = Math.floor(Math.log10(lo) + 1e-9);
  const l1 = Math.max(Math.ceil(Math.log10(hi) - 1e-9), l0 + 1);
  const decades = l1 - l0;
  const ticks: number[] = [];
  const every = Math.ceil(decades / 6);
  for (let e = l0; e <= l1; e += every) ticks.push(10 ** e);
  if (decades <= 2) {
    for (let e = l0; e < l1; e++) ticks.push(2 * 10 ** e, 5 * 10 ** e);
    ticks.sort((a, b) => a - b);
  }
  const scale = ((v: number) => range[0] + ((Math.log10(v) - l0) / (l1 - l0)) * (range[1] - range[0])) as Scale;
  scale.ticks = ticks;
  scale.format = (v) => {
    const e = Math.floor(Math.log10(v) + 1e-9);
    if (e >= -3 && e <= 4) return String(Number(v.toPrecision(1)));
    const mantissa = Math.round(v / 10 ** e);
    return mantissa === 1 ? `1e${e}` : `${mantissa}e${e}`;
  };
  return scale;
}

/** The runs of drawable points between breaks. */
function segments(pts: [number, number][]): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  for (const p of pts) {
    if (Number.isNaN(p[0])) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(p);
  }
  if (run.length) runs.push(run);
  return runs;
}

function legendItemWidth(name: string): number {
  return 28 + name.length * CHAR_WIDTH + 18;
}

function layoutLegend(names: string[], maxWidth: number): { items: number[]; width: number }[] {
  const rows: { items: number[]; width: number }[] = [];
  names.forEach((name, i) => {
    const w = legendItemWidth(name);
    const row = rows.at(-1);
    if (row && row.width + w <= maxWidth) {
      row.items.push(i);
      row.width += w;
    } else rows.push({ items: [i], width: w });
  });
  for (const row of rows) row.width -= 18; // no gap after the last item
  return rows;
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A short stable id, so several charts inline in one page keep distinct clip paths. */
function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
