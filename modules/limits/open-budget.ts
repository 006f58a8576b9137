/**
 * The secretbox opens a node spends on frames it cannot yet tell from an outsider's: those whose
 * sender has no verified certificate here, or that come from another link address than the admitted
 * sender's bound one (node.ts). Anyone on the Wi-Fi can send such frames without the network key,
 * and each costs an open (tens of ms on the board) before it fails; this budget bounds that.
 *
 * Two levels of token buckets: one per link address, so one flooding address cannot take the whole
 * budget from a newcomer's HELLO, and one shared by every such frame, so spoofed source addresses
 * (free on UDP) cannot multiply the budget. A frame needs a token of both.
 *
 * Bounded: `capacity` link addresses, the least recently seen forgotten first. A forgotten address
 * comes back with a full bucket: the shared bucket, not the table, caps what churning addresses get.
 * Link addresses are whatever the host passes to `receive`, compared with its `sameLink`; the table
 * is scanned (it is small, and only frames about to cost an open come here).
 */
import { TokenBucket, TokenBuckets } from "./token-bucket.js";

export class OpenBudget {
  private readonly links: unknown[];
  /** Per slot: the use counter when its address was last seen (least recently seen goes first). */
  private readonly seen: Float64Array;
  private uses = 0;
  private count = 0;
  private readonly perLink: TokenBuckets;
  private readonly shared: TokenBucket;

  constructor(
    readonly capacity: number,
    private readonly perLinkBurst: number,
    perLinkPerSecond: number,
    sharedBurst: number,
    sharedPerSecond: number,
    private readonly sameLink: (a: unknown, b: unknown) => boolean,
  ) {
    this.links = new Array<unknown>(capacity).fill(null);
    this.seen = new Float64Array(capacity);
    this.perLink = new TokenBuckets(capacity, perLinkPerSecond, perLinkBurst);
    this.shared = new TokenBucket(sharedPerSecond, sharedBurst, 0);
  }

  /** Whether a frame from `link` may be opened now (takes a token of its address and a shared one if so). */
  allow(link: unknown, now: number): boolean {
    let slot = this.find(link);
    if (slot < 0) {
      slot = this.count < this.capacity ? this.count++ : this.leastRecentlySeen();
      this.links[slot] = link;
      this.perLink.reset(slot, now, this.perLinkBurst);
    }
    this.seen[slot] = ++this.uses;
    if (this.perLink.held(slot, now) < 1 || !this.shared.take(now)) return false;
    return this.perLink.take(slot, now);
  }

  /** Link addresses tracked. */
  get size(): number {
    return this.count;
  }

  private find(link: unknown): number {
    for (let slot = 0; slot < this.count; slot++) if (this.sameLink(this.links[slot], link)) return slot;
    return -1;
  }

  private leastRecentlySeen(): number {
    let oldest = 0;
    for (let slot = 1; slot < this.count; slot++) if (this.seen[slot] < this.seen[oldest]) oldest = slot;
    return oldest;
  }
}
