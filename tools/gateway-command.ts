/**
 * `hyphae gateway`: a mesh node (everything `hyphae node` does, tools/node-runner.ts) whose
 * certificate has role gateway, bridged to an MQTT broker (hosts/node/mqtt-bridge.ts): the readings
 * delivered here are published, with Home Assistant discovery and status topics.
 *
 * Exit codes: 2 for bad flags, a bad provisioning file or one that is not a gateway's; 1 when the
 * state directory or the socket cannot be taken; 0 after a signal. An unreachable broker is not an
 * error: the gateway keeps retrying and keeps the readings in its outbox meanwhile.
 */
import { join } from "node:path";
import { decodeCertificate, Role } from "../modules/identity/certificate.js";
import { MqttBridge, type GatewayEvent } from "../hosts/node/mqtt-bridge.js";
import { GatewayTopics, networkHex } from "../hosts/node/mqtt-topics.js";
import { PositionDeferringStorage } from "../hosts/node/position-storage.js";
import { ReadingOutbox } from "../hosts/node/reading-outbox.js";
import { type Command, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError } from "./cli.js";
import { ROLE_NAMES } from "./key-store.js";
import { brokerFlag, DEFAULT_MQTT_PORT, prefixFlag } from "./mqtt-flags.js";
import type { NodeHost } from "../hosts/node/node-host.js";
import { NODE_FLAG_OPTIONS, NODE_FLAGS_HELP, nodeOptionsOf, type NodeOptions, readProvisioning, runNode, untilSignal } from "./node-runner.js";

const DEFAULT_KEEPALIVE_S = 30;
const DEFAULT_OUTBOX_MAX = 10_000;
const DEFAULT_STATUS_MS = 60_000;
/** The outbox journal's file in the state directory (FileStorage's own files never contain a dot). */
const OUTBOX_FILE = "mqtt-outbox.jsonl";

const HELP = `Usage: hyphae gateway --provisioning FILE --state DIR --mqtt HOST[:PORT] [flags]

Runs a Hyphae gateway on this machine: a mesh node (as \`hyphae node\`) whose certificate has role
gateway, publishing every reading delivered to it to an MQTT broker (MQTT 3.1.1, QoS 1):
  <prefix>/<network>/<node>/<sensor>    retained {"value":…,"unit":…,"time":…,"seq":…,"verified":…}
  <prefix>/<network>/<node>/status      retained: the gateway's health; for other nodes what the
                                        gateway knows (last seq and time, verified up to, flags)
  <discovery>/sensor/<id>/config        retained Home Assistant MQTT discovery, one per sensor
<network> is the network id (8 hex digits), <node> a node id (16). Readings wait in a durable outbox
(<state>/${OUTBOX_FILE}) until the broker acknowledges them, so none is lost while the broker
is down or across a restart of the gateway.

Commands: a message published (not retained) on <prefix>/<network>/<node>/set/<path> goes into
the mesh as a command signed by this gateway, and that node reports it as a "command" line — if
this gateway's certificate grants the command right (\`hyphae keys issue … --command\`). <path> is
1..32 printable ASCII characters, the payload (the value) at most 128 bytes. Otherwise, or for a
bad node id, the command is refused and reported with the reason. The node acks each command it
acts on; the gateway sends it again until it does, for 15 minutes (across its own restarts too: the
commands pending are kept in the state directory), and publishes its delivery:
  <prefix>/<network>/<node>/command/<path>   retained {"seq":…,"state":"sent"|"acked"|"expired",…}

Prints the JSON lines of \`hyphae node\` (a "reading" line per reading delivered) and its own:
  {"type":"mqtt-connected","broker":…,"clientId":…}   {"type":"mqtt-disconnected","reason":…,"retryInMs":…}
  {"type":"mqtt-published","origin":…,"seq":…,"sensor":…,"topic":…}   {"type":"mqtt-error","message":…}
  {"type":"outbox-loaded","pending":…,"skippedLines":…}   {"type":"outbox-dropped","origin":…,"seq":…,"sensor":…}
  {"type":"command-sent","topic":…,"node":…,"path":…,"seq":…,"bytes":…}   {"type":"command-refused","topic":…,"node":…,"reason":…}
  {"type":"command-acked","target":…,"seq":…,"path":…,"resends":…,"ms":…}
  {"type":"command-expired","target":…,"seq":…,"path":…,"resends":…,"reason":"timeout"|"evicted"}
  {"type":"commands-restored","commands":[{"target":…,"seq":…,"path":…},…],"unreadable":…}   (at start)

Flags:
  --mqtt HOST[:PORT]     the broker [required; port ${DEFAULT_MQTT_PORT}]
  --mqtt-client-id ID    MQTT client id, 1..128 characters [hyphae-<node id>]
  --mqtt-keepalive S     keepalive, seconds, 1..65535; the connection is dropped after 1.5 × S
                         without a packet from the broker [${DEFAULT_KEEPALIVE_S}]
  --topic-prefix P       first topic level(s), no + or # [hyphae]
  --discovery-prefix P   Home Assistant's discovery prefix [homeassistant]
  --outbox-max N         readings kept for the broker, 1..1000000; when full the oldest is
                         dropped (an outbox-dropped line) [${DEFAULT_OUTBOX_MAX}]
  --status-every MS      gateway status period, ms, 100..86400000 [${DEFAULT_STATUS_MS}]
${NODE_FLAGS_HELP}
  -h, --help             this help

Exit codes: 0 stopped by a signal, 2 usage error (bad flag or value, bad provisioning file, or a
certificate whose role is not gateway), 1 runtime failure (state directory in use, socket cannot
be bound). A broker that cannot be reached is retried with backoff, not an error.

Example:
  hyphae keys issue --name desk --role gateway && hyphae keys export --name desk > desk.json
  hyphae gateway --provisioning desk.json --state state/desk --broadcast 192.168.1.255 --mqtt localhost:1883
  mosquitto_sub -h localhost -t 'hyphae/#' -v
  mosquitto_pub -h localhost -t hyphae/<network>/<node>/set/led -m on   (with a --command certificate)
`;

const OPTIONS = {
  ...NODE_FLAG_OPTIONS,
  mqtt: { type: "string" },
  "mqtt-client-id": { type: "string" },
  "mqtt-keepalive": { type: "string" },
  "topic-prefix": { type: "string" },
  "discovery-prefix": { type: "string" },
  "outbox-max": { type: "string" },
  "status-every": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface GatewayOptions {
  node: NodeOptions;
  mqttHost: string;
  mqttPort: number;
  /** null: derived from the node id. */
  clientId: string | null;
  keepaliveSeconds: number;
  topicPrefix: string;
  discoveryPrefix: string;
  outboxMax: number;
  statusEveryMs: number;
}

/** Flags → options; null for --help. Throws UsageError naming the flag and the rule. */
export function parseGatewayArgs(args: string[]): GatewayOptions | null {
  const v = parseFlags(args, OPTIONS);
  if (v.help) return null;
  const node = nodeOptionsOf(v);
  if (v.mqtt === undefined) throw new UsageError("--mqtt HOST[:PORT] is required");
  const { host, port } = brokerFlag(v.mqtt);
  const clientId = v["mqtt-client-id"] ?? null;
  if (clientId !== null && (clientId.length < 1 || clientId.length > 128)) {
    throw new UsageError(`--mqtt-client-id must be 1 to 128 characters, got ${clientId.length}`);
  }
  const integer = (flag: keyof typeof OPTIONS, min: number, max: number, fallback: number): number => {
    const value = v[flag];
    return typeof value === "string" ? integerFlag(`--${flag}`, value, min, max) : fallback;
  };
  return {
    node,
    mqttHost: host,
    mqttPort: port,
    clientId,
    keepaliveSeconds: integer("mqtt-keepalive", 1, 65535, DEFAULT_KEEPALIVE_S),
    topicPrefix: prefixFlag("--topic-prefix", v["topic-prefix"] ?? "hyphae"),
    discoveryPrefix: prefixFlag("--discovery-prefix", v["discovery-prefix"] ?? "homeassistant"),
    outboxMax: integer("outbox-max", 1, 1_000_000, DEFAULT_OUTBOX_MAX),
    statusEveryMs: integer("status-every", 100, 86_400_000, DEFAULT_STATUS_MS),
  };
}

/** Refuses a certificate that is not a gateway's (a malformed one fails later, in MeshNode, naming the file). */
function requireGatewayRole(certificate: Uint8Array, file: string): void {
  const cert = decodeCertificate(certificate);
  if (typeof cert !== "number" && cert.role !== Role.Gateway) {
    throw new UsageError(`--provisioning ${file}: the certificate's role is ${ROLE_NAMES[cert.role - 1]}, not gateway ` +
      "(issue one with `hyphae keys issue --name NAME --role gateway`)");
  }
}

export const gatewayCommand: Command = {
  name: "gateway",
  summary: "run a gateway node that publishes the mesh's readings to an MQTT broker",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    try {
      const options = parseGatewayArgs(args);
      if (options === null) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      const provisioning = readProvisioning(options.node.provisioningFile);
      requireGatewayRole(provisioning.certificate, options.node.provisioningFile);
      const print = (event: GatewayEvent): void => void io.stdout.write(JSON.stringify(event) + "\n");
      let storage: PositionDeferringStorage;
      // Commands go through the host (it sends the frames); null until it has started.
      let host: NodeHost | null = null;
      return await runNode("gateway", options.node, provisioning, io, {
        storage: (files) => (storage = new PositionDeferringStorage(files)),
        attach: (node) => {
          const { outbox, dropped } = ReadingOutbox.open(join(options.node.stateDir, OUTBOX_FILE), options.outboxMax);
          for (const { reading } of dropped) print({ type: "outbox-dropped", origin: reading.origin, seq: reading.seq, sensor: reading.sensor });
          const bridge = new MqttBridge({
            mqtt: {
              host: options.mqttHost, port: options.mqttPort, clientId: options.clientId ?? `hyphae-${node.idHex}`,
              keepaliveSeconds: options.keepaliveSeconds,
            },
            outbox,
            topics: new GatewayTopics(options.topicPrefix, options.discoveryPrefix, networkHex(provisioning.networkId)),
            gatewayId: node.idHex,
            health: () => node.health(),
            mayCommand: node.mayCommand,
            sendCommand: (target, path, value) => host?.sendCommand(target, path, value) ?? null,
            statusEveryMs: options.statusEveryMs,
            onEvent: print,
          });
          bridge.start();
          return {
            onEvent: (event) => bridge.handle(event),
            stop: async () => {
              storage.flush();
              await bridge.stop();
            },
          };
        },
        main: async (started) => {
          host = started;
          await untilSignal();
          return EXIT_OK;
        },
      });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`hyphae gateway: ${e.message} (see \`hyphae gateway --help\`)\n`);
      return EXIT_USAGE;
    }
  },
};
