/**
 * What `hyphae node` and `hyphae gateway` share: the node's flags (table, help text, parsing), the
 * provisioning file, and running the node on UDP until SIGINT or SIGTERM, printing its events as JSON
 * lines. A command that does more with the node (the gateway) passes an `attach` that sees every
 * event and is stopped after the node.
 */
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { createNodeConfig, DEFAULT_NODE_CONFIG } from "../modules/config.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import type { Storage } from "../modules/ports.js";
import { provisioningFromText, type ProvisioningText } from "../modules/provisioning.js";
import { FileContentStore } from "../hosts/node/file-content-store.js";
import { FileStorage } from "../hosts/node/file-storage.js";
import type { HostEvent } from "../hosts/node/host-event.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { NodeHost } from "../hosts/node/node-host.js";
import { NodeRandom } from "../hosts/node/node-random.js";
import { samePeer, type UdpDestination } from "../hosts/node/udp-link.js";
import { Rng } from "../hosts/sim/rng.js";
import { contentKindName } from "../modules/content/content-manifest.js";
import { EXIT_OK, EXIT_USAGE, integerFlag, type Io, numberFlag, UsageError, type Writer } from "./cli.js";

export const DEFAULT_MESH_PORT = 47000;
const DEFAULT_PUBLISH_MS = 60_000;
/** content-progress lines: at most one a second per content kind, and only when something changed. */
const PROGRESS_EVERY_MS = 1000;

/** The node's flags, for parseFlags (each command adds its own and `help`). */
export const NODE_FLAG_OPTIONS = {
  provisioning: { type: "string" },
  state: { type: "string" },
  port: { type: "string" },
  bind: { type: "string" },
  broadcast: { type: "string" },
  "publish-every": { type: "string" },
  "reading-every": { type: "string" },
  "beacon-ms": { type: "string" },
  "health-every": { type: "string" },
  drop: { type: "string" },
  seed: { type: "string" },
} as const;

/** Their help lines. */
export const NODE_FLAGS_HELP = `  --provisioning FILE    this node's provisioning (JSON: networkId, networkKey, ownerPublicKey,
                         secretKey, certificate, as hex) [required]
  --state DIR            state directory (boot epoch, sequence numbers, content pieces); created if missing,
                         one process at a time [required]
  --port N               the mesh UDP port, 1..65535 [${DEFAULT_MESH_PORT}]
  --bind ADDR            local IPv4 address to bind [0.0.0.0]; on Linux a socket bound to a
                         unicast address hears no broadcasts
  --broadcast LIST       comma-separated ADDR or ADDR:PORT to send every frame to, one per
                         subnet served (e.g. 10.0.1.255,10.0.2.255); a missing port is the mesh
                         port [255.255.255.255]
  --publish-every MS     sample message (to every node) period, ms; 0 = never, else
                         100..86400000 [${DEFAULT_PUBLISH_MS}]
  --reading-every MS     sensor reading (load average, to a gateway, exactly once) period,
                         ms; 0 = never, else 100..86400000 [0]
  --beacon-ms MS         HELLO period, ms, a multiple of 100 from 100 to 60000 [${DEFAULT_NODE_CONFIG.beaconIntervalMs}]
  --health-every MS      health report to the gateway (docs/protocol.md §Monitoring) period, ms;
                         0 = never, else 1000..86400000 [${DEFAULT_NODE_CONFIG.healthIntervalMs}]
  --drop P               test/diagnostic: discard each received datagram with probability P,
                         0..1 (injected loss on links that lose nothing) [0]
  --seed N               seed of the injected loss, integer 0..4294967295 [random]`;

export interface NodeOptions {
  provisioningFile: string;
  stateDir: string;
  port: number;
  bind: string;
  broadcast: UdpDestination[];
  publishEveryMs: number;
  readingEveryMs: number;
  beaconMs: number;
  healthEveryMs: number;
  drop: number;
  seed: number;
}

type NodeFlagValues = Partial<Record<keyof typeof NODE_FLAG_OPTIONS, string>>;

function ipv4Flag(flag: string, value: string): string {
  if (!isIPv4(value)) throw new UsageError(`${flag} must be an IPv4 address, got ${JSON.stringify(value)}`);
  return value;
}

function destinationsFlag(flag: string, value: string): UdpDestination[] {
  return value.split(",").map((item) => {
    const [address, port, extra] = item.trim().split(":");
    if (extra !== undefined || !isIPv4(address)) {
      throw new UsageError(`${flag} must list IPv4 ADDR or ADDR:PORT separated by commas, got ${JSON.stringify(item)}`);
    }
    return port === undefined ? { address } : { address, port: integerFlag(`${flag} port`, port, 1, 65535) };
  });
}

/** The node's flag values (from parseFlags) → options. Throws UsageError naming the flag and the rule. */
export function nodeOptionsOf(v: NodeFlagValues): NodeOptions {
  const provisioningFile = v.provisioning;
  const stateDir = v.state;
  if (!provisioningFile) throw new UsageError("--provisioning FILE is required");
  if (!stateDir) throw new UsageError("--state DIR is required");
  const periodFlag = (flag: "publish-every" | "reading-every", fallback: number): number => {
    const value = v[flag];
    if (value === undefined) return fallback;
    const ms = integerFlag(`--${flag}`, value, 0, 86_400_000);
    if (ms > 0 && ms < 100) throw new UsageError(`--${flag} must be 0 (never) or from 100 to 86400000, got ${ms}`);
    return ms;
  };
  const publishEveryMs = periodFlag("publish-every", DEFAULT_PUBLISH_MS);
  const readingEveryMs = periodFlag("reading-every", 0);
  let beaconMs = DEFAULT_NODE_CONFIG.beaconIntervalMs;
  if (v["beacon-ms"] !== undefined) {
    beaconMs = integerFlag("--beacon-ms", v["beacon-ms"], 100, 60_000);
    if (beaconMs % 100 !== 0) throw new UsageError(`--beacon-ms must be a multiple of 100, got ${beaconMs}`);
  }
  const healthEveryMs = v["health-every"] === undefined ? DEFAULT_NODE_CONFIG.healthIntervalMs : integerFlag("--health-every", v["health-every"], 0, 86_400_000);
  if (healthEveryMs > 0 && healthEveryMs < 1000) throw new UsageError(`--health-every must be 0 (never) or from 1000 to 86400000, got ${healthEveryMs}`);
  return {
    provisioningFile,
    stateDir,
    healthEveryMs,
    port: v.port === undefined ? DEFAULT_MESH_PORT : integerFlag("--port", v.port, 1, 65535),
    bind: v.bind === undefined ? "0.0.0.0" : ipv4Flag("--bind", v.bind),
    broadcast: destinationsFlag("--broadcast", v.broadcast ?? "255.255.255.255"),
    publishEveryMs,
    readingEveryMs,
    beaconMs,
    drop: v.drop === undefined ? 0 : numberFlag("--drop", v.drop, 0, 1),
    seed: v.seed === undefined ? new NodeRandom().nextU32() : integerFlag("--seed", v.seed, 0, 0xffffffff),
  };
}

/** Reads and checks the provisioning file; every failure is a UsageError naming the file. */
export function readProvisioning(file: string): Provisioning {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--provisioning: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return provisioningFromText(JSON.parse(text) as ProvisioningText);
  } catch (e) {
    throw new UsageError(`--provisioning ${file}: ${(e as Error).message}`);
  }
}

/** Resolves at the first SIGINT or SIGTERM, and stops listening for both. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

/** Something running beside the node: it sees every event, and is stopped after the node (no event is missed). */
export interface NodeAttachment {
  onEvent(event: HostEvent): void;
  stop(): Promise<void>;
}

/** What a command adds to the node (the gateway: its bridge; content publish: its seeding). */
export interface NodeExtension {
  /** The node's Storage port over the state directory's files [the files themselves]. */
  storage?(files: FileStorage): Storage;
  /** Called once the state directory is held and the node built, before it starts, so it misses no event. */
  attach?(node: MeshNode): NodeAttachment;
  /** Runs once the node is up; resolves to the exit code. Without it the node runs until SIGINT or SIGTERM (0). */
  main?(host: NodeHost, node: MeshNode): Promise<number>;
}

/**
 * Runs the node until a signal (or the extension's `main` ends). Resolves to the exit code: 0 after a
 * signal, 2 when the certificate does not fit its own key; runtime failures (state directory in use,
 * socket not bound, what the extension throws) reject, and the CLI reports them with exit 1. Content
 * progress is also a status line on stderr when it is a terminal.
 */
export async function runNode(command: string, options: NodeOptions, provisioning: Provisioning, io: Io,
    extension?: NodeExtension): Promise<number> {
  const files = FileStorage.open(options.stateDir);
  const bar = (io.stderr as { isTTY?: boolean }).isTTY === true ? new ProgressLine(io.stderr) : null;
  let attachment: NodeAttachment | undefined;
  try {
    let node: MeshNode;
    try {
      const storage = extension?.storage?.(files) ?? files;
      node = new MeshNode(provisioning,
        { crypto: nodeCrypto, random: new NodeRandom(), storage, content: { store: new FileContentStore(options.stateDir) }, sameLink: samePeer },
        createNodeConfig({ beaconIntervalMs: options.beaconMs, healthIntervalMs: options.healthEveryMs }));
    } catch (e) {
      io.stderr.write(`hyphae ${command}: --provisioning ${options.provisioningFile}: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    attachment = extension?.attach?.(node);
    const host = await NodeHost.start({
      node,
      link: {
        port: options.port, bind: options.bind, broadcast: options.broadcast,
        dropProbability: options.drop, dropRandom: new Rng(options.seed),
      },
      publishEveryMs: options.publishEveryMs,
      readingEveryMs: options.readingEveryMs,
      progressEveryMs: PROGRESS_EVERY_MS,
      onEvent: (event) => {
        // The attachment first: once a gateway prints a reading, its outbox holds it.
        attachment?.onEvent(event);
        io.stdout.write(JSON.stringify(event) + "\n");
        if (event.type === "content-progress") bar?.show(event);
      },
    });
    try {
      return await (extension?.main ? extension.main(host, node) : untilSignal().then(() => EXIT_OK));
    } finally {
      bar?.end();
      await host.stop();
    }
  } finally {
    await attachment?.stop();
    files.close();
  }
}

/** The content progress of the last content-progress event, redrawn in place on a terminal. */
class ProgressLine {
  private shown = false;

  constructor(private readonly out: Writer) {}

  show(e: Extract<HostEvent, { type: "content-progress" }>): void {
    const width = 20;
    const filled = Math.round((width * e.held) / e.total);
    const complete = e.neighbors.filter((n) => n.held === e.total).length;
    const behind = e.neighbors.filter((n) => n.held < e.total).map((n) => `${n.id.slice(0, 8)} ${n.held}`);
    this.out.write(`\r\x1b[K${contentKindName(e.kind)} v${e.version} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
      `${e.held}/${e.total} here; neighbors: ${complete} of ${e.neighbors.length} complete` +
      `${behind.length > 0 ? ` (${behind.slice(0, 4).join(", ")}${behind.length > 4 ? ", …" : ""})` : ""}`);
    this.shown = true;
  }

  end(): void {
    if (this.shown) this.out.write("\n");
    this.shown = false;
  }
}
