/**
 * Reputation: a score per neighbor from what it was seen to do, in the spirit of gossipsub v1.1
 * peer scoring. Good acts (being first to bring us a message, custody kept) earn a little, capped; bad acts
 * (records that do not decode from an authenticated frame, frames over its rate, custody it took
 * and never honoured, custody it never acknowledged) cost more. Scores decay toward 0 with a
 * half-life, so old deeds fade and a peer can recover.
 *
 * Consequences (applied by the node): below AVOID_BELOW a neighbor is not designated as a relay and
 * not used as a next hop; below IGNORE_BELOW it is dropped from the table and its frames are
 * ignored for a cool-down (bounded list, oldest first out).
 *
 * Bounded: one score per neighbor-table slot, IGNORED_CAPACITY ignored ids.
 */

export enum Behavior {
  /** It brought us a gossip message we did not have. */
  FirstDelivery,
  /** An authenticated frame from it carried a record that did not decode. */
  InvalidRecord,
  /** It sent frames beyond its rate limit. */
  RateLimited,
  /** It took custody of a reading that was never confirmed (a black or grey hole). */
  BrokenCustody,
  /** It never acknowledged an item we kept sending it. */
  Unacknowledged,
  /** It served a content piece whose hash is wrong, or a manifest that does not verify. */
  BadContent,
  /** It left requests for content pieces it advertised unanswered, many in a row. */
  FalseAdvertisement,
  /** A reading it took custody of from us was confirmed by a gateway. */
  KeptCustody,
}

const WEIGHT: Record<Behavior, number> = {
  [Behavior.FirstDelivery]: 1,
  [Behavior.InvalidRecord]: -10,
  [Behavior.RateLimited]: -2,
  [Behavior.BrokenCustody]: -8,
  [Behavior.Unacknowledged]: -3,
  [Behavior.BadContent]: -25,
  [Behavior.FalseAdvertisement]: -5,
  [Behavior.KeptCustody]: 1,
};

/** Good behavior counts up to this much: a peer cannot bank credit for later misdeeds. */
const MAX_SCORE = 20;
export const AVOID_BELOW = -20;
export const IGNORE_BELOW = -60;
const HALF_LIFE_MS = 120_000;
export const COOL_DOWN_MS = 10 * 60_000;
const IGNORED_CAPACITY = 16;
/**
 * A bad act of one kind counts once per neighbor in this window: a burst of frames or items failing
 * together is one failure of the neighbor, not one per frame.
 */
export const JUDGE_INTERVAL_MS = 10_000;
const BEHAVIORS = 8;

// Fields of each slot's row in `rows`: the score, when it last decayed, and per behavior when it last counted.
const SCORE = 0;
const AT = 1;
const COUNTED_AT = 2;
const ROW = COUNTED_AT + BEHAVIORS;

export class PeerScores {
  /** One row per neighbor-table slot, in a single array (one typed array costs the board about 140 B). */
  private readonly rows: Float64Array;
  /** idHex → ignored until (ms). */
  private readonly ignored = new Map<string, number>();

  constructor(capacity: number) {
    this.rows = new Float64Array(capacity * ROW);
    for (let slot = 0; slot < capacity; slot++) this.rows.fill(-Infinity, slot * ROW + COUNTED_AT, (slot + 1) * ROW);
  }

  /**
   * A neighbor took the slot: it starts from `score` as of `at` (a new one from zero now; one that
   * comes back with what it left with, decaying since it left).
   */
  reset(slot: number, at: number, score = 0): void {
    const row = slot * ROW;
    this.rows[row + SCORE] = score;
    this.rows[row + AT] = at;
    this.rows.fill(-Infinity, row + COUNTED_AT, row + ROW);
  }

  record(slot: number, behavior: Behavior, now: number): number {
    const weight = WEIGHT[behavior];
    if (weight < 0) {
      const at = slot * ROW + COUNTED_AT + behavior;
      if (now < this.rows[at] + JUDGE_INTERVAL_MS) return this.score(slot, now);
      this.rows[at] = now;
    }
    const s = Math.min(MAX_SCORE, this.score(slot, now) + weight);
    this.rows[slot * ROW + SCORE] = s;
    return s;
  }

  score(slot: number, now: number): number {
    const row = slot * ROW;
    const dt = now - this.rows[row + AT];
    if (dt > 0) {
      this.rows[row + SCORE] *= Math.pow(0.5, dt / HALF_LIFE_MS);
      this.rows[row + AT] = now;
    }
    return this.rows[row + SCORE];
  }

  avoid(slot: number, now: number): boolean {
    return this.score(slot, now) < AVOID_BELOW;
  }

  ignore(idHex: string, now: number): void {
    this.ignored.delete(idHex);
    if (this.ignored.size >= IGNORED_CAPACITY) this.ignored.delete(this.ignored.keys().next().value as string);
    this.ignored.set(idHex, now + COOL_DOWN_MS);
  }

  isIgnored(idHex: string, now: number): boolean {
    const until = this.ignored.get(idHex);
    if (until === undefined) return false;
    if (now < until) return true;
    this.ignored.delete(idHex);
    return false;
  }

  get ignoredCount(): number {
    return this.ignored.size;
  }
}
