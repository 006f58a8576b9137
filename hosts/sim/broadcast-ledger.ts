/**
 * Book-keeping of every broadcast in a simulation: who could have received it (nodes within the hop
 * limit of the source among powered nodes, across no active partition, at publish time), who did,
 * after how many hops compared with the breadth-first limit and how long after publishing, and how
 * many transmissions it took.
 * Deliveries and relays count up to SETTLE_MS after the broadcast was published; its tables are
 * released after that.
 *
 * Mergeable: a ledger that keeps its flights (`keep`) and sees every publication but only some
 * receivers (one thread of a parallel run, hosts/sim/parallel-mesh.ts) yields FlightRecords whose
 * sums over threads, `mergeFlights`, give exactly the totals one ledger of the whole run gives:
 * both add the flights up in the same order, (publish time, source, seq). First-copy latencies go into
 * one histogram per ledger (a receiver belongs to one thread), which `mergeFlights` adds up too.
 */
import { MAX_HOP_LIMIT } from "../../modules/wire/gossip.js";
import { bfsDistances } from "./graph.js";
import { LatencyHistograms, type HistogramSnapshot } from "./run-recorder.js";
import type { Topology } from "./topology.js";

export const SETTLE_MS = 60_000;
/**
 * Flights stay open this long past SETTLE_MS (what counts is still judged by SETTLE_MS): a thread of
 * a parallel run publishes from nodes up to a few radio latencies ahead of others it runs.
 */
const CLOSE_SLACK_MS = 1_000;

export interface BroadcastTotals {
  count: number;
  /** Sum over broadcasts of the nodes that could receive it (source excluded). */
  reachable: number;
  /** Of those, how many received it. */
  delivered: number;
  deliveryRatio: number;
  /** Smallest per-broadcast delivery ratio. */
  worstDeliveryRatio: number;
  /** Mean transmissions of one broadcast: the origin's plus every relay. */
  transmissionsPerBroadcast: number;
  /** Mean hops of the first copy each receiver got. */
  meanHops: number;
  /** Mean breadth-first distance of the same receivers: the latency limit. */
  meanBfsHops: number;
  /** meanHops / meanBfsHops. */
  hopStretch: number;
  /** Mean over broadcasts of (largest first-copy hops) / (source eccentricity). */
  maxHopRatio: number;
  /** Time from publishing to each receiver's first copy, ms: the mean, p90 (to within 9 %) and the worst. */
  latencyMs: { mean: number; p90: number; max: number };
}

/** What one ledger saw of first-copy latencies: its histogram and their sum (ms; whole ms, so any order sums alike). */
export interface LatencyRecord {
  histogram: HistogramSnapshot;
  sum: number;
}

/** What one ledger saw of one broadcast. */
export interface FlightRecord {
  source: number;
  seq: number;
  at: number;
  reachable: number;
  eccentricity: number;
  delivered: number;
  hopsSum: number;
  bfsSum: number;
  maxHops: number;
  /** Relays seen (the origin's own transmission is not in it). */
  relays: number;
}

interface Flight {
  source: number;
  origin: string;
  seq: number;
  at: number;
  /**
   * Per node: its hop distance from the source while a delivery to it would count (reachable, no
   * copy yet), else 0. One array read per delivery, the flight's own (a delivery zeroes its entry).
   */
  toCount: Uint8Array;
  reachable: number;
  delivered: number;
  hopsSum: number;
  bfsSum: number;
  maxHops: number;
  eccentricity: number;
  relays: number;
}

interface Reach {
  dist: Int32Array;
  reachable: number;
  eccentricity: number;
}

/** Distances (one per node per source) remembered by reach(). */
const REMEMBERED_DISTANCES = 1 << 24;

interface Cut {
  group: Int32Array;
  from: number;
  to: number;
}

/** Where an origin's open flight of `seq` is in its list, -1 if none (a list holds one or two). */
function indexOfSeq(ofOrigin: Flight[], seq: number): number {
  for (let k = 0; k < ofOrigin.length; k++) if (ofOrigin[k].seq === seq) return k;
  return -1;
}

export class BroadcastLedger {
  /**
   * Open broadcasts by origin (a node has one or two open at a time: scanned for the seq), found
   * without building a key string per event.
   */
  private readonly open = new Map<string, Flight[]>();
  /** The same broadcasts in publish order, to close them oldest first. */
  private readonly flights: Flight[] = [];
  private closedUpTo = 0;
  private readonly cuts: Cut[] = [];
  /** Which nodes were on at the last reach(), and what it found per source since they last changed. */
  private readonly up: Uint8Array;
  private readonly reaches = new Map<number, Reach>();
  private readonly closed = new Closed();
  /** First-copy latencies of every counted delivery, in one histogram (fixed memory). */
  private readonly latency = new LatencyHistograms(1);
  private latencySum = 0;
  /** With `keep`: every closed flight, for mergeFlights. */
  private readonly kept: FlightRecord[] | null;

  constructor(private readonly topology: Topology, private readonly isOn: (i: number) => boolean, private readonly hopLimit: number, keep = false) {
    if (!(hopLimit <= MAX_HOP_LIMIT)) throw new RangeError(`hopLimit must be at most ${MAX_HOP_LIMIT}, got ${hopLimit}`);
    this.up = new Uint8Array(topology.neighbors.length);
    this.kept = keep ? [] : null;
  }

  partition(group: Int32Array, from: number, to: number): void {
    this.cuts.push({ group, from, to });
  }

  /** Opens a broadcast; returns how many nodes could receive it. */
  published(source: number, origin: string, seq: number, now: number): number {
    this.closeBefore(now - SETTLE_MS - CLOSE_SLACK_MS);
    const { dist, reachable, eccentricity } = this.reach(source, now);
    const toCount = new Uint8Array(dist.length);
    for (let i = 0; i < dist.length; i++) if (dist[i] > 0) toCount[i] = dist[i];
    const flight: Flight = {
      source, origin, seq, at: now, toCount, reachable, delivered: 0, hopsSum: 0, bfsSum: 0, maxHops: 0, eccentricity, relays: 0,
    };
    const ofOrigin = this.open.get(origin);
    if (!ofOrigin) this.open.set(origin, [flight]);
    else {
      const k = indexOfSeq(ofOrigin, seq);
      if (k >= 0) ofOrigin[k] = flight;
      else ofOrigin.push(flight);
    }
    // Kept in (at, source, seq) order, the order flights are added up in; a thread learns of other
    // threads' publications a little late, so a flight may go in before the last few.
    const flights = this.flights;
    let k = flights.length;
    while (k > this.closedUpTo && flightBefore(flight, flights[k - 1])) k--;
    flights.splice(k, 0, flight);
    return reachable;
  }

  /** Returns the broadcast's publish time when this delivery counts (a reachable receiver's first, in time), else -1. */
  delivered(receiver: number, origin: string, seq: number, hops: number, now: number): number {
    const f = this.flight(origin, seq);
    if (f === undefined || now - f.at > SETTLE_MS) return -1;
    const bfs = f.toCount[receiver];
    if (bfs === 0) return -1;
    f.toCount[receiver] = 0;
    this.latency.add(0, now - f.at);
    this.latencySum += now - f.at;
    f.delivered++;
    f.hopsSum += hops;
    f.bfsSum += bfs;
    if (hops > f.maxHops) f.maxHops = hops;
    return f.at;
  }

  relayed(origin: string, seq: number, now: number): void {
    const f = this.flight(origin, seq);
    if (f !== undefined && now - f.at <= SETTLE_MS) f.relays++;
  }

  private flight(origin: string, seq: number): Flight | undefined {
    const ofOrigin = this.open.get(origin);
    if (ofOrigin === undefined) return undefined;
    const k = indexOfSeq(ofOrigin, seq);
    return k >= 0 ? ofOrigin[k] : undefined;
  }

  /** Closes every open broadcast and returns the totals. */
  totals(): BroadcastTotals {
    this.closeBefore(Infinity);
    return this.closed.totals(this.latency, this.latencySum);
  }

  /** The first-copy latencies this ledger counted, for mergeFlights. */
  latencies(): LatencyRecord {
    return { histogram: this.latency.snapshot(0), sum: this.latencySum };
  }

  /** Closes every open broadcast and returns what this ledger saw of each (constructed with `keep`). */
  records(): FlightRecord[] {
    if (this.kept === null) throw new Error("records() needs a ledger that keeps its flights");
    this.closeBefore(Infinity);
    return this.kept;
  }

  private closeBefore(t: number): void {
    const flights = this.flights;
    for (; this.closedUpTo < flights.length && flights[this.closedUpTo].at < t; this.closedUpTo++) {
      const f = flights[this.closedUpTo];
      const ofOrigin = this.open.get(f.origin)!;
      const k = indexOfSeq(ofOrigin, f.seq);
      if (k >= 0) ofOrigin.splice(k, 1);
      if (ofOrigin.length === 0) this.open.delete(f.origin);
      const { source, seq, at, reachable, eccentricity, delivered, hopsSum, bfsSum, maxHops, relays } = f;
      const record = { source, seq, at, reachable, eccentricity, delivered, hopsSum, bfsSum, maxHops, relays };
      if (this.kept !== null) this.kept.push(record);
      else this.closed.add(record);
    }
    // Let closed flights (and their per-node arrays) go, in amortized O(1).
    if (this.closedUpTo * 2 >= flights.length) {
      flights.splice(0, this.closedUpTo);
      this.closedUpTo = 0;
    }
  }

  /**
   * Hop distances from `source` within the hop limit over powered nodes and uncut links (-1 beyond),
   * with how many nodes that reaches and the farthest. Remembered per source while the same nodes
   * are on and no cut is active: every node publishing once a minute would otherwise search the
   * whole graph per message. Read only: flights share it.
   */
  private reach(source: number, now: number): Reach {
    const n = this.topology.neighbors.length;
    const up = this.up;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const on = this.isOn(i) ? 1 : 0;
      if (up[i] !== on) {
        up[i] = on;
        changed = true;
      }
    }
    const cuts = this.cuts.filter((c) => now >= c.from && now < c.to);
    if (changed || cuts.length > 0) this.reaches.clear();
    let r = this.reaches.get(source);
    if (r) return r;
    const dist = bfsDistances(this.topology.neighbors, source, up, cuts.length ? (u, v) => cuts.every((c) => c.group[u] === c.group[v]) : undefined);
    let reachable = 0;
    let eccentricity = 0;
    for (let i = 0; i < n; i++) {
      if (dist[i] > this.hopLimit) dist[i] = -1;
      if (dist[i] > 0) {
        reachable++;
        if (dist[i] > eccentricity) eccentricity = dist[i];
      }
    }
    r = { dist, reachable, eccentricity };
    if (cuts.length > 0) return r;
    // Bounded to about 64 MB of distances, the oldest forgotten first.
    if (this.reaches.size >= Math.max(1, Math.floor(REMEMBERED_DISTANCES / n))) this.reaches.delete(this.reaches.keys().next().value as number);
    this.reaches.set(source, r);
    return r;
  }
}

/** (at, source, seq) order. */
function flightBefore(x: FlightRecord, y: FlightRecord): boolean {
  return x.at !== y.at ? x.at < y.at : x.source !== y.source ? x.source < y.source : x.seq < y.seq;
}

/** Running sums over closed flights, added in (at, source, seq) order. */
class Closed {
  private count = 0;
  private reachable = 0;
  private delivered = 0;
  private worst = 1;
  private transmissions = 0;
  private hops = 0;
  private bfs = 0;
  private maxRatio = 0;

  add(f: FlightRecord): void {
    if (f.reachable === 0) return;
    this.count++;
    this.reachable += f.reachable;
    this.delivered += f.delivered;
    this.worst = Math.min(this.worst, f.delivered / f.reachable);
    this.transmissions += 1 + f.relays;
    this.hops += f.hopsSum;
    this.bfs += f.bfsSum;
    this.maxRatio += f.maxHops / f.eccentricity;
  }

  totals(latency: LatencyHistograms, latencySum: number): BroadcastTotals {
    const summary = latency.summary(0);
    return {
      count: this.count,
      reachable: this.reachable,
      delivered: this.delivered,
      deliveryRatio: this.reachable ? this.delivered / this.reachable : 1,
      worstDeliveryRatio: this.count ? this.worst : 1,
      transmissionsPerBroadcast: this.count ? this.transmissions / this.count : 0,
      meanHops: this.delivered ? this.hops / this.delivered : 0,
      meanBfsHops: this.delivered ? this.bfs / this.delivered : 0,
      hopStretch: this.bfs ? this.hops / this.bfs : 1,
      maxHopRatio: this.count ? this.maxRatio / this.count : 1,
      // p90 in whole ms: its bin edge, 2 ** (b / 8), can differ in the last bit between XS and V8.
      latencyMs: { mean: this.delivered ? latencySum / this.delivered : 0, p90: Math.round(summary.p90), max: summary.max },
    };
  }
}

/**
 * The totals of a run whose receivers were split between ledgers that each saw every publication:
 * per flight the sums of what each saw, added up as one ledger would.
 */
export function mergeFlights(parts: FlightRecord[][], latencies: LatencyRecord[]): BroadcastTotals {
  const byKey = new Map<string, FlightRecord>();
  for (const part of parts) {
    for (const f of part) {
      const key = `${f.source}:${f.seq}:${f.at}`;
      const m = byKey.get(key);
      if (!m) {
        byKey.set(key, { ...f });
        continue;
      }
      m.delivered += f.delivered;
      m.hopsSum += f.hopsSum;
      m.bfsSum += f.bfsSum;
      m.maxHops = Math.max(m.maxHops, f.maxHops);
      m.relays += f.relays;
    }
  }
  const closed = new Closed();
  for (const f of [...byKey.values()].sort((x, y) => (flightBefore(x, y) ? -1 : flightBefore(y, x) ? 1 : 0))) closed.add(f);
  const latency = new LatencyHistograms(1);
  let sum = 0;
  for (const l of latencies) {
    latency.addSnapshot(0, l.histogram);
    sum += l.sum;
  }
  return closed.totals(latency, sum);
}
