/**
 * `hyphae monitor`: a local web page with the live mesh as a gateway sees it. It subscribes to the
 * node statuses `hyphae gateway` publishes (retained, so a monitor started late sees the mesh at
 * once), assembles them (tools/monitor-view.ts) and serves the page (tools/monitor-server.ts), which
 * redraws itself as statuses arrive.
 *
 * Exit codes: 2 for bad flags, 1 when the web port cannot be taken, 0 after SIGINT or SIGTERM. An
 * unreachable broker is not an error: the monitor keeps retrying and shows what it has.
 */
import { MqttClient } from "../hosts/node/mqtt-client.js";
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError } from "./cli.js";
import { MonitorServer } from "./monitor-server.js";
import { MeshView, type NodeStatus } from "./monitor-view.js";
import { brokerFlag, DEFAULT_MQTT_PORT, prefixFlag } from "./mqtt-flags.js";
import { untilSignal } from "./node-runner.js";

const DEFAULT_WEB_PORT = 8470;
const KEEPALIVE_S = 30;

const HELP = `Usage: hyphae monitor --mqtt HOST[:PORT] [flags]

Serves a web page with the live mesh, as the gateways publishing to this MQTT broker see it: the
topology (one circle per node, lines shaded by how well neighbors hear each other, gateways in
amber, nodes that raised an anomaly ringed in red), each node's health (uptime, neighbors, frames,
drops, authentication failures, rate-limit hits, custody, unconfirmed readings, the lowest
reputation score a neighbor gives it) and the anomaly events. The page updates by itself.

It reads the retained statuses of \`hyphae gateway\` (<prefix>/<network>/<node>/status); nodes
send their health reports every --health-every of \`hyphae node\` (5 minutes by default).
Prints JSON lines: {"type":"monitor-listening","url":…} and the MQTT connection's own.

Flags:
  --mqtt HOST[:PORT]     the broker the gateways publish to [required; port ${DEFAULT_MQTT_PORT}]
  --network HEX          only this network id (8 hex digits) [every network]
  --topic-prefix P       the gateways' first topic level(s) [hyphae]
  --port N               the page's TCP port, 0..65535 (0: any free one) [${DEFAULT_WEB_PORT}]
  --bind ADDR            the address to serve on [127.0.0.1]; the page shows the mesh's ids and
                         health to whoever can reach it
  -h, --help             this help

Exit codes: 0 stopped by a signal, 2 usage error, 1 the port cannot be taken.

Example:
  hyphae monitor --mqtt localhost:1883      # then open http://127.0.0.1:${DEFAULT_WEB_PORT}/
`;

const OPTIONS = {
  mqtt: { type: "string" },
  network: { type: "string" },
  "topic-prefix": { type: "string" },
  port: { type: "string" },
  bind: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface MonitorOptions {
  mqttHost: string;
  mqttPort: number;
  /** null: every network. */
  network: string | null;
  topicPrefix: string;
  port: number;
  bind: string;
}

/** Flags → options; null for --help. Throws UsageError naming the flag and the rule. */
export function parseMonitorArgs(args: string[]): MonitorOptions | null {
  const v = parseFlags(args, OPTIONS);
  if (v.help) return null;
  if (v.mqtt === undefined) throw new UsageError("--mqtt HOST[:PORT] is required");
  const { host, port } = brokerFlag(v.mqtt);
  const network = v.network === undefined ? null : v.network.toLowerCase();
  if (network !== null && !/^[0-9a-f]{8}$/.test(network)) throw new UsageError(`--network must be 8 hex digits, got ${JSON.stringify(v.network)}`);
  const bind = v.bind ?? "127.0.0.1";
  if (bind.length === 0) throw new UsageError("--bind must be an address");
  return {
    mqttHost: host, mqttPort: port, network, topicPrefix: prefixFlag("--topic-prefix", v["topic-prefix"] ?? "hyphae"),
    port: v.port === undefined ? DEFAULT_WEB_PORT : integerFlag("--port", v.port, 0, 65535), bind,
  };
}

/** `<prefix>/<network>/<node>/status` → [network, node], or null for any other topic. */
function statusTopic(prefix: string, topic: string): [string, string] | null {
  if (!topic.startsWith(prefix + "/")) return null;
  const levels = topic.slice(prefix.length + 1).split("/");
  return levels.length === 3 && levels[2] === "status" ? [levels[0], levels[1]] : null;
}

export const monitorCommand: Command = {
  name: "monitor",
  summary: "serve a live web page of the mesh, from the statuses gateways publish over MQTT",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    let options: MonitorOptions | null;
    try {
      options = parseMonitorArgs(args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`hyphae monitor: ${e.message} (see \`hyphae monitor --help\`)\n`);
      return EXIT_USAGE;
    }
    if (options === null) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const { topicPrefix, network } = options;
    const print = (line: object): void => void io.stdout.write(JSON.stringify(line) + "\n");
    const view = new MeshView();
    const server = new MonitorServer(view, network ? `Hyphae mesh ${network}` : "Hyphae mesh");
    let address;
    try {
      address = await server.listen(options.port, options.bind);
    } catch (e) {
      io.stderr.write(`hyphae monitor: cannot serve on ${options.bind}:${options.port}: ${(e as Error).message}\n`);
      await server.close();
      return EXIT_FAILURE;
    }
    print({ type: "monitor-listening", url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/` });
    const client = new MqttClient({
      host: options.mqttHost, port: options.mqttPort, clientId: `hyphae-monitor-${process.pid}`, keepaliveSeconds: KEEPALIVE_S,
      onEvent: print,
      onMessage: (topic, payload) => {
        const at = statusTopic(topicPrefix, topic);
        if (!at) return;
        let status: NodeStatus;
        try {
          status = JSON.parse(payload.toString("utf8")) as NodeStatus;
        } catch {
          return print({ type: "monitor-bad-status", topic });
        }
        if (typeof status === "object" && status !== null && view.update(at[0], at[1], status, Date.now())) server.changed();
      },
    });
    client.subscribe(`${topicPrefix}/${network ?? "+"}/+/status`, 0);
    client.start();
    await untilSignal();
    await client.stop();
    await server.close();
    return EXIT_OK;
  },
};
