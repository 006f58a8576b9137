/**
 * Anti-replay for one sender, in the manner of IPsec's sliding window (RFC 4303 §3.4.3):
 * frames are ordered by (epoch, counter); a frame is fresh if it is newer than any seen, or within
 * the last WINDOW counters and not yet seen. A newer epoch (the sender rebooted) restarts the window.
 * Check only after the frame authenticated, so forgeries cannot move the window.
 */
export const REPLAY_WINDOW = 32;

export class ReplayWindow {
  epoch = -1;
  highest = -1;
  /** Bit i set = counter (highest - i) seen. */
  private bits = 0;

  /** Starts as if every frame up to (epoch, highest) had been seen (a forgotten sender's floor). */
  startAt(epoch: number, highest: number): void {
    this.epoch = epoch;
    this.highest = highest;
    this.bits = 0xffffffff;
  }

  /** True if (epoch, counter) has not been accepted before and is not too old; records it. */
  accept(epoch: number, counter: number): boolean {
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.highest = counter;
      this.bits = 1;
      return true;
    }
    if (epoch < this.epoch) return false;
    if (counter > this.highest) {
      const shift = counter - this.highest;
      this.bits = shift >= REPLAY_WINDOW ? 1 : ((this.bits << shift) | 1) >>> 0;
      this.highest = counter;
      return true;
    }
    const age = this.highest - counter;
    if (age >= REPLAY_WINDOW) return false;
    const bit = (1 << age) >>> 0;
    if ((this.bits & bit) !== 0) return false;
    this.bits = (this.bits | bit) >>> 0;
    return true;
  }
}
