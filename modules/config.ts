/**
 * Node parameters: an interface, defaults, `createNodeConfig(partial)` and a validator whose errors
 * state the rule. Memory figures are for the board (see docs/architecture.md §Memory).
 */
import { HANDOVER_FLOOR_BYTES } from "./forward/handover-floors.js";
import { STORAGE_VALUE_MAX_BYTES } from "./ports.js";
import { CHUNK_ENTRIES } from "./feed/unsent-store.js";
import { MAX_HOP_LIMIT } from "./wire/gossip.js";
import { MAX_HELLO_NEIGHBORS } from "./wire/hello.js";
import { MAX_ROUTE_DESTINATIONS } from "./wire/route.js";

/** How a node decides to rebroadcast a gossip message it has not seen before. */
export type RelayPolicy =
  /** Hyphae: relay only while some neighbor is likely still missing it (loss-aware coverage). */
  | "coverage"
  /** Baseline: every node rebroadcasts every new message once. */
  | "flood"
  /** Baseline, Meshtastic-style managed flooding: rebroadcast after a random delay unless a copy was heard. */
  | "managed";

export interface NodeConfig {
  /** Mean HELLO period, ms (100..60000, a multiple of 100). */
  beaconIntervalMs: number;
  /** HELLO period jitter as a fraction of the period (0..0.5); keeps neighbors from beaconing in step. */
  beaconJitter: number;
  /** A neighbor silent for this many of its own beacon periods is dead (2..10). */
  deadAfterBeacons: number;
  /** Neighbor table rows (1..32); ≈ 200 B each. */
  neighborCapacity: number;
  /** Verified certificates kept (≥ neighborCapacity, ≤ 1024); ≈ 250 B each. */
  certificateCacheCapacity: number;
  /** Readings held for others until the next hop takes them (1..1024); ≈ 100 B each. */
  custodyCapacity: number;
  /** Own readings kept in storage until a gateway confirms them (a multiple of 16, 64..1024); ≈ 55 B each in RAM too. */
  unsentCapacity: number;
  /**
   * Neighbors' readings this node keeps in storage for them when theirs is full (0..1024, a multiple
   * of 8; at most 32 of one neighbor, capacity / 8 neighbors); ≈ 17 B each in RAM, the bytes in storage.
   * 0: the node neither keeps replicas nor asks its neighbors to keep its own.
   */
  replicaCapacity: number;
  /** Own readings handed on but not confirmed by a gateway this long are sent again (1000..3600000 ms). */
  confirmAfterMs: number;
  /** Certificate verifies spent on average (1..6000 per minute), bursts of neighborCapacity: new certificates beyond it wait. */
  certificateVerifiesPerMinute: number;
  /** Each origin's new messages are relayed at most this often on average (1..6000 per minute)… */
  originRatePerMinute: number;
  /** …with bursts of this many (1..1000). */
  originBurst: number;
  /** Frames accepted from one neighbor per second on average, bursts of twice that (1..1000). */
  neighborFramesPerSecond: number;
  /**
   * Secretbox opens spent per second, on average, on frames not from an admitted sender on the link
   * address its last accepted frame came from (limits/open-budget.ts): what anyone on the Wi-Fi,
   * without the network key, can make a node spend, whatever source addresses it forges (0.1..1000).
   * Honest such frames — a newcomer's HELLO, the frames of a neighbor not yet admitted — come a few a
   * second at most (7 at the busiest node of the simulator's runs, in bursts; 2 a second is ≈ 4–14 %
   * of the board's CPU when they are forged, docs/security.md).
   */
  unboundOpensPerSecond: number;
  /**
   * …in bursts of this many (1..1000): a node rebooting among many neighbors meets them all unadmitted
   * until their certificates come (in the simulator, 40-node meshes of degree 16–20 with 3 reboots,
   * seeds 1–12: 96 never refused an honest frame, 64 did in 4 runs of 24). ≈ 2–6.5 s of the board's
   * CPU when forged, once per 48 s at most.
   */
  unboundOpensBurst: number;
  /** Of those, the opens one link address may take per second (0.1..1000), so one flooder cannot starve a newcomer… */
  unboundOpensPerLinkPerSecond: number;
  /** …in bursts of this many (1..1000): a neighbor met anew sends its HELLO and a burst of relays. */
  unboundOpensPerLinkBurst: number;
  /**
   * Link addresses whose budget is kept (1..256), the least recently seen forgotten first; ≈ 40 B each.
   * Honest unbound addresses are few at a time (newcomers); a flood from more addresses than this
   * gets fresh per-address buckets, which the shared budget still caps.
   */
  unboundLinkCapacity: number;
  /** Gateways this node keeps routes to (1..8: all fit in each ROUTE record); ≈ 130 B each with their candidate next hops. */
  routeCapacity: number;
  /** On-demand routes to other nodes kept (1..255; unused for 5 min: forgotten, full: least recently used out); ≈ 20 B each. */
  nodeRouteCapacity: number;
  /** (origin, seq) pairs remembered for duplicate suppression (power of two, 64..32768); 16 B each. Must cover a message's lifetime at the mesh's message rate. */
  seenCacheCapacity: number;
  /** Hop limit stamped on messages this node originates (1..255); must exceed the mesh diameter. */
  hopLimit: number;
  relayPolicy: RelayPolicy;
  /** Relay delay unit, ms: the coverage policy waits 0–8 units, managed flooding 0–4, flooding 0–1 (1..10000). */
  relayDelayMs: number;
  /** Coverage policy: relay unless every neighbor's estimated miss probability is below this (0..1). */
  coverageTarget: number;
  /**
   * Coverage policy: designate relays in HELLO until each two-hop neighbor's miss probability is at
   * most this (0..1); only designated neighbors relay our messages.
   */
  relaySelectionMiss: number;
  /**
   * Messages remembered for repair (keys listed in HELLO, bodies ≤ 256 B kept), 8..256. Must cover
   * three beacon periods at the mesh's message rate (what a HELLO lists); ≈ 40 B plus the body each.
   */
  recentCapacity: number;
  /** Gossip messages waiting for their relay time (1..256). */
  pendingRelayCapacity: number;
  /** Events kept for the host before the oldest are dropped (16..4096). */
  eventCapacity: number;
  /** Own data messages covered by one signed checkpoint (1..32). */
  checkpointEvery: number;
  /** A checkpoint is sent at most this long after the first uncovered message, ms. */
  checkpointAfterMs: number;
  /** A health report (counters, tables, neighbors) goes to the home gateway this often; 0 = never (0 or 1000..86400000 ms). */
  healthIntervalMs: number;
  /** Verify other origins' checkpoints and report attribution (gateways, monitors). Costs Ed25519. */
  attribute: boolean;
  /** Unattributed messages remembered while waiting for their checkpoint (1..4096). */
  attributionCapacity: number;
  /**
   * Gateways only: sending gateways whose handover messages' replay floor is kept (1..333, what one
   * storage value holds), the least recently updated forgotten first; 24 B each in RAM, 12 B in storage.
   */
  handoverFloorCapacity: number;
  /**
   * Origins: gateway certificates heard in gateways' gossip and kept, unverified, for the gateway that
   * becomes home (2..64, forward/gateway-certificates.ts); the one heard from farthest forgotten first,
   * never the home's or the home before's; 127 B each.
   */
  gatewayCertificateCapacity: number;
}

export const DEFAULT_NODE_CONFIG: Readonly<NodeConfig> = Object.freeze({
  beaconIntervalMs: 5000,
  beaconJitter: 0.25,
  deadAfterBeacons: 3,
  neighborCapacity: 32,
  certificateCacheCapacity: 64,
  certificateVerifiesPerMinute: 20,
  originRatePerMinute: 6,
  originBurst: 10,
  neighborFramesPerSecond: 20,
  unboundOpensPerSecond: 2,
  unboundOpensBurst: 96,
  unboundOpensPerLinkPerSecond: 1,
  unboundOpensPerLinkBurst: 8,
  unboundLinkCapacity: 16,
  custodyCapacity: 32,
  unsentCapacity: 128,
  replicaCapacity: 128,
  confirmAfterMs: 60000,
  routeCapacity: 8,
  nodeRouteCapacity: 32,
  seenCacheCapacity: 512,
  hopLimit: 32,
  relayPolicy: "coverage" as RelayPolicy,
  relayDelayMs: 40,
  coverageTarget: 0.5,
  relaySelectionMiss: 0.5,
  recentCapacity: 128,
  pendingRelayCapacity: 64,
  eventCapacity: 256,
  checkpointEvery: 16,
  checkpointAfterMs: 300000,
  healthIntervalMs: 300000,
  attribute: false,
  attributionCapacity: 256,
  handoverFloorCapacity: 32,
  gatewayCertificateCapacity: 8,
});

/**
 * The board's caps (ESP32 without PSRAM, where the mesh state must fit 48 KB of XS heap; measured in
 * BENCHMARKS.md §Device), sized for a mesh of about 50 boards publishing once a minute; each cap is
 * argued in docs/architecture.md §Memory. The firmware runs these; the simulator and the tests run
 * the defaults (traces depend on them).
 */
export const BOARD_NODE_CONFIG: Readonly<NodeConfig> = Object.freeze({
  ...DEFAULT_NODE_CONFIG,
  neighborCapacity: 12,
  certificateCacheCapacity: 16,
  seenCacheCapacity: 128,
  recentCapacity: 24,
  pendingRelayCapacity: 16,
  custodyCapacity: 12,
  unsentCapacity: 64,
  replicaCapacity: 32,
  routeCapacity: 4,
  nodeRouteCapacity: 8,
  eventCapacity: 64,
  unboundLinkCapacity: 8,
  handoverFloorCapacity: 8,
  gatewayCertificateCapacity: 4,
});

/** Throws a RangeError naming `name` unless `value` is a number from `min` to `max` (an integer unless `integer` is false). */
export function range(name: string, value: number, min: number, max: number, integer = true): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be ${integer ? "an integer " : ""}between ${min} and ${max}, got ${value}`);
  }
}

export function validateNodeConfig(c: NodeConfig): NodeConfig {
  range("beaconIntervalMs", c.beaconIntervalMs, 100, 60000);
  if (c.beaconIntervalMs % 100 !== 0) throw new RangeError("beaconIntervalMs must be a multiple of 100 (HELLO carries 100 ms units)");
  range("beaconJitter", c.beaconJitter, 0, 0.5, false);
  range("deadAfterBeacons", c.deadAfterBeacons, 2, 10);
  range("neighborCapacity", c.neighborCapacity, 1, MAX_HELLO_NEIGHBORS);
  range("certificateCacheCapacity", c.certificateCacheCapacity, c.neighborCapacity, 1024);
  range("certificateVerifiesPerMinute", c.certificateVerifiesPerMinute, 1, 6000);
  range("originRatePerMinute", c.originRatePerMinute, 1, 6000);
  range("originBurst", c.originBurst, 1, 1000);
  range("neighborFramesPerSecond", c.neighborFramesPerSecond, 1, 1000);
  range("unboundOpensPerSecond", c.unboundOpensPerSecond, 0.1, 1000, false);
  range("unboundOpensBurst", c.unboundOpensBurst, 1, 1000);
  range("unboundOpensPerLinkPerSecond", c.unboundOpensPerLinkPerSecond, 0.1, 1000, false);
  range("unboundOpensPerLinkBurst", c.unboundOpensPerLinkBurst, 1, 1000);
  range("unboundLinkCapacity", c.unboundLinkCapacity, 1, 256);
  range("custodyCapacity", c.custodyCapacity, 1, 1024);
  range("unsentCapacity", c.unsentCapacity, 64, 1024);
  if (c.unsentCapacity % CHUNK_ENTRIES !== 0) throw new RangeError(`unsentCapacity must be a multiple of ${CHUNK_ENTRIES} (readings are stored in chunks of ${CHUNK_ENTRIES})`);
  range("replicaCapacity", c.replicaCapacity, 0, 1024);
  if (c.replicaCapacity % 8 !== 0) throw new RangeError("replicaCapacity must be a multiple of 8 (one borrower row per 8 readings)");
  range("confirmAfterMs", c.confirmAfterMs, 1000, 3600000);
  range("routeCapacity", c.routeCapacity, 1, MAX_ROUTE_DESTINATIONS);
  range("nodeRouteCapacity", c.nodeRouteCapacity, 1, 255);
  range("seenCacheCapacity", c.seenCacheCapacity, 64, 32768);
  if ((c.seenCacheCapacity & (c.seenCacheCapacity - 1)) !== 0) throw new RangeError("seenCacheCapacity must be a power of two");
  range("hopLimit", c.hopLimit, 1, MAX_HOP_LIMIT);
  if (c.relayPolicy !== "coverage" && c.relayPolicy !== "flood" && c.relayPolicy !== "managed") {
    throw new RangeError(`relayPolicy must be coverage, flood or managed, got ${String(c.relayPolicy)}`);
  }
  range("relayDelayMs", c.relayDelayMs, 1, 10000);
  range("coverageTarget", c.coverageTarget, 0, 1, false);
  range("relaySelectionMiss", c.relaySelectionMiss, 0, 1, false);
  range("recentCapacity", c.recentCapacity, 8, 256);
  range("pendingRelayCapacity", c.pendingRelayCapacity, 1, 256);
  range("eventCapacity", c.eventCapacity, 16, 4096);
  range("checkpointEvery", c.checkpointEvery, 1, 32);
  range("checkpointAfterMs", c.checkpointAfterMs, 100, 3600000);
  if (c.healthIntervalMs !== 0) range("healthIntervalMs", c.healthIntervalMs, 1000, 86400000);
  range("attributionCapacity", c.attributionCapacity, 1, 4096);
  range("handoverFloorCapacity", c.handoverFloorCapacity, 1, Math.floor(STORAGE_VALUE_MAX_BYTES / HANDOVER_FLOOR_BYTES));
  range("gatewayCertificateCapacity", c.gatewayCertificateCapacity, 2, 64);
  if (typeof c.attribute !== "boolean") throw new RangeError(`attribute must be a boolean, got ${String(c.attribute)}`);
  return c;
}

export function createNodeConfig(partial: Partial<NodeConfig> = {}): NodeConfig {
  return validateNodeConfig({ ...DEFAULT_NODE_CONFIG, ...partial });
}

/** The board's caps with `partial` on top, validated. */
export function createBoardConfig(partial: Partial<NodeConfig> = {}): NodeConfig {
  return validateNodeConfig({ ...BOARD_NODE_CONFIG, ...partial });
}
