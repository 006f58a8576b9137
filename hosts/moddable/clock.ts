/**
 * The board's clock for the core: integer milliseconds that only move forward.
 *
 * The SDK's `Time.ticks` is a millisecond counter. On the ESP32 it is 32 bits and wraps after
 * 2^32 ms (49.7 days); on the desktop simulator it is a larger number. Either way only the
 * difference between two reads is used, taken modulo 2^32 (`>>> 0`), and added to our own count:
 * exact across any wrap as long as two reads are less than 49 days apart. The node's timer and the
 * reading timer read the clock every few seconds, far inside that.
 *
 * No Moddable import here (main.ts passes `() => Time.ticks`), so the arithmetic is tested on Node.
 */

export class MonotonicClock {
  private last: number;
  private elapsed = 0;

  constructor(private readonly ticks: () => number) {
    this.last = ticks();
  }

  /** Milliseconds since this clock was made; never decreases. */
  now(): number {
    const t = this.ticks();
    this.elapsed += (t - this.last) >>> 0;
    this.last = t;
    return this.elapsed;
  }
}

/** 2024-01-01T00:00:00Z: an earlier system clock was never set (an ESP32 boots at 1970 until SNTP or a peer sets it). */
const CLOCK_SET_AFTER_MS = 1_704_067_200_000;

/** Unix seconds from `Date.now()` when the system clock has been set, else undefined. */
export function wallClockSeconds(nowMs: number = Date.now()): number | undefined {
  return nowMs >= CLOCK_SET_AFTER_MS ? Math.floor(nowMs / 1000) : undefined;
}
