// Training progress on stderr. On a terminal: one line redrawn in place, a bar over all epochs with the
// last losses and the time left. Otherwise (a pipe, a log file, CI): one line per epoch (per k epochs
// past 100, so that a log holds at most about 100 lines a run).

export interface ProgressOptions {
  /** Shown first on every line (the task). */
  label: string;
  epochs: number;
  batchesPerEpoch: number;
  /** Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Draw in place (default: whether the stream is a TTY). */
  tty?: boolean;
  /** False: print nothing. */
  enabled?: boolean;
}

const REDRAW_MS = 100;

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly start = performance.now();
  private readonly epochEnds: number[] = [];
  private epochsDone = 0;
  private batchesDone = 0;
  private lastDraw = 0;
  private status = '';
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.enabled = options.enabled ?? true;
  }

  /** After a batch is submitted (redraws at most every 100 ms, on a terminal only). */
  batch(batch: number): void {
    this.batchesDone = batch + 1;
    if (!this.enabled || !this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.draw();
  }

  /** After an epoch, with what to show about it ('loss 1.2e-4', 'exact 0.93'). */
  epoch(epoch: number, status: string): void {
    this.epochsDone = epoch + 1;
    this.batchesDone = 0;
    this.epochEnds.push(performance.now());
    this.status = status;
    if (!this.enabled) return;
    if (this.tty) {
      this.lastDraw = performance.now();
      this.draw();
    } else {
      const { epochs, label } = this.options;
      // One line per epoch; for long runs (damped: 1,000 epochs) every k-th, at most about 100 lines.
      const every = Math.ceil(epochs / 100);
      if (this.epochsDone % every !== 0 && this.epochsDone !== epochs && this.epochsDone !== 1) return;
      const width = String(epochs).length;
      this.stream.write(`${label} epoch ${String(this.epochsDone).padStart(width)}/${epochs}  ${status}  (${formatSeconds(this.elapsed())}${this.leftText()})\n`);
    }
  }

  /** A line of its own (above the bar on a terminal). */
  log(line: string): void {
    if (!this.enabled) return;
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    if (this.tty && this.drawn) this.draw();
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.enabled && this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /**
   * Seconds left: the mean time of the epochs done (leaving out the first, which compiles the GPU
   * pipelines, once there are others) times the epochs to go, less the part of this epoch already run.
   */
  secondsLeft(): number | undefined {
    const { epochs, batchesPerEpoch } = this.options;
    if (this.epochEnds.length === 0) return undefined;
    const ends = this.epochEnds;
    const perEpoch = ends.length > 1
      ? (ends[ends.length - 1] - ends[0]) / (ends.length - 1) / 1000
      : (ends[0] - this.start) / 1000;
    const inEpoch = Math.min(1, this.batchesDone / Math.max(1, batchesPerEpoch));
    return Math.max(0, perEpoch * (epochs - this.epochsDone - inEpoch));
  }

  private leftText(): string {
    const left = this.secondsLeft();
    return left === undefined || this.epochsDone >= this.options.epochs ? '' : `, ${formatSeconds(left)} left`;
  }

  private draw(): void {
    const { epochs, batchesPerEpoch, label } = this.options;
    const fraction = Math.min(1, (this.epochsDone + Math.min(1, this.batchesDone / Math.max(1, batchesPerEpoch))) / epochs);
    const head = `${label} epoch ${String(Math.min(epochs, this.epochsDone + (this.batchesDone > 0 ? 1 : 0))).padStart(String(epochs).length)}/${epochs}`;
    const tail = `${this.status}  ${formatSeconds(this.elapsed())}${this.leftText()}`;
    const columns = this.stream.columns || 100;
    const barWidth = Math.max(10, Math.min(30, columns - head.length - 75)); // fixed per run: the bar does not jump
    const filled = Math.round(fraction * barWidth);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const line = `${head} ${bar}  ${tail}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`);
    this.drawn = true;
  }
}

/** '0.4 s', '12 s', '3 min 05 s', '1 h 02 min'. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(total / 3600)} h ${String(Math.floor((total % 3600) / 60)).padStart(2, '0')} min`;
}

/** Compact number: 1.23e-4 for small or large values, 0.123 otherwise. */
export function formatNumber(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-2 || magnitude >= 1e4) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}

/** 0.9876 -> '98.8%'. */
export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
