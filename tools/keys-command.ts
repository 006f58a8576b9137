/**
 * `hyphae keys`: the mesh owner's key tool. Creates the owner key, issues node certificates,
 * revokes them, lists them, and exports a node's provisioning for `hyphae node` or a firmware build.
 *
 * Exit codes: 0 ok, 2 usage error, 1 when the key directory refuses (a file exists, none found, …).
 */
import { randomBytes } from "node:crypto";
import { certificateGrants, KeyStore, KeyStoreError, NODE_NAME, ROLE_NAMES, type NodeFile } from "./key-store.js";
import { choiceFlag, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError } from "./cli.js";

const DEFAULT_DIR = "hyphae-keys";
const DEFAULT_DAYS = 3650;

const HELP = `Usage: hyphae keys <action> [flags]

The mesh owner's keys. The owner key signs node certificates and revocation lists; keep its
directory off the devices (files are written 0600 and never overwritten).

Actions:
  init      create the owner key and the network key     [--network-id N]
  issue     create a node key and its certificate          --name NAME [--role R] [--days D] [--command]
  revoke    add a node to the signed revocation list       --name NAME
  list      list the nodes and whether they are revoked    [--json]
  export    print a node's provisioning (JSON) for         --name NAME
            \`hyphae node --provisioning\` and firmware builds

Flags:
  --dir DIR          the key directory [${DEFAULT_DIR}]
  --network-id N     init: the mesh's network id, integer 0..4294967295 or 0x… [random]
  --name NAME        node name: 1..32 of a-z 0-9 _ -, starting with a letter or digit
  --role R           issue: ${ROLE_NAMES.join(", ")} [node]
  --days D           issue: certificate validity from now, 1..36500 days [${DEFAULT_DAYS}]
  --command          issue: grant the right to command other nodes (a gateway forwarding MQTT
                     set/… topics into the mesh); whoever holds this key can drive every node
  --json             list: machine-readable output
  -h, --help         this help

Exit codes: 0 ok, 2 usage error, 1 the key directory refused (file exists, not found, malformed).

Example:
  hyphae keys init && hyphae keys issue --name kitchen --role relay
  hyphae keys export --name kitchen > kitchen.json
  hyphae keys issue --name hall --role gateway --command
`;

const OPTIONS = {
  dir: { type: "string" },
  "network-id": { type: "string" },
  name: { type: "string" },
  role: { type: "string" },
  days: { type: "string" },
  json: { type: "boolean" },
  command: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const ACTIONS = ["init", "issue", "revoke", "list", "export"] as const;

function nameFlag(value: string | undefined): string {
  if (value === undefined) throw new UsageError("--name is required");
  if (!NODE_NAME.test(value)) throw new UsageError(`--name must be 1..32 of a-z 0-9 _ -, starting with a letter or digit, got ${JSON.stringify(value)}`);
  return value;
}

function networkIdFlag(value: string | undefined): number {
  if (value === undefined) return randomBytes(4).readUInt32BE(0);
  return /^0x[0-9a-f]{1,8}$/i.test(value) ? Number(value) : integerFlag("--network-id", value, 0, 0xffffffff);
}

function describe(file: NodeFile, revoked: boolean): string {
  const until = new Date(file.notAfter * 1000).toISOString().slice(0, 10);
  const { role, command } = certificateGrants(file);
  return `${file.name.padEnd(20)} ${file.id}  ${role.padEnd(7)}  until ${until}${command ? "  COMMAND" : ""}${revoked ? "  REVOKED" : ""}`;
}

export const keysCommand: Command = {
  name: "keys",
  summary: "create the owner key, issue and revoke node certificates, export provisioning",
  help: HELP,
  run(args: string[], io: Io): number {
    if (args.length === 0 || args[0] === "-h" || args[0] === "--help") {
      io.stdout.write(HELP);
      return args.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    try {
      const action = choiceFlag("action", args[0], ACTIONS);
      const flags = parseFlags(args.slice(1), OPTIONS);
      if (flags.help) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      const store = new KeyStore(flags.dir ?? DEFAULT_DIR);
      switch (action) {
        case "init": {
          const owner = store.init(networkIdFlag(flags["network-id"]));
          io.stdout.write(`owner key and network key written to ${store.ownerFile} (network id 0x${owner.networkId.toString(16).padStart(8, "0")})\n`);
          return EXIT_OK;
        }
        case "issue": {
          const name = nameFlag(flags.name);
          const role = flags.role === undefined ? "node" : choiceFlag("--role", flags.role, ROLE_NAMES);
          const days = flags.days === undefined ? DEFAULT_DAYS : integerFlag("--days", flags.days, 1, 36500);
          const now = Math.floor(Date.now() / 1000);
          // Valid from a day back, so boards whose clocks lag a little still accept it.
          const file = store.issue(name, role, now - 86400, now + days * 86400, flags.command === true);
          io.stdout.write(`${describe(file, false)}\nwritten to ${store.nodeFile(name)}\n`);
          return EXIT_OK;
        }
        case "revoke": {
          const name = nameFlag(flags.name);
          const list = store.revoke(name);
          io.stdout.write(`revoked ${name}; revocation list serial ${list.serial} (${list.ids.length} ids) in ${store.revocationFile}\n`);
          return EXIT_OK;
        }
        case "list": {
          const revoked = new Set(store.revocations().ids);
          const nodes = store.nodes();
          if (flags.json) {
            io.stdout.write(JSON.stringify(nodes.map((n) => ({ name: n.name, id: n.id, ...certificateGrants(n), notBefore: n.notBefore, notAfter: n.notAfter, revoked: revoked.has(n.id) }))) + "\n");
          } else {
            for (const n of nodes) io.stdout.write(describe(n, revoked.has(n.id)) + "\n");
            if (nodes.length === 0) io.stdout.write(`no nodes in ${store.dir} (hyphae keys issue --name NAME)\n`);
          }
          return EXIT_OK;
        }
        case "export": {
          const file = store.node(nameFlag(flags.name));
          io.stdout.write(JSON.stringify(file, null, 2) + "\n");
          return EXIT_OK;
        }
      }
    } catch (e) {
      if (e instanceof UsageError) {
        io.stderr.write(`hyphae keys: ${e.message}\n`);
        return EXIT_USAGE;
      }
      if (e instanceof KeyStoreError) {
        io.stderr.write(`hyphae keys: ${e.message}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    return EXIT_USAGE;
  },
};
