/**
 * Reverse routes: for each origin whose data passed through us, the neighbor it came from. A gateway's
 * CONFIRM walks these back to the origin. Bounded and flat: `capacity` rows of (origin, neighbor
 * slot) in one byte array, allocated at boot; the least recently learned origin is forgotten first.
 */
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

/** Each row of `rows`: the origin's id, then the neighbor slot. */
const SLOT = NODE_ID_BYTES;
const ROW = SLOT + 1;

export class ReverseRoutes {
  private readonly rows: Uint8Array;
  /** When each row was last learned, in learn() calls; 0: empty. */
  private readonly learnedAt: Float64Array;
  private clock = 0;

  constructor(readonly capacity: number) {
    [this.learnedAt, this.rows] = typedArrays([Float64Array, capacity], [Uint8Array, capacity * ROW]);
  }

  /** Origin's data came from the neighbor in `slot` (a neighbor-table slot, < 256). */
  learn(origin: Uint8Array, slot: number): void {
    let row = this.find(origin);
    if (row < 0) {
      row = 0;
      for (let i = 1; i < this.capacity; i++) if (this.learnedAt[i] < this.learnedAt[row]) row = i;
      this.rows.set(origin.subarray(0, NODE_ID_BYTES), row * ROW);
    }
    this.rows[row * ROW + SLOT] = slot;
    this.learnedAt[row] = ++this.clock;
  }

  /** The neighbor slot toward `origin`, -1 if unknown. */
  get(origin: Uint8Array): number {
    const row = this.find(origin);
    return row < 0 ? -1 : this.rows[row * ROW + SLOT];
  }

  private find(origin: Uint8Array): number {
    const rows = this.rows;
    for (let row = 0, at = 0; row < this.capacity; row++, at += ROW) {
      if (this.learnedAt[row] === 0) continue;
      let i = 0;
      while (i < NODE_ID_BYTES && rows[at + i] === origin[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }
}
