/**
 * Gossip messages waiting for their relay time (relay-policy.ts decides when, and whether).
 *
 * Bounded: `capacity` entries, kept in typed arrays allocated once: per entry its sequence number,
 * origin key, copies heard, kind and the neighbors it needs still missing to go out (u32), fire time (f64), and a row of miss probabilities (one byte per
 * neighbor slot) in one shared buffer, `miss`. A body kept in the repair store's arena (recent-messages.ts)
 * is held as its run there, nothing per entry, and copied out before the store writes over it (`release`);
 * any other body is the only object per entry. Entries leave in any order; `order` keeps the queue order (the
 * order entries are scanned in) and, after the last live entry, the free slots.
 */
import { equalAt, readU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

const SEQ = 0;
const COPIES = 1;
const REPAIR = 2;
const NEEDED = 3;
/** Both halves of the origin folded (as idKey): find skips other origins' entries without reading their bodies. */
const ORIGIN_KEY = 4;
/** Where its body lies in the arena (start × 65,536 + length), when `apart` holds none. */
const RUN = 5;
const STRIDE = 6;

export class RelayQueue {
  /** Miss probabilities (/255): entry `slot`'s row of `width` bytes starts at missAt(slot). */
  readonly miss: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly fireTimes: Float64Array;
  /**
   * The gossip body to send (hop count already advanced) by slot, where not held as a run of the arena:
   * few where bodies are readings, so a Map (≈ 130 B empty) rather than an array of `capacity`.
   */
  private readonly apart = new Map<number, Uint8Array>();
  /** Slots of live entries in queue order, then the free ones. */
  private readonly order: Uint16Array;
  private count = 0;
  /** The earliest fire time, NaN when it must be found again (after its entry left): asked after every input. */
  private soonest = Infinity;

  constructor(readonly capacity: number, private readonly width: number, private readonly arena: Uint8Array) {
    [this.fireTimes, this.u32, this.order, this.miss] = typedArrays(
      [Float64Array, capacity], [Uint32Array, capacity * STRIDE], [Uint16Array, capacity], [Uint8Array, capacity * width]);
    for (let i = 0; i < capacity; i++) this.order[i] = i;
  }

  get length(): number {
    return this.count;
  }

  /** Slot of the `i`-th entry in queue order (i < length). */
  slotAt(i: number): number {
    return this.order[i];
  }

  /**
   * Appends `body` (origin at its first 8 bytes) as a first relay or a repair, to go out when at
   * least `needed` neighbors are likely still missing it; returns its slot, or -1 when full. Its miss
   * row reads 0 (no neighbor known to miss it); set its fire time next.
   */
  add(body: Uint8Array, seq: number, repair: boolean, needed = 1): number {
    if (this.count === this.capacity) return -1;
    const slot = this.order[this.count++];
    const start = body.byteOffset - this.arena.byteOffset;
    const inArena = body.buffer === this.arena.buffer && start >= 0 && start + body.length <= this.arena.length;
    if (!inArena) this.apart.set(slot, body);
    this.u32[slot * STRIDE + RUN] = inArena ? start * 0x10000 + body.length : 0;
    this.u32[slot * STRIDE + SEQ] = seq;
    this.u32[slot * STRIDE + COPIES] = 0;
    this.u32[slot * STRIDE + REPAIR] = repair ? 1 : 0;
    this.u32[slot * STRIDE + NEEDED] = needed;
    this.u32[slot * STRIDE + ORIGIN_KEY] = readU32(body, 0) ^ readU32(body, 4);
    this.fireTimes[slot] = Infinity;
    this.miss.fill(0, slot * this.width, (slot + 1) * this.width);
    return slot;
  }

  /** Removes the `i`-th entry in queue order; later ones move up. */
  removeAt(i: number): void {
    const slot = this.order[i];
    if (this.fireTimes[slot] === this.soonest) this.soonest = NaN;
    this.order.copyWithin(i, i + 1, this.count);
    this.order[--this.count] = slot;
    this.apart.delete(slot);
  }

  /** Slot of the entry for (origin at `origin[at..at+8]`, seq), first in queue order, or -1. */
  find(origin: Uint8Array, seq: number, at = 0): number {
    // Every node numbers from 1, so seqs alone match other origins' entries often.
    const key = (readU32(origin, at) ^ readU32(origin, at + 4)) >>> 0;
    for (let i = 0; i < this.count; i++) {
      const slot = this.order[i];
      const row = slot * STRIDE;
      if (this.u32[row + SEQ] === seq && this.u32[row + ORIGIN_KEY] === key && equalAt(this.body(slot), 0, origin, at, NODE_ID_BYTES)) return slot;
    }
    return -1;
  }

  /** A body held as a run meeting `arena[start, end)` is copied out: those bytes are about to be written over (RecentMessages). */
  release(start: number, end: number): void {
    for (let i = 0; i < this.count; i++) {
      const slot = this.order[i];
      const run = this.u32[slot * STRIDE + RUN];
      if (!this.apart.has(slot) && run >>> 16 < end && (run >>> 16) + (run & 0xffff) > start) this.apart.set(slot, this.body(slot).slice());
    }
  }

  missAt(slot: number): number {
    return slot * this.width;
  }

  /** Entry `slot`'s body: a view of the arena when held as a run, good until the repair store next adds. */
  body(slot: number): Uint8Array {
    const run = this.u32[slot * STRIDE + RUN];
    return this.apart.get(slot) ?? this.arena.subarray(run >>> 16, (run >>> 16) + (run & 0xffff));
  }

  seq(slot: number): number {
    return this.u32[slot * STRIDE + SEQ];
  }

  fireAt(slot: number): number {
    return this.fireTimes[slot];
  }

  setFireAt(slot: number, fireAt: number): void {
    if (this.fireTimes[slot] === this.soonest && fireAt > this.soonest) this.soonest = NaN;
    this.fireTimes[slot] = fireAt;
    if (fireAt < this.soonest) this.soonest = fireAt;
  }

  /** Duplicates heard since it was queued. */
  copies(slot: number): number {
    return this.u32[slot * STRIDE + COPIES];
  }

  heardCopy(slot: number): void {
    this.u32[slot * STRIDE + COPIES]++;
  }

  /** A repair for a neighbor whose HELLO showed it missed the message, not a first relay. */
  isRepair(slot: number): boolean {
    return this.u32[slot * STRIDE + REPAIR] === 1;
  }

  /** Neighbors that must be likely still missing it for it to go out (relay-policy.ts shouldRelay). */
  needed(slot: number): number {
    return this.u32[slot * STRIDE + NEEDED];
  }

  setNeeded(slot: number, needed: number): void {
    this.u32[slot * STRIDE + NEEDED] = needed;
  }

  /** The earliest fire time (Infinity when empty). */
  earliest(): number {
    if (this.soonest === this.soonest) return this.soonest;
    let t = Infinity;
    for (let i = 0; i < this.count; i++) t = Math.min(t, this.fireTimes[this.order[i]]);
    this.soonest = t;
    return t;
  }
}
