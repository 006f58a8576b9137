/**
 * A node's own monitoring (docs/protocol.md §Monitoring): every ANOMALY_WINDOW_MS it checks its
 * traffic for anomalies and raises an `anomaly` event for each; every `healthIntervalMs` it sends a
 * health report to its home gateway (a gateway reports its own as a `health` event), flagging the
 * anomalies raised since the last one. Reports are numbered from the boot epoch, so a report after a
 * reboot never reuses an earlier one's number.
 */
import type { Counters } from "../counters.js";
import { DropReason } from "../counters.js";
import type { MeshEvent } from "../events.js";
import type { NodeHealth } from "../node.js";
import { WireError } from "../wire/errors.js";
import { ANOMALY_NAMES, AnomalyDetector } from "./anomaly-detector.js";
import { encodeHealthReport, type HealthNeighbor } from "./health-report.js";

/** What the monitor needs from its node: the MeshNode itself (no closures kept per node). */
export interface MonitorContext {
  readonly counters: Counters;
  readonly isGateway: boolean;
  health(): NodeHealth;
  /** Neighbors with their reception and score, best reception first. */
  neighborReport(now: number): HealthNeighbor[];
  /** Current neighbor ids (hex). */
  neighborIds(): ReadonlySet<string>;
  /** Content installed, and the firmware transfer under way (zeros without a content store). */
  contentStatus(): { firmwareVersion: number; configVersion: number; transferVersion: number; transferHeld: number; transferTotal: number };
  emit(event: MeshEvent): void;
  sendHealthReport(report: Uint8Array, seq: number, now: number): void;
}

/**
 * Drops that mean an input failed authentication: a wrong key, a forged or revoked certificate, a
 * replay, a forged CONFIRM, or no open left for a sender not admitted (an outsider's flood is mostly
 * refused unopened).
 */
const AUTH_FAILURES: readonly (WireError | DropReason)[] = [
  WireError.AuthFailed, DropReason.BadCertificate, DropReason.Revoked, DropReason.Replay, DropReason.BadConfirm, DropReason.OpenBudget,
];

export class NodeMonitor {
  private detector: AnomalyDetector | null = null;
  private startedAt = 0;
  private nextReportAt = Infinity;
  private seqBase = 0;
  private reports = 0;
  /** Bit per AnomalyKind raised since the last report. */
  private raised = 0;

  constructor(private readonly ctx: MonitorContext, private readonly intervalMs: number) {}

  /** At boot: `epoch` (≥ 1) numbers this boot's reports; the first goes out `firstAfterMs` from now. */
  start(now: number, epoch: number, firstAfterMs: number): void {
    this.detector = new AnomalyDetector(now);
    this.startedAt = now;
    this.seqBase = (epoch & 0xffff) * 0x10000;
    this.nextReportAt = this.intervalMs > 0 ? now + firstAfterMs : Infinity;
  }

  get deadline(): number {
    return Math.min(this.detector ? this.detector.deadline : Infinity, this.nextReportAt);
  }

  tick(now: number): void {
    const ctx = this.ctx;
    if (this.detector && now >= this.detector.deadline) {
      for (const a of this.detector.observe(now, ctx.counters.framesIn, this.authFailures(), ctx.neighborIds())) {
        this.raised |= 1 << a.kind;
        ctx.emit({ type: "anomaly", kind: ANOMALY_NAMES[a.kind], value: a.value, threshold: a.threshold });
      }
    }
    if (now >= this.nextReportAt) {
      this.nextReportAt = now + this.intervalMs;
      ctx.sendHealthReport(this.report(now), this.seqBase + (this.reports++ % 0xffff) + 1, now);
      this.raised = 0;
    }
  }

  private report(now: number): Uint8Array {
    const c = this.ctx.counters;
    const h = this.ctx.health();
    let drops = 0;
    for (const n of c.drops.values()) drops += n;
    return encodeHealthReport({
      gateway: this.ctx.isGateway, anomalies: this.raised, uptimeSeconds: Math.floor((now - this.startedAt) / 1000),
      framesIn: c.framesIn, framesOut: c.framesOut, messagesNew: c.messagesNew, relays: c.relays, drops,
      authFailures: this.authFailures(), rateLimited: c.dropped(DropReason.RateLimited) + c.relaysRateLimited,
      neighborCount: h.neighbors, certificates: h.certificates, custody: h.custody, routes: h.routes,
      unconfirmedReadings: h.unconfirmedReadings, ...this.ctx.contentStatus(), neighbors: this.ctx.neighborReport(now),
    });
  }

  private authFailures(): number {
    let n = 0;
    for (const reason of AUTH_FAILURES) n += this.ctx.counters.dropped(reason);
    return n;
  }
}
