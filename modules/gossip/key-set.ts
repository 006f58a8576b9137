/**
 * A set of u16 listed keys, filled and queried once per neighbor HELLO (repair looks up each of
 * our recent messages in the keys the HELLO lists). Keys are folded messageHash outputs, already
 * well mixed, so their low bits index an open-addressed table directly.
 *
 * Bounded: `capacity` keys (≤ 255) in insertion order, and an index of twice as many one-byte
 * slots (probes stay short), each 0 or 1 + a key's position: 4 bytes per key.
 */
export class KeySet {
  private readonly keys: Uint16Array;
  private readonly index: Uint8Array;
  private readonly mask: number;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1 && capacity <= 255)) throw new RangeError("key set capacity must be 1..255");
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    this.keys = new Uint16Array(capacity);
    this.index = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Empties the set. */
  clear(): void {
    this.count = 0;
    this.index.fill(0);
  }

  /** Adds `key` (a repeat is kept once); ignored when `capacity` keys are already held. */
  add(key: number): void {
    if (this.count === this.capacity) return;
    let i = key & this.mask;
    for (let at = this.index[i]; at !== 0; at = this.index[i]) {
      if (this.keys[at - 1] === key) return;
      i = (i + 1) & this.mask;
    }
    this.keys[this.count++] = key;
    this.index[i] = this.count;
  }

  has(key: number): boolean {
    let i = key & this.mask;
    for (let at = this.index[i]; at !== 0; at = this.index[i]) {
      if (this.keys[at - 1] === key) return true;
      i = (i + 1) & this.mask;
    }
    return false;
  }
}
