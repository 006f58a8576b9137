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
  /** Rows in use, least recently learned first: a byte a row, where a learn counter took eight (the board's heap budget). */
  private readonly order: Uint8Array;
  private used = 0;

  constructor(readonly capacity: number) {
    if (capacity > 256) throw new RangeError("reverse routes: at most 256 rows");
    [this.rows, this.order] = typedArrays([Uint8Array, capacity * ROW], [Uint8Array, capacity]);
  }

  /** Origin's data came from the neighbor in `slot` (a neighbor-table slot, < 256). */
  learn(origin: Uint8Array, slot: number): void {
    let row = this.find(origin);
    if (row < 0) {
      if (this.used < this.capacity) this.order[this.used] = row = this.used++;
      else row = this.order[0];
      this.rows.set(origin.subarray(0, NODE_ID_BYTES), row * ROW);
    }
    this.rows[row * ROW + SLOT] = slot;
    // To the end of the order: the most recently learned.
    const order = this.order;
    const at = order.lastIndexOf(row, this.used - 1);
    order.copyWithin(at, at + 1, this.used);
    order[this.used - 1] = row;
  }

  /** The neighbor slot toward `origin`, -1 if unknown. */
  get(origin: Uint8Array): number {
    const row = this.find(origin);
    return row < 0 ? -1 : this.rows[row * ROW + SLOT];
  }

  private find(origin: Uint8Array): number {
    const rows = this.rows;
    for (let row = 0, at = 0; row < this.used; row++, at += ROW) {
      let i = 0;
      while (i < NODE_ID_BYTES && rows[at + i] === origin[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }
}
