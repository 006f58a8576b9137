/**
 * The last few gossip messages a node received, kept whole so that it can repair a neighbor that
 * missed one (docs/protocol.md §Repair). Each HELLO lists the keys of the messages its sender got
 * within a recent window; a neighbor that holds one of its own recent messages, received well
 * inside that window, that the list lacks, knows the sender missed it and schedules a repair.
 *
 * Bounded: `capacity` entries, a ring in typed arrays (key, flag, repair count and neighbors missing
 * it in u32, times in f64, where its body lies in u16). Every message received is listed; only bodies
 * of at most `maxBodyBytes` that this node may relay are kept for repair.
 *
 * Kept bodies are copied into `arena`, a ring of bytes allocated at boot, in receive order: on XS a
 * body of its own costs 7 slots and a chunk header (≈ 130 B of the board's heap beyond its bytes), a
 * run of the arena nothing. A body the arena has no room for (the live runs, oldest to newest, leave
 * no gap as long as it) is kept as an object of its own, so what is kept does not depend on the
 * arena's size. The relay queue holds kept bodies as runs of the arena too: before a run is written
 * over, `borrowers` copies out what it holds of it (its entry already left the store).
 */
import { readU32 } from "../bytes.js";
import { messageHash } from "./seen-cache.js";
import { typedArrays } from "../typed-arrays.js";

export function messageKey(origin: Uint8Array, seq: number): number {
  return messageHash(readU32(origin, 0), readU32(origin, 4), seq);
}

/**
 * The 16 bits of a message key that a HELLO lists. A message another key shares them with looks held
 * (no repair from that HELLO): with 255 keys listed, 255 / 65,536 = 0.4 % of a neighbor's gaps, which
 * its next HELLO or another neighbor's repair covers.
 */
export function listedKey(key: number): number {
  return (key ^ (key >>> 16)) & 0xffff;
}

/**
 * Per entry, u32: its key, its flags (LATE, OWN, KEPT), the repairs we scheduled of it, and the neighbor
 * slots (bits 0-31) shown missing it that have not listed it since.
 */
const KEY = 0;
const FLAGS = 1;
const REPAIRS = 2;
const MISSING = 3;
const STRIDE = 4;
/** Flags: it reached us as a repair; we published it; its body is kept. */
const LATE = 1;
const OWN = 2;
const KEPT = 4;
/** Its kept body is a run of the arena (else an object of its own, in `apart`). */
const IN_ARENA = 8;
/** Per entry, u16: where its run starts in the arena and its length. */
const START = 0;
const LENGTH = 1;

/** Who may hold runs of the arena past their entry's life (the relay queue). */
export interface ArenaBorrowers {
  /** Copy out any run held that meets `arena[start, end)`: those bytes are about to be written over. */
  release(start: number, end: number): void;
}

export class RecentMessages {
  private readonly u32: Uint32Array;
  private readonly times: Float64Array;
  /** The last time a neighbor was shown missing it or our repair of it went out (0 if neither). */
  private readonly missingTimes: Float64Array;
  /** Per entry: its run's START and LENGTH in the arena. */
  private readonly runs: Uint16Array;
  /**
   * Kept bodies the arena had no room for, as objects of their own, by slot: few where bodies are
   * readings, so a Map (≈ 130 B empty, ≈ 50 B an entry) rather than an array of `capacity` (≈ 0.9 KB at 24).
   */
  private readonly apart = new Map<number, Uint8Array>();
  /** See `shownFrom`. */
  private oldestShown = Infinity;
  /** See `lastOwnAt`. */
  private newestOwnAt = -Infinity;
  /** Ring position of the oldest entry. */
  private head = 0;
  private count = 0;

  /** `arena`: where kept bodies go, exactly as we would send them (hop count already advanced), shared with `borrowers`. */
  constructor(readonly capacity: number, readonly maxBodyBytes: number, private readonly arena: Uint8Array,
              private readonly borrowers: ArenaBorrowers) {
    if (capacity < 1 || capacity > 256) throw new RangeError("recent message capacity must be 1..256");
    if (arena.length > 0xffff) throw new RangeError("recent store arena must be at most 65,535 bytes");
    [this.times, this.missingTimes, this.u32, this.runs] = typedArrays([Float64Array, capacity], [Float64Array, capacity],
      [Uint32Array, capacity * STRIDE], [Uint16Array, capacity * 2]);
  }

  /**
   * No entry received before this has a neighbor shown missing it (Infinity: none has): repair's
   * scan starts here, or at the window's opening if earlier. A lower bound that shownMissing lowers
   * and a scan over every entry from it may raise (`scannedFromShown`).
   */
  get shownFrom(): number {
    return this.oldestShown;
  }

  /** A scan saw every entry from `shownFrom` on: `lowest` is the receive time of the oldest still shown missing (Infinity: none). */
  scannedFromShown(lowest: number): void {
    this.oldestShown = lowest;
  }

  /** Receive time of the newest entry we published (-Infinity: none yet): before it, repair judges only others' messages. */
  get lastOwnAt(): number {
    return this.newestOwnAt;
  }

  /** Entries held; `i` below runs from 0, the oldest, to size - 1, the newest (receive order). */
  get size(): number {
    return this.count;
  }

  key(i: number): number {
    return this.u32[STRIDE * this.at(i) + KEY];
  }

  /** Entry `i`'s kept body, or null: a view of the arena, good until the next `add` (the borrowers' runs are kept safe). */
  body(i: number): Uint8Array | null {
    return this.bodyAt(this.at(i));
  }

  receivedAt(i: number): number {
    return this.times[this.at(i)];
  }

  /**
   * It reached us as a repair, long after our neighbors had it: its receive time says nothing about
   * theirs, so it is never the ground for repairing them (that would ping-pong).
   */
  late(i: number): boolean {
    return (this.u32[STRIDE * this.at(i) + FLAGS] & LATE) !== 0;
  }

  /** We published it (a flag, so that repair need not read the body of every entry it passes over). */
  own(i: number): boolean {
    return (this.u32[STRIDE * this.at(i) + FLAGS] & OWN) !== 0;
  }

  /** Its body is kept and it is not late: it can ground a repair (a flag, read beside the others: repair passes over many). */
  canRepair(i: number): boolean {
    return (this.u32[STRIDE * this.at(i) + FLAGS] & (KEPT | LATE)) === KEPT;
  }

  /** Repairs of entry `i` scheduled so far (counted by `repaired`). */
  repairs(i: number): number {
    return this.u32[STRIDE * this.at(i) + REPAIRS];
  }

  repaired(i: number): void {
    this.u32[STRIDE * this.at(i) + REPAIRS]++;
  }

  /** The neighbor in `slot` (0-31) was shown missing entry `i` at `now`. */
  shownMissing(i: number, slot: number, now: number): void {
    const j = this.at(i);
    if (this.u32[STRIDE * j + MISSING] === 0 && this.times[j] < this.oldestShown) this.oldestShown = this.times[j];
    this.u32[STRIDE * j + MISSING] |= 1 << slot;
    this.missingTimes[j] = now;
  }

  /** The slots (bit s for slot s) of the neighbors shown missing entry `i` that have not listed it since: one read for all. */
  missing(i: number): number {
    return this.u32[STRIDE * this.at(i) + MISSING];
  }

  /** Entry `i`'s misses are too old to judge again for any neighbor. */
  forgetMissing(i: number): void {
    this.u32[STRIDE * this.at(i) + MISSING] = 0;
  }

  /** The neighbor in `slot` listed entry `i`: it has it. */
  listedBy(i: number, slot: number): void {
    this.u32[STRIDE * this.at(i) + MISSING] &= ~(1 << slot);
  }

  /** The last time a neighbor was shown missing entry `i`, or a repair of it went out; 0 if never. */
  missingAt(i: number): number {
    return this.missingTimes[this.at(i)];
  }

  /** A repair of the message keyed `key` went out at `now` (the newest entry of that key, if still held). */
  repairSent(key: number, now: number): void {
    for (let i = this.count - 1; i >= 0; i--) {
      const slot = this.at(i);
      if (this.u32[STRIDE * slot + KEY] === key) {
        this.missingTimes[slot] = now;
        return;
      }
    }
  }

  /**
   * Lists `key`; keeps `body` if small enough (copied into the arena where it has room; else not
   * copied: pass a copy you will not change) and returns it as kept, else null. `own`: we published it.
   */
  add(key: number, body: Uint8Array | null, now: number, late = false, own = false): Uint8Array | null {
    let slot: number;
    if (this.count === this.capacity) {
      slot = this.head;
      this.head = (this.head + 1) % this.capacity;
    } else {
      slot = this.at(this.count++);
    }
    this.u32[STRIDE * slot + KEY] = key;
    // Out of the arena before a run is sought: the entry in this slot left, and its run with it.
    this.u32[STRIDE * slot + FLAGS] = 0;
    this.apart.delete(slot);
    const kept = body !== null && body.length <= this.maxBodyBytes;
    const start = kept ? this.runFor(body.length) : -1;
    if (start >= 0) {
      this.borrowers.release(start, start + body!.length);
      this.arena.set(body!, start);
      this.runs[2 * slot + START] = start;
      this.runs[2 * slot + LENGTH] = body!.length;
    } else if (kept) {
      this.apart.set(slot, body!);
    }
    this.u32[STRIDE * slot + FLAGS] = (late ? LATE : 0) | (own ? OWN : 0) | (kept ? KEPT : 0) | (start >= 0 ? IN_ARENA : 0);
    this.u32[STRIDE * slot + REPAIRS] = 0;
    this.u32[STRIDE * slot + MISSING] = 0;
    this.times[slot] = now;
    this.missingTimes[slot] = 0;
    if (own) this.newestOwnAt = now;
    return this.bodyAt(slot);
  }

  /** Index of the oldest entry received after `t` (size when none): entries are in receive order, so a binary search. */
  firstAfter(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.receivedAt(mid) > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Writes the listed keys of the messages received after `since` into `out`, newest first, as many as it holds; returns how many. */
  keysSince(since: number, out: Uint16Array): number {
    let n = 0;
    for (let i = this.count - 1; i >= 0 && n < out.length && this.receivedAt(i) > since; i--) out[n++] = listedKey(this.key(i));
    return n;
  }

  /**
   * The window, in ms before `now`, that the `listed` newest keys after `since` cover: `now - since`,
   * or less when they are not all of them (`out` was full) or the store forgot older ones.
   */
  listedWindow(since: number, now: number, listed: number): number {
    const next = this.count - 1 - listed;
    if (next >= 0 && this.receivedAt(next) > since) return now - this.receivedAt(next);
    // A full store may have forgotten older messages of the window: claim only what it still holds.
    if (this.count === this.capacity && this.receivedAt(0) > since) return now - this.receivedAt(0);
    return now - since;
  }

  private bodyAt(slot: number): Uint8Array | null {
    if ((this.u32[STRIDE * slot + FLAGS] & IN_ARENA) === 0) return this.apart.get(slot) ?? null;
    const start = this.runs[2 * slot + START];
    return this.arena.subarray(start, start + this.runs[2 * slot + LENGTH]);
  }

  /**
   * Where a run of `length` bytes fits after the newest run, or from the arena's start when the oldest
   * run leaves room there; -1 where it would reach the oldest run.
   */
  private runFor(length: number): number {
    const oldest = this.firstInArena(0, 1);
    if (oldest < 0) return length <= this.arena.length ? 0 : -1;
    const newest = this.firstInArena(this.count - 1, -1);
    const tail = this.runs[2 * oldest + START];
    const end = this.runs[2 * newest + START] + this.runs[2 * newest + LENGTH];
    // Not wrapped: free after the newest run to the arena's end, and before the oldest from its start.
    if (this.runs[2 * newest + START] >= tail) {
      if (end + length <= this.arena.length) return end;
      return length <= tail ? 0 : -1;
    }
    return end + length <= tail ? end : -1;
  }

  /** Slot of the first entry from `i` on, stepping by `step`, whose body is in the arena; -1 if none. */
  private firstInArena(i: number, step: 1 | -1): number {
    for (; i >= 0 && i < this.count; i += step) {
      const slot = this.at(i);
      if ((this.u32[STRIDE * slot + FLAGS] & IN_ARENA) !== 0) return slot;
    }
    return -1;
  }

  private at(i: number): number {
    // head and i are below capacity: one subtraction, not a division (repair walks every entry per HELLO).
    const j = this.head + i;
    return j < this.capacity ? j : j - this.capacity;
  }
}
