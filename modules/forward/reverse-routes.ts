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
/** No way known (neighbor slots are < MAX_HELLO_NEIGHBORS). */
const NO_WAY = 0xff;
/** A row's bytes in `ways`: LAST, BEFORE, TIMES. */
const WAY_BYTES = 3;
const LAST = 0;
const BEFORE = 1;
const TIMES = 2;
/** A row's values in `seqs`: LOWEST_ENTRY, CONFIRM_SEQ. */
const SEQS = 2;
const LOWEST_ENTRY = 0;
const CONFIRM_SEQ = 1;

export class ReverseRoutes {
  /** Each origin's id, one row after another. */
  private readonly origins: Uint8Array;
  /**
   * Per row, WAY_BYTES: the last way, the one before it (neighbor slots; NO_WAY: none), and how many
   * times the last CONFIRM was handed back (mod 256: its parity is what counts). One array for the
   * three, as for SEQS: each typed array costs the board heap a few slots of its own.
   */
  private readonly ways: Uint8Array;
  /**
   * Per row, SEQS: the lowest entry seq that came the last way since it became the last way
   * (NO_ENTRY: none), and the seq of the last CONFIRM handed back.
   */
  private readonly seqs: Uint32Array;
  /** Rows in use, least recently learned first: a byte a row, where a learn counter took eight (the board's heap budget). */
  private readonly order: Uint8Array;
  private used = 0;

  constructor(readonly capacity: number) {
    if (capacity > 256) throw new RangeError("reverse routes: at most 256 rows");
    [this.seqs, this.ways, this.order, this.origins] = typedArrays(
      [Uint32Array, capacity * SEQS],
      [Uint8Array, capacity * WAY_BYTES],
      [Uint8Array, capacity],
      [Uint8Array, capacity * NODE_ID_BYTES],
    );
  }

  /** Origin's data came from the neighbor in `slot` (a neighbor-table slot, < NO_WAY): its entry `entrySeq`, or (0) another item. */
  learn(origin: Uint8Array, slot: number, entrySeq: number): void {
    const { ways, seqs } = this;
    let row = this.find(origin);
    if (row < 0) {
      if (this.used < this.capacity) this.order[this.used] = row = this.used++;
      else row = this.order[0];
      this.origins.set(origin.subarray(0, NODE_ID_BYTES), row * NODE_ID_BYTES);
      ways[row * WAY_BYTES + LAST] = slot;
      ways[row * WAY_BYTES + BEFORE] = NO_WAY;
      ways[row * WAY_BYTES + TIMES] = 0;
      seqs[row * SEQS + LOWEST_ENTRY] = NO_ENTRY;
      seqs[row * SEQS + CONFIRM_SEQ] = 0;
    } else if (ways[row * WAY_BYTES + LAST] !== slot) {
      ways[row * WAY_BYTES + BEFORE] = ways[row * WAY_BYTES + LAST];
      ways[row * WAY_BYTES + LAST] = slot;
      seqs[row * SEQS + LOWEST_ENTRY] = NO_ENTRY;
    }
    if (entrySeq > 0 && entrySeq < seqs[row * SEQS + LOWEST_ENTRY]) seqs[row * SEQS + LOWEST_ENTRY] = entrySeq;
    this.touch(row);
  }

  /** Moves `row` (in use) to the end of the order: the most recently learned. */
  private touch(row: number): void {
    const order = this.order;
    const at = order.lastIndexOf(row, this.used - 1);
    order.copyWithin(at, at + 1, this.used);
    order[this.used - 1] = row;
  }

  /** The neighbor slot the last of `origin`'s data came from, -1 if unknown. */
  get(origin: Uint8Array): number {
    const row = this.find(origin);
    return row < 0 ? -1 : this.ways[row * WAY_BYTES + LAST];
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
    const w = row * WAY_BYTES;
    const q = row * SEQS;
    const { ways, seqs } = this;
    if (newCopy) {
      if (seqs[q + CONFIRM_SEQ] === seq) ways[w + TIMES]++;
      else {
        seqs[q + CONFIRM_SEQ] = seq;
        ways[w + TIMES] = 0;
      }
    }
    const turn = seqs[q + CONFIRM_SEQ] === seq && ways[w + TIMES] % 2 === 1 && seqs[q + LOWEST_ENTRY] > seq;
    return turn && ways[w + BEFORE] !== NO_WAY ? ways[w + BEFORE] : ways[w + LAST];
  }

  private find(origin: Uint8Array): number {
    const origins = this.origins;
    for (let row = 0, at = 0; row < this.used; row++, at += NODE_ID_BYTES) {
      let i = 0;
      while (i < NODE_ID_BYTES && origins[at + i] === origin[i]) i++;
      if (i === NODE_ID_BYTES) return row;
    }
    return -1;
  }
}
