/**
 * Token buckets: `rate` tokens per second, at most `burst` banked. Time is the caller's `now` (ms).
 * `TokenBucket` is one bucket; `heldIn`, `takeFrom` and `resetIn` work a bucket kept in a caller's own
 * Float64Array (tokens, last refill: 16 bytes a bucket, no object), for budgets kept per neighbor or
 * origin (node.ts, open-budget.ts, origin-limiter.ts).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  /** Starts with `initial` tokens (default: a full burst). */
  constructor(private readonly ratePerSecond: number, private readonly burst: number, now: number, initial = burst) {
    this.tokens = initial;
    this.at = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.ratePerSecond) / 1000);
      this.at = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A bucket kept in a Float64Array at `at`: its tokens, then its last refill. */
const TOKENS = 0;
const AT = 1;

/** The tokens the bucket at `f64[at]` holds at `now` (takes none). */
export function heldIn(f64: Float64Array, at: number, ratePerSecond: number, burst: number, now: number): number {
  const since = now - f64[at + AT];
  return since > 0 ? Math.min(burst, f64[at + TOKENS] + (since * ratePerSecond) / 1000) : f64[at + TOKENS];
}

/** Takes one token from the bucket at `f64[at]` if it has one. */
export function takeFrom(f64: Float64Array, at: number, ratePerSecond: number, burst: number, now: number): boolean {
  if (now > f64[at + AT]) {
    f64[at + TOKENS] = Math.min(burst, f64[at + TOKENS] + ((now - f64[at + AT]) * ratePerSecond) / 1000);
    f64[at + AT] = now;
  }
  if (f64[at + TOKENS] < 1) return false;
  f64[at + TOKENS] -= 1;
  return true;
}

/** The bucket at `f64[at]` starts over at `now` with `tokens`. */
export function resetIn(f64: Float64Array, at: number, tokens: number, now: number): void {
  f64[at + TOKENS] = tokens;
  f64[at + AT] = now;
}
