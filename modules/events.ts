/**
 * What a node tells its host and application. Drained with `MeshNode.pollEvent()`.
 */
import type { FeedOutcome } from "./feed/feed-verifier.js";
import type { AnomalyName } from "./monitor/anomaly-detector.js";
import type { HealthReport } from "./monitor/health-report.js";

export type MeshEvent =
  | { type: "neighbor-up"; id: string; role: number }
  | { type: "neighbor-down"; id: string; reason: "silent" | "revoked" | "expired" | "evicted" | "ignored" }
  | {
      type: "message";
      /** Origin node id, hex. */
      origin: string;
      seq: number;
      payload: Uint8Array;
      /** Hops the first copy travelled. */
      hops: number;
    }
  | {
      /**
       * A message sent to this node alone (`MeshNode.sendToNode`). Each hop authenticated the frame
       * it came in, `from` (hex) handed it over; `origin` is what the hops said, not signed by it
       * (docs/protocol.md §Routes to any node). Once per (origin, seq) while the seen cache remembers it.
       */
      type: "direct-message";
      origin: string;
      seq: number;
      payload: Uint8Array;
      hops: number;
      from: string;
    }
  | {
      /** A checkpoint from `origin` verified and covered earlier messages: they are attributed. */
      type: "attributed";
      origin: string;
      seqs: number[];
    }
  | { type: "revocation"; serial: number; count: number }
  /**
   * A command for this node, from an origin whose owner-signed certificate grants the command right,
   * signed by it, newer than any acted on from it (docs/protocol.md §Commands): act on it.
   */
  | { type: "command"; origin: string; seq: number; path: string; value: Uint8Array; hops: number }
  /**
   * Commanding nodes: `target` acknowledged, signed, that it acted on our command `seq` (sent again
   * `resends` times; `ms` after sendCommand took it).
   */
  | { type: "command-acked"; target: string; seq: number; path: string; resends: number; ms: number }
  /**
   * Commanding nodes: no ack came for command `seq`, and it is no longer sent: its lifetime ended
   * (`timeout`, 15 min after sendCommand) or a newer command pushed it out of the full table
   * (`evicted`). The target may still have acted on it.
   */
  | { type: "command-expired"; target: string; seq: number; path: string; resends: number; reason: "timeout" | "evicted" }
  /**
   * Commanding nodes, at boot: the commands still pending when the node stopped, read back from flash
   * (oldest first): each ends later as command-acked or command-expired. `unreadable`: stored values
   * dropped whole (corrupt, truncated, another version, or signed by another identity).
   */
  | { type: "commands-restored"; commands: { target: string; seq: number; path: string }[]; unreadable: number }
  /** Every piece of owner-signed content this node is a target of verified: the host installs it from the content store. */
  | { type: "content-installed"; kind: number; version: number }
  /**
   * This node may be eclipsed: most of its neighbors are avoided, or it heard far fewer distinct
   * origins in the last window than before (docs/security.md §Eclipse).
   */
  | { type: "eclipse-suspected"; origins: number; usualOrigins: number; avoidedNeighbors: number; neighbors: number }
  /** We rebroadcast a gossip message (instrumentation for monitors and the simulator). */
  | { type: "relayed"; origin: string; seq: number; hops: number }
  /**
   * Gateways only: a node's health report (its own too, every healthIntervalMs). Best effort: reports
   * may arrive twice or out of order (by different paths); `seq` grows with each, across reboots too.
   */
  | { type: "health"; origin: string; seq: number; report: HealthReport }
  /** This node saw something unusual in its own traffic (monitor/anomaly-detector.ts). */
  | { type: "anomaly"; kind: AnomalyName; value: number; threshold: number }
  /** Gateways only: a reading delivered (once, in order per origin), a feed proven, or a feed flagged. */
  | FeedOutcome;

/** One frame for the host's link to send; `to` null means link-local broadcast. */
export interface Transmit {
  bytes: Uint8Array;
  to: unknown | null;
}
