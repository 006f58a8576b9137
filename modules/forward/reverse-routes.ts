/**
 * Reverse routes: for each origin whose data passed through us, the neighbor it came from last and
 * the other one it came from before that. A gateway's CONFIRM walks these back to the origin. The
 * same CONFIRM needed again (the gateway confirms the same seq: a gap is pulled again, or the origin
 * resent what was delivered) takes the other way every second time while the last way brought only
 * entries past it: a grey hole passing on some of an origin's items becomes the last way, and drops
 * the CONFIRM of the same seq every time (200 nodes, seed 3, grey: origin 152's CONFIRM of reading 1
 * dropped 68 times by hole 71, which passed on readings 3 and up, while the honest way that delivered
 * reading 1 was the way before). A resend the CONFIRM covers that came the last way keeps it there:
 * the custodians on that way wait for the CONFIRM to judge their next hops. Bounded and flat:
 * `capacity` rows allocated at boot; the least recently learned origin is forgotten first.
 */
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

const NO_ENTRY = 0xffffffff;

export class ReverseRoutes {
  /** Each origin's id, one row after another. */
  private readonly origins: Uint8Array;
  /** Per row: the last way, then the one before it (neighbor slots; -1: none). */
  private readonly ways: Int16Array;
  /** Per row: the lowest entry seq that came the last way since it became the last way (NO_ENTRY: none). */
  private readonly lowestEntry: Uint32Array;
  /** Per row: the seq of the last CONFIRM handed back, and how many times it was (mod 256: its parity is what counts). */
  private readonly confirmSeq: Uint32Array;
  private readonly confirmTimes: Uint8Array;
  /** When each row was last learned, in learn() calls; 0: empty. */
  private readonly learnedAt: Float64Array;
  private clock = 0;

  constructor(readonly capacity: number) {
    [this.learnedAt, this.lowestEntry, this.confirmSeq, this.ways, this.confirmTimes, this.origins] = typedArrays(
      [Float64Array, capacity],
      [Uint32Array, capacity],
      [Uint32Array, capacity],
      [Int16Array, capacity * 2],
      [Uint8Array, capacity],
      [Uint8Array, capacity * NODE_ID_BYTES],
    );
  }

  /** Origin's data came from the neighbor in `slot` (a neighbor-table slot, < 256): its entry `entrySeq`, or (0) another item. */
  learn(origin: Uint8Array, slot: number, entrySeq: number): void {
    let row = this.find(origin);
    if (row < 0) {
      row = 0;
      for (let i = 1; i < this.capacity; i++) if (this.learnedAt[i] < this.learnedAt[row]) row = i;
      this.origins.set(origin.subarray(0, NODE_ID_BYTES), row * NODE_ID_BYTES);
      this.ways[row * 2] = slot;
      this.ways[row * 2 + 1] = -1;
      this.lowestEntry[row] = NO_ENTRY;
      this.confirmSeq[row] = 0;
      this.confirmTimes[row] = 0;
    } else if (this.ways[row * 2] !== slot) {
      this.ways[row * 2 + 1] = this.ways[row * 2];
      this.ways[row * 2] = slot;
      this.lowestEntry[row] = NO_ENTRY;
    }
    if (entrySeq > 0 && entrySeq < this.lowestEntry[row]) this.lowestEntry[row] = entrySeq;
    this.learnedAt[row] = ++this.clock;
  }

  /** The neighbor slot the last of `origin`'s data came from, -1 if unknown. */
  get(origin: Uint8Array): number {
    const row = this.find(origin);
    return row < 0 ? -1 : this.ways[row * 2];
  }

  /**
   * The neighbor slot a CONFIRM of `origin`'s `seq` goes back to, -1 if unknown. `newCopy`: this copy
   * was not sent from here yet (not a retry of one a neighbor left unanswered). If the last one handed
   * back was the same seq, the origin still needs it, and every second time it goes the other way,
   * unless an entry it covers came the last way.
   */
  wayBack(origin: Uint8Array, seq: number, newCopy: boolean): number {
    const row = this.find(origin);
    if (row < 0) return -1;
    if (newCopy) {
      if (this.confirmSeq[row] === seq) this.confirmTimes[row]++;
      else {
        this.confirmSeq[row] = seq;
        this.confirmTimes[row] = 0;
      }
    }
    const other = this.ways[row * 2 + 1];
    const turn = this.confirmSeq[row] === seq && this.confirmTimes[row] % 2 === 1 && this.lowestEntry[row] > seq;
    return turn && other >= 0 ? other : this.ways[row * 2];
  }

  private find(origin: Uint8Array): number {
    const origins = this.origins;
    for (let row = 0, at = 0; row < this.capacity; row++, at += NODE_ID_BYTES) {
      if (this.learnedAt[row] === 0) continue;
      let i = 0;
      while (i < NODE_ID_BYTES && origins[at + i] === origin[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }
}
