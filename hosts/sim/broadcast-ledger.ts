/**
 * Book-keeping of every broadcast in a simulation: who could have received it (nodes within the hop
 * limit of the source among powered nodes, across no active partition, at publish time), who did,
 * after how many hops compared with the breadth-first limit and how long after publishing, and how
 * many transmissions it took.
 * A broadcast is closed SETTLE_MS after it was published; its tables are then released.
 */
import { bfsDistances } from "./graph.js";
import { LatencyHistograms } from "./run-recorder.js";
import type { Topology } from "./topology.js";

export const SETTLE_MS = 60_000;

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

interface Flight {
  origin: string;
  seq: number;
  at: number;
  dist: Int32Array;
  got: Uint8Array;
  reachable: number;
  delivered: number;
  hopsSum: number;
  bfsSum: number;
  maxHops: number;
  eccentricity: number;
  transmissions: number;
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

export class BroadcastLedger {
  /** Open broadcasts by origin, then seq: found without building a key string per event. */
  private readonly open = new Map<string, Map<number, Flight>>();
  /** The same broadcasts in publish order, to close them oldest first. */
  private readonly flights: Flight[] = [];
  private closedUpTo = 0;
  private readonly cuts: Cut[] = [];
  /** Which nodes were on at the last reach(), and what it found per source since they last changed. */
  private readonly up: Uint8Array;
  private readonly reaches = new Map<number, Reach>();
  private closed = { count: 0, reachable: 0, delivered: 0, worst: 1, transmissions: 0, hops: 0, bfs: 0, maxRatio: 0 };
  /** First-copy latencies of every counted delivery, in one histogram (fixed memory). */
  readonly latency = new LatencyHistograms(1);
  private latencySum = 0;

  constructor(private readonly topology: Topology, private readonly isOn: (i: number) => boolean, private readonly hopLimit: number) {
    this.up = new Uint8Array(topology.neighbors.length);
  }

  partition(group: Int32Array, from: number, to: number): void {
    this.cuts.push({ group, from, to });
  }

  /** Opens a broadcast; returns how many nodes could receive it. */
  published(source: number, origin: string, seq: number, now: number): number {
    this.closeBefore(now - SETTLE_MS);
    const { dist, reachable, eccentricity } = this.reach(source, now);
    const flight: Flight = {
      origin, seq, at: now, dist, got: new Uint8Array(dist.length), reachable, delivered: 0, hopsSum: 0, bfsSum: 0,
      maxHops: 0, eccentricity, transmissions: 1,
    };
    let bySeq = this.open.get(origin);
    if (!bySeq) this.open.set(origin, (bySeq = new Map()));
    bySeq.set(seq, flight);
    this.flights.push(flight);
    return reachable;
  }

  /** Returns the broadcast's publish time when this delivery counts (a reachable receiver's first), else -1. */
  delivered(receiver: number, origin: string, seq: number, hops: number, now: number): number {
    const f = this.open.get(origin)?.get(seq);
    if (!f || f.dist[receiver] <= 0 || f.got[receiver]) return -1;
    f.got[receiver] = 1;
    this.latency.add(0, now - f.at);
    this.latencySum += now - f.at;
    f.delivered++;
    f.hopsSum += hops;
    f.bfsSum += f.dist[receiver];
    if (hops > f.maxHops) f.maxHops = hops;
    return f.at;
  }

  relayed(origin: string, seq: number): void {
    const f = this.open.get(origin)?.get(seq);
    if (f) f.transmissions++;
  }

  /** Closes every open broadcast and returns the totals. */
  totals(): BroadcastTotals {
    this.closeBefore(Infinity);
    const c = this.closed;
    const latency = this.latency.summary(0);
    return {
      count: c.count,
      reachable: c.reachable,
      delivered: c.delivered,
      deliveryRatio: c.reachable ? c.delivered / c.reachable : 1,
      worstDeliveryRatio: c.count ? c.worst : 1,
      transmissionsPerBroadcast: c.count ? c.transmissions / c.count : 0,
      meanHops: c.delivered ? c.hops / c.delivered : 0,
      meanBfsHops: c.delivered ? c.bfs / c.delivered : 0,
      hopStretch: c.bfs ? c.hops / c.bfs : 1,
      maxHopRatio: c.count ? c.maxRatio / c.count : 1,
      // p90 in whole ms: its bin edge, 2 ** (b / 8), can differ in the last bit between XS and V8.
      latencyMs: { mean: c.delivered ? this.latencySum / c.delivered : 0, p90: Math.round(latency.p90), max: latency.max },
    };
  }

  private closeBefore(t: number): void {
    const flights = this.flights;
    for (; this.closedUpTo < flights.length && flights[this.closedUpTo].at < t; this.closedUpTo++) {
      const f = flights[this.closedUpTo];
      const bySeq = this.open.get(f.origin)!;
      bySeq.delete(f.seq);
      if (bySeq.size === 0) this.open.delete(f.origin);
      if (f.reachable === 0) continue;
      const c = this.closed;
      c.count++;
      c.reachable += f.reachable;
      c.delivered += f.delivered;
      c.worst = Math.min(c.worst, f.delivered / f.reachable);
      c.transmissions += f.transmissions;
      c.hops += f.hopsSum;
      c.bfs += f.bfsSum;
      c.maxRatio += f.maxHops / f.eccentricity;
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
