/**
 * What happened to every sensor reading in a simulated mesh: taken at an origin, delivered by a
 * gateway's application (how often, how late). The exactly-once promise is checked here:
 * `lost` and `duplicated` must be 0.
 */

export interface ReadingTotals {
  /** Readings taken by the origins. */
  taken: number;
  /** Distinct readings delivered by some gateway's application. */
  delivered: number;
  /** Taken by a node with a path to a gateway, and never delivered. */
  lost: number;
  /** Taken by nodes with no path to any gateway in the graph: they wait in the origins' storage. */
  unreachable: number;
  /** Deliveries beyond the first, at any gateway. */
  duplicated: number;
  /** Delivered with a verified feed checkpoint at the time of delivery. */
  verifiedOnDelivery: number;
  /** Delivery latency of the first delivery, ms: percentiles and the worst. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export class ReadingLedger {
  /** "origin:seq" → time taken. */
  private readonly taken = new Map<string, number>();
  /** "origin:seq" → deliveries so far. */
  private readonly deliveries = new Map<string, number>();
  private readonly latencies: number[] = [];
  private verified = 0;

  took(origin: string, seq: number, now: number): void {
    this.taken.set(`${origin}:${seq}`, now);
  }

  /** Returns when the reading was taken, on its first delivery; -1 for a repeat or a reading never taken. */
  delivered(origin: string, seq: number, verified: boolean, now: number): number {
    const key = `${origin}:${seq}`;
    const count = (this.deliveries.get(key) ?? 0) + 1;
    this.deliveries.set(key, count);
    if (count > 1) return -1;
    if (verified) this.verified++;
    const at = this.taken.get(key);
    if (at === undefined) return -1;
    this.latencies.push(now - at);
    return at;
  }

  /** One origin's readings: how many it took, how many some gateway delivered. */
  takenBy(origin: string): { taken: number; delivered: number } {
    let taken = 0;
    let delivered = 0;
    for (const key of this.taken.keys()) {
      if (!key.startsWith(`${origin}:`)) continue;
      taken++;
      if (this.deliveries.has(key)) delivered++;
    }
    return { taken, delivered };
  }

  /** `reachable(origin)`: whether the origin has a path to some gateway in the graph. */
  totals(reachable: (origin: string) => boolean = () => true): ReadingTotals {
    let delivered = 0;
    let duplicated = 0;
    let unreachable = 0;
    for (const [key, count] of this.deliveries) {
      if (!this.taken.has(key)) continue;
      delivered++;
      duplicated += count - 1;
    }
    for (const key of this.taken.keys()) {
      if (!this.deliveries.has(key) && !reachable(key.slice(0, key.indexOf(":")))) unreachable++;
    }
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
    return {
      taken: this.taken.size,
      delivered,
      lost: this.taken.size - delivered - unreachable,
      unreachable,
      duplicated,
      verifiedOnDelivery: this.verified,
      latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : 0 },
    };
  }
}
