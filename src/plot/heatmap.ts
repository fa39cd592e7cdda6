// heatmap(): a standalone SVG heatmap as a string (a grid of cells shaded by value, row and column
// labels), with no DOM: the attention alignment the CLI writes. Hand-written for the reason line-chart.ts
// gives: a static file needs nothing a charting library brings.
//
//   heatmap({ title: 'alignment', rows: ['2', '0', ...], columns: ['S', 'a', 't', ...], values, cell: 18 })
//
// values is row-major [rows, columns] in [0, 1] (0 white, 1 the darkest shade); others are clamped.

export interface HeatmapOptions {
  title?: string;
  /** Row labels, top to bottom. */
  rows: readonly string[];
  /** Column labels, left to right. */
  columns: readonly string[];
  /** Row-major [rows, columns]. */
  values: ArrayLike<number>;
  /** Pixels per cell. Default 18. */
  cell?: number;
  /** Axis titles. */
  rowLabel?: string;
  columnLabel?: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function heatmap(options: HeatmapOptions): string {
  const { rows, columns, values } = options;
  if (values.length !== rows.length * columns.length) throw new RangeError(`heatmap: ${rows.length} x ${columns.length} cells need as many values, got ${values.length}`);
  const cell = options.cell ?? 18;
  const left = 60;
  const top = options.title ? 56 : 36;
  const width = left + columns.length * cell + 20;
  const height = top + rows.length * cell + 40;
  const parts: string[] = [];
  if (options.title) parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  columns.forEach((c, j) => parts.push(`<text x="${left + (j + 0.5) * cell}" y="${top - 6}" text-anchor="middle" font-size="11">${escape(c === ' ' ? '\u2423' : c)}</text>`));
  rows.forEach((r, i) => {
    parts.push(`<text x="${left - 6}" y="${top + (i + 0.7) * cell}" text-anchor="end" font-size="11">${escape(r === ' ' ? '\u2423' : r)}</text>`);
    columns.forEach((_, j) => {
      const v = Math.min(1, Math.max(0, Number(values[i * columns.length + j]) || 0));
      const shade = Math.round(255 * (1 - v));
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)"><title>${escape(r)} / ${escape(columns[j])}: ${v.toFixed(3)}</title></rect>`);
    });
  });
  if (options.columnLabel) parts.push(`<text x="${left + (columns.length * cell) / 2}" y="${height - 12}" text-anchor="middle" font-size="12">${escape(options.columnLabel)}</text>`);
  if (options.rowLabel) parts.push(`<text x="14" y="${top + (rows.length * cell) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${top + (rows.length * cell) / 2})">${escape(options.rowLabel)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
