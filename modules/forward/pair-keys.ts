/**
 * CONFIRM pair keys (confirm-tag.ts) by the other side's node id: on an origin, those of its gateways;
 * on a gateway, those of its origins. Bounded: `capacity` keys, the least recently used forgotten
 * first (an origin derives again from the gateway's next certificate-carrying CONFIRM, a gateway from
 * the origin's certificate, cached or carried by its next checkpoint).
 *
 * Memory: typed arrays allocated once, 8 + 32 + 8 bytes a key; a lookup compares two u32 words per slot.
 */
import { readU32 } from "../bytes.js";
import { PAIR_KEY_BYTES } from "./confirm-tag.js";

export class PairKeys {
  /** Per slot: the id as two big-endian words. */
  private readonly ids: Uint32Array;
  private readonly keys: Uint8Array;
  /** Use counter at the last put or get; 0: a free slot. */
  private readonly ranks: Float64Array;
  private uses = 0;

  constructor(readonly capacity: number) {
    this.ids = new Uint32Array(2 * capacity);
    this.keys = new Uint8Array(PAIR_KEY_BYTES * capacity);
    this.ranks = new Float64Array(capacity);
  }

  /** The key shared with `id` (a view), marked most recently used; null if none. */
  get(id: Uint8Array): Uint8Array | null {
    const slot = this.find(id);
    if (slot < 0) return null;
    this.ranks[slot] = ++this.uses;
    return this.keys.subarray(slot * PAIR_KEY_BYTES, (slot + 1) * PAIR_KEY_BYTES);
  }

  /** Keeps `key` as the one shared with `id`, in a free slot, or the least recently used one's. */
  put(id: Uint8Array, key: Uint8Array): void {
    let slot = this.find(id);
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < this.capacity && this.ranks[slot] !== 0; s++) if (this.ranks[s] < this.ranks[slot]) slot = s;
      this.ids[2 * slot] = readU32(id, 0);
      this.ids[2 * slot + 1] = readU32(id, 4);
    }
    this.keys.set(key.subarray(0, PAIR_KEY_BYTES), slot * PAIR_KEY_BYTES);
    this.ranks[slot] = ++this.uses;
  }

  private find(id: Uint8Array): number {
    const high = readU32(id, 0);
    const low = readU32(id, 4);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.ids[2 * slot + 1] === low && this.ids[2 * slot] === high && this.ranks[slot] !== 0) return slot;
    }
    return -1;
  }
}

