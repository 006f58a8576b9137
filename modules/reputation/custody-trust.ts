/**
 * Whether a neighbor keeps the custody it takes: per neighbor, the readings it took from us that
 * were then confirmed by a gateway (kept) and those never confirmed in time (broken), both fading
 * with a half-life of HALF_LIFE_MS. A neighbor that broke at least MIN_BROKEN and kept fewer than
 * two in three is distrusted: the node makes it a next hop of last resort (a black hole keeps none,
 * a grey hole dropping half keeps half). Last resort, not never: the one blamed may be an honest
 * hop in front of a hole, and a node whose every way out was blamed must keep a route. Unlike the score, which forgives in minutes so that one bad moment does not cost a good
 * neighbor, this memory is long: a black hole that lost five readings is trusted again after some
 * thirteen minutes, and loses its trust again with the next two it drops.
 *
 * Blame goes to the neighbor we handed to even when the reading was lost further on: an honest
 * next hop in front of a hole loses trust too, until it routes around the hole and its readings
 * are confirmed again. Bounded: three numbers per neighbor-table slot.
 */
export const HALF_LIFE_MS = 10 * 60_000;
export const MIN_BROKEN = 2;

// Fields of each slot's row in `rows`.
const KEPT = 0;
const BROKEN = 1;
const AT = 2;
const ROW = 3;

export class CustodyTrust {
  /** One row per neighbor-table slot, in a single array (one typed array costs the board about 140 B). */
  private readonly rows: Float64Array;

  constructor(capacity: number) {
    this.rows = new Float64Array(capacity * ROW);
  }

  /**
   * A neighbor took the slot: a new one with a clean record as of now; one that comes back with the
   * record it left with as of `at` (fading since it left).
   */
  reset(slot: number, at: number, kept = 0, broken = 0): void {
    const row = slot * ROW;
    this.rows[row + KEPT] = kept;
    this.rows[row + BROKEN] = broken;
    this.rows[row + AT] = at;
  }

  /** Readings it kept, faded to `now`. */
  kept(slot: number, now: number): number {
    this.fade(slot, now);
    return this.rows[slot * ROW + KEPT];
  }

  /** Readings it broke, faded to `now`. */
  broken(slot: number, now: number): number {
    this.fade(slot, now);
    return this.rows[slot * ROW + BROKEN];
  }

  recordKept(slot: number, now: number): void {
    this.fade(slot, now);
    this.rows[slot * ROW + KEPT]++;
  }

  recordBroken(slot: number, now: number): void {
    this.fade(slot, now);
    this.rows[slot * ROW + BROKEN]++;
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

  private fade(slot: number, now: number): void {
    const at = slot * ROW;
    const dt = now - this.rows[at + AT];
    if (dt <= 0) return;
    const f = Math.pow(0.5, dt / HALF_LIFE_MS);
    this.rows[at + KEPT] *= f;
    this.rows[at + BROKEN] *= f;
    this.rows[at + AT] = now;
  }
}
