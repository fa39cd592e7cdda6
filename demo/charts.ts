// A chart bound to a page element: draws lineChart() at the element's width (so text stays readable on
// a phone and on a desktop) and redraws when the width changes.

import { lineChart, type LineChartOptions } from '../src/plot/line-chart.js';

export type ChartContent = Omit<LineChartOptions, 'width' | 'height'>;

export class ChartView {
  private content: ChartContent | null = null;
  private drawnWidth = 0;
  private pending = 0;

  constructor(readonly host: HTMLElement, private readonly aspect = 0.58) {
    new ResizeObserver(() => {
      if (Math.round(this.host.clientWidth) !== this.drawnWidth) this.draw();
    }).observe(host);
  }

  /** Draws now. */
  show(content: ChartContent): void {
    this.content = content;
    cancelAnimationFrame(this.pending);
    this.pending = 0;
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
    this.content = null;
    this.host.replaceChildren();
    this.host.hidden = true;
  }

  private draw(): void {
    if (!this.content) return;
    this.host.hidden = false;
    const width = Math.max(280, Math.round(this.host.clientWidth) || 640);
    const height = Math.round(Math.min(Math.max(width * this.aspect, 220), 440));
    this.drawnWidth = width;
    this.host.innerHTML = lineChart({ ...this.content, width, height });
  }
}

/** 1, 2, ..., n: the x values of a per-epoch series. */
export function epochs(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
