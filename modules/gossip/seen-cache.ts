/**
 * Duplicate suppression: the last `capacity` (origin, seq) pairs seen, forgotten oldest first.
 * Flat typed arrays (no per-message allocation): keys live in an insertion ring (origin as two u32
 * words, then seq: three words per slot); an open-addressed index with linear probing maps a key to
 * its ring slot. 16 bytes per entry.
 *
 * An index entry holds the ring slot in its low bits and, in the bits the slot leaves free, a tag of
 * the key's hash: a probe passes entries of other tags without reading the ring, which is a random
 * read of memory per entry passed (cold when many nodes run; most keys looked up are new or found
 * at the first probe).
 */
import { readU32 } from "../bytes.js";
import { typedArrays } from "../typed-arrays.js";

const EMPTY = 0xffff;

export class SeenCache {
  private readonly ring: Uint32Array;
  /** Ring slot of each key, EMPTY where free; twice the capacity keeps probes short. */
  private readonly index: Uint16Array;
  private readonly mask: number;
  /** Bits of an index entry that hold the ring slot (log2 capacity); the rest hold the tag. */
  private readonly slotBits: number;
  private readonly slotMask: number;
  private readonly tagMax: number;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 32768 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError("seen cache capacity must be a power of two from 1 to 32768");
    }
    [this.ring, this.index] = typedArrays([Uint32Array, capacity * 3], [Uint16Array, capacity * 2]);
    this.index.fill(EMPTY);
    this.mask = capacity * 2 - 1;
    this.slotBits = 31 - Math.clz32(capacity);
    this.slotMask = capacity - 1;
    // The highest tag is not used: with the last slot it would spell EMPTY.
    this.tagMax = (1 << (16 - this.slotBits)) - 2;
  }

  /** The tag of a key hashed to `h`: its top bits, which the index position (low bits) does not use. */
  private tagOf(h: number): number {
    return Math.min(h >>> (16 + this.slotBits), this.tagMax);
  }

  get size(): number {
    return this.count;
  }

  /** Whether (origin, seq) is held; the origin is `origin[at..at+8]` (a GOSSIP body's start will do). */
  has(origin: Uint8Array, seq: number, at = 0): boolean {
    return this.find(readU32(origin, at), readU32(origin, at + 4), seq) >= 0;
  }

  /** Records the pair; false when it was already there. Evicts the oldest when full. */
  add(origin: Uint8Array, seq: number): boolean {
    const a = readU32(origin, 0);
    const b = readU32(origin, 4);
    if (this.find(a, b, seq) >= 0) return false;
    const slot = this.head;
    if (this.count === this.capacity) this.unindex(slot);
    else this.count++;
    this.ring[3 * slot] = a;
    this.ring[3 * slot + 1] = b;
    this.ring[3 * slot + 2] = seq;
    const h = messageHash(a, b, seq);
    let i = h & this.mask;
    while (this.index[i] !== EMPTY) i = (i + 1) & this.mask;
    this.index[i] = (this.tagOf(h) << this.slotBits) | slot;
    this.head = (slot + 1) % this.capacity;
    return true;
  }

  private find(a: number, b: number, seq: number): number {
    const h = messageHash(a, b, seq);
    const tag = this.tagOf(h);
    let i = h & this.mask;
    for (;;) {
      const entry = this.index[i];
      if (entry === EMPTY) return -1;
      if (entry >>> this.slotBits === tag) {
        const slot = entry & this.slotMask;
        if (this.ring[3 * slot + 2] === seq && this.ring[3 * slot] === a && this.ring[3 * slot + 1] === b) return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes ring slot `slot` from the index, shifting later probes back (no tombstones). */
  private unindex(slot: number): void {
    let i = this.find(this.ring[3 * slot], this.ring[3 * slot + 1], this.ring[3 * slot + 2]);
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const moved = this.index[j];
      if (moved === EMPTY) break;
      const at = 3 * (moved & this.slotMask);
      const home = messageHash(this.ring[at], this.ring[at + 1], this.ring[at + 2]) & this.mask;
      // Move `moved` into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.index[i] = moved;
        i = j;
      }
    }
    this.index[i] = EMPTY;
  }
}

/** 32-bit mix of a message's (origin, seq): the index hash here, and the key HELLO lists carry. */
export function messageHash(a: number, b: number, seq: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(seq, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
