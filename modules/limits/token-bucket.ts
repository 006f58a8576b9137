/**
 * A token bucket: `rate` tokens per second, at most `burst` banked. Time is the caller's `now` (ms).
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
