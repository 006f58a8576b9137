/**
 * Items this node holds on behalf of others (and its own), until the next hop takes custody.
 *
 * An item is sent to the next hop toward its destination and kept until that neighbor ACKs it; an
 * unanswered send is retried with exponential backoff. Bounded: `capacity` items; a full queue
 * refuses custody (the sender then keeps the item and tries again later, perhaps elsewhere).
 */
import { equalBytes } from "../bytes.js";
import type { DataKind } from "../wire/data.js";

export interface CustodyItem {
  origin: Uint8Array;
  destination: Uint8Array;
  kind: DataKind;
  seq: number;
  payload: Uint8Array;
  /** Hops travelled when it reached us. */
  hops: number;
  /** When to (re)send; Infinity while waiting for a route. */
  nextTryAt: number;
  tries: number;
  /** Neighbor slot it was last sent to (-1: not sent yet). */
  sentTo: number;
}

/** First ACK timeout; doubles per unanswered try up to MAX_BACKOFF_MS. */
export const ACK_TIMEOUT_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

export class CustodyQueue {
  readonly items: CustodyItem[] = [];

  constructor(readonly capacity: number) {}

  get full(): boolean {
    return this.items.length >= this.capacity;
  }

  find(origin: Uint8Array, kind: DataKind, seq: number): CustodyItem | undefined {
    for (const item of this.items) {
      if (item.seq === seq && item.kind === kind && equalBytes(item.origin, origin)) return item;
    }
    return undefined;
  }

  /** Takes custody; false when full. The caller checked for a copy already held. */
  add(item: Omit<CustodyItem, "nextTryAt" | "tries" | "sentTo">, now: number): boolean {
    if (this.full) return false;
    this.items.push({ ...item, nextTryAt: now, tries: 0, sentTo: -1 });
    return true;
  }

  /** The next hop `slot` took custody: the item is no longer ours. */
  acknowledged(slot: number, origin: Uint8Array, kind: DataKind, seq: number): CustodyItem | undefined {
    const item = this.find(origin, kind, seq);
    if (!item || item.sentTo !== slot) return undefined;
    this.items.splice(this.items.indexOf(item), 1);
    return item;
  }

  /** Records a send to `slot` and when to try again if no ACK comes. */
  sent(item: CustodyItem, slot: number, now: number): void {
    item.sentTo = slot;
    item.nextTryAt = now + Math.min(MAX_BACKOFF_MS, ACK_TIMEOUT_MS << Math.min(item.tries, 5));
    item.tries++;
  }

  remove(item: CustodyItem): void {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
  }

  nextDeadline(): number {
    let t = Infinity;
    for (const item of this.items) if (item.nextTryAt < t) t = item.nextTryAt;
    return t;
  }
}
