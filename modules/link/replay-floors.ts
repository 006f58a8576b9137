/**
 * Where a forgotten sender's replay window stood. A window is dropped when its sender's certificate
 * leaves the cache; without a floor, a frame of that sender captured earlier would look fresh to the
 * new window that starts when the sender comes back. So the (epoch, highest counter) of each dropped
 * window is kept here and a new window starts from it: every frame at or below the floor is refused.
 *
 * Bounded and flat: `capacity` floors in typed arrays, overwritten oldest first, keyed by the 32-bit
 * idKey of the sender id (a collision can only make a sender's old frames look old, never accept one).
 */
import { type ReplayWindow } from "./replay-window.js";

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

  remember(key: number, window: ReplayWindow): void {
    if (window.epoch < 0) return;
    let i = this.find(key);
    if (i < 0) {
      i = this.next;
      this.next = (this.next + 1) % this.capacity;
    }
    this.keys[i] = key;
    this.epochs[i] = window.epoch;
    this.counters[i] = window.highest;
    this.used[i] = 1;
  }

  /** Starts `window` at the floor kept for `key`, if any. */
  restore(key: number, window: ReplayWindow): void {
    const i = this.find(key);
    if (i >= 0) window.startAt(this.epochs[i], this.counters[i]);
  }

  private find(key: number): number {
    for (let i = 0; i < this.capacity; i++) if (this.used[i] && this.keys[i] === key) return i;
    return -1;
  }
}
