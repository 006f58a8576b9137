/**
 * Where a forgotten sender's replay window stood. A window is dropped when its sender's certificate
 * leaves the cache; without a floor, a frame of that sender captured earlier would look fresh to the
 * new window that starts when the sender comes back. So the (epoch, highest counter) of each dropped
 * window is kept here and a new window starts from it: every frame at or below the floor is refused.
 *
 * Bounded and flat: `capacity` floors in typed arrays, overwritten oldest first, keyed by the 32-bit
 * idKey of the sender id (a collision can only make a sender's old frames look old, never accept one).
 */
import { type ReplayWindows } from "./replay-window.js";

export class ReplayFloors {
  private readonly keys: Uint32Array;
  private readonly epochs: Uint32Array;
  private readonly counters: Uint32Array;
  private readonly used: Uint8Array;
  private next = 0;

  constructor(readonly capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.epochs = new Uint32Array(capacity);
    this.counters = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  /** Keeps where window `i` of `windows` stands as `key`'s floor (nothing if it never accepted a frame). */
  remember(key: number, windows: ReplayWindows, i: number): void {
    if (windows.epoch(i) < 0) return;
    let at = this.find(key);
    if (at < 0) {
      at = this.next;
      this.next = (this.next + 1) % this.capacity;
    }
    this.keys[at] = key;
    this.epochs[at] = windows.epoch(i);
    this.counters[at] = windows.highestCounter(i);
    this.used[at] = 1;
  }

  /** Starts window `i` of `windows` at the floor kept for `key`, if any. */
  restore(key: number, windows: ReplayWindows, i: number): void {
    const at = this.find(key);
    if (at >= 0) windows.startAt(i, this.epochs[at], this.counters[at]);
  }

  private find(key: number): number {
    for (let i = 0; i < this.capacity; i++) if (this.used[i] && this.keys[i] === key) return i;
    return -1;
  }
}
