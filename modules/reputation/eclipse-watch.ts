/**
 * Eclipse detection: signs, visible from one node, that its neighbors are hiding the mesh from it.
 *
 *   - Most neighbors avoided: at least MIN_NEIGHBORS rows, and more than half of them avoided
 *     (silent relays, low scores). Honest neighborhoods have a few at most.
 *   - Few distinct origins: the distinct origins of the new gossip heard in a window of WINDOW_MS
 *     fell below a quarter of the most seen in one of the PAST_WINDOWS windows before (and that
 *     was at least MIN_USUAL_ORIGINS). An eclipse that starts at boot has no "before": the first
 *     rule is the one that sees it.
 *
 * The watch is edge-triggered: `check` reports once when either sign appears, then again only
 * after both have cleared. A mesh that simply goes quiet also trips the second sign: it is a
 * suspicion for the operator, with no consequence in the node. Bounded: ORIGINS_COUNTED keys.
 */
import { typedArrays } from "../typed-arrays.js";

export const WINDOW_MS = 5 * 60_000;
export const PAST_WINDOWS = 3;
/** Distinct origins counted per window at most (enough to tell "many" from "few"). */
export const ORIGINS_COUNTED = 64;
export const MIN_USUAL_ORIGINS = 8;
export const MIN_NEIGHBORS = 4;

export interface EclipseSigns {
  origins: number;
  usualOrigins: number;
  avoidedNeighbors: number;
  neighbors: number;
}

export class EclipseWatch {
  private readonly keys: Uint32Array;
  private count = 0;
  private readonly past: Float64Array;
  private windowEndsAt = -1;
  /** The last full window had few origins. */
  private fewOrigins = false;
  private suspected = false;

  constructor() {
    [this.past, this.keys] = typedArrays([Float64Array, PAST_WINDOWS], [Uint32Array, ORIGINS_COUNTED]);
  }

  /** The origin (its 32-bit id key) of a gossip message new to us. */
  heardOrigin(key: number): void {
    if (this.count >= ORIGINS_COUNTED) return;
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return;
    this.keys[this.count++] = key;
  }

  /** Called at each beacon; the signs when a suspicion begins, else null. */
  check(now: number, avoidedNeighbors: number, neighbors: number): EclipseSigns | null {
    if (this.windowEndsAt < 0) this.windowEndsAt = now + WINDOW_MS;
    let usualOrigins = 0;
    for (const c of this.past) if (c > usualOrigins) usualOrigins = c;
    const origins = this.count;
    if (now >= this.windowEndsAt) {
      this.fewOrigins = usualOrigins >= MIN_USUAL_ORIGINS && 4 * origins < usualOrigins;
      this.past.copyWithin(1, 0);
      this.past[0] = origins;
      this.count = 0;
      this.windowEndsAt = now + WINDOW_MS;
    }
    const manyAvoided = neighbors >= MIN_NEIGHBORS && 2 * avoidedNeighbors > neighbors;
    const was = this.suspected;
    this.suspected = manyAvoided || this.fewOrigins;
    return this.suspected && !was ? { origins, usualOrigins, avoidedNeighbors, neighbors } : null;
  }
}
