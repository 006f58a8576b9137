/**
 * What `hyphae monitor` shows: the mesh as a gateway sees it, assembled from the node statuses the
 * gateway publishes over MQTT (docs/protocol.md §MQTT gateway). Each status may carry the node's
 * latest health report (§Monitoring): its counters, its neighbors with their reception and the
 * reputation it gives them, and the anomalies it raised. Pure: no I/O, time passed in.
 *
 * Bounded: NODE_CAPACITY nodes (the least recently heard forgotten first) and EVENT_CAPACITY
 * anomaly events (oldest dropped).
 */
import type { HealthReport } from "../modules/monitor/health-report.js";
import { ANOMALY_NAMES } from "../modules/monitor/anomaly-detector.js";

export const NODE_CAPACITY = 1024;
export const EVENT_CAPACITY = 100;

/** A node's status as the gateway publishes it (fields the monitor uses; others are ignored). */
export interface NodeStatus {
  role?: string;
  state?: string;
  lastSeq?: number;
  lastHeard?: number;
  report?: { seq: number; at: number } & HealthReport;
}

export interface ViewNode {
  id: string;
  network: string;
  gateway: boolean;
  online: boolean;
  lastHeard: number | null;
  lastSeq: number | null;
  report: ({ seq: number; at: number } & HealthReport) | null;
  /** The lowest reputation score any neighbor's report gives this node (null: no report lists it). */
  lowestScore: number | null;
}

export interface ViewLink {
  from: string;
  to: string;
  /** Share of `to`'s beacons `from` hears, 0..1. */
  reception: number;
  /** The score `from` gives `to`. */
  score: number;
}

export interface ViewEvent {
  at: number;
  node: string;
  kind: string;
}

export interface MeshSnapshot {
  updatedAt: number;
  nodes: ViewNode[];
  links: ViewLink[];
  events: ViewEvent[];
}

export class MeshView {
  private readonly nodes = new Map<string, { network: string; id: string; status: NodeStatus }>();
  private readonly events: ViewEvent[] = [];
  private updatedAt = 0;

  /** Applies one node's status. Returns false when it changed nothing (a repeat). */
  update(network: string, id: string, status: NodeStatus, now: number): boolean {
    const key = `${network}/${id}`;
    const old = this.nodes.get(key);
    if (old && JSON.stringify(old.status) === JSON.stringify(status)) return false;
    const report = status.report;
    if (report && report.anomalies && (!old?.status.report || old.status.report.seq !== report.seq)) {
      ANOMALY_NAMES.forEach((kind, bit) => {
        if (report.anomalies & (1 << bit)) this.events.push({ at: report.at, node: id, kind });
      });
      if (this.events.length > EVENT_CAPACITY) this.events.splice(0, this.events.length - EVENT_CAPACITY);
    }
    this.nodes.delete(key);
    this.nodes.set(key, { network, id, status });
    if (this.nodes.size > NODE_CAPACITY) this.nodes.delete(this.nodes.keys().next().value as string);
    this.updatedAt = now;
    return true;
  }

  snapshot(): MeshSnapshot {
    const links: ViewLink[] = [];
    const lowest = new Map<string, number>();
    for (const { id, status } of this.nodes.values()) {
      for (const n of status.report?.neighbors ?? []) {
        links.push({ from: id, to: n.id, reception: n.reception, score: n.score });
        lowest.set(n.id, Math.min(lowest.get(n.id) ?? Infinity, n.score));
      }
    }
    const nodes: ViewNode[] = [...this.nodes.values()].map(({ network, id, status }) => ({
      id, network,
      gateway: status.role === "gateway" || status.report?.gateway === true,
      online: status.state !== "offline",
      lastHeard: status.lastHeard ?? null,
      lastSeq: status.lastSeq ?? null,
      report: status.report ?? null,
      lowestScore: lowest.get(id) ?? null,
    }));
    nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { updatedAt: this.updatedAt, nodes, links, events: [...this.events] };
  }
}
