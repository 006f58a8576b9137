/**
 * Book-keeping of every broadcast in a simulation: who could have received it (nodes within the hop
 * limit of the source among powered nodes, across no active partition, at publish time), who did,
 * after how many hops compared with the breadth-first limit, and how many transmissions it took.
 * A broadcast is closed SETTLE_MS after it was published; its tables are then released.
 */
import { bfsDistances } from "./graph.js";
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
  private closed = { count: 0, reachable: 0, delivered: 0, worst: 1, transmissions: 0, hops: 0, bfs: 0, maxRatio: 0 };

  constructor(private readonly topology: Topology, private readonly isOn: (i: number) => boolean, private readonly hopLimit: number) {
  }

  partition(group: Int32Array, from: number, to: number): void {
    this.cuts.push({ group, from, to });
  }

  /** Opens a broadcast; returns how many nodes could receive it. */
  published(source: number, origin: string, seq: number, now: number): number {
    this.closeBefore(now - SETTLE_MS);
    const dist = this.distances(source, now);
    let reachable = 0;
    let eccentricity = 0;
    for (let i = 0; i < dist.length; i++) {
      if (dist[i] > this.hopLimit) dist[i] = -1;
      if (dist[i] > 0) {
        reachable++;
        if (dist[i] > eccentricity) eccentricity = dist[i];
      }
    }
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
  delivered(receiver: number, origin: string, seq: number, hops: number): number {
    const f = this.open.get(origin)?.get(seq);
    if (!f || f.dist[receiver] <= 0 || f.got[receiver]) return -1;
    f.got[receiver] = 1;
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

  /** Breadth-first hop distances from `source` over powered nodes and uncut links; -1 unreachable. */
  private distances(source: number, now: number): Int32Array {
    const up = new Uint8Array(this.topology.neighbors.length);
    for (let i = 0; i < up.length; i++) up[i] = this.isOn(i) ? 1 : 0;
    const cuts = this.cuts.filter((c) => now >= c.from && now < c.to);
    return bfsDistances(this.topology.neighbors, source, up, cuts.length ? (u, v) => cuts.every((c) => c.group[u] === c.group[v]) : undefined);
  }
}
