/**
 * Per-origin rate limit on relaying: each origin's new messages are relayed at most `ratePerMinute`
 * on average (bursts of `burst`), however fast it publishes, so one flooding insider cannot take the
 * mesh's airtime. Messages over the limit are still delivered here, just not passed on.
 *
 * Bounded: buckets for `capacity` origins, the least recently active forgotten first. An origin met
 * anew starts with NEW_TOKENS, not a full burst: a flooder whose bucket was forgotten (because many
 * other origins were active meanwhile) gains that little, while an honest origin's next message still
 * goes through. Origins and buckets are slots of typed arrays, found through a hash index; the least
 * recently active is the tail of a linked list (both run per new message of a mesh of many origins).
 *
 * A gateway's certificate (GOSSIP kind 7) has a budget of its own in the same row: one relayed per
 * origin per CERTIFICATE_RELAY_GAP_MS. It leaves the origin's tokens as they would be without it (it
 * takes none, and a row it makes starts its bucket only at the origin's first other message), so
 * control traffic never starves the origin's data (a gateway's commands right after its boot gossip),
 * and an origin that gossips certificates, or bogus ones under a gateway's id (relays check no
 * signature, and an insider can vary the bytes), gets one through each relay per gap at most.
 */
import { readU32 } from "../bytes.js";
import { heldIn, resetIn, takeFrom } from "./token-bucket.js";
import { typedArrays } from "../typed-arrays.js";

const NEW_TOKENS = 2;
/** A gateway re-gossips its certificate every 20 minutes (node.ts): a gap of 10 always lets it through. */
export const CERTIFICATE_RELAY_GAP_MS = 10 * 60_000;
/**
 * A slot's words in `words`: its origin id (two big-endian u32), then the second (of `now`) from which
 * its next certificate may be relayed, 0 for a new slot. A word, not a double beside the bucket: the
 * board's heap at caps is held to 48 KB, and the row costs 4 B more a slot, not 8.
 */
const WORDS = 3;
const CERTIFICATE_FREE_AT = 2;
/** The tokens of a bucket not started: a certificate made its slot (tokens are never negative otherwise). */
const UNSTARTED = -1;

/** Index entry of a free place. */
const EMPTY = -1;

export class OriginLimiter {
  /** Each slot's token bucket (tokens, last refill), kept by token-bucket.ts. */
  private readonly buckets: Float64Array;
  private readonly ratePerSecond: number;
  /** Each slot's WORDS: its origin id, then when its next certificate may be relayed. */
  private readonly words: Uint32Array;
  /** Slots from most to least recently allowed, a doubly linked list (-1 ends it): the tail is forgotten first. */
  private readonly newer: Int16Array;
  private readonly older: Int16Array;
  private newest = -1;
  private oldest = -1;
  /** Open-addressed index from an origin to its slot, linear probing; twice the capacity keeps probes short. */
  private readonly index: Int16Array;
  private readonly mask: number;
  private count = 0;

  constructor(ratePerMinute: number, private readonly burst: number, private readonly capacity: number) {
    this.ratePerSecond = ratePerMinute / 60;
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    [this.buckets, this.words, this.newer, this.older, this.index] = typedArrays(
      [Float64Array, capacity * 2], [Uint32Array, capacity * WORDS], [Int16Array, capacity], [Int16Array, capacity], [Int16Array, size]);
    this.newer.fill(-1);
    this.older.fill(-1);
    this.index.fill(EMPTY);
    this.mask = size - 1;
  }

  /** Whether a new message of the 8-byte `origin` may be relayed now (takes a token if so). */
  allow(origin: Uint8Array, now: number): boolean {
    const at = 2 * this.slotOf(origin);
    if (this.buckets[at] === UNSTARTED) resetIn(this.buckets, at, Math.min(this.burst, NEW_TOKENS), now);
    return takeFrom(this.buckets, at, this.ratePerSecond, this.burst, now);
  }

  /** Whether a new certificate gossiped by the 8-byte `origin` may be relayed now (its own budget, no token). */
  allowCertificate(origin: Uint8Array, now: number): boolean {
    const at = WORDS * this.slotOf(origin) + CERTIFICATE_FREE_AT;
    if (now < this.words[at] * 1000) return false;
    this.words[at] = Math.ceil((now + CERTIFICATE_RELAY_GAP_MS) / 1000);
    return true;
  }

  /** The tokens `allow` would find for the 8-byte `origin` at `now` (takes none). */
  spare(origin: Uint8Array, now: number): number {
    const slot = this.find(readU32(origin, 0), readU32(origin, 4));
    return slot < 0 || this.buckets[2 * slot] === UNSTARTED ? Math.min(this.burst, NEW_TOKENS) : heldIn(this.buckets, 2 * slot, this.ratePerSecond, this.burst, now);
  }

  /** `origin`'s slot, made the most recently active; an origin met anew takes the least recently active's. */
  private slotOf(origin: Uint8Array): number {
    const high = readU32(origin, 0);
    const low = readU32(origin, 4);
    let slot = this.find(high, low);
    if (slot < 0) {
      if (this.count < this.capacity) {
        slot = this.count++;
      } else {
        slot = this.oldest;
        this.unindex(slot);
      }
      this.words[WORDS * slot] = high;
      this.words[WORDS * slot + 1] = low;
      this.words[WORDS * slot + CERTIFICATE_FREE_AT] = 0;
      let i = originHash(high, low) & this.mask;
      while (this.index[i] !== EMPTY) i = (i + 1) & this.mask;
      this.index[i] = slot;
      this.buckets[2 * slot] = UNSTARTED;
    }
    this.touch(slot);
    return slot;
  }

  get size(): number {
    return this.count;
  }

  private find(high: number, low: number): number {
    for (let i = originHash(high, low) & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.index[i];
      if (slot === EMPTY) return -1;
      if (this.words[WORDS * slot + 1] === low && this.words[WORDS * slot] === high) return slot;
    }
  }

  /** Makes `slot` the most recently allowed. */
  private touch(slot: number): void {
    if (this.newest === slot) return;
    const newer = this.newer[slot];
    const older = this.older[slot];
    // Unlink (a new slot is in no list yet: both links -1, and it is not the oldest).
    if (newer >= 0) this.older[newer] = older;
    if (older >= 0) this.newer[older] = newer;
    if (this.oldest === slot) this.oldest = newer;
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest >= 0) this.newer[this.newest] = slot;
    this.newest = slot;
    if (this.oldest < 0) this.oldest = slot;
  }

  /** Removes `slot`'s origin from the index, shifting later probes back (no tombstones). */
  private unindex(slot: number): void {
    const mask = this.mask;
    let i = originHash(this.words[WORDS * slot], this.words[WORDS * slot + 1]) & mask;
    while (this.index[i] !== slot) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; this.index[j] !== EMPTY; j = (j + 1) & mask) {
      const moved = this.index[j];
      const home = originHash(this.words[WORDS * moved], this.words[WORDS * moved + 1]) & mask;
      // Move `moved` into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.index[i] = moved;
        i = j;
      }
    }
    this.index[i] = EMPTY;
  }
}

function originHash(high: number, low: number): number {
  let h = (high ^ Math.imul(low, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}
