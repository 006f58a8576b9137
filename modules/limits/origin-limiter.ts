/**
 * Per-origin rate limit on relaying: each origin's new messages are relayed at most `ratePerMinute`
 * on average (bursts of `burst`), however fast it publishes, so one flooding insider cannot take the
 * mesh's airtime. Messages over the limit are still delivered here, just not passed on.
 *
 * Bounded: buckets for `capacity` origins, the least recently active forgotten first. An origin met
 * anew starts with NEW_TOKENS, not a full burst: a flooder whose bucket was forgotten (because many
 * other origins were active meanwhile) gains that little, while an honest origin's next message still
 * goes through.
 */
import { TokenBucket } from "./token-bucket.js";

const NEW_TOKENS = 2;

export class OriginLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly ratePerMinute: number, private readonly burst: number, private readonly capacity: number) {}

  allow(originHex: string, now: number): boolean {
    let bucket = this.buckets.get(originHex);
    if (bucket) {
      this.buckets.delete(originHex);
    } else {
      if (this.buckets.size >= this.capacity) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = new TokenBucket(this.ratePerMinute / 60, this.burst, now, Math.min(this.burst, NEW_TOKENS));
    }
    this.buckets.set(originHex, bucket);
    return bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }
}
