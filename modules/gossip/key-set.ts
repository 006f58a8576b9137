/**
 * A set of u32 message keys, filled and queried once per neighbor HELLO (repair looks up each of
 * our recent messages in the keys the HELLO lists). Keys are messageHash outputs, already well
 * mixed, so their low bits index an open-addressed table directly.
 *
 * Bounded: twice `capacity` slots (probes stay short). Clearing is O(1): a slot belongs to the
 * current fill only if its stamp equals the fill's generation; the stamps are wiped only when the
 * generation wraps. 5 bytes per slot.
 */
export class KeySet {
  private readonly keys: Uint32Array;
  private readonly stamps: Uint8Array;
  private readonly mask: number;
  private generation = 1;
  private count = 0;

  constructor(readonly capacity: number) {
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    this.keys = new Uint32Array(size);
    this.stamps = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Empties the set. */
  clear(): void {
    this.count = 0;
    if (++this.generation === 256) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** Adds `key` (a repeat is kept once); ignored when `capacity` keys are already held. */
  add(key: number): void {
    if (this.count === this.capacity) return;
    const gen = this.generation;
    let i = key & this.mask;
    for (; this.stamps[i] === gen; i = (i + 1) & this.mask) if (this.keys[i] === key) return;
    this.stamps[i] = gen;
    this.keys[i] = key;
    this.count++;
  }

  has(key: number): boolean {
    const gen = this.generation;
    for (let i = key & this.mask; this.stamps[i] === gen; i = (i + 1) & this.mask) if (this.keys[i] === key) return true;
    return false;
  }
}
