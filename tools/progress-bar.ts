/**
 * A one-line progress bar on a terminal: drawn only when the stream is a TTY, only once the work has
 * taken `delayMs` (short runs print nothing), redrawn at most every `intervalMs`, and erased when
 * done. On a pipe or a file it writes nothing at all, so logs and tests stay clean.
 */
import type { Writer } from "./cli.js";

export interface ProgressOptions {
  /** Text before the bar. */
  label: string;
  /** What `done` counts up to. */
  total: number;
  /** Shows `done` and `total` after the bar, e.g. "2.5 of 5 simulated min". */
  describe: (done: number, total: number) => string;
  /** Real time in ms (tests pass their own). */
  clock?: () => number;
  delayMs?: number;
  intervalMs?: number;
}

const BAR_WIDTH = 30;

export class ProgressBar {
  private readonly clock: () => number;
  private readonly startedAt: number;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private drawnAt = -Infinity;
  private drawn = false;

  constructor(private readonly stream: Writer, private readonly options: ProgressOptions) {
    this.clock = options.clock ?? (() => performance.now());
    this.startedAt = this.clock();
    this.delayMs = options.delayMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 100;
  }

  update(done: number): void {
    if (this.stream.isTTY !== true) return;
    const now = this.clock();
    if (now - this.startedAt < this.delayMs || now - this.drawnAt < this.intervalMs) return;
    this.drawnAt = now;
    this.drawn = true;
    const { label, total, describe } = this.options;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const line = `${label} [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)} %  ${describe(done, total)}`;
    // \r returns to the line start, ESC[K clears what a longer earlier line left.
    // A terminal that does not know its size says 0 columns.
    this.stream.write(`\r${line.slice(0, Math.max(20, (this.stream.columns || 80) - 1))}\x1b[K`);
  }

  /** Erases the bar, if it was ever drawn. */
  finish(): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }
}
