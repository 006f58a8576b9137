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
import { heldIn, resetIn, takeFrom } from "./token-bucket.js";

/** Per slot, in `f64`: its address's last use (the use counter; least recently seen goes first), then its bucket. */
const SEEN = 0;
const BUCKET = 1;
const ROW = 3;

export class OpenBudget {
  private readonly links: unknown[];
  /**
   * The rows of the `capacity` slots, then the shared bucket: one typed array for the whole table
   * (a typed array costs ≈ 130 B of heap beyond its bytes, docs/architecture.md §Memory).
   */
  private readonly f64: Float64Array;
  private readonly shared: number;
  private uses = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly perLinkBurst: number,
    private readonly perLinkPerSecond: number,
    private readonly sharedBurst: number,
    private readonly sharedPerSecond: number,
    private readonly sameLink: (a: unknown, b: unknown) => boolean,
  ) {
    this.links = new Array<unknown>(capacity).fill(null);
    this.shared = capacity * ROW;
    this.f64 = new Float64Array(this.shared + 2);
    resetIn(this.f64, this.shared, sharedBurst, 0);
  }

  /** Whether a frame from `link` may be opened now (takes a token of its address and a shared one if so). */
  allow(link: unknown, now: number): boolean {
    let slot = this.find(link);
    if (slot < 0) {
      slot = this.count < this.capacity ? this.count++ : this.leastRecentlySeen();
      this.links[slot] = link;
      resetIn(this.f64, slot * ROW + BUCKET, this.perLinkBurst, now);
    }
    const f64 = this.f64;
    const bucket = slot * ROW + BUCKET;
    f64[slot * ROW + SEEN] = ++this.uses;
    if (heldIn(f64, bucket, this.perLinkPerSecond, this.perLinkBurst, now) < 1 ||
        !takeFrom(f64, this.shared, this.sharedPerSecond, this.sharedBurst, now)) return false;
    return takeFrom(f64, bucket, this.perLinkPerSecond, this.perLinkBurst, now);
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
    const f64 = this.f64;
    let oldest = 0;
    for (let slot = 1; slot < this.count; slot++) if (f64[slot * ROW + SEEN] < f64[oldest * ROW + SEEN]) oldest = slot;
    return oldest;
  }
}
