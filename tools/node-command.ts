/**
 * `hyphae node`: runs one real mesh node on this machine over UDP (hosts/node) until SIGINT or
 * SIGTERM, printing every event as a JSON line on stdout.
 *
 * Exit codes: 2 for bad flags or a bad provisioning file (the message names the flag or field), 1 when
 * the state directory or the socket cannot be taken, 0 after a signal.
 */
import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { createNodeConfig, DEFAULT_NODE_CONFIG } from "../modules/config.js";
import { MeshNode, type Provisioning } from "../modules/node.js";
import { provisioningFromText, type ProvisioningText } from "../modules/provisioning.js";
import { contentKindName } from "../modules/content/content-manifest.js";
import { FileContentStore } from "../hosts/node/file-content-store.js";
import { FileStorage } from "../hosts/node/file-storage.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import type { HostEvent } from "../hosts/node/host-event.js";
import { NodeHost } from "../hosts/node/node-host.js";
import { NodeRandom } from "../hosts/node/node-random.js";
import type { UdpDestination } from "../hosts/node/udp-link.js";
import { Rng } from "../hosts/sim/rng.js";
import { type Command, EXIT_OK, EXIT_USAGE, integerFlag, type Io, numberFlag, parseFlags, UsageError, type Writer } from "./cli.js";

export const DEFAULT_MESH_PORT = 47000;
const DEFAULT_PUBLISH_MS = 60_000;
/** content-progress lines: at most one a second per content kind, and only when something changed. */
const PROGRESS_EVERY_MS = 1000;

const HELP = `Usage: hyphae node --provisioning FILE --state DIR [flags]

Runs one Hyphae node on this machine: the real firmware core on a UDP socket, broadcasting its
frames on the mesh port. Every node of a mesh uses the same port. It publishes a sample reading
(8 bytes: u32 reading number, u32 one-minute load average × 1000) and prints one JSON line per
event on stdout until SIGINT or SIGTERM:
  {"type":"started","id":…,"address":…,"port":…,"broadcast":[…]}
  {"type":"neighbor-up","id":…,"role":…}   {"type":"neighbor-down","id":…,"reason":…}
  {"type":"message","origin":…,"seq":…,"payload":"<hex>","hops":…}
  {"type":"published","seq":…,"payload":"<hex>"}   {"type":"relayed",…}
  {"type":"content-installed","kind":…,"version":…}   (kind 1 firmware, 2 config)
  {"type":"content-progress","kind":…,"version":…,"held":…,"total":…,"neighbors":[{"id":…,"held":…}]}
                         pieces held here and by each neighbor that advertised them, when they
                         changed, at most once a second (also a status line on stderr when it is
                         a terminal); \`hyphae content publish\` seeds content
  {"type":"error","message":…}   {"type":"stopped","counters":{…},"drops":{…}}

Flags:
  --provisioning FILE    this node's provisioning (JSON: networkId, networkKey, ownerPublicKey,
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
  --drop P               test/diagnostic: discard each received datagram with probability P,
                         0..1 (injected loss on links that lose nothing) [0]
  --seed N               seed of the injected loss, integer 0..4294967295 [random]
  -h, --help             this help

Exit codes: 0 stopped by a signal, 2 usage error (bad flag, value or provisioning file),
1 runtime failure (state directory in use, socket cannot be bound).

Example:
  hyphae node --provisioning node1.json --state state/node1 --broadcast 192.168.1.255
`;

/** The node's flags; `hyphae content publish` takes them too. */
export const NODE_FLAGS = {
  provisioning: { type: "string" },
  state: { type: "string" },
  port: { type: "string" },
  bind: { type: "string" },
  broadcast: { type: "string" },
  "publish-every": { type: "string" },
  "reading-every": { type: "string" },
  "beacon-ms": { type: "string" },
  drop: { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type NodeFlagValues = Partial<Record<keyof typeof NODE_FLAGS, string | boolean>>;

export interface NodeOptions {
  provisioningFile: string;
  stateDir: string;
  port: number;
  bind: string;
  broadcast: UdpDestination[];
  publishEveryMs: number;
  readingEveryMs: number;
  beaconMs: number;
  drop: number;
  seed: number;
}

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

/** Flags → options; null for --help. Throws UsageError naming the flag and the rule. */
export function parseNodeArgs(args: string[]): NodeOptions | null {
  const v = parseFlags(args, NODE_FLAGS) as NodeFlagValues;
  return v.help ? null : nodeOptionsOf(v);
}

/** Parsed node flags (parseFlags over NODE_FLAGS, or a superset) → options; throws UsageError naming the flag. */
export function nodeOptionsOf(v: NodeFlagValues): NodeOptions {
  const str = (k: keyof typeof NODE_FLAGS): string | undefined => v[k] as string | undefined;
  const provisioningFile = str("provisioning");
  const stateDir = str("state");
  if (!provisioningFile) throw new UsageError("--provisioning FILE is required");
  if (!stateDir) throw new UsageError("--state DIR is required");
  const periodFlag = (flag: "publish-every" | "reading-every", fallback: number): number => {
    const value = str(flag);
    if (value === undefined) return fallback;
    const ms = integerFlag(`--${flag}`, value, 0, 86_400_000);
    if (ms > 0 && ms < 100) throw new UsageError(`--${flag} must be 0 (never) or from 100 to 86400000, got ${ms}`);
    return ms;
  };
  const publishEveryMs = periodFlag("publish-every", DEFAULT_PUBLISH_MS);
  const readingEveryMs = periodFlag("reading-every", 0);
  let beaconMs = DEFAULT_NODE_CONFIG.beaconIntervalMs;
  if (str("beacon-ms") !== undefined) {
    beaconMs = integerFlag("--beacon-ms", str("beacon-ms")!, 100, 60_000);
    if (beaconMs % 100 !== 0) throw new UsageError(`--beacon-ms must be a multiple of 100, got ${beaconMs}`);
  }
  return {
    provisioningFile,
    stateDir,
    port: str("port") === undefined ? DEFAULT_MESH_PORT : integerFlag("--port", str("port")!, 1, 65535),
    bind: str("bind") === undefined ? "0.0.0.0" : ipv4Flag("--bind", str("bind")!),
    broadcast: destinationsFlag("--broadcast", str("broadcast") ?? "255.255.255.255"),
    publishEveryMs,
    readingEveryMs,
    beaconMs,
    drop: str("drop") === undefined ? 0 : numberFlag("--drop", str("drop")!, 0, 1),
    seed: str("seed") === undefined ? new NodeRandom().nextU32() : integerFlag("--seed", str("seed")!, 0, 0xffffffff),
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

function untilSignal(): Promise<void> {
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

/** What a command built on `runNode` adds to a plain node. */
export interface NodeRun {
  /** Sees every event after it is printed. */
  watch?(event: HostEvent): void;
  /** Runs once the node is up; resolves to the exit code. Without it the node runs until SIGINT or SIGTERM (0). */
  main?(host: NodeHost, node: MeshNode): Promise<number>;
}

/**
 * Runs one node (the state directory locked, the socket bound) for `hyphae <command>`: events as JSON
 * lines on stdout, content progress as a status line on stderr when it is a terminal.
 */
export async function runNode(command: string, options: NodeOptions, provisioning: Provisioning, io: Io, run: NodeRun = {}): Promise<number> {
  // Failures from here on are runtime failures (exit 1, reported by the CLI), except a certificate
  // that does not fit its own key, which is the provisioning file's fault.
  const storage = FileStorage.open(options.stateDir);
  const bar = (io.stderr as { isTTY?: boolean }).isTTY === true ? new ProgressLine(io.stderr) : null;
  try {
    let node: MeshNode;
    try {
      node = new MeshNode(provisioning, {
        crypto: nodeCrypto, random: new NodeRandom(), storage, content: { store: new FileContentStore(options.stateDir) },
      },
        createNodeConfig({ beaconIntervalMs: options.beaconMs }));
    } catch (e) {
      io.stderr.write(`hyphae ${command}: --provisioning ${options.provisioningFile}: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
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
        io.stdout.write(JSON.stringify(event) + "\n");
        if (event.type === "content-progress") bar?.show(event);
        run.watch?.(event);
      },
    });
    try {
      return await (run.main ? run.main(host, node) : untilSignal().then(() => EXIT_OK));
    } finally {
      bar?.end();
      await host.stop();
    }
  } finally {
    storage.close();
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

export const nodeCommand: Command = {
  name: "node",
  summary: "run one mesh node on this machine over UDP, printing events as JSON lines",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    let options: NodeOptions | null;
    let provisioning: Provisioning;
    try {
      options = parseNodeArgs(args);
      if (options === null) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      provisioning = readProvisioning(options.provisioningFile);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`hyphae node: ${e.message}\nRun \`hyphae node --help\` for the flags.\n`);
      return EXIT_USAGE;
    }
    return runNode("node", options, provisioning, io);
  },
};
