/**
 * Whether a neighbor keeps the custody it takes: per neighbor, the readings it took from us that
 * were then confirmed by a gateway (kept) and those never confirmed in time (broken), both fading
 * with a half-life of HALF_LIFE_MS. A neighbor that broke at least MIN_BROKEN and kept fewer than
 * two in three is distrusted: the node makes it a next hop of last resort (a black hole keeps none,
 * a grey hole dropping half keeps half). Last resort, not never: the one blamed may be an honest
 * hop in front of a hole, and a node whose every way out was blamed must keep a route. Unlike the
 * score, which forgives in minutes so that one bad moment does not cost a good neighbor, this memory
 * is long: a black hole that lost five readings is trusted again after some thirteen minutes, and
 * loses its trust again with the next two it drops.
 *
 * Blame goes to the neighbor we handed to even when the reading was lost further on, as we cannot
 * tell where; but a reading it lost that then reaches the gateway through it after all (resent, it
 * took another way behind it) is taken back and counted kept (recordMadeGood): an honest next hop
 * in front of a hole is blamed for what it goes on losing, not for what it routed around. A hole
 * that drops a reading every time it has it is never made good.
 *
 * The record outlives the neighbor's stay in the table: one that leaves with a bad record (a hole
 * missing a few beacons expires) leaves it here, under its key, and finds it again when it comes
 * back, instead of a clean one. Bounded: three numbers per neighbor-table slot, and GONE departed
 * neighbors' records (the one that broke least goes first), 32 bytes each.
 */
import { equalAt } from "../bytes.js";

export const HALF_LIFE_MS = 10 * 60_000;
export const MIN_BROKEN = 2;
/** Departed neighbors whose bad record is remembered. */
export const GONE = 8;
/** A departed neighbor is known by the first bytes of its public key. */
const TAG_BYTES = 8;

// Fields of each row in `rows`: the slots' rows, then the departed neighbors' rows.
const KEPT = 0;
const BROKEN = 1;
const AT = 2;
const ROW = 3;

export class CustodyTrust {
  /** One row per neighbor-table slot then one per GONE, in a single array (one typed array costs the board about 140 B). */
  private readonly rows: Float64Array;
  /** Per departed row, its neighbor's tag; all zero: free. */
  private readonly tags = new Uint8Array(GONE * TAG_BYTES);

  constructor(private readonly capacity: number) {
    this.rows = new Float64Array((capacity + GONE) * ROW);
  }

  /**
   * The neighbor with public key `key` took `slot`: it finds the record it left when it last went
   * (if it was bad enough to keep), or starts clean.
   */
  admit(slot: number, key: Uint8Array, now: number): void {
    const at = slot * ROW;
    const gone = this.goneRow(key);
    if (gone >= 0) {
      this.rows.copyWithin(at, gone * ROW, gone * ROW + ROW);
      this.tags.fill(0, (gone - this.capacity) * TAG_BYTES, (gone - this.capacity + 1) * TAG_BYTES);
      return;
    }
    this.rows[at + KEPT] = this.rows[at + BROKEN] = 0;
    this.rows[at + AT] = now;
  }

  /**
   * The neighbor in `slot`, with public key `key`, left the table: a record that counts against it
   * (it broke a reading, and kept fewer than two for each one broken) is kept for its return, in a
   * free row or instead of the one that broke least, if that one broke less.
   */
  leave(slot: number, key: Uint8Array, now: number): void {
    this.fade(slot, now);
    const kept = this.rows[slot * ROW + KEPT];
    const broken = this.rows[slot * ROW + BROKEN];
    if (broken < 0.5 || kept >= 2 * broken) return;
    let row = this.goneRow(key);
    for (let g = this.capacity; g < this.capacity + GONE && row < 0; g++) if (this.isFree(g)) row = g;
    if (row < 0) {
      for (let g = this.capacity; g < this.capacity + GONE; g++) {
        this.fade(g, now);
        if (this.rows[g * ROW + BROKEN] < broken && (row < 0 || this.rows[g * ROW + BROKEN] < this.rows[row * ROW + BROKEN])) row = g;
      }
      if (row < 0) return;
    }
    this.rows.copyWithin(row * ROW, slot * ROW, slot * ROW + ROW);
    this.tags.set(key.subarray(0, TAG_BYTES), (row - this.capacity) * TAG_BYTES);
  }

  recordKept(slot: number, now: number): void {
    this.fade(slot, now);
    this.rows[slot * ROW + KEPT]++;
  }

  recordBroken(slot: number, now: number): void {
    this.fade(slot, now);
    this.rows[slot * ROW + BROKEN]++;
  }

  /** A reading the neighbor was blamed for losing reached the gateway through it after all: kept, not broken. */
  recordMadeGood(slot: number, now: number): void {
    this.fade(slot, now);
    const at = slot * ROW;
    this.rows[at + BROKEN] = Math.max(0, this.rows[at + BROKEN] - 1);
    this.rows[at + KEPT]++;
  }

  distrusted(slot: number, now: number): boolean {
    this.fade(slot, now);
    const kept = this.rows[slot * ROW + KEPT];
    const broken = this.rows[slot * ROW + BROKEN];
    return broken >= MIN_BROKEN && 3 * kept < 2 * (kept + broken);
  }

  /**
   * How deep a distrusted neighbor is in the red: readings broken beyond those kept, fading (0 for
   * one not distrusted, and at least 1 for one that is). What ranks the last resorts, where a route's
   * advertised metric must not: a hole lies about it, and would win every time.
   */
  deficit(slot: number, now: number): number {
    if (!this.distrusted(slot, now)) return 0;
    return Math.max(1, this.rows[slot * ROW + BROKEN] - this.rows[slot * ROW + KEPT]);
  }

  /** The departed row remembered for `key`, or -1. */
  private goneRow(key: Uint8Array): number {
    for (let g = 0; g < GONE; g++) {
      if (equalAt(this.tags, g * TAG_BYTES, key, 0, TAG_BYTES)) return this.capacity + g;
    }
    return -1;
  }

  private isFree(row: number): boolean {
    const at = (row - this.capacity) * TAG_BYTES;
    for (let i = 0; i < TAG_BYTES; i++) if (this.tags[at + i] !== 0) return false;
    return true;
  }

  private fade(row: number, now: number): void {
    const at = row * ROW;
    const dt = now - this.rows[at + AT];
    if (dt <= 0) return;
    const f = Math.pow(0.5, dt / HALF_LIFE_MS);
    this.rows[at + KEPT] *= f;
    this.rows[at + BROKEN] *= f;
    this.rows[at + AT] = now;
  }
}
