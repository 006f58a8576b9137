/**
 * Anomalies a node notices in its own traffic, one window at a time (docs/protocol.md §Monitoring):
 *
 * - rate spike: more frames in during a window than SPIKE_FACTOR × the baseline (an average of
 *   earlier windows, each counted at most SPIKE_FACTOR × the baseline so a flood does not become the
 *   norm) and at least SPIKE_MIN_FRAMES, once BASELINE_WINDOWS windows have set the baseline;
 * - auth-failure burst: at least AUTH_BURST frames in a window that failed authentication (bad tag,
 *   bad or revoked certificate, replay, or refused unopened with the open budget spent): someone
 *   without the keys is trying, or replaying;
 * - neighbor churn: more than half of the neighbor set changed in one window (new and gone together
 *   against the larger of the two sets), with at least CHURN_MIN_NEIGHBORS in either: an eclipse
 *   attempt replaces a neighborhood this way.
 *
 * Each raises at most one event per window. The detector keeps three numbers and the last neighbor set.
 */

/** Bit positions in HealthReport.anomalies: append only. */
export enum AnomalyKind {
  RateSpike = 0,
  AuthFailures = 1,
  NeighborChurn = 2,
}

export const ANOMALY_NAMES = ["rate-spike", "auth-failures", "neighbor-churn"] as const;
export type AnomalyName = (typeof ANOMALY_NAMES)[number];

export interface Anomaly {
  kind: AnomalyKind;
  /** What the window saw: frames in, failures, or the share of the neighbor set that changed. */
  value: number;
  /** What it was held against: the frame baseline, AUTH_BURST, or 0.5. */
  threshold: number;
}

export const ANOMALY_WINDOW_MS = 60_000;
const SPIKE_FACTOR = 4;
const SPIKE_MIN_FRAMES = 120;
const BASELINE_WINDOWS = 3;
/** Weight of the newest window in the baseline. */
const BASELINE_WEIGHT = 0.25;
export const AUTH_BURST = 10;
const CHURN_MIN_NEIGHBORS = 4;

export class AnomalyDetector {
  private windowEnd: number;
  private framesAtStart = 0;
  private failuresAtStart = 0;
  private baseline = 0;
  private windows = 0;
  private neighborsAtStart: ReadonlySet<string> = new Set();

  constructor(start: number) {
    this.windowEnd = start + ANOMALY_WINDOW_MS;
  }

  get deadline(): number {
    return this.windowEnd;
  }

  /**
   * Closes the window if it is over: `framesIn` and `authFailures` are totals since boot, `neighbors`
   * the current neighbor ids. Returns what the window raised (empty before its end).
   */
  observe(now: number, framesIn: number, authFailures: number, neighbors: ReadonlySet<string>): Anomaly[] {
    if (now < this.windowEnd) return [];
    const raised: Anomaly[] = [];
    const frames = framesIn - this.framesAtStart;
    if (this.windows >= BASELINE_WINDOWS && frames >= SPIKE_MIN_FRAMES && frames > SPIKE_FACTOR * this.baseline) {
      raised.push({ kind: AnomalyKind.RateSpike, value: frames, threshold: Math.round(SPIKE_FACTOR * this.baseline) });
    }
    const counted = this.windows === 0 ? frames : Math.min(frames, SPIKE_FACTOR * Math.max(this.baseline, 1));
    this.baseline = this.windows === 0 ? counted : this.baseline + BASELINE_WEIGHT * (counted - this.baseline);
    this.windows++;

    const failures = authFailures - this.failuresAtStart;
    if (failures >= AUTH_BURST) raised.push({ kind: AnomalyKind.AuthFailures, value: failures, threshold: AUTH_BURST });

    const before = this.neighborsAtStart;
    const larger = Math.max(before.size, neighbors.size);
    if (larger >= CHURN_MIN_NEIGHBORS) {
      let changed = 0;
      for (const id of neighbors) if (!before.has(id)) changed++;
      for (const id of before) if (!neighbors.has(id)) changed++;
      const share = changed / (2 * larger);
      if (share > 0.5) raised.push({ kind: AnomalyKind.NeighborChurn, value: Math.round(share * 100) / 100, threshold: 0.5 });
    }

    this.framesAtStart = framesIn;
    this.failuresAtStart = authFailures;
    this.neighborsAtStart = new Set(neighbors);
    // Windows are back to back; after a gap (a host that did not tick) a fresh one starts now.
    this.windowEnd = now < this.windowEnd + ANOMALY_WINDOW_MS ? this.windowEnd + ANOMALY_WINDOW_MS : now + ANOMALY_WINDOW_MS;
    return raised;
  }
}
