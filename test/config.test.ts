/** Node configuration: defaults validate, and every out-of-range field is refused by name. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  BOARD_NODE_CONFIG, createBoardConfig, createNodeConfig, DEFAULT_NODE_CONFIG, validateNodeConfig, type NodeConfig,
} from "../modules/config.js";
import { MAX_HOP_LIMIT } from "../modules/wire/gossip.js";
import { MAX_HELLO_NEIGHBORS } from "../modules/wire/hello.js";
import { MAX_ROUTE_DESTINATIONS } from "../modules/wire/route.js";

type NumericField = {
  [K in keyof NodeConfig]: NodeConfig[K] extends number ? K : never;
}[keyof NodeConfig];

interface Rule {
  field: NumericField;
  min: number;
  max: number;
  integer: boolean;
  /** Extra fields needed for the bounds to be valid on their own. */
  with?: Partial<NodeConfig>;
}

const RULES: Rule[] = [
  { field: "beaconIntervalMs", min: 100, max: 60000, integer: true },
  { field: "beaconJitter", min: 0, max: 0.5, integer: false },
  { field: "deadAfterBeacons", min: 2, max: 10, integer: true },
  { field: "neighborCapacity", min: 1, max: MAX_HELLO_NEIGHBORS, integer: true, with: { certificateCacheCapacity: 1024 } },
  { field: "certificateCacheCapacity", min: 1, max: 1024, integer: true, with: { neighborCapacity: 1 } },
  { field: "certificateVerifiesPerMinute", min: 1, max: 6000, integer: true },
  { field: "originRatePerMinute", min: 1, max: 6000, integer: true },
  { field: "originBurst", min: 1, max: 1000, integer: true },
  { field: "neighborFramesPerSecond", min: 1, max: 1000, integer: true },
  { field: "unboundOpensPerSecond", min: 0.1, max: 1000, integer: false },
  { field: "unboundOpensBurst", min: 1, max: 1000, integer: true },
  { field: "unboundOpensPerLinkPerSecond", min: 0.1, max: 1000, integer: false },
  { field: "unboundOpensPerLinkBurst", min: 1, max: 1000, integer: true },
  { field: "unboundLinkCapacity", min: 1, max: 256, integer: true },
  { field: "custodyCapacity", min: 1, max: 1024, integer: true },
  { field: "unsentCapacity", min: 64, max: 1024, integer: true },
  { field: "replicaCapacity", min: 0, max: 1024, integer: true },
  { field: "confirmAfterMs", min: 1000, max: 3600000, integer: true },
  { field: "routeCapacity", min: 1, max: MAX_ROUTE_DESTINATIONS, integer: true },
  { field: "nodeRouteCapacity", min: 1, max: 255, integer: true },
  { field: "seenCacheCapacity", min: 64, max: 32768, integer: true },
  { field: "hopLimit", min: 1, max: MAX_HOP_LIMIT, integer: true },
  { field: "relayDelayMs", min: 1, max: 10000, integer: true },
  { field: "coverageTarget", min: 0, max: 1, integer: false },
  { field: "relaySelectionMiss", min: 0, max: 1, integer: false },
  { field: "recentCapacity", min: 8, max: 256, integer: true },
  { field: "pendingRelayCapacity", min: 1, max: 256, integer: true },
  { field: "eventCapacity", min: 16, max: 4096, integer: true },
  { field: "checkpointEvery", min: 1, max: 32, integer: true },
  { field: "checkpointAfterMs", min: 100, max: 3600000, integer: true },
  { field: "attributionCapacity", min: 1, max: 4096, integer: true },
  // What one 4,000-byte storage value holds, 12 B a sending gateway.
  { field: "handoverFloorCapacity", min: 1, max: 333, integer: true },
  // The home's and the home before's, at least.
  { field: "gatewayCertificateCapacity", min: 2, max: 64, integer: true },
  // 0 turns health reports off (checked below); else 1000..86400000.
  { field: "healthIntervalMs", min: 1000, max: 86400000, integer: true },
];

function refused(partial: Partial<NodeConfig>, field: string, label: string): void {
  let error: unknown = null;
  try {
    createNodeConfig(partial);
  } catch (e) {
    error = e;
  }
  assert.ok(error !== null, `${label}: accepted`);
  assert.instance(error, RangeError, `${label}: ${String(error)}`);
  const message = (error as RangeError).message;
  assert.ok(message.startsWith(`${field} `), `${label}: message "${message}" should name ${field}`);
}

test("defaults validate and createNodeConfig() returns a mutable copy of them", () => {
  assert.is(validateNodeConfig({ ...DEFAULT_NODE_CONFIG }).beaconIntervalMs, DEFAULT_NODE_CONFIG.beaconIntervalMs);
  const c = createNodeConfig();
  assert.equal(c, { ...DEFAULT_NODE_CONFIG });
  assert.is.not(c, DEFAULT_NODE_CONFIG);
  assert.ok(Object.isFrozen(DEFAULT_NODE_CONFIG));
  c.hopLimit = 3;
  assert.is.not(DEFAULT_NODE_CONFIG.hopLimit, 3);
  assert.is(createNodeConfig({ healthIntervalMs: 0 }).healthIntervalMs, 0, "0: no health reports");
  // Every field of the interface has a default.
  assert.equal(Object.keys(DEFAULT_NODE_CONFIG).sort(), [...RULES.map((r) => r.field), "relayPolicy", "attribute"].sort());
});

test("overrides are kept; validateNodeConfig returns its argument", () => {
  const c = createNodeConfig({ relayPolicy: "managed", hopLimit: 7, beaconJitter: 0, attribute: true });
  assert.is(c.relayPolicy, "managed");
  assert.is(c.hopLimit, 7);
  assert.is(c.beaconJitter, 0);
  assert.is(c.attribute, true);
  assert.is(c.eventCapacity, DEFAULT_NODE_CONFIG.eventCapacity);
  const whole = { ...DEFAULT_NODE_CONFIG };
  assert.is(validateNodeConfig(whole), whole);
});

test("every numeric field accepts its bounds", () => {
  for (const r of RULES) {
    for (const value of [r.min, r.max]) {
      const c = createNodeConfig({ ...r.with, [r.field]: value });
      assert.is(c[r.field], value, `${r.field} = ${value}`);
    }
  }
});

test("every numeric field out of range throws a RangeError naming the field", () => {
  for (const r of RULES) {
    const step = r.integer ? 1 : 0.001;
    const bad: unknown[] = [r.min - step, r.max + step, NaN, Infinity, -Infinity, "5", null];
    if (r.integer) bad.push(r.min + 0.5);
    for (const value of bad) {
      refused({ ...r.with, [r.field]: value } as Partial<NodeConfig>, r.field, `${r.field} = ${String(value)}`);
    }
  }
});

test("certificateCacheCapacity must be at least neighborCapacity", () => {
  refused({ neighborCapacity: 8, certificateCacheCapacity: 7 }, "certificateCacheCapacity", "7 < 8");
  assert.is(createNodeConfig({ neighborCapacity: 8, certificateCacheCapacity: 8 }).certificateCacheCapacity, 8);
  refused({ certificateCacheCapacity: DEFAULT_NODE_CONFIG.neighborCapacity - 1 }, "certificateCacheCapacity", "default neighbors");
});

test("seenCacheCapacity must be a power of two", () => {
  for (const v of [65, 96, 100, 1000, 32767]) refused({ seenCacheCapacity: v }, "seenCacheCapacity", `${v}`);
  for (const v of [64, 128, 1024, 32768]) assert.is(createNodeConfig({ seenCacheCapacity: v }).seenCacheCapacity, v);
});

test("replicaCapacity must be a multiple of 8 (borrower rows of 8); 0 lends nothing", () => {
  for (const v of [4, 12, 100, 1020]) refused({ replicaCapacity: v }, "replicaCapacity", `${v}`);
  for (const v of [0, 8, 32, 1024]) assert.is(createNodeConfig({ replicaCapacity: v }).replicaCapacity, v);
});

test("relayPolicy must be coverage, flood or managed", () => {
  for (const p of ["coverage", "flood", "managed"] as const) assert.is(createNodeConfig({ relayPolicy: p }).relayPolicy, p);
  for (const p of ["", "Coverage", "gossip", "none", 1, null]) {
    refused({ relayPolicy: p } as unknown as Partial<NodeConfig>, "relayPolicy", `relayPolicy = ${String(p)}`);
  }
});

test("attribute must be a boolean", () => {
  // Not checked today: a scenario file with "attribute": "false" turns attribution (and its Ed25519
  // verifications) on, and 0/1 slip through as well.
  for (const v of ["false", "true", 0, 1, null]) {
    refused({ attribute: v } as unknown as Partial<NodeConfig>, "attribute", `attribute = ${JSON.stringify(v)}`);
  }
});

test("the board's caps validate, differ from the defaults in caps only, and createBoardConfig() merges onto them", () => {
  assert.ok(Object.isFrozen(BOARD_NODE_CONFIG));
  assert.equal(validateNodeConfig({ ...BOARD_NODE_CONFIG }), { ...BOARD_NODE_CONFIG });
  const changed = (Object.keys(DEFAULT_NODE_CONFIG) as (keyof NodeConfig)[]).filter((k) => BOARD_NODE_CONFIG[k] !== DEFAULT_NODE_CONFIG[k]);
  assert.equal(changed.sort(), [
    "certificateCacheCapacity", "custodyCapacity", "eventCapacity", "gatewayCertificateCapacity", "handoverFloorCapacity", "neighborCapacity", "nodeRouteCapacity", "pendingRelayCapacity",
    "recentCapacity", "replicaCapacity", "routeCapacity", "seenCacheCapacity", "unboundLinkCapacity", "unsentCapacity",
  ]);
  for (const k of changed) assert.ok(BOARD_NODE_CONFIG[k] < DEFAULT_NODE_CONFIG[k], `${k} is smaller on the board`);
  const c = createBoardConfig({ beaconIntervalMs: 2000 });
  assert.is(c.beaconIntervalMs, 2000);
  assert.is(c.neighborCapacity, BOARD_NODE_CONFIG.neighborCapacity);
  assert.throws(() => createBoardConfig({ certificateCacheCapacity: BOARD_NODE_CONFIG.neighborCapacity - 1 }), RangeError);
});

test.run();
