/**
 * Promises a next hop made to this node by taking custody of someone else's reading: each is kept
 * until the gateway's CONFIRM for that origin (covering its seq) passes back through us, which
 * proves the reading got there. A promise still open `waitMs` after the handoff was broken: the
 * next hop, or a hop behind it, dropped the reading (a black or grey hole), and the next hop is
 * held responsible. So every custodian on a path, not only the origin, learns which of its next
 * hops loses readings.
 *
 * Each promise keeps the reading's gateway and receipt commitment (receipt-chain.ts), so that the
 * CONFIRM that keeps it can be checked here: one that could not be checked keeps none committed to
 * its gateway's receipts.
 *
 * Bounded: `capacity` promises; when all are open, the oldest is forgotten unjudged.
 */
import { equalAt } from "../bytes.js";
import { COMMITMENT_BYTES } from "../wire/data.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";
import { checkable, uncommitted } from "./receipt-chain.js";

/** Per promise, in `rows`: origin ‖ gateway ‖ commitment (one array: each typed array costs heap of its own). */
const GATEWAY_AT = NODE_ID_BYTES;
const COMMITMENT_AT = GATEWAY_AT + NODE_ID_BYTES;
const ROW = COMMITMENT_AT + COMMITMENT_BYTES;

export class CustodyPromises {
  private readonly rows: Uint8Array;
  private readonly seqs: Uint32Array;
  /** When the promise was made; NaN: free. */
  private readonly at: Float64Array;
  private readonly slots: Int8Array;
  /** The earliest time some promise breaks (Infinity: none open). */
  private due = Infinity;

  constructor(readonly capacity: number, private readonly waitMs: number) {
    [this.at, this.seqs, this.rows, this.slots] = typedArrays(
      [Float64Array, capacity], [Uint32Array, capacity], [Uint8Array, capacity * ROW], [Int8Array, capacity]);
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
  made(origin: Uint8Array, seq: number, gateway: Uint8Array, commitment: Uint8Array, slot: number, now: number): void {
    let free = -1;
    let oldest = -1;
    for (let k = 0; k < this.capacity; k++) {
      const at = this.at[k];
      if (Number.isNaN(at)) {
        if (free < 0) free = k;
      } else if (this.seqs[k] === seq && this.slots[k] === slot && equalAt(this.rows, k * ROW, origin, 0, NODE_ID_BYTES)) {
        return;
      } else if (oldest < 0 || at < this.at[oldest]) {
        oldest = k;
      }
    }
    const i = free >= 0 ? free : oldest;
    this.rows.set(origin.subarray(0, NODE_ID_BYTES), i * ROW);
    this.rows.set(gateway.subarray(0, NODE_ID_BYTES), i * ROW + GATEWAY_AT);
    this.rows.set(commitment.subarray(0, COMMITMENT_BYTES), i * ROW + COMMITMENT_AT);
    this.seqs[i] = seq;
    this.at[i] = now;
    this.slots[i] = slot;
    this.due = Math.min(this.due, now + this.waitMs);
  }

  /**
   * A CONFIRM from `gateway` for `origin` up to `seq` passed through: those promises were kept (`kept`
   * gets each one's slot). With `checked` false (its receipt could not be checked here), not those
   * committed to this gateway's receipts: they stay open. The uncommitted ones had no protection; and
   * those committed to another gateway's, a CONFIRM from this one may be honest about: the origin
   * changed home, and the old one passed the reading on (nothing here can tell). Left open, they blamed
   * honest hops: with grey holes at two gateways (100 nodes, seed 3) 27 readings were lost, 39 when
   * forgotten unjudged instead; kept, none.
   */
  confirm(origin: Uint8Array, seq: number, gateway: Uint8Array, checked: boolean, kept: (slot: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] > seq || Number.isNaN(this.at[i]) || !equalAt(this.rows, i * ROW, origin, 0, NODE_ID_BYTES)) continue;
      if (checked || uncommitted(this.commitment(i)) || !equalAt(this.rows, i * ROW + GATEWAY_AT, gateway, 0, NODE_ID_BYTES)) {
        this.at[i] = NaN;
        kept(this.slots[i]);
      }
    }
  }

  /**
   * The open promise of `origin`'s reading for `gateway` that a CONFIRM of `confirmedSeq` is checked
   * against: committed, checkable (receipt-chain.ts), the highest seq; -1 if none.
   */
  checkableBy(origin: Uint8Array, gateway: Uint8Array, confirmedSeq: number): number {
    let best = -1;
    for (let i = 0; i < this.capacity; i++) {
      if (Number.isNaN(this.at[i]) || !checkable(this.seqs[i], confirmedSeq) || (best >= 0 && this.seqs[i] <= this.seqs[best])) continue;
      if (equalAt(this.rows, i * ROW, origin, 0, NODE_ID_BYTES) && equalAt(this.rows, i * ROW + GATEWAY_AT, gateway, 0, NODE_ID_BYTES) && !uncommitted(this.commitment(i))) best = i;
    }
    return best;
  }

  seq(i: number): number {
    return this.seqs[i];
  }

  /** The receipt commitment of promise `i` (a view). */
  commitment(i: number): Uint8Array {
    return this.rows.subarray(i * ROW + COMMITMENT_AT, (i + 1) * ROW);
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
