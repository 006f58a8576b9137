/**
 * Token buckets: `rate` tokens per second, at most `burst` banked. Time is the caller's `now` (ms).
 * `TokenBucket` is one bucket; `TokenBuckets` a table of them, one per slot, in one typed array
 * (tokens, last refill: 16 bytes a bucket, no object), for budgets kept per neighbor or per origin.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  /** Starts with `initial` tokens (default: a full burst). */
  constructor(private readonly ratePerSecond: number, private readonly burst: number, now: number, initial = burst) {
    this.tokens = initial;
    this.at = now;
  }

  /** The tokens held at `now` (takes none). */
  held(now: number): number {
    return now > this.at ? Math.min(this.burst, this.tokens + ((now - this.at) * this.ratePerSecond) / 1000) : this.tokens;
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

const TOKENS = 0;
const AT = 1;

export class TokenBuckets {
  private readonly f64: Float64Array;

  constructor(readonly capacity: number, private readonly ratePerSecond: number, private readonly burst: number) {
    this.f64 = new Float64Array(capacity * 2);
  }

  /** Bucket `i` starts over at `now` with `initial` tokens (default: a full burst). */
  reset(i: number, now: number, initial = this.burst): void {
    this.f64[2 * i + TOKENS] = initial;
    this.f64[2 * i + AT] = now;
  }

  /** The tokens bucket `i` holds at `now` (takes none). */
  held(i: number, now: number): number {
    const f = 2 * i;
    const since = now - this.f64[f + AT];
    return since > 0 ? Math.min(this.burst, this.f64[f + TOKENS] + (since * this.ratePerSecond) / 1000) : this.f64[f + TOKENS];
  }

  /** Takes one token from bucket `i` if it has one. */
  take(i: number, now: number): boolean {
    const f = 2 * i;
    if (now > this.f64[f + AT]) {
      this.f64[f + TOKENS] = Math.min(this.burst, this.f64[f + TOKENS] + ((now - this.f64[f + AT]) * this.ratePerSecond) / 1000);
      this.f64[f + AT] = now;
    }
    if (this.f64[f + TOKENS] < 1) return false;
    this.f64[f + TOKENS] -= 1;
    return true;
  }
}
