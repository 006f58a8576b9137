/**
 * What the HTML report plots and draws, sampled while a simulated mesh runs: per time bucket the
 * frames and bytes sent, broadcast delivery, message and reading latency; and how one sample
 * broadcast spread. Opt-in (`SimulatedMesh.record()`), O(1) per frame and per event, outside the
 * trace: a recorded run has the same digest as an unrecorded one.
 */
import type { Adjacency } from "./graph.js";

/** Width of a time bucket: 10 simulated seconds, wider for long runs so there are at most MAX_BUCKETS. */
export const BUCKET_MS = 10_000;
const MAX_BUCKETS = 600;

export interface TimelineBucket {
  /** Start of the bucket, simulated ms. */
  startMs: number;
  framesSent: number;
  bytesSent: number;
  /** Broadcasts published in this bucket: receivers that could get them, and those that did. */
  broadcastReachable: number;
  broadcastDelivered: number;
  /** First copies delivered in this bucket: latency since publishing, ms. */
  messageLatencyMs: LatencySummary;
  /** Readings taken in this bucket, and how many of them reached a gateway (by the end of the run). */
  readingsTaken: number;
  readingsDelivered: number;
  /** Readings delivered in this bucket (first deliveries): latency since taken, ms. */
  readingLatencyMs: LatencySummary;
}

/** Latencies that fell into one bucket: how many, percentiles (to within 9 %: LatencyHistograms) and the worst. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class RunRecorder {
  readonly bucketMs: number;
  readonly sample: SampleBroadcast;
  private readonly count: number;
  private readonly frames: Float64Array;
  private readonly bytes: Float64Array;
  private readonly reachable: Float64Array;
  private readonly delivered: Float64Array;
  private readonly messageLatency: LatencyHistograms;
  private readonly readingsTaken: Float64Array;
  private readonly readingsDelivered: Float64Array;
  private readonly readingLatency: LatencyHistograms;

  /** `sampleFrom`: the sample is the first broadcast with a reachable receiver published at or after it. */
  constructor(durationMs: number, nodes: number, sampleFrom: number) {
    this.bucketMs = BUCKET_MS * Math.max(1, Math.ceil(durationMs / (MAX_BUCKETS * BUCKET_MS)));
    this.count = Math.max(1, Math.ceil(durationMs / this.bucketMs));
    const series = () => new Float64Array(this.count);
    this.frames = series();
    this.bytes = series();
    this.reachable = series();
    this.delivered = series();
    this.messageLatency = new LatencyHistograms(this.count);
    this.readingsTaken = series();
    this.readingsDelivered = series();
    this.readingLatency = new LatencyHistograms(this.count);
    this.sample = new SampleBroadcast(nodes, sampleFrom);
  }

  transmitted(bytes: number, now: number): void {
    const k = this.bucketOf(now);
    this.frames[k]++;
    this.bytes[k] += bytes;
  }

  published(source: number, origin: string, seq: number, reachable: number, now: number): void {
    this.reachable[this.bucketOf(now)] += reachable;
    if (reachable > 0) this.sample.published(source, origin, seq, now);
  }

  /** `publishedAt`: what the broadcast ledger returned (-1: the delivery does not count). */
  messageDelivered(receiver: number, origin: string, seq: number, hops: number, publishedAt: number, now: number): void {
    this.sample.delivered(receiver, origin, seq, hops, now);
    if (publishedAt < 0) return;
    this.delivered[this.bucketOf(publishedAt)]++;
    this.messageLatency.add(this.bucketOf(now), now - publishedAt);
  }

  relayed(node: number, origin: string, seq: number, hops: number, now: number): void {
    this.sample.relayed(node, origin, seq, hops, now);
  }

  readingTaken(now: number): void {
    this.readingsTaken[this.bucketOf(now)]++;
  }

  /** `takenAt`: what the reading ledger returned (-1: a repeat). */
  readingDelivered(takenAt: number, now: number): void {
    if (takenAt < 0) return;
    this.readingsDelivered[this.bucketOf(takenAt)]++;
    this.readingLatency.add(this.bucketOf(now), now - takenAt);
  }

  buckets(): TimelineBucket[] {
    return Array.from({ length: this.count }, (_, k) => ({
      startMs: k * this.bucketMs,
      framesSent: this.frames[k],
      bytesSent: this.bytes[k],
      broadcastReachable: this.reachable[k],
      broadcastDelivered: this.delivered[k],
      messageLatencyMs: this.messageLatency.summary(k),
      readingsTaken: this.readingsTaken[k],
      readingsDelivered: this.readingsDelivered[k],
      readingLatencyMs: this.readingLatency.summary(k),
    }));
  }

  private bucketOf(t: number): number {
    return Math.min(this.count - 1, Math.floor(t / this.bucketMs));
  }
}

/** One bucket of a LatencyHistograms. */
export interface HistogramSnapshot {
  bins: Uint32Array;
  count: number;
  max: number;
}

/**
 * Latency percentiles per time bucket in fixed memory: a histogram per bucket with 8 bins per
 * doubling (bin b holds latencies in (2^((b−1)/8), 2^(b/8)] ms), so a percentile is the upper edge
 * of its bin, at most 9 % high, and never above the bucket's exact worst.
 */
export class LatencyHistograms {
  static readonly BINS_PER_DOUBLING = 8;
  /** Up to 2^24 ms (4.7 h); longer latencies share the last bin. */
  static readonly BINS = 24 * LatencyHistograms.BINS_PER_DOUBLING + 1;
  private readonly bins: Uint32Array;
  private readonly counts: Float64Array;
  private readonly max: Float64Array;

  constructor(buckets: number) {
    this.bins = new Uint32Array(buckets * LatencyHistograms.BINS);
    this.counts = new Float64Array(buckets);
    this.max = new Float64Array(buckets);
  }

  add(bucket: number, ms: number): void {
    const bin = ms <= 1 ? 0 : Math.min(LatencyHistograms.BINS - 1, Math.ceil(LatencyHistograms.BINS_PER_DOUBLING * Math.log2(ms)));
    this.bins[bucket * LatencyHistograms.BINS + bin]++;
    this.counts[bucket]++;
    if (ms > this.max[bucket]) this.max[bucket] = ms;
  }

  /** A bucket's counts as plain data (it survives a thread's structured clone). */
  snapshot(bucket: number): HistogramSnapshot {
    const bins = LatencyHistograms.BINS;
    return { bins: this.bins.slice(bucket * bins, (bucket + 1) * bins), count: this.counts[bucket], max: this.max[bucket] };
  }

  /** Adds a snapshot of another histogram (another thread's) into `bucket`. */
  addSnapshot(bucket: number, s: HistogramSnapshot): void {
    const at = bucket * LatencyHistograms.BINS;
    for (let b = 0; b < LatencyHistograms.BINS; b++) this.bins[at + b] += s.bins[b];
    this.counts[bucket] += s.count;
    if (s.max > this.max[bucket]) this.max[bucket] = s.max;
  }

  summary(bucket: number): LatencySummary {
    const count = this.counts[bucket];
    const max = this.max[bucket];
    const at = (q: number): number => {
      const rank = Math.floor(q * count);
      let seen = 0;
      for (let b = 0; b < LatencyHistograms.BINS; b++) {
        seen += this.bins[bucket * LatencyHistograms.BINS + b];
        if (seen > rank) return Math.min(max, 2 ** (b / LatencyHistograms.BINS_PER_DOUBLING));
      }
      return max;
    };
    return count === 0 ? { count, p50: 0, p90: 0, p99: 0, max } : { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max };
  }
}

/**
 * One broadcast followed through the mesh: when and after how many hops each node got it, and
 * every relay of it. `spread()` turns that into the tree it travelled along.
 */
export class SampleBroadcast {
  source = -1;
  origin = "";
  seq = -1;
  publishedAt = -1;
  /** Hops of the first copy each node got; -1: never got it (the source has 0). */
  readonly hops: Int32Array;
  private readonly relays: { node: number; at: number; hops: number }[] = [];
  private readonly arrivedAt: Float64Array;

  constructor(nodes: number, private readonly from: number) {
    this.hops = new Int32Array(nodes).fill(-1);
    this.arrivedAt = new Float64Array(nodes);
  }

  published(source: number, origin: string, seq: number, now: number): void {
    if (this.source >= 0 || now < this.from) return;
    this.source = source;
    this.origin = origin;
    this.seq = seq;
    this.publishedAt = now;
    this.hops[source] = 0;
    this.arrivedAt[source] = now;
  }

  delivered(receiver: number, origin: string, seq: number, hops: number, now: number): void {
    if (seq !== this.seq || origin !== this.origin || this.hops[receiver] >= 0) return;
    this.hops[receiver] = hops;
    this.arrivedAt[receiver] = now;
  }

  relayed(node: number, origin: string, seq: number, hops: number, now: number): void {
    if (seq === this.seq && origin === this.origin) this.relays.push({ node, at: now, hops });
  }

  /**
   * Who each node got its first copy from (-1: the source, or never got it): the radio neighbor
   * whose transmission carried one hop fewer and went out last before the copy arrived. The
   * source's own copy is the one it published; relays carry the hop count they send.
   */
  spread(adjacency: Adjacency): Int32Array {
    const relaysBy = new Map<number, { at: number; hops: number }[]>();
    for (const relay of this.relays) {
      const list = relaysBy.get(relay.node) ?? [];
      list.push(relay);
      relaysBy.set(relay.node, list);
    }
    const parent = new Int32Array(this.hops.length).fill(-1);
    for (let r = 0; r < this.hops.length; r++) {
      const h = this.hops[r];
      if (h === 1) parent[r] = this.source;
      if (h <= 1) continue;
      let latest = -Infinity;
      const neighbors = adjacency[r];
      for (let k = 0; k < neighbors.length; k++) {
        for (const relay of relaysBy.get(neighbors[k]) ?? []) {
          if (relay.hops !== h - 1 || relay.at > this.arrivedAt[r] || relay.at <= latest) continue;
          latest = relay.at;
          parent[r] = neighbors[k];
        }
      }
    }
    return parent;
  }

  /** The nodes from the source to `receiver` along `parent` (empty when it never got the broadcast). */
  pathTo(receiver: number, parent: Int32Array): number[] {
    const path: number[] = [];
    for (let v = receiver; v >= 0 && path.length <= this.hops.length; v = parent[v]) {
      path.push(v);
      if (v === this.source) return path.reverse();
    }
    return [];
  }

  /** The receiver farthest in hops (lowest index among equals); -1 when nobody got it. */
  farthest(): number {
    let best = -1;
    for (let i = 0; i < this.hops.length; i++) if (this.hops[i] > 0 && (best < 0 || this.hops[i] > this.hops[best])) best = i;
    return best;
  }
}
