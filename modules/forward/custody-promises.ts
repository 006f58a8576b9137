/**
 * Promises a next hop made to this node by taking custody of someone else's reading: each is kept
 * until the gateway's CONFIRM for that origin (covering its seq) passes back through us, which
 * proves the reading got there. A promise still open `waitMs` after the handoff was broken: the
 * next hop, or a hop behind it, dropped the reading (a black or grey hole), and the next hop is
 * held responsible. So every custodian on a path, not only the origin, learns which of its next
 * hops loses readings.
 *
 * Bounded: `capacity` promises; when all are open, the oldest is forgotten unjudged.
 */
import { equalAt } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

export class CustodyPromises {
  private readonly origins: Uint8Array;
  private readonly seqs: Uint32Array;
  /** When the promise was made; NaN: free. */
  private readonly at: Float64Array;
  private readonly slots: Int8Array;
  /** The earliest time some promise breaks (Infinity: none open). */
  private due = Infinity;

  constructor(readonly capacity: number, private readonly waitMs: number) {
    [this.at, this.seqs, this.origins, this.slots] = typedArrays(
      [Float64Array, capacity], [Uint32Array, capacity], [Uint8Array, capacity * NODE_ID_BYTES], [Int8Array, capacity]);
    this.at.fill(NaN);
  }

  /**
   * The neighbor in `slot` took custody of `origin`'s reading `seq` from us. Handed to it again while
   * the promise is open (a resend or pull reached us after we handed it on), it is the same promise,
   * kept from the first handoff. A new one takes a free row; only with none free is the oldest open
   * one forgotten. Overwriting in turn instead lost mostly the broken ones (those still open after
   * the wait) while the kept were counted: next to a grey hole, 1,569 of 1,779 promises went unjudged
   * and the hole stayed trusted.
   */
  made(origin: Uint8Array, seq: number, slot: number, now: number): void {
    let free = -1;
    let oldest = -1;
    for (let k = 0; k < this.capacity; k++) {
      const at = this.at[k];
      if (Number.isNaN(at)) {
        if (free < 0) free = k;
      } else if (this.seqs[k] === seq && this.slots[k] === slot && equalAt(this.origins, k * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) {
        return;
      } else if (oldest < 0 || at < this.at[oldest]) {
        oldest = k;
      }
    }
    const i = free >= 0 ? free : oldest;
    this.origins.set(origin.subarray(0, NODE_ID_BYTES), i * NODE_ID_BYTES);
    this.seqs[i] = seq;
    this.at[i] = now;
    this.slots[i] = slot;
    this.due = Math.min(this.due, now + this.waitMs);
  }

  /** A CONFIRM for `origin` up to `seq` passed through: those promises were kept (`kept` gets each one's slot). */
  confirm(origin: Uint8Array, seq: number, kept: (slot: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] <= seq && !Number.isNaN(this.at[i]) && equalAt(this.origins, i * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) {
        this.at[i] = NaN;
        kept(this.slots[i]);
      }
    }
  }

  /** Forgets the promises broken by `now`, calling `broken` with each one's slot. */
  expire(now: number, broken: (slot: number) => void): void {
    if (now < this.due) return;
    this.due = Infinity;
    for (let i = 0; i < this.capacity; i++) {
      const at = this.at[i];
      if (Number.isNaN(at)) continue;
      if (now >= at + this.waitMs) {
        this.at[i] = NaN;
        broken(this.slots[i]);
      } else {
        this.due = Math.min(this.due, at + this.waitMs);
      }
    }
  }

  get deadline(): number {
    return this.due;
  }

  get open(): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (!Number.isNaN(this.at[i])) n++;
    return n;
  }
}
