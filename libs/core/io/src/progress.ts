/** Formats seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

export interface ProgressOptions {
  /** Where to draw; defaults to process.stderr. */
  stream?: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): boolean };
  /** Minimum milliseconds between plain-text lines when the stream is not a terminal. */
  plainIntervalMs?: number;
  now?: () => number;
}

/**
 * A progress bar with ETA on a terminal; periodic plain lines otherwise (CI logs, pipes).
 * `tick(n, info)` advances by n and shows `info` (for example the running loss).
 */
export class Progress {
  private done = 0;
  private readonly start: number;
  private lastPlain = -Infinity;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly now: () => number;
  private readonly plainIntervalMs: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    opts: ProgressOptions = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.plainIntervalMs = opts.plainIntervalMs ?? 10000;
    this.start = this.now();
  }

  tick(n = 1, info = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const elapsed = (this.now() - this.start) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-9);
    const eta = this.done > 0 ? (this.total - this.done) / rate : NaN;
    const pct = this.total > 0 ? this.done / this.total : 1;
    const tail = `${this.done}/${this.total} ${info ? info + ' ' : ''}elapsed ${formatDuration(elapsed)} eta ${formatDuration(eta)}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(pct * width);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}\x1b[K`);
      if (this.done >= this.total) this.stream.write('\n');
    } else if (this.done >= this.total || this.now() - this.lastPlain >= this.plainIntervalMs) {
      this.lastPlain = this.now();
      this.stream.write(`${this.label} ${(pct * 100).toFixed(0)}% ${tail}\n`);
    }
  }
}

/** A logger for pipeline steps: one line per message on stderr, prefixed with the step name. */
export function log(step: string, message: string): void {
  process.stderr.write(`[${step}] ${message}\n`);
}
