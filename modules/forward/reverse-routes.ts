/**
 * Reverse routes: for each origin whose data passed through us, the neighbor it came from. A gateway's
 * CONFIRM walks these back to the origin. Bounded and flat: `capacity` rows of (origin, neighbor
 * slot), allocated at boot; the least recently learned origin is forgotten first.
 */
import { NODE_ID_BYTES } from "../wire/frame.js";

export class ReverseRoutes {
  private readonly ids: Uint8Array;
  private readonly slots: Int16Array;
  /** When each row was last learned, in learn() calls; 0: empty. */
  private readonly learnedAt: Float64Array;
  private clock = 0;

  constructor(readonly capacity: number) {
    this.ids = new Uint8Array(capacity * NODE_ID_BYTES);
    this.slots = new Int16Array(capacity);
    this.learnedAt = new Float64Array(capacity);
  }

  learn(origin: Uint8Array, slot: number): void {
    let row = this.find(origin);
    if (row < 0) {
      row = 0;
      for (let i = 1; i < this.capacity; i++) if (this.learnedAt[i] < this.learnedAt[row]) row = i;
      this.ids.set(origin.subarray(0, NODE_ID_BYTES), row * NODE_ID_BYTES);
    }
    this.slots[row] = slot;
    this.learnedAt[row] = ++this.clock;
  }

  /** The neighbor slot toward `origin`, -1 if unknown. */
  get(origin: Uint8Array): number {
    const row = this.find(origin);
    return row < 0 ? -1 : this.slots[row];
  }

  private find(origin: Uint8Array): number {
    const ids = this.ids;
    for (let row = 0, at = 0; row < this.capacity; row++, at += NODE_ID_BYTES) {
      if (this.learnedAt[row] === 0) continue;
      let i = 0;
      while (i < NODE_ID_BYTES && ids[at + i] === origin[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }
}
