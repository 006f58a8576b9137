/**
 * Promises a next hop made to this node by taking custody of someone else's reading: each is kept
 * until the gateway's CONFIRM for that origin (covering its seq) passes back through us, which
 * proves the reading got there. A promise still open `waitMs` after the handoff was broken: the
 * next hop, or a hop behind it, dropped the reading (a black or grey hole), and the next hop is
 * held responsible. So every custodian on a path, not only the origin, learns which of its next
 * hops loses readings.
 *
 * A broken promise is remembered while its row is not needed: if the reading, resent by its origin,
 * is handed to the same next hop again and confirmed this time, that next hop made good (it was lost
 * behind it, which it routed around), and the blame is taken back (custody-trust.ts).
 *
 * Bounded: `capacity` promises, open or broken; a new one takes a free row, else the oldest broken
 * one, else the oldest open one is forgotten unjudged.
 */
import { equalAt } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

// A row's state.
const FREE = 0;
const OPEN = 1;
/** Broken, and remembered in case the same next hop makes good. */
const BROKEN = 2;
/** Open again: handed to the next hop that broke it before. */
const REOPENED = 3;

export class CustodyPromises {
  private readonly origins: Uint8Array;
  private readonly seqs: Uint32Array;
  /** When the promise was made (or broken promise last handed on). */
  private readonly at: Float64Array;
  private readonly slots: Int8Array;
  private readonly states: Uint8Array;
  /** The earliest time some promise breaks (Infinity: none open). */
  private due = Infinity;

  constructor(readonly capacity: number, private readonly waitMs: number) {
    this.origins = new Uint8Array(capacity * NODE_ID_BYTES);
    this.seqs = new Uint32Array(capacity);
    this.at = new Float64Array(capacity);
    this.slots = new Int8Array(capacity);
    this.states = new Uint8Array(capacity);
  }

  /**
   * The neighbor in `slot` took custody of `origin`'s reading `seq` from us. Handed to it again while
   * the promise is open (a resend or pull reached us after we handed it on), it is the same promise,
   * kept from the first handoff; handed to it again after it broke that promise, the promise is open
   * again. A new one takes a free row, else the oldest broken one; only with none is the oldest open
   * one forgotten. Overwriting in turn instead lost mostly the broken ones (those still open after
   * the wait) while the kept were counted: next to a grey hole, 1,569 of 1,779 promises went unjudged
   * and the hole stayed trusted.
   */
  made(origin: Uint8Array, seq: number, slot: number, now: number): void {
    let free = -1;
    let broken = -1;
    let oldest = -1;
    for (let k = 0; k < this.capacity; k++) {
      const state = this.states[k];
      if (state === FREE) {
        if (free < 0) free = k;
        continue;
      }
      if (this.seqs[k] === seq && this.slots[k] === slot && equalAt(this.origins, k * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) {
        if (state !== BROKEN) return;
        this.start(k, REOPENED, now);
        return;
      }
      if (state === BROKEN) {
        if (broken < 0 || this.at[k] < this.at[broken]) broken = k;
      } else if (oldest < 0 || this.at[k] < this.at[oldest]) {
        oldest = k;
      }
    }
    const i = free >= 0 ? free : broken >= 0 ? broken : oldest;
    this.origins.set(origin.subarray(0, NODE_ID_BYTES), i * NODE_ID_BYTES);
    this.seqs[i] = seq;
    this.slots[i] = slot;
    this.start(i, OPEN, now);
  }

  /**
   * A CONFIRM for `origin` up to `seq` passed through: those promises were kept (`kept` gets each
   * one's slot, and whether that neighbor had broken it before: it made good), and those broken are
   * done with.
   */
  confirm(origin: Uint8Array, seq: number, kept: (slot: number, madeGood: boolean) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      const state = this.states[i];
      if (state === FREE || this.seqs[i] > seq || !equalAt(this.origins, i * NODE_ID_BYTES, origin, 0, NODE_ID_BYTES)) continue;
      this.states[i] = FREE;
      if (state !== BROKEN) kept(this.slots[i], state === REOPENED);
    }
  }

  /** Closes the promises broken by `now`, calling `broken` with each one's slot. */
  expire(now: number, broken: (slot: number) => void): void {
    if (now < this.due) return;
    this.due = Infinity;
    for (let i = 0; i < this.capacity; i++) {
      const state = this.states[i];
      if (state !== OPEN && state !== REOPENED) continue;
      const at = this.at[i];
      if (now >= at + this.waitMs) {
        this.states[i] = BROKEN;
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
    for (let i = 0; i < this.capacity; i++) if (this.states[i] === OPEN || this.states[i] === REOPENED) n++;
    return n;
  }

  private start(i: number, state: number, now: number): void {
    this.states[i] = state;
    this.at[i] = now;
    this.due = Math.min(this.due, now + this.waitMs);
  }
}
