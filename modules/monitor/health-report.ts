/**
 * HEALTH: the compact summary each node sends its home gateway every `healthIntervalMs`, hop by hop
 * with custody as DATA kind 4 (docs/protocol.md §Monitoring). Counters are totals since boot (u32,
 * wrapping): a collector takes differences between reports.
 *
 *   off  size  field
 *   0    1     version (1)
 *   1    1     flags: bit 0 this node is a gateway; bits 1–3 anomalies raised since the last report
 *               (rate spike, auth-failure burst, neighbor churn: AnomalyKind order)
 *   2    4     uptime, seconds
 *   6    28    counters, u32 each: frames in, frames out, new messages, relays, drops (all reasons),
 *               authentication failures (bad tag, bad or revoked certificate, replay, open budget spent),
 *               rate-limit hits
 *   34   1     neighbor rows   35  1  certificates cached   36  1  custody items   37  1  routes
 *   38   2     own readings not yet confirmed
 *   40   4     installed firmware version (0: none installed over the mesh)
 *   44   4     installed configuration version
 *   48   4     firmware transfer under way: its version (0: none) ‖ 52 2 pieces held ‖ 54 2 pieces in all
 *   56   1     n, neighbors listed (≤ MAX_REPORT_NEIGHBORS, best reception first)
 *   57   10n   per neighbor: id (8) ‖ reception × 255 (u8) ‖ reputation score (i8, rounded, clamped)
 */
import { readU16, readU32, toHex, writeU16, writeU32 } from "../bytes.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export const HEALTH_VERSION = 1;
export const HEALTH_FIXED_BYTES = 57;
export const HEALTH_NEIGHBOR_BYTES = NODE_ID_BYTES + 2;
/** Fits a DATA payload (200 bytes): 57 + 14 × 10. */
export const MAX_REPORT_NEIGHBORS = 14;
const LISTED_AT = 56;

export interface HealthNeighbor {
  /** Node id, hex. */
  id: string;
  /** Share of its beacons we heard, 0..1 (in steps of 1/255). */
  reception: number;
  score: number;
}

export interface HealthReport {
  gateway: boolean;
  /** Bit i set: anomaly AnomalyKind i raised since the last report. */
  anomalies: number;
  uptimeSeconds: number;
  framesIn: number;
  framesOut: number;
  messagesNew: number;
  relays: number;
  drops: number;
  authFailures: number;
  rateLimited: number;
  neighborCount: number;
  certificates: number;
  custody: number;
  routes: number;
  unconfirmedReadings: number;
  /** Content installed over the mesh (docs/protocol.md §Content), 0 for none. */
  firmwareVersion: number;
  configVersion: number;
  /** The firmware transfer under way (version 0: none): pieces held of how many. */
  transferVersion: number;
  transferHeld: number;
  transferTotal: number;
  neighbors: HealthNeighbor[];
}

const COUNTERS = ["framesIn", "framesOut", "messagesNew", "relays", "drops", "authFailures", "rateLimited"] as const;

export function encodeHealthReport(r: HealthReport): Uint8Array {
  const listed = Math.min(r.neighbors.length, MAX_REPORT_NEIGHBORS);
  const out = new Uint8Array(HEALTH_FIXED_BYTES + listed * HEALTH_NEIGHBOR_BYTES);
  out[0] = HEALTH_VERSION;
  out[1] = (r.gateway ? 1 : 0) | ((r.anomalies & 7) << 1);
  writeU32(out, 2, r.uptimeSeconds >>> 0);
  COUNTERS.forEach((name, i) => writeU32(out, 6 + 4 * i, r[name] >>> 0));
  out[34] = byte(r.neighborCount);
  out[35] = byte(r.certificates);
  out[36] = byte(r.custody);
  out[37] = byte(r.routes);
  writeU16(out, 38, Math.min(0xffff, r.unconfirmedReadings));
  writeU32(out, 40, r.firmwareVersion >>> 0);
  writeU32(out, 44, r.configVersion >>> 0);
  writeU32(out, 48, r.transferVersion >>> 0);
  writeU16(out, 52, Math.min(0xffff, r.transferHeld));
  writeU16(out, 54, Math.min(0xffff, r.transferTotal));
  out[LISTED_AT] = listed;
  for (let i = 0; i < listed; i++) {
    const n = r.neighbors[i];
    const at = HEALTH_FIXED_BYTES + i * HEALTH_NEIGHBOR_BYTES;
    for (let k = 0; k < NODE_ID_BYTES; k++) out[at + k] = parseInt(n.id.slice(2 * k, 2 * k + 2), 16);
    out[at + NODE_ID_BYTES] = Math.round(Math.max(0, Math.min(1, n.reception)) * 255);
    out[at + NODE_ID_BYTES + 1] = Math.round(Math.max(-128, Math.min(127, n.score))) & 0xff;
  }
  return out;
}

/** Strict: the version, the reserved flag bits and the length must all be exactly right. */
export function decodeHealthReport(body: Uint8Array): HealthReport | WireError {
  if (body.length < HEALTH_FIXED_BYTES) return WireError.Truncated;
  if (body[0] !== HEALTH_VERSION) return WireError.BadVersion;
  if (body[1] & 0xf0) return WireError.BadField;
  const listed = body[LISTED_AT];
  if (listed > MAX_REPORT_NEIGHBORS) return WireError.Oversized;
  const length = HEALTH_FIXED_BYTES + listed * HEALTH_NEIGHBOR_BYTES;
  if (body.length < length) return WireError.Truncated;
  if (body.length > length) return WireError.TrailingBytes;
  const counter = (i: number): number => readU32(body, 6 + 4 * i);
  const neighbors: HealthNeighbor[] = [];
  for (let i = 0; i < listed; i++) {
    const at = HEALTH_FIXED_BYTES + i * HEALTH_NEIGHBOR_BYTES;
    const score = body[at + NODE_ID_BYTES + 1];
    neighbors.push({
      id: toHex(body.subarray(at, at + NODE_ID_BYTES)),
      reception: body[at + NODE_ID_BYTES] / 255,
      score: score > 127 ? score - 256 : score,
    });
  }
  return {
    gateway: (body[1] & 1) === 1, anomalies: (body[1] >> 1) & 7, uptimeSeconds: readU32(body, 2),
    framesIn: counter(0), framesOut: counter(1), messagesNew: counter(2), relays: counter(3), drops: counter(4),
    authFailures: counter(5), rateLimited: counter(6),
    neighborCount: body[34], certificates: body[35], custody: body[36], routes: body[37], unconfirmedReadings: readU16(body, 38),
    firmwareVersion: readU32(body, 40), configVersion: readU32(body, 44),
    transferVersion: readU32(body, 48), transferHeld: readU16(body, 52), transferTotal: readU16(body, 54),
    neighbors,
  };
}

function byte(n: number): number {
  return Math.min(255, n);
}
