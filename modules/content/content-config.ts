/**
 * Swarm parameters: an interface, defaults, `createContentConfig(partial)` and a validator whose
 * errors state the rule. Defaults keep a serving neighbor's frames to us well under its per-neighbor
 * frame budget (config.neighborFramesPerSecond, 20 a second).
 */
import { range } from "../config.js";

export interface ContentConfig {
  /** Piece requests waiting for one neighbor's answer (1..8). */
  inFlightPerNeighbor: number;
  /** Piece requests waiting in all (1..64); the in-flight table's size. */
  inFlightTotal: number;
  /** Gap between two requests to one neighbor, ms (10..10000): at 100 ms it sends us ≤ 10 pieces a second. */
  requestGapMs: number;
  /** A request unanswered this long is given up and the piece asked elsewhere, ms (100..60000). */
  requestTimeoutMs: number;
  /** This many unanswered requests in a row and a neighbor is taken to advertise pieces it does not serve (2..100). */
  maxMisses: number;
  /** Pieces this node serves per second on average (upload budget, 1..1000)… */
  uploadPiecesPerSecond: number;
  /** …in bursts of this many (1..1000). */
  uploadBurst: number;
  /** After a "not now" answer a neighbor is left alone this long, doubling to 16× (10..60000 ms). */
  busyBackoffMs: number;
  /** New pieces are advertised (HAVE) at most this often, ms (100..60000). */
  haveGapMs: number;
  /** Manifest signature checks spent per minute on average, bursts of 2 (1..600): a forged one costs 1–3 s on the board. */
  manifestVerifiesPerMinute: number;
  /** This board's type, matched against a manifest's target board (0 = unknown: installs only "any board" content). */
  boardType: number;
}

export const DEFAULT_CONTENT_CONFIG: Readonly<ContentConfig> = Object.freeze({
  inFlightPerNeighbor: 4,
  inFlightTotal: 16,
  requestGapMs: 100,
  requestTimeoutMs: 2000,
  maxMisses: 8,
  uploadPiecesPerSecond: 16,
  uploadBurst: 16,
  busyBackoffMs: 500,
  haveGapMs: 1000,
  manifestVerifiesPerMinute: 4,
  boardType: 0,
});

export function validateContentConfig(c: ContentConfig): ContentConfig {
  range("inFlightPerNeighbor", c.inFlightPerNeighbor, 1, 8);
  range("inFlightTotal", c.inFlightTotal, 1, 64);
  range("requestGapMs", c.requestGapMs, 10, 10000);
  range("requestTimeoutMs", c.requestTimeoutMs, 100, 60000);
  range("maxMisses", c.maxMisses, 2, 100);
  range("uploadPiecesPerSecond", c.uploadPiecesPerSecond, 1, 1000);
  range("uploadBurst", c.uploadBurst, 1, 1000);
  range("busyBackoffMs", c.busyBackoffMs, 10, 60000);
  range("haveGapMs", c.haveGapMs, 100, 60000);
  range("manifestVerifiesPerMinute", c.manifestVerifiesPerMinute, 1, 600);
  range("boardType", c.boardType, 0, 0xffff);
  return c;
}

export function createContentConfig(partial: Partial<ContentConfig> = {}): ContentConfig {
  return validateContentConfig({ ...DEFAULT_CONTENT_CONFIG, ...partial });
}
