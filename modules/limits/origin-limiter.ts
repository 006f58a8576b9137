/**
 * Per-origin rate limit on relaying: each origin's new messages are relayed at most `ratePerMinute`
 * on average (bursts of `burst`), however fast it publishes, so one flooding insider cannot take the
 * mesh's airtime. Messages over the limit are still delivered here, just not passed on.
 *
 * Bounded: buckets for `capacity` origins, the least recently active forgotten first. An origin met
 * anew starts with NEW_TOKENS, not a full burst: a flooder whose bucket was forgotten (because many
 * other origins were active meanwhile) gains that little, while an honest origin's next message still
 * goes through. Origins and buckets are slots of typed arrays; a lookup compares two u32 words per slot.
 */
import { readU32 } from "../bytes.js";
import { TokenBuckets } from "./token-bucket.js";

const NEW_TOKENS = 2;

export class OriginLimiter {
  private readonly buckets: TokenBuckets;
  /** Each slot's origin id as two big-endian u32 words. */
  private readonly ids: Uint32Array;
  /** Use counter at the last allow. */
  private readonly ranks: Float64Array;
  private uses = 0;
  private count = 0;

  constructor(ratePerMinute: number, private readonly burst: number, private readonly capacity: number) {
    this.buckets = new TokenBuckets(capacity, ratePerMinute / 60, burst);
    this.ids = new Uint32Array(capacity * 2);
    this.ranks = new Float64Array(capacity);
  }

  /** Whether a new message of the 8-byte `origin` may be relayed now (takes a token if so). */
  allow(origin: Uint8Array, now: number): boolean {
    const high = readU32(origin, 0);
    const low = readU32(origin, 4);
    let slot = this.find(high, low);
    if (slot < 0) {
      slot = this.count < this.capacity ? this.count++ : this.leastRecent();
      this.ids[2 * slot] = high;
      this.ids[2 * slot + 1] = low;
      this.buckets.reset(slot, now, Math.min(this.burst, NEW_TOKENS));
    }
    this.ranks[slot] = ++this.uses;
    return this.buckets.take(slot, now);
  }

  get size(): number {
    return this.count;
  }

  private find(high: number, low: number): number {
    for (let slot = 0; slot < this.count; slot++) if (this.ids[2 * slot + 1] === low && this.ids[2 * slot] === high) return slot;
    return -1;
  }

  private leastRecent(): number {
    let slot = 0;
    for (let s = 1; s < this.count; s++) if (this.ranks[s] < this.ranks[slot]) slot = s;
    return slot;
  }
}
