// A uPlot chart bound to a page element: hover for values (the legend shows the series' values under
// the cursor), drag to zoom into a range of x (double-click zooms out), click a legend entry to hide or
// show its series. Live updates reuse the chart (setData at most once per animation frame), and the
// chart follows the element's width.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
  color?: string;
}

export interface ChartContent {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (base 10); values <= 0 are not drawn. */
  logY?: boolean;
  series: ChartSeries[];
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** What a page test can read of a chart: its series, their point counts and whether each is shown. */
export interface ChartSnapshot {
  title: string;
  series: { name: string; points: number; shown: boolean; dashed: boolean }[];
}

/** Every chart on the page by its element's id (read by the browser test through window.__demo.charts). */
export const charts: Record<string, () => ChartSnapshot | null> = {};

export class ChartView {
  private plot: uPlot | null = null;
  /** The layout the chart was made for; a change of series or axes makes a new one. */
  private layoutKey = '';
  private content: ChartContent | null = null;
  private pending = 0;

  constructor(readonly host: HTMLElement, private readonly aspect = 0.5) {
    host.classList.add('chart');
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(host);
    charts[host.id] = () => this.snapshot();
  }

  /** Draws now. */
  show(content: ChartContent): void {
    cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.content = content;
    this.draw();
  }

  /** Draws at the next animation frame at most (live training updates). */
  update(content: ChartContent): void {
    this.content = content;
    this.pending ||= requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  clear(): void {
    cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.content = null;
    this.plot?.destroy();
    this.plot = null;
    this.layoutKey = '';
    this.host.hidden = true;
  }

  private size(): { width: number; height: number } {
    const width = Math.max(280, Math.round(this.host.clientWidth) || 640);
    return { width, height: Math.round(Math.min(Math.max(width * this.aspect, 220), 420)) };
  }

  private draw(): void {
    const content = this.content;
    if (!content) return;
    this.host.hidden = false;
    const data = alignedData(content);
    const key = JSON.stringify([content.xLabel, content.yLabel, content.logY, content.series.map((s) => [s.name, s.dashed, s.color])]);
    if (this.plot && key === this.layoutKey) {
      this.plot.setData(data);
      if (content.title !== undefined) this.plot.root.querySelector('.u-title')!.textContent = content.title;
      return;
    }
    this.plot?.destroy();
    this.layoutKey = key;
    // Axis text is drawn on a canvas: give it the page's text colour (light or dark scheme).
    this.plot = new uPlot(options(content, this.size(), getComputedStyle(this.host).color || '#222'), data, this.host);
  }

  private snapshot(): ChartSnapshot | null {
    const plot = this.plot;
    if (!plot || !this.content) return null;
    return {
      title: plot.root.querySelector('.u-title')?.textContent ?? '',
      series: this.content.series.map((s, i) => ({
        name: s.name,
        points: (plot.data[i + 1] as (number | null | undefined)[]).filter((v) => v !== null && v !== undefined).length,
        shown: plot.series[i + 1].show !== false,
        dashed: Boolean(s.dashed),
      })),
    };
  }
}

/** Tick steps for an axis of whole numbers (epochs): no tick at 1.25. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];

function options(content: ChartContent, size: { width: number; height: number }, ink: string): uPlot.Options {
  const logY = Boolean(content.logY);
  const wholeX = content.series.every((s) => Array.from(s.x).every(Number.isInteger));
  return {
    ...size,
    title: content.title,
    scales: { x: { time: false }, y: logY ? { distr: 3, log: 10 } : {} },
    axes: [
      { label: content.xLabel, stroke: ink, ...(wholeX ? { incrs: WHOLE_STEPS } : {}), grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' } },
      { label: content.yLabel, stroke: ink, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' }, size: 60 },
    ],
    cursor: { drag: { x: true, y: false, setScale: true } },
    legend: { live: true },
    series: [
      { label: content.xLabel ?? 'x', value: (_u, v) => (v === null ? '–' : format(v)) },
      ...content.series.map((s, i) => ({
        label: s.name,
        stroke: s.color ?? PALETTE[i % PALETTE.length],
        width: 2,
        dash: s.dashed ? [6, 4] : undefined,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
      })),
    ],
  };
}

/** The series on one sorted x axis (uPlot's data layout); a point a series lacks, or cannot draw, is null. */
function alignedData(content: ChartContent): uPlot.AlignedData {
  const logY = Boolean(content.logY);
  const tables = content.series.map((s): uPlot.AlignedData => {
    if (s.x.length !== s.y.length) throw new RangeError(`chart series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
    const order = Array.from({ length: s.x.length }, (_, i) => i).sort((a, b) => s.x[a] - s.x[b]);
    const ys = order.map((i) => {
      const v = s.y[i];
      return Number.isFinite(v) && (!logY || v > 0) ? v : null;
    });
    return [order.map((i) => s.x[i]), ys];
  });
  if (tables.length === 0) return [[]];
  return tables.length === 1 ? tables[0] : uPlot.join(tables);
}

function format(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** 1, 2, ..., n: the x values of a per-epoch series. */
export function epochs(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
