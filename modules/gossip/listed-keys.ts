/**
 * The keys a neighbor's HELLO lists, filled and queried once per HELLO (repair looks up each of our
 * recent messages it judges). Kept sorted, and searched by halving: 2 bytes per key and no index,
 * which the board's heap budget wants more than a hash set's constant-time probe (a hash set of
 * 255 keys took twice the bytes).
 *
 * Bounded: `capacity` keys (≤ 255, a HELLO's most); adds past it are ignored.
 */
export class ListedKeys {
  private readonly keys: Uint16Array;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1 && capacity <= 255)) throw new RangeError("listed key capacity must be 1..255");
    this.keys = new Uint16Array(capacity);
  }

  /** Empties the list. */
  clear(): void {
    this.count = 0;
  }

  /** Adds the u16 `key` (repeats are harmless); ignored when `capacity` keys are already held. Call `sort` after the last. */
  add(key: number): void {
    if (this.count < this.capacity) this.keys[this.count++] = key;
  }

  /** Orders the keys added so far: `has` needs it. */
  sort(): void {
    // Unused places hold 0xffff, above or equal to every key: the whole array sorts with the keys first.
    this.keys.fill(0xffff, this.count);
    this.keys.sort();
  }

  has(key: number): boolean {
    const keys = this.keys;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && keys[lo] === key;
  }
}
