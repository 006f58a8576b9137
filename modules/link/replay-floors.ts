/**
 * Where a forgotten sender's replay window stood. A window is dropped when its sender's certificate
 * leaves the cache; without a floor, a frame of that sender captured earlier would look fresh to the
 * new window that starts when the sender comes back. So the (epoch, highest counter) of each dropped
 * window is kept here and a new window starts from it: every frame at or below the floor is refused.
 *
 * Bounded and flat: `capacity` floors in one typed array, overwritten oldest first, keyed by the 32-bit
 * idKey of the sender id (a collision can only make a sender's old frames look old, never accept one).
 */
import { type ReplayWindows } from "./replay-window.js";

// Fields of each floor's row in `rows`.
const KEY = 0;
const EPOCH = 1;
const COUNTER = 2;
const ROW = 3;

export class ReplayFloors {
  /** One row per floor, in a single array (one typed array costs the board about 140 B). */
  private readonly rows: Uint32Array;
  /** Rows in use: they fill in order, then the oldest is overwritten. */
  private count = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    this.rows = new Uint32Array(capacity * ROW);
  }

  /** Keeps where window `i` of `windows` stands as `key`'s floor (nothing if it never accepted a frame). */
  remember(key: number, windows: ReplayWindows, i: number): void {
    if (windows.epoch(i) < 0) return;
    let at = this.find(key);
    if (at < 0) {
      at = this.next * ROW;
      this.next = (this.next + 1) % this.capacity;
      if (this.count < this.capacity) this.count++;
    }
    this.rows[at + KEY] = key;
    this.rows[at + EPOCH] = windows.epoch(i);
    this.rows[at + COUNTER] = windows.highestCounter(i);
  }

  /** Starts window `i` of `windows` at the floor kept for `key`, if any. */
  restore(key: number, windows: ReplayWindows, i: number): void {
    const at = this.find(key);
    if (at >= 0) windows.startAt(i, this.rows[at + EPOCH], this.rows[at + COUNTER]);
  }

  /**
   * True if a window started at `key`'s floor would refuse (epoch, counter): at or below the floor.
   * Without a floor a new window refuses nothing.
   */
  refuses(key: number, epoch: number, counter: number): boolean {
    const at = this.find(key);
    if (at < 0) return false;
    const floorEpoch = this.rows[at + EPOCH];
    return epoch < floorEpoch || (epoch === floorEpoch && counter <= this.rows[at + COUNTER]);
  }

  /** Where `key`'s row starts in `rows`, or -1. */
  private find(key: number): number {
    for (let at = 0; at < this.count * ROW; at += ROW) if (this.rows[at + KEY] === key) return at;
    return -1;
  }
}
