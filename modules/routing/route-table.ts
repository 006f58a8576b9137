/**
 * Routes to gateways: a distance-vector table with Babel's feasibility condition (RFC 8966 §3.5),
 * which keeps the next-hop graph loop-free at every instant, not just after convergence.
 *
 * Each destination (a gateway) numbers its advertisements with a u16 seqno. For each destination we
 * remember the feasibility distance FD = (seqno, metric) of what we last advertised. A neighbor's
 * route (s, m) may be selected only if s is newer than FD's seqno, or equal with m < FD's metric:
 * then no node downstream can be routing through us, so choosing it cannot close a loop. A node whose
 * every route turned unfeasible waits for the destination's next seqno (gateways bump it each beacon).
 *
 * Bounded: `capacity` destinations (a newcomer replaces the one without a route, else the farthest,
 * and only if it is nearer) and MAX_CANDIDATES neighbor routes per destination (the worst dropped).
 */
import { equalBytes, toHex } from "../bytes.js";
import { INFINITE_METRIC, type RouteEntry } from "../wire/route.js";

export const MAX_CANDIDATES = 4;
/** A better route must beat the selected one by this much (metric units) to replace it: no flapping. */
const SWITCH_MARGIN = 32;

/** RFC 1982 serial-number order on u16: whether `a` is newer than `b`. */
export function seqnoNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

interface Candidate {
  slot: number;
  seqno: number;
  /** As the neighbor advertised it. */
  metric: number;
}

export interface Route {
  destination: Uint8Array;
  destinationHex: string;
  /** Neighbor-table slot of the next hop. */
  nextHop: number;
  seqno: number;
  /** Advertised metric of the next hop plus the cost of our link to it. */
  metric: number;
}

class Destination {
  readonly candidates: Candidate[] = [];
  fdSeqno = 0;
  fdMetric = INFINITE_METRIC;
  hasFd = false;
  selected: Route | null = null;
  /** Our last advertisement of this destination was a retraction still worth repeating. */
  retractions = 0;

  constructor(readonly id: Uint8Array, readonly idHex: string) {}

  feasible(c: Candidate): boolean {
    if (c.metric >= INFINITE_METRIC) return false;
    return !this.hasFd || seqnoNewer(c.seqno, this.fdSeqno) || (c.seqno === this.fdSeqno && c.metric < this.fdMetric);
  }
}

/** How many beacons a lost route is still advertised as retracted, so neighbors drop it promptly. */
const RETRACTION_REPEATS = 3;

export class RouteTable {
  private readonly destinations: Destination[] = [];

  constructor(private readonly capacity = 8) {}

  /** Applies one entry of a neighbor's ROUTE record. `ownId` entries (routes to ourselves) are ignored. */
  update(slot: number, entry: RouteEntry, ownId: Uint8Array): void {
    if (equalBytes(entry.destination, ownId)) return;
    let d = this.find(entry.destination);
    if (!d) {
      if (entry.metric >= INFINITE_METRIC) return;
      d = this.admit(entry);
      if (!d) return;
    }
    const i = d.candidates.findIndex((c) => c.slot === slot);
    if (entry.metric >= INFINITE_METRIC) {
      if (i >= 0) d.candidates.splice(i, 1);
      return;
    }
    if (i >= 0) {
      d.candidates[i].seqno = entry.seqno;
      d.candidates[i].metric = entry.metric;
      return;
    }
    if (d.candidates.length >= MAX_CANDIDATES) {
      let worst = 0;
      for (let k = 1; k < d.candidates.length; k++) if (d.candidates[k].metric > d.candidates[worst].metric) worst = k;
      if (d.candidates[worst].metric <= entry.metric) return;
      d.candidates.splice(worst, 1);
    }
    d.candidates.push({ slot, seqno: entry.seqno, metric: entry.metric });
  }

  /** Forgets every route through a neighbor that left the table. */
  dropNeighbor(slot: number): void {
    for (const d of this.destinations) {
      const i = d.candidates.findIndex((c) => c.slot === slot);
      if (i >= 0) d.candidates.splice(i, 1);
    }
  }

  /**
   * Re-selects every destination's route with the current link costs (`linkCost(slot)`: metric
   * units, Infinity when the link is unusable). Keeps the selected route unless it became
   * unfeasible or unusable, or another is better by SWITCH_MARGIN.
   */
  select(linkCost: (slot: number) => number): void {
    for (const d of this.destinations) {
      let best: Candidate | null = null;
      let bestMetric = Infinity;
      let current = Infinity;
      for (const c of d.candidates) {
        if (!d.feasible(c)) continue;
        const m = c.metric + linkCost(c.slot);
        if (m < bestMetric) {
          best = c;
          bestMetric = m;
        }
        if (d.selected && c.slot === d.selected.nextHop) current = m;
      }
      if (best && bestMetric < INFINITE_METRIC) {
        const keep = current < INFINITE_METRIC && current <= bestMetric + SWITCH_MARGIN;
        const chosen = keep ? d.candidates.find((c) => c.slot === d.selected!.nextHop)! : best;
        const metric = Math.round(keep ? current : bestMetric);
        d.selected = { destination: d.id, destinationHex: d.idHex, nextHop: chosen.slot, seqno: chosen.seqno, metric };
        d.retractions = 0;
      } else if (d.selected) {
        d.selected = null;
        d.retractions = RETRACTION_REPEATS;
      }
    }
  }

  /**
   * Our ROUTE entries: each selected route (which also sets its FD, as Babel does on sending) and
   * recent losses as retractions. Destinations with neither, and no candidates, are forgotten.
   */
  advertise(out: RouteEntry[], max: number): void {
    for (let i = 0; i < this.destinations.length; i++) {
      const d = this.destinations[i];
      const r = d.selected;
      if (r && out.length < max) {
        out.push({ destination: d.id, seqno: r.seqno, metric: r.metric });
        if (!d.hasFd || seqnoNewer(r.seqno, d.fdSeqno)) {
          d.fdSeqno = r.seqno;
          d.fdMetric = r.metric;
          d.hasFd = true;
        } else if (r.seqno === d.fdSeqno && r.metric < d.fdMetric) {
          d.fdMetric = r.metric;
        }
      } else if (!r && d.retractions > 0 && out.length < max) {
        out.push({ destination: d.id, seqno: d.fdSeqno, metric: INFINITE_METRIC });
        d.retractions--;
      } else if (!r && d.candidates.length === 0 && d.retractions === 0) {
        this.destinations.splice(i--, 1);
      }
    }
  }

  /** The selected route with the lowest metric: the way to the nearest gateway. */
  nearest(): Route | null {
    let best: Route | null = null;
    for (const d of this.destinations) if (d.selected && (!best || d.selected.metric < best.metric)) best = d.selected;
    return best;
  }

  routeTo(destination: Uint8Array): Route | null {
    return this.find(destination)?.selected ?? null;
  }

  /** Every selected route (for monitors and the simulator's loop checks). */
  routes(): Route[] {
    const out: Route[] = [];
    for (const d of this.destinations) if (d.selected) out.push(d.selected);
    return out;
  }

  get size(): number {
    return this.destinations.length;
  }

  private find(id: Uint8Array): Destination | undefined {
    for (const d of this.destinations) if (equalBytes(d.id, id)) return d;
    return undefined;
  }

  private admit(entry: RouteEntry): Destination | undefined {
    if (this.destinations.length >= this.capacity) {
      let victim = -1;
      let worst = -1;
      for (let i = 0; i < this.destinations.length; i++) {
        const m = this.destinations[i].selected?.metric ?? Infinity;
        if (m > worst) {
          worst = m;
          victim = i;
        }
      }
      if (worst <= entry.metric) return undefined;
      this.destinations.splice(victim, 1);
    }
    const d = new Destination(entry.destination.slice(), toHex(entry.destination));
    this.destinations.push(d);
    return d;
  }
}
