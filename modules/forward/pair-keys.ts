/**
 * CONFIRM pair keys (confirm-tag.ts) by the other side's node id: on an origin, those of its gateways;
 * on a gateway, those of its origins. Bounded: `capacity` keys, the least recently used forgotten
 * first (an origin derives again from the gateway's next certificate-carrying CONFIRM, a gateway from
 * the origin's certificate, cached or carried by its next checkpoint).
 *
 * Memory: two typed arrays allocated once (each costs heap of its own beyond its bytes), 8 + 32 + 8
 * bytes a key; a lookup compares two u32 words per slot.
 */
import { readU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { PAIR_KEY_BYTES } from "./confirm-tag.js";
import { typedArrays } from "../typed-arrays.js";

/** Per slot, in `rows`: the id, then the key. */
const ROW = NODE_ID_BYTES + PAIR_KEY_BYTES;

export class PairKeys {
  private readonly rows: Uint8Array;
  /** Use counter at the last put or get; 0: a free slot. */
  private readonly ranks: Float64Array;
  private uses = 0;

  constructor(readonly capacity: number) {
    [this.ranks, this.rows] = typedArrays([Float64Array, capacity], [Uint8Array, ROW * capacity]);
  }

  /** The key shared with `id` (a view), marked most recently used; null if none. */
  get(id: Uint8Array): Uint8Array | null {
    const slot = this.find(id);
    if (slot < 0) return null;
    this.ranks[slot] = ++this.uses;
    return this.rows.subarray(slot * ROW + NODE_ID_BYTES, (slot + 1) * ROW);
  }

  /** Keeps `key` as the one shared with `id`, in a free slot, or the least recently used one's. */
  put(id: Uint8Array, key: Uint8Array): void {
    let slot = this.find(id);
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < this.capacity && this.ranks[slot] !== 0; s++) if (this.ranks[s] < this.ranks[slot]) slot = s;
      this.rows.set(id.subarray(0, NODE_ID_BYTES), slot * ROW);
    }
    this.rows.set(key.subarray(0, PAIR_KEY_BYTES), slot * ROW + NODE_ID_BYTES);
    this.ranks[slot] = ++this.uses;
  }

  /** Forgets the key of every id `drop` names (revoked ones). */
  forgetWhere(drop: (id: Uint8Array) => boolean): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.ranks[slot] !== 0 && drop(this.rows.subarray(slot * ROW, slot * ROW + NODE_ID_BYTES))) this.ranks[slot] = 0;
    }
  }

  private find(id: Uint8Array): number {
    const high = readU32(id, 0);
    const low = readU32(id, 4);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (readU32(this.rows, slot * ROW + 4) === low && readU32(this.rows, slot * ROW) === high && this.ranks[slot] !== 0) return slot;
    }
    return -1;
  }
}

