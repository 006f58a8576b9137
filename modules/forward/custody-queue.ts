/**
 * Items this node holds on behalf of others (and its own), until the next hop takes custody.
 *
 * An item is sent to the next hop toward its destination and kept until that neighbor ACKs it; an
 * unanswered send is retried with exponential backoff. Bounded: `capacity` items; a full queue
 * refuses custody (the sender then keeps the item and tries again later, perhaps elsewhere).
 *
 * Flat: each item is its DATA body as it goes on the wire (origin ‖ destination ‖ kind ‖ hops ‖ seq ‖
 * payload, wire/data.ts) in a row of one buffer allocated at boot, plus a few bytes and a deadline per
 * row, so a full queue costs the heap nothing more than an empty one. Items are named by their row; `order`
 * keeps them in arrival order, the order they are sent in.
 */
import { readU32, writeU32 } from "../bytes.js";
import { DATA_FIXED_BYTES, DataKind, MAX_DATA_PAYLOAD } from "../wire/data.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

/** First ACK timeout; doubles per unanswered try up to MAX_BACKOFF_MS. */
export const ACK_TIMEOUT_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const ROW_BYTES = DATA_FIXED_BYTES + MAX_DATA_PAYLOAD;
const KIND_AT = 2 * NODE_ID_BYTES;
const HOPS_AT = KIND_AT + 1;
const SEQ_AT = HOPS_AT + 1;

/**
 * Per-row bytes of `meta`: body length, tries, last next hop + 1 (0: not sent), destination chosen, live,
 * checked (a CONFIRM whose receipt this node checked, forward/receipt-chain.ts).
 */
const META_BYTES = 6;
const LENGTH = 0;
const TRIES = 1;
const SENT_TO = 2;
const ROUTED = 3;
const LIVE = 4;
const CHECKED = 5;

export class CustodyQueue {
  private readonly bodies: Uint8Array;
  private readonly meta: Uint8Array;
  /** When to (re)send each row; Infinity while waiting for a route. */
  private readonly nextTry: Float64Array;
  /** Live rows, oldest first: `order[0 .. size)`. */
  private readonly order: Uint16Array;
  size = 0;

  constructor(readonly capacity: number) {
    [this.nextTry, this.order, this.bodies, this.meta] = typedArrays(
      [Float64Array, capacity], [Uint16Array, capacity], [Uint8Array, capacity * ROW_BYTES], [Uint8Array, capacity * META_BYTES]);
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** The row of the i-th item, oldest first. */
  at(i: number): number {
    return this.order[i];
  }

  /** The row holding (origin, kind, seq), or -1. */
  find(origin: Uint8Array, kind: DataKind, seq: number): number {
    for (let i = 0; i < this.size; i++) {
      const row = this.order[i];
      if (this.kind(row) === kind && this.seq(row) === seq && this.isFrom(row, origin)) return row;
    }
    return -1;
  }

  /**
   * Takes custody (due at once); false when full. `destination` null: chosen when it leaves
   * (setDestination). The caller checked for a copy already held.
   */
  add(origin: Uint8Array, destination: Uint8Array | null, kind: DataKind, seq: number, hops: number, payload: Uint8Array, now: number): boolean {
    if (this.full) return false;
    if (payload.length > MAX_DATA_PAYLOAD) throw new RangeError(`DATA payload above ${MAX_DATA_PAYLOAD} bytes`);
    let row = 0;
    while (this.meta[row * META_BYTES + LIVE]) row++;
    const at = row * ROW_BYTES;
    const b = this.bodies;
    b.set(origin.subarray(0, NODE_ID_BYTES), at);
    if (destination) b.set(destination.subarray(0, NODE_ID_BYTES), at + NODE_ID_BYTES);
    else b.fill(0, at + NODE_ID_BYTES, at + KIND_AT);
    b[at + KIND_AT] = kind;
    b[at + HOPS_AT] = hops;
    writeU32(b, at + SEQ_AT, seq);
    b.set(payload, at + DATA_FIXED_BYTES);
    const m = row * META_BYTES;
    this.meta[m + LENGTH] = DATA_FIXED_BYTES + payload.length;
    this.meta[m + TRIES] = 0;
    this.meta[m + SENT_TO] = 0;
    this.meta[m + ROUTED] = destination ? 1 : 0;
    this.meta[m + LIVE] = 1;
    this.meta[m + CHECKED] = 0;
    this.nextTry[row] = now;
    this.order[this.size++] = row;
    return true;
  }

  /** The next hop `slot` took custody: the item is no longer ours. Returns its row (its fields readable until the next add), or -1. */
  acknowledged(slot: number, origin: Uint8Array, kind: DataKind, seq: number): number {
    const row = this.find(origin, kind, seq);
    if (row < 0 || this.lastSentTo(row) !== slot) return -1;
    this.remove(row);
    return row;
  }

  /** How long at least the item's sends have gone unanswered: the backoffs between them, ms. */
  unansweredMs(row: number): number {
    const waits = this.meta[row * META_BYTES + TRIES] - 1;
    let t = 0;
    let i = 0;
    // The backoff stops growing after a few tries: the rest are all MAX_BACKOFF_MS (no loop to 255).
    for (; i < waits; i++) {
      const wait = backoff(i);
      if (wait === MAX_BACKOFF_MS) break;
      t += wait;
    }
    return t + Math.max(0, waits - i) * MAX_BACKOFF_MS;
  }

  /** Records a send to `slot` and when to try again if no ACK comes. */
  sent(row: number, slot: number, now: number): void {
    const m = row * META_BYTES;
    const tries = this.meta[m + TRIES];
    this.meta[m + SENT_TO] = slot + 1;
    this.nextTry[row] = now + backoff(tries);
    if (tries < 255) this.meta[m + TRIES] = tries + 1;
  }

  /** A try that found no way to send: counted, retried at `retryAt`. */
  unsent(row: number, retryAt: number, countTry: boolean): void {
    this.nextTry[row] = retryAt;
    if (countTry && this.meta[row * META_BYTES + TRIES] < 255) this.meta[row * META_BYTES + TRIES]++;
  }

  remove(row: number): void {
    if (!this.meta[row * META_BYTES + LIVE]) return;
    this.meta[row * META_BYTES + LIVE] = 0;
    const i = this.order.subarray(0, this.size).indexOf(row);
    this.order.copyWithin(i, i + 1, this.size);
    this.size--;
  }

  nextDeadline(): number {
    let t = Infinity;
    for (let i = 0; i < this.size; i++) t = Math.min(t, this.nextTry[this.order[i]]);
    return t;
  }

  /** The DATA body as it goes on the wire (a view: copy before keeping). */
  body(row: number): Uint8Array {
    const at = row * ROW_BYTES;
    return this.bodies.subarray(at, at + this.meta[row * META_BYTES + LENGTH]);
  }

  origin(row: number): Uint8Array {
    const at = row * ROW_BYTES;
    return this.bodies.subarray(at, at + NODE_ID_BYTES);
  }

  isFrom(row: number, origin: Uint8Array): boolean {
    const at = row * ROW_BYTES;
    for (let i = 0; i < NODE_ID_BYTES; i++) if (this.bodies[at + i] !== origin[i]) return false;
    return true;
  }

  /** The destination, or null while it is still to be chosen. */
  destination(row: number): Uint8Array | null {
    if (!this.meta[row * META_BYTES + ROUTED]) return null;
    const at = row * ROW_BYTES + NODE_ID_BYTES;
    return this.bodies.subarray(at, at + NODE_ID_BYTES);
  }

  setDestination(row: number, destination: Uint8Array): void {
    this.bodies.set(destination.subarray(0, NODE_ID_BYTES), row * ROW_BYTES + NODE_ID_BYTES);
    this.meta[row * META_BYTES + ROUTED] = 1;
  }

  kind(row: number): DataKind {
    return this.bodies[row * ROW_BYTES + KIND_AT];
  }

  hops(row: number): number {
    return this.bodies[row * ROW_BYTES + HOPS_AT];
  }

  seq(row: number): number {
    return readU32(this.bodies, row * ROW_BYTES + SEQ_AT);
  }

  /** The payload, in place: an origin writes its entries' base here as they leave. */
  payload(row: number): Uint8Array {
    const at = row * ROW_BYTES;
    return this.bodies.subarray(at + DATA_FIXED_BYTES, at + this.meta[row * META_BYTES + LENGTH]);
  }

  /** Marks a CONFIRM whose receipt was checked here: one that could not be checked does not displace it. */
  setChecked(row: number): void {
    this.meta[row * META_BYTES + CHECKED] = 1;
  }

  checked(row: number): boolean {
    return this.meta[row * META_BYTES + CHECKED] === 1;
  }

  nextTryAt(row: number): number {
    return this.nextTry[row];
  }

  tries(row: number): number {
    return this.meta[row * META_BYTES + TRIES];
  }

  lastSentTo(row: number): number {
    return this.meta[row * META_BYTES + SENT_TO] - 1;
  }
}

/** The wait after the `tries`-th unanswered send (0-based). */
function backoff(tries: number): number {
  return Math.min(MAX_BACKOFF_MS, ACK_TIMEOUT_MS << Math.min(tries, 5));
}
