/**
 * Anti-replay for one sender, in the manner of IPsec's sliding window (RFC 4303 §3.4.3):
 * frames are ordered by (epoch, counter); a frame is fresh if it is newer than any seen, or within
 * the last REPLAY_WINDOW counters and not yet seen. A newer epoch (the sender rebooted) restarts the
 * window. Check only after the frame authenticated, so forgeries cannot move the window.
 *
 * A node keeps its senders' windows in one table of typed arrays (no object per window). A window
 * is shared by whoever holds it (the sender's certificate-cache entry, its neighbor row) and freed
 * when the last holder releases it, so each holder sees the same window as long as it holds it.
 */
import { typedArrays } from "../typed-arrays.js";

export const REPLAY_WINDOW = 32;

/**
 * Per window, in `f64`: epoch (-1 until the first frame), highest counter, seen bitmap (a u32 value),
 * side by side, so that judging a frame reads one short run of memory; its holders apart, in `holders`.
 */
const EPOCH = 0;
const HIGHEST = 1;
/** Bit i set = counter (highest - i) seen. */
const BITS = 2;
const STRIDE = 3;

export class ReplayWindows {
  private readonly f64: Float64Array;
  /** Holders of each window; 0 = free. */
  private readonly holders: Uint32Array;

  constructor(readonly capacity: number) {
    [this.f64, this.holders] = typedArrays([Float64Array, capacity * STRIDE], [Uint32Array, capacity]);
  }

  /** A fresh window with one holder. Throws when every window is held (the caller sized the table too small). */
  open(): number {
    let i = 0;
    while (i < this.capacity && this.holders[i] !== 0) i++;
    if (i === this.capacity) throw new RangeError("every replay window is held");
    this.holders[i] = 1;
    this.f64[STRIDE * i + BITS] = 0;
    this.f64[STRIDE * i + EPOCH] = -1;
    this.f64[STRIDE * i + HIGHEST] = -1;
    return i;
  }

  hold(i: number): void {
    this.holders[i]++;
  }

  /** One holder lets go; the window is freed with the last. */
  release(i: number): void {
    this.holders[i]--;
  }

  /** Window `i` starts as if every frame up to (epoch, highest) had been seen (a forgotten sender's floor). */
  startAt(i: number, epoch: number, highest: number): void {
    this.f64[STRIDE * i + EPOCH] = epoch;
    this.f64[STRIDE * i + HIGHEST] = highest;
    this.f64[STRIDE * i + BITS] = 0xffffffff;
  }

  epoch(i: number): number {
    return this.f64[STRIDE * i + EPOCH];
  }

  highestCounter(i: number): number {
    return this.f64[STRIDE * i + HIGHEST];
  }

  /**
   * True if window `i` would refuse (epoch, counter): already accepted, older than the window, or of an
   * older epoch. Records nothing, so it may judge a frame before it is opened (a forgery moves nothing).
   */
  refuses(i: number, epoch: number, counter: number): boolean {
    const f = STRIDE * i;
    if (epoch !== this.f64[f + EPOCH]) return epoch < this.f64[f + EPOCH];
    const highest = this.f64[f + HIGHEST];
    if (counter > highest) return false;
    const age = highest - counter;
    return age >= REPLAY_WINDOW || (this.f64[f + BITS] & (1 << age)) !== 0;
  }

  /** True if (epoch, counter) has not been accepted by window `i` before and is not too old; records it. */
  accept(i: number, epoch: number, counter: number): boolean {
    if (this.refuses(i, epoch, counter)) return false;
    const f = STRIDE * i;
    if (epoch > this.f64[f + EPOCH]) {
      this.f64[f + EPOCH] = epoch;
      this.f64[f + HIGHEST] = counter;
      this.f64[f + BITS] = 1;
      return true;
    }
    const highest = this.f64[f + HIGHEST];
    const bits = this.f64[f + BITS];
    if (counter > highest) {
      const shift = counter - highest;
      this.f64[f + BITS] = shift >= REPLAY_WINDOW ? 1 : ((bits << shift) | 1) >>> 0;
      this.f64[f + HIGHEST] = counter;
      return true;
    }
    this.f64[f + BITS] = (bits | (1 << (highest - counter))) >>> 0;
    return true;
  }
}
