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
 * Bounded: `capacity` destinations (a newcomer takes the place of one we never advertised or whose
 * loss we retracted; else the farthest route, if farther, retires: retracted, then freed) and
 * MAX_CANDIDATES neighbor routes per destination (the worst dropped: unfeasible before feasible, then the longest).
 * Neighbor slots are < 256 (the neighbor table has at most 32).
 */
import { equalBytes, toHex } from "../bytes.js";
import { INFINITE_METRIC, MAX_ROUTE_DESTINATIONS, type RouteEntry, type RouteView } from "../wire/route.js";
import { typedArrays } from "../typed-arrays.js";
import { isRevoked, type RevocationList } from "../identity/revocation.js";

export const MAX_CANDIDATES = 4;
/** A better route must beat the selected one by this much (metric units) to replace it: no flapping. */
const SWITCH_MARGIN = 32;

/** RFC 1982 serial-number order on u16: whether `a` is newer than `b`. */
export function seqnoNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
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

/** How many beacons a lost route is still advertised as retracted, so neighbors drop it promptly. */
const RETRACTION_REPEATS = 3;

/**
 * Flat: one row per destination in two typed arrays allocated at boot (bytes: flags and candidates'
 * neighbor slots; words: the FD and candidates' advertised seqno and metric), MAX_CANDIDATES per row
 * in arrival order. A row's Route object is
 * made when the destination is admitted and updated in place; `order` keeps rows in admission order.
 */
/**
 * Per row in `bytes`: selected, FD known, retractions left, candidates held, retiring (evicted, its
 * retractions still to send), a neighbor's retraction waiting for a newer seqno, then each
 * candidate's neighbor slot.
 */
const SELECTED = 0;
const HAS_FD = 1;
const RETRACTIONS = 2;
const COUNT = 3;
const RETIRING = 4;
const PENDING = 5;
const SLOTS = 6;
const BYTES_STRIDE = SLOTS + MAX_CANDIDATES;
/** Per row in `words`: the feasibility distance (seqno, metric), the seqno wanted, then each candidate's (seqno, metric). */
const FD = 0;
const WANTED = 2;
const CANDIDATES = 3;
/**
 * How far beyond our route's seqno a wanted one may be: a gateway issues one seqno per ROUTE
 * record, so a genuine retraction is a few ahead; one far ahead would stay pending for good.
 */
const MAX_WANTED_AHEAD = 16;
const WORDS_STRIDE = CANDIDATES + 2 * MAX_CANDIDATES;

/** Whether route a (feasible or not, its metric) is a worse keep than route b: unfeasible against feasible, else longer. */
function worseKeep(aFeasible: boolean, aMetric: number, bFeasible: boolean, bMetric: number): boolean {
  return aFeasible === bFeasible ? aMetric > bMetric : !aFeasible;
}

export class RouteTable {
  private readonly order: Uint8Array;
  private count = 0;
  private readonly rows: (Route | null)[];
  private readonly bytes: Uint8Array;
  private readonly words: Uint16Array;
  private answered = false;
  private lost = false;

  constructor(private readonly capacity = 8) {
    if (capacity < 1 || capacity > MAX_ROUTE_DESTINATIONS) throw new RangeError(`route capacity must be 1..${MAX_ROUTE_DESTINATIONS}`);
    [this.words, this.order, this.bytes] = typedArrays(
      [Uint16Array, capacity * WORDS_STRIDE], [Uint8Array, capacity], [Uint8Array, capacity * BYTES_STRIDE]);
    this.rows = new Array<Route | null>(capacity).fill(null);
  }

  /** Applies one entry of a neighbor's ROUTE record. `ownId` entries (routes to ourselves) are ignored. */
  update(slot: number, entry: RouteEntry, ownId: Uint8Array): void {
    if (equalBytes(entry.destination, ownId)) return;
    let row = this.find(entry.destination);
    if (row < 0) {
      if (entry.metric >= INFINITE_METRIC) return;
      row = this.admit(entry);
      if (row < 0) return;
    }
    if (this.bytes[row * BYTES_STRIDE + RETIRING]) return;
    const i = this.candidateOf(row, slot);
    if (entry.metric >= INFINITE_METRIC) {
      if (i >= 0) this.removeCandidate(row, i);
      return;
    }
    if (i >= 0) {
      this.setCandidate(row, i, slot, entry.seqno, entry.metric);
      return;
    }
    const n = this.bytes[row * BYTES_STRIDE + COUNT];
    if (n >= MAX_CANDIDATES) {
      // The worst goes: an unfeasible candidate before any feasible one (a newer seqno must not be
      // turned away by shorter routes we may not take), then the longest.
      let worst = 0;
      for (let k = 1; k < n; k++) {
        if (worseKeep(this.feasible(row, k), this.metricOf(row, k), this.feasible(row, worst), this.metricOf(row, worst))) worst = k;
      }
      if (!worseKeep(this.feasible(row, worst), this.metricOf(row, worst), this.feasibleRoute(row, entry.seqno, entry.metric), entry.metric)) return;
      this.removeCandidate(row, worst);
    }
    this.setCandidate(row, this.bytes[row * BYTES_STRIDE + COUNT]++, slot, entry.seqno, entry.metric);
  }

  /**
   * Applies a neighbor's whole ROUTE record. A record lists every route its sender holds (capacity
   * ≤ MAX_ROUTE_DESTINATIONS), so a destination it leaves out is one it no longer routes to: its candidate
   * goes, as a retraction would (retractions are repeated only three times and can all be lost).
   * Destinations on the `revoked` list (revoked gateways) are taken as left out.
   */
  updateFrom(slot: number, view: RouteView, ownId: Uint8Array, revoked: RevocationList | null = null): void {
    for (let i = 0; i < view.count; i++) {
      const entry = view.entries[i];
      if (!revoked || !isRevoked(revoked, entry.destination)) this.update(slot, entry, ownId);
    }
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      const i = this.candidateOf(row, slot);
      if (i < 0) continue;
      const destination = this.rows[row]!.destination;
      if (!listed(view, destination) || (revoked && isRevoked(revoked, destination))) this.removeCandidate(row, i);
    }
  }

  /**
   * A neighbor retracted its route to `destination`: it now wants a route with a seqno of at least
   * `wanted` (newer than its FD), which is feasible for it whatever its metric — a retraction is
   * Babel's seqno request (RFC 8966 §3.8.1) without a message of its own. True when ours is new
   * enough and not through that neighbor: our ROUTE record should go out now. When ours is older,
   * it is remembered, and `takeAnswered` says so once a new enough seqno reaches us. Requests are
   * not passed on toward the gateway: on a broadcast link that floods; seqnos come each beacon.
   */
  wants(slot: number, destination: Uint8Array, wanted: number): boolean {
    const row = this.find(destination);
    if (row < 0 || !this.bytes[row * BYTES_STRIDE + SELECTED]) return false;
    const route = this.rows[row]!;
    if (route.nextHop === slot) return false;
    if (!seqnoNewer(wanted, route.seqno)) return true;
    if (((wanted - route.seqno) & 0xffff) > MAX_WANTED_AHEAD) return false;
    const b = row * BYTES_STRIDE;
    const w = row * WORDS_STRIDE + WANTED;
    if (!this.bytes[b + PENDING] || seqnoNewer(this.words[w], wanted)) this.words[w] = wanted;
    this.bytes[b + PENDING] = 1;
    return false;
  }

  /** Whether a seqno a neighbor wanted reached us in the last `select` (our record should then go out). */
  takeAnswered(): boolean {
    const answered = this.answered;
    this.answered = false;
    return answered;
  }

  /** Whether the last `select` lost a selected route (to any destination: its retraction should go out now). */
  takeLost(): boolean {
    const lost = this.lost;
    this.lost = false;
    return lost;
  }

  /** Whether a lost route (not an eviction) still has retractions to send. */
  retractingLoss(): boolean {
    for (let k = 0; k < this.count; k++) {
      const at = this.order[k] * BYTES_STRIDE;
      if (!this.bytes[at + SELECTED] && !this.bytes[at + RETIRING] && this.bytes[at + RETRACTIONS] > 0) return true;
    }
    return false;
  }

  /** Forgets every route through a neighbor that left the table. */
  dropNeighbor(slot: number): void {
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      const i = this.candidateOf(row, slot);
      if (i >= 0) this.removeCandidate(row, i);
    }
  }

  /**
   * Re-selects every destination's route with the current link costs (`linkCost(slot)`: metric
   * units, Infinity when the link is unusable). Keeps the selected route unless it became
   * unfeasible or unusable, or another is better by SWITCH_MARGIN.
   */
  select(linkCost: (slot: number) => number): void {
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      const route = this.rows[row]!;
      let best = -1;
      let bestMetric = Infinity;
      let current = -1;
      let currentMetric = Infinity;
      for (let i = 0; i < this.bytes[row * BYTES_STRIDE + COUNT]; i++) {
        if (!this.feasible(row, i)) continue;
        const slot = this.slotOf(row, i);
        const m = this.metricOf(row, i) + linkCost(slot);
        if (m < bestMetric) {
          best = i;
          bestMetric = m;
        }
        if (this.bytes[row * BYTES_STRIDE + SELECTED] && slot === route.nextHop) {
          current = i;
          currentMetric = m;
        }
      }
      const b = row * BYTES_STRIDE;
      if (best >= 0 && bestMetric < INFINITE_METRIC) {
        const keep = currentMetric < INFINITE_METRIC && currentMetric <= bestMetric + SWITCH_MARGIN;
        const chosen = keep ? current : best;
        route.nextHop = this.slotOf(row, chosen);
        route.seqno = this.seqnoOf(row, chosen);
        route.metric = Math.round(keep ? currentMetric : bestMetric);
        this.bytes[b + SELECTED] = 1;
        this.bytes[b + RETRACTIONS] = 0;
        if (this.bytes[b + PENDING] && !seqnoNewer(this.words[row * WORDS_STRIDE + WANTED], route.seqno)) {
          this.bytes[b + PENDING] = 0;
          this.answered = true;
        }
      } else if (this.bytes[b + SELECTED]) {
        this.lost = true;
        this.retract(row);
      }
    }
  }

  /**
   * Our ROUTE entries: each selected route (which also sets its FD, as Babel does on sending) and
   * recent losses as retractions. Destinations with neither, and no candidates, are forgotten.
   */
  advertise(out: RouteEntry[], max: number): void {
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      const r = this.rows[row]!;
      const fd = row * WORDS_STRIDE + FD;
      if (this.bytes[row * BYTES_STRIDE + SELECTED] && out.length < max) {
        out.push({ destination: r.destination, seqno: r.seqno, metric: r.metric });
        if (!this.bytes[row * BYTES_STRIDE + HAS_FD] || seqnoNewer(r.seqno, this.words[fd])) {
          this.words[fd] = r.seqno;
          this.words[fd + 1] = r.metric;
          this.bytes[row * BYTES_STRIDE + HAS_FD] = 1;
        } else if (r.seqno === this.words[fd] && r.metric < this.words[fd + 1]) {
          this.words[fd + 1] = r.metric;
        }
      } else if (!this.bytes[row * BYTES_STRIDE + SELECTED] && this.bytes[row * BYTES_STRIDE + RETRACTIONS] > 0 && out.length < max) {
        out.push({ destination: r.destination, seqno: this.words[fd], metric: INFINITE_METRIC });
        this.bytes[row * BYTES_STRIDE + RETRACTIONS]--;
      } else if (!this.bytes[row * BYTES_STRIDE + SELECTED] && this.bytes[row * BYTES_STRIDE + COUNT] === 0 && this.bytes[row * BYTES_STRIDE + RETRACTIONS] === 0) {
        this.forget(k--);
      }
    }
  }

  /** The selected route with the lowest metric: the way to the nearest gateway (other than `except`, through a `usable` next hop). */
  nearest(except: Uint8Array | null = null, usable: ((nextHop: number) => boolean) | null = null): Route | null {
    let best: Route | null = null;
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      const r = this.rows[row]!;
      if (except && equalBytes(r.destination, except)) continue;
      if (usable && !usable(r.nextHop)) continue;
      if (this.bytes[row * BYTES_STRIDE + SELECTED] && (!best || r.metric < best.metric)) best = r;
    }
    return best;
  }

  /** The selected route to `destination` (updated in place as routes change), or null. */
  routeTo(destination: Uint8Array): Route | null {
    const row = this.find(destination);
    return row >= 0 && this.bytes[row * BYTES_STRIDE + SELECTED] ? this.rows[row] : null;
  }

  /** Every selected route (for monitors and the simulator's loop checks). */
  routes(): Route[] {
    const out: Route[] = [];
    for (let k = 0; k < this.count; k++) if (this.bytes[this.order[k] * BYTES_STRIDE + SELECTED]) out.push(this.rows[this.order[k]]!);
    return out;
  }

  get size(): number {
    return this.count;
  }

  private feasible(row: number, i: number): boolean {
    return this.feasibleRoute(row, this.seqnoOf(row, i), this.metricOf(row, i));
  }

  private feasibleRoute(row: number, seqno: number, metric: number): boolean {
    if (metric >= INFINITE_METRIC) return false;
    const fd = row * WORDS_STRIDE + FD;
    return !this.bytes[row * BYTES_STRIDE + HAS_FD] || seqnoNewer(seqno, this.words[fd]) || (seqno === this.words[fd] && metric < this.words[fd + 1]);
  }

  private metricOf(row: number, i: number): number {
    return this.words[row * WORDS_STRIDE + CANDIDATES + 2 * i + 1];
  }

  private seqnoOf(row: number, i: number): number {
    return this.words[row * WORDS_STRIDE + CANDIDATES + 2 * i];
  }

  private slotOf(row: number, i: number): number {
    return this.bytes[row * BYTES_STRIDE + SLOTS + i];
  }

  private candidateOf(row: number, slot: number): number {
    for (let i = 0; i < this.bytes[row * BYTES_STRIDE + COUNT]; i++) if (this.slotOf(row, i) === slot) return i;
    return -1;
  }

  private setCandidate(row: number, i: number, slot: number, seqno: number, metric: number): void {
    this.bytes[row * BYTES_STRIDE + SLOTS + i] = slot;
    const w = row * WORDS_STRIDE + CANDIDATES + 2 * i;
    this.words[w] = seqno;
    this.words[w + 1] = metric;
  }

  /** Removes candidate i of `row`, keeping the others in order. */
  private removeCandidate(row: number, i: number): void {
    const b = row * BYTES_STRIDE + SLOTS;
    const w = row * WORDS_STRIDE + CANDIDATES;
    const n = this.bytes[row * BYTES_STRIDE + COUNT];
    this.bytes.copyWithin(b + i, b + i + 1, b + n);
    this.words.copyWithin(w + 2 * i, w + 2 * (i + 1), w + 2 * n);
    this.bytes[row * BYTES_STRIDE + COUNT] = n - 1;
  }

  /** The route is lost: advertised as retracted RETRACTION_REPEATS times, and nobody's wanted seqno waits on it. */
  private retract(row: number): void {
    const at = row * BYTES_STRIDE;
    this.bytes[at + SELECTED] = 0;
    this.bytes[at + RETRACTIONS] = RETRACTION_REPEATS;
    this.bytes[at + PENDING] = 0;
  }

  /** Evicted: retracted like a lost route, without candidates, and freed once its retractions are sent. */
  private retire(row: number): void {
    this.retract(row);
    this.bytes[row * BYTES_STRIDE + RETIRING] = 1;
    this.bytes[row * BYTES_STRIDE + COUNT] = 0;
  }

  private find(id: Uint8Array): number {
    for (let k = 0; k < this.count; k++) {
      const row = this.order[k];
      if (equalBytes(this.rows[row]!.destination, id)) return row;
    }
    return -1;
  }

  /** Drops the k-th destination in order. */
  private forget(k: number): void {
    this.rows[this.order[k]] = null;
    this.order.copyWithin(k, k + 1, this.count);
    this.count--;
  }

  /**
   * A row for a new destination. When the table is full, a row we never advertised, or whose loss
   * we already retracted, makes room at once. Otherwise the farthest route, if farther than the
   * newcomer, retires: it is retracted like a lost route and freed after its retractions, and the
   * newcomer comes in with a later advertisement. Forgetting an advertised route's feasibility
   * distance while neighbors may still route through us would let its return close a loop.
   */
  private admit(entry: RouteEntry): number {
    if (this.count >= this.capacity) {
      let victim = -1;
      let farthest = -1;
      let worst = -1;
      for (let k = 0; k < this.count; k++) {
        const at = this.order[k] * BYTES_STRIDE;
        if (this.bytes[at + RETIRING]) return -1;
        if (!this.bytes[at + HAS_FD] || (!this.bytes[at + SELECTED] && this.bytes[at + RETRACTIONS] === 0)) victim = k;
        else if (this.bytes[at + SELECTED] && this.rows[this.order[k]]!.metric > worst) {
          worst = this.rows[this.order[k]]!.metric;
          farthest = this.order[k];
        }
      }
      if (victim < 0) {
        if (farthest >= 0 && worst > entry.metric) this.retire(farthest);
        return -1;
      }
      this.forget(victim);
    }
    let row = 0;
    while (this.rows[row]) row++;
    this.rows[row] = { destination: entry.destination.slice(), destinationHex: toHex(entry.destination), nextHop: -1, seqno: 0, metric: INFINITE_METRIC };
    this.bytes.fill(0, row * BYTES_STRIDE, row * BYTES_STRIDE + SLOTS);
    this.words[row * WORDS_STRIDE + FD] = 0;
    this.words[row * WORDS_STRIDE + FD + 1] = INFINITE_METRIC;
    this.order[this.count++] = row;
    return row;
  }
}

function listed(view: RouteView, destination: Uint8Array): boolean {
  for (let i = 0; i < view.count; i++) if (equalBytes(view.entries[i].destination, destination)) return true;
  return false;
}
