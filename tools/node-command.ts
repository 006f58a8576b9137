/**
 * `hyphae node`: runs one real mesh node on this machine over UDP (hosts/node) until SIGINT or
 * SIGTERM, printing every event as a JSON line on stdout (the running itself is tools/node-runner.ts,
 * shared with `hyphae gateway`).
 *
 * Exit codes: 2 for bad flags or a bad provisioning file (the message names the flag or field), 1 when
 * the state directory or the socket cannot be taken, 0 after a signal.
 */
import { type Command, EXIT_OK, EXIT_USAGE, type Io, parseFlags, UsageError } from "./cli.js";
import { NODE_FLAG_OPTIONS, NODE_FLAGS_HELP, nodeOptionsOf, type NodeOptions, readProvisioning, runNode } from "./node-runner.js";

const HELP = `Usage: hyphae node --provisioning FILE --state DIR [flags]

Runs one Hyphae node on this machine: the real firmware core on a UDP socket, broadcasting its
frames on the mesh port. Every node of a mesh uses the same port. It publishes a sample reading
(8 bytes: u32 reading number, u32 one-minute load average × 1000) and prints one JSON line per
event on stdout until SIGINT or SIGTERM:
  {"type":"started","id":…,"address":…,"port":…,"broadcast":[…]}
  {"type":"neighbor-up","id":…,"role":…}   {"type":"neighbor-down","id":…,"reason":…}
  {"type":"message","origin":…,"seq":…,"payload":"<hex>","hops":…}
  {"type":"command","origin":…,"seq":…,"path":…,"value":"<hex>","hops":…}
                         a command for this node from a gateway with the command right
                         (docs/protocol.md §Commands)
  {"type":"published","seq":…,"payload":"<hex>"}   {"type":"relayed",…}
  {"type":"content-installed","kind":…,"version":…}   (kind 1 firmware, 2 config)
  {"type":"content-progress","kind":…,"version":…,"held":…,"total":…,"neighbors":[{"id":…,"held":…}]}
                         pieces held here and by each neighbor that advertised them, when they
                         changed, at most once a second (also a status line on stderr when it is
                         a terminal); \`hyphae content publish\` seeds content
  {"type":"error","message":…}   {"type":"stopped","counters":{…},"drops":{…}}

Flags:
${NODE_FLAGS_HELP}
  -h, --help             this help

Exit codes: 0 stopped by a signal, 2 usage error (bad flag, value or provisioning file),
1 runtime failure (state directory in use, socket cannot be bound).

Example:
  hyphae node --provisioning node1.json --state state/node1 --broadcast 192.168.1.255
`;

const OPTIONS = { ...NODE_FLAG_OPTIONS, help: { type: "boolean", short: "h" } } as const;

/** Flags → options; null for --help. Throws UsageError naming the flag and the rule. */
export function parseNodeArgs(args: string[]): NodeOptions | null {
  const { help, ...values } = parseFlags(args, OPTIONS);
  return help ? null : nodeOptionsOf(values);
}

export const nodeCommand: Command = {
  name: "node",
  summary: "run one mesh node on this machine over UDP, printing events as JSON lines",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    try {
      const options = parseNodeArgs(args);
      if (options === null) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      const provisioning = readProvisioning(options.provisioningFile);
      return await runNode("node", options, provisioning, io);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`hyphae node: ${e.message} (see \`hyphae node --help\`)\n`);
      return EXIT_USAGE;
    }
  },
};
