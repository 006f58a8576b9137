/**
 * The firmware's settings, read from the build's `config` (the manifest's `config` object merged
 * with `key=value` arguments given to mcconfig, imported as "mc/config"). Values given on the
 * mcconfig command line arrive as strings, values from a manifest as JSON numbers and booleans: both
 * are accepted. Pure code (main.ts passes the config object in), so it is tested on Node.
 *
 * Keys (all optional; see manifest.json and README §Firmware):
 *   port            mesh UDP port, every node the same [47000]
 *   link            "broadcast" (the ESP32: subnet broadcast) or "peers" (the desktop simulator,
 *                   whose sockets cannot broadcast: every frame is sent to each peer in `peers`)
 *   peers           "ADDR[:PORT],…" for link "peers"; a missing port is `port`
 *   broadcast       "ADDR[:PORT],…" overrides the derived subnet broadcast addresses
 *   wifi            false: leave Wi-Fi alone (desktop simulator)
 *   ssid, password  an existing network to join first
 *   meshSsid, meshPassword, meshChannel
 *                   the mesh's own network when none is configured or found: join it if another
 *                   node runs it, else run it as a soft access point
 *   publishMs       period of the sample message to every node, ms; 0 = never, else ≥ 100 [60000]
 *   readingMs       period of the sensor reading sent to a gateway (store-and-forward, exactly
 *                   once), ms; 0 = never, else ≥ 100 [60000]
 *   beaconMs        HELLO period, ms, a multiple of 100 [the core's default, 5000]
 *   statusMs        period of the `status` line (counters, drops by reason), ms; 0 = never,
 *                   else ≥ 100 [60000]
 *   content         true: take part in content distribution (firmware through the spare OTA
 *                   partition on the ESP32, installed and restarted into; reported only in the
 *                   desktop simulator, which has no OTA) [false]
 *   restartMs       after installing firmware, restart this much later, ms, 1000..600000 [10000]
 *   rejoinMs        a new firmware that hears no neighbor this long after its first boot rolls
 *                   back to the previous image, ms; 0 = never, else 10000..86400000 [600000]
 *   node            an object of NodeConfig fields (modules/config.ts) overriding the core's
 *                   defaults: the ESP32 entry of manifest.json sets smaller table caps (its heap)
 *   networkId, networkKey, ownerPublicKey, secretKey, certificate
 *                   this node's provisioning, as `hyphae` writes it (hex; networkId decimal or 0x…)
 */
import type { ProvisioningText } from "../../modules/provisioning.js";
import { type Endpoint, parseEndpoints } from "./addresses.js";

export const DEFAULT_MESH_PORT = 47000;
export const DEFAULT_MESH_SSID = "hyphae-mesh";
const DEFAULT_PERIOD_MS = 60_000;
const MAX_PERIOD_MS = 86_400_000;

export type LinkKind = "broadcast" | "peers";

export interface WiFiSettings {
  ssid: string | undefined;
  password: string | undefined;
  meshSsid: string;
  meshPassword: string | undefined;
  meshChannel: number;
}

export interface FirmwareSettings {
  port: number;
  link: LinkKind;
  peers: Endpoint[];
  /** Empty: derive from the interfaces' addresses. */
  broadcast: Endpoint[];
  /** Undefined when `wifi` is false. */
  wifi: WiFiSettings | undefined;
  /** Sample message to every node, ms; 0 = never. */
  publishMs: number;
  /** Sensor reading to a gateway, ms; 0 = never. */
  readingMs: number;
  /** The `status` line (counters), ms; 0 = never. */
  statusMs: number;
  beaconMs: number | undefined;
  /** Content distribution on (the board's content store, install and rollback). */
  content: boolean;
  /** From a firmware install to the restart into it, ms. */
  restartMs: number;
  /** A new firmware's time to hear a neighbor before it rolls back, ms; 0 = never. */
  rejoinMs: number;
  /** NodeConfig overrides as given (main.ts checks the names, createNodeConfig the values). */
  node: Readonly<Record<string, number | string | boolean>>;
  /** Undefined when the build carries none (the node then uses what it stored at an earlier boot). */
  provisioning: ProvisioningText | undefined;
}

type ConfigValue = string | number | boolean | undefined | null | object;
export type ConfigRecord = Readonly<Record<string, ConfigValue>>;

export const PROVISIONING_KEYS = ["networkId", "networkKey", "ownerPublicKey", "secretKey", "certificate"] as const;

function text(config: ConfigRecord, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object") throw new TypeError(`config.${key} must be a string, number or boolean`);
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

function integer(config: ConfigRecord, key: string, min: number, max: number, fallback: number): number {
  const s = text(config, key);
  if (s === undefined) return fallback;
  const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new TypeError(`config.${key} must be an integer from ${min} to ${max}, got "${s}"`);
  return n;
}

function flag(config: ConfigRecord, key: string, fallback: boolean): boolean {
  const s = text(config, key);
  if (s === undefined) return fallback;
  if (s === "true" || s === "1") return true;
  if (s === "false" || s === "0") return false;
  throw new TypeError(`config.${key} must be true or false, got "${s}"`);
}

/** Reads and checks every setting; throws TypeError naming the first bad key. */
export function settingsFromConfig(config: ConfigRecord): FirmwareSettings {
  const port = integer(config, "port", 1, 65535, DEFAULT_MESH_PORT);
  const link = text(config, "link") ?? "broadcast";
  if (link !== "broadcast" && link !== "peers") throw new TypeError(`config.link must be "broadcast" or "peers", got "${link}"`);
  const peers = parseEndpoints(text(config, "peers") ?? "", port, "config.peers");
  if (link === "peers" && peers.length === 0) throw new TypeError('config.link "peers" needs config.peers ("ADDR:PORT,…")');
  const broadcast = parseEndpoints(text(config, "broadcast") ?? "", port, "config.broadcast");

  let wifi: WiFiSettings | undefined;
  if (flag(config, "wifi", true)) {
    const meshSsid = text(config, "meshSsid") ?? DEFAULT_MESH_SSID;
    if (meshSsid.length > 32) throw new TypeError("config.meshSsid must be at most 32 characters");
    const meshPassword = text(config, "meshPassword");
    if (meshPassword !== undefined && (meshPassword.length < 8 || meshPassword.length > 63)) {
      throw new TypeError("config.meshPassword must be 8..63 characters (or empty for an open network)");
    }
    wifi = {
      ssid: text(config, "ssid"),
      password: text(config, "password"),
      meshSsid,
      meshPassword,
      meshChannel: integer(config, "meshChannel", 1, 13, 1),
    };
  }

  const period = (key: string): number => {
    const ms = integer(config, key, 0, MAX_PERIOD_MS, DEFAULT_PERIOD_MS);
    if (ms > 0 && ms < 100) throw new TypeError(`config.${key} must be 0 (never) or from 100 to ${MAX_PERIOD_MS}, got ${ms}`);
    return ms;
  };
  const publishMs = period("publishMs");
  const readingMs = period("readingMs");
  const statusMs = period("statusMs");
  const beacon = integer(config, "beaconMs", 0, 60000, 0);
  if (beacon !== 0 && (beacon < 100 || beacon % 100 !== 0)) {
    throw new TypeError(`config.beaconMs must be a multiple of 100 from 100 to 60000 (or 0: the default), got ${beacon}`);
  }

  const rejoinMs = integer(config, "rejoinMs", 0, MAX_PERIOD_MS, 600_000);
  if (rejoinMs > 0 && rejoinMs < 10_000) throw new TypeError(`config.rejoinMs must be 0 (never roll back) or from 10000 to ${MAX_PERIOD_MS}, got ${rejoinMs}`);

  const given = PROVISIONING_KEYS.filter((k) => text(config, k) !== undefined);
  if (given.length > 0 && given.length < PROVISIONING_KEYS.length) {
    const missing = PROVISIONING_KEYS.filter((k) => !given.includes(k));
    throw new TypeError(`config has part of a provisioning: missing ${missing.join(", ")}`);
  }
  const provisioning: ProvisioningText | undefined = given.length === 0 ? undefined : {
    networkId: text(config, "networkId")!,
    networkKey: text(config, "networkKey")!,
    ownerPublicKey: text(config, "ownerPublicKey")!,
    secretKey: text(config, "secretKey")!,
    certificate: text(config, "certificate")!,
  };

  const node: Record<string, number | string | boolean> = {};
  const givenNode = config["node"];
  if (givenNode !== undefined && givenNode !== null) {
    if (typeof givenNode !== "object" || Array.isArray(givenNode)) throw new TypeError("config.node must be an object of node settings");
    for (const [key, value] of Object.entries(givenNode as Record<string, unknown>)) {
      if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean") {
        throw new TypeError(`config.node.${key} must be a number, string or boolean`);
      }
      node[key] = value;
    }
  }

  return {
    port, link, peers, broadcast, wifi, publishMs, readingMs, statusMs, beaconMs: beacon === 0 ? undefined : beacon,
    content: flag(config, "content", false), restartMs: integer(config, "restartMs", 1000, 600_000, 10_000), rejoinMs, node, provisioning,
  };
}
