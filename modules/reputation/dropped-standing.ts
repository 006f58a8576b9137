/**
 * What a neighbor dropped from the table had against it. A slot's reputation (score, relay watch,
 * custody trust) belongs to the slot and starts clean for each new neighbor; without this memory a
 * neighbor that misbehaved would only have to go silent until it expired (or was evicted, or
 * ignored) and beacon again to come back trusted: designated as a relay, chosen as a next hop, handed
 * readings it drops. So the standing of each neighbor dropped with a record worse than a fresh
 * start's is kept here by id, and given back to the slot when the same id is admitted again: scores
 * and custody records as of the drop, fading from then on by their own half-lives; the relay watch,
 * whose clock is the messages we receive, with the messages it had left unrelayed (those that
 * arrived while it was gone were not its to relay).
 *
 * A fresh start is a score of 0, no custody broken, no message unrelayed; only a neighbor that has
 * something against it is remembered (a score below 0, a custody record on the losing side of the
 * two-in-three rule, silent as a relay or a broken promise), so neighbors fading in and out of range
 * with a clean record take no place. What comes back is never better than what left: a score above
 * 0 comes back as 0, and the rounding below goes against the neighbor.
 *
 * Bounded and flat: `capacity` rows in one typed array (one typed array costs the board about 140 B),
 * the oldest drop overwritten first; a row older than HORIZON_MS is forgotten.
 */
import { type CustodyTrust } from "./custody-trust.js";
import { type PeerScores } from "./peer-scores.js";
import { SILENT_AFTER_MESSAGES, type RelayWatch } from "./relay-watch.js";

/**
 * Three half-lives of custody trust, the longest memory kept here: by then a custody record has
 * faded to an eighth (a black hole must have lost 16 readings to be still distrusted) and a score,
 * halved every 2 minutes, to nothing (−60 to −0.002); and the relay watch, which has no clock, holds
 * no silence against a neighbor gone for half an hour.
 */
export const HORIZON_MS = 30 * 60_000;

/** Scores and custody counts are kept in 1/UNITS, as integers. */
const UNITS = 256;

// Fields of each row in `rows`: the id (two halves), when it was dropped (whole seconds, rounded up),
// its standing then: score below 0 and custody counts (1/UNITS), and messages unrelayed with, in the
// low byte, those of them while designated (both at most SILENT_AFTER_MESSAGES).
const ID_HIGH = 0;
const ID_LOW = 1;
const DROPPED_S = 2;
const SCORE_DEBT = 3;
const KEPT = 4;
const BROKEN = 5;
const UNRELAYED = 6;
const ROW = 7;

export class DroppedStanding {
  /** One row per dropped neighbor, in a single array. */
  private readonly rows: Uint32Array;
  /** Rows in use, packed at the front. */
  private count = 0;

  constructor(capacity: number) {
    this.rows = new Uint32Array(capacity * ROW);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The neighbor `idHex` is leaving `slot` at `now` (before the slot is given to anyone else): keeps
   * its standing if it is worse than a fresh start's.
   */
  remember(idHex: string, slot: number, now: number, scores: PeerScores, watch: RelayWatch, trust: CustodyTrust): void {
    const score = scores.score(slot, now);
    const kept = trust.kept(slot, now);
    const broken = trust.broken(slot, now);
    const unheard = watch.unheard(slot);
    const unheardDesignated = watch.unheardWhileDesignated(slot);
    const owes = broken > 0 && kept < 2 * broken;
    if (score >= 0 && !owes && unheard < SILENT_AFTER_MESSAGES && unheardDesignated < SILENT_AFTER_MESSAGES) return;
    const high = parseInt(idHex.slice(0, 8), 16);
    const low = parseInt(idHex.slice(8, 16), 16);
    let at = this.find(high, low);
    if (at < 0) at = this.count * ROW < this.rows.length ? this.count++ * ROW : this.oldest();
    const rows = this.rows;
    rows[at + ID_HIGH] = high;
    rows[at + ID_LOW] = low;
    rows[at + DROPPED_S] = Math.ceil(now / 1000);
    rows[at + SCORE_DEBT] = Math.ceil(Math.max(0, -score) * UNITS);
    rows[at + KEPT] = Math.floor(kept * UNITS);
    rows[at + BROKEN] = Math.ceil(broken * UNITS);
    rows[at + UNRELAYED] = (unheard << 8) | unheardDesignated;
  }

  /**
   * The neighbor `idHex` was admitted to `slot` at `now`: gives the slot the standing it was dropped
   * with (and forgets it here), or a fresh start if none is kept or it was dropped over HORIZON_MS ago.
   * The score's window that counts a bad act of a kind once starts over.
   */
  restore(idHex: string, slot: number, now: number, scores: PeerScores, watch: RelayWatch, trust: CustodyTrust): void {
    const at = this.find(parseInt(idHex.slice(0, 8), 16), parseInt(idHex.slice(8, 16), 16));
    const rows = this.rows;
    // Rounded up to the second, the drop can lie a moment ahead of a quick return: no fading before it.
    const dropped = at < 0 ? now : Math.min(now, rows[at + DROPPED_S] * 1000);
    if (at < 0 || now - dropped > HORIZON_MS) {
      scores.reset(slot, now);
      watch.reset(slot);
      trust.reset(slot, now);
    } else {
      scores.reset(slot, dropped, -rows[at + SCORE_DEBT] / UNITS);
      watch.reset(slot, rows[at + UNRELAYED] >>> 8, rows[at + UNRELAYED] & 0xff);
      trust.reset(slot, dropped, rows[at + KEPT] / UNITS, rows[at + BROKEN] / UNITS);
    }
    if (at >= 0) this.removeAt(at);
  }

  /** Where the row of id (high, low) starts in `rows`, or -1. */
  private find(high: number, low: number): number {
    for (let at = 0; at < this.count * ROW; at += ROW) if (this.rows[at + ID_HIGH] === high && this.rows[at + ID_LOW] === low) return at;
    return -1;
  }

  /** Where the row dropped longest ago starts. */
  private oldest(): number {
    let oldest = 0;
    for (let at = ROW; at < this.count * ROW; at += ROW) if (this.rows[at + DROPPED_S] < this.rows[oldest + DROPPED_S]) oldest = at;
    return oldest;
  }

  /** Frees the row at `at`, moving the last row into its place. */
  private removeAt(at: number): void {
    const last = --this.count * ROW;
    if (at !== last) this.rows.copyWithin(at, last, last + ROW);
  }
}
