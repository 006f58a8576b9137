/**
 * `hyphae content`: the owner's side of content distribution. `sign` makes the signed manifest of a
 * firmware image or configuration file with the owner key from `hyphae keys`'s key directory.
 *
 * Exit codes: 0 ok, 2 usage error, 1 when the key directory or a file refuses.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { toHex } from "../modules/bytes.js";
import { buildManifest, ContentKind, decodeManifest, MAX_PIECE_BYTES, MAX_PIECES, MIN_PIECE_BYTES } from "../modules/content/content-manifest.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { choiceFlag, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError } from "./cli.js";
import { KeyStore, KeyStoreError, ROLE_NAMES } from "./key-store.js";

const DEFAULT_DIR = "hyphae-keys";
const DEFAULT_PIECE_BYTES = 1024;

const HELP = `Usage: hyphae content sign FILE --kind K --version N [flags]

Signs content for distribution over the mesh: the manifest (content id, kind, version, floor,
size, piece size, piece hashes, targets) signed by the owner key. Nodes fetch the pieces from
their neighbors, check every piece's hash and install only what the owner signed, never a version
at or below the one they run, nor one under the floor.

Flags:
  --kind K           firmware or config [required]
  --version N        1..4294967295, above every version the nodes run [required]
  --floor N          0..version: nodes that see this manifest never accept a version below N [0]
  --roles R,R        the roles that install it: ${ROLE_NAMES.join(", ")} [all]
  --board N          the board type that installs it, 1..65535; 0 for any board [0]
  --piece-bytes N    ${MIN_PIECE_BYTES}..${MAX_PIECE_BYTES} [${DEFAULT_PIECE_BYTES}]
  --dir DIR          the key directory [${DEFAULT_DIR}]
  --out FILE         where to write the manifest [FILE.manifest]
  -h, --help         this help

Exit codes: 0 ok, 2 usage error, 1 the key directory or a file refused.

Not yet: \`hyphae content publish\` (inject a manifest into a running mesh); until then a node
seeds content with MeshNode.publishContent.
`;

const OPTIONS = {
  kind: { type: "string" },
  version: { type: "string" },
  floor: { type: "string" },
  roles: { type: "string" },
  board: { type: "string" },
  "piece-bytes": { type: "string" },
  dir: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const ROLE_BITS: Record<string, number> = { node: Role.Node, relay: Role.Relay, leaf: Role.Leaf, gateway: Role.Gateway };

function roleMask(value: string | undefined): number {
  if (value === undefined) return 0b1111;
  let mask = 0;
  for (const name of value.split(",")) mask |= 1 << (ROLE_BITS[choiceFlag("--roles", name.trim(), ROLE_NAMES)] - 1);
  return mask;
}

function sign(file: string, flags: ReturnType<typeof parseFlags<typeof OPTIONS>>, io: Io): number {
  if (flags.kind === undefined) throw new UsageError("--kind is required");
  if (flags.version === undefined) throw new UsageError("--version is required");
  const kind = choiceFlag("--kind", flags.kind, ["firmware", "config"] as const) === "firmware" ? ContentKind.Firmware : ContentKind.Config;
  const version = integerFlag("--version", flags.version, 1, 0xffffffff);
  const floor = flags.floor === undefined ? 0 : integerFlag("--floor", flags.floor, 0, version);
  const board = flags.board === undefined ? 0 : integerFlag("--board", flags.board, 0, 0xffff);
  const pieceBytes = flags["piece-bytes"] === undefined ? DEFAULT_PIECE_BYTES : integerFlag("--piece-bytes", flags["piece-bytes"], MIN_PIECE_BYTES, MAX_PIECE_BYTES);
  const roles = roleMask(flags.roles);
  let image: Uint8Array;
  try {
    image = new Uint8Array(readFileSync(file));
  } catch (e) {
    io.stderr.write(`hyphae content: cannot read ${file}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  if (image.length === 0 || Math.ceil(image.length / pieceBytes) > MAX_PIECES) {
    throw new UsageError(`${file} must be 1..${MAX_PIECES * pieceBytes} bytes at --piece-bytes ${pieceBytes}, it is ${image.length}`);
  }
  const owner = new KeyStore(flags.dir ?? DEFAULT_DIR).owner();
  const { manifest } = buildManifest(nodeCrypto, owner.secretKey, {
    networkId: owner.networkId, kind, version, floor, pieceBytes, roleMask: roles, board,
  }, image);
  const out = flags.out ?? `${file}.manifest`;
  try {
    writeFileSync(out, manifest, { flag: "wx" });
  } catch (e) {
    io.stderr.write(`hyphae content: cannot write ${out}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const m = decodeManifest(manifest);
  if (typeof m === "number") throw new Error("the manifest just built does not decode");
  io.stdout.write(`${flags.kind} version ${version} (floor ${floor}), content id ${toHex(m.contentId)}: ${image.length} bytes in ` +
    `${m.pieces} pieces and ${m.blocks} hash blocks; manifest (${manifest.length} bytes) written to ${out}\n`);
  return EXIT_OK;
}

export const contentCommand: Command = {
  name: "content",
  summary: "sign firmware or configuration for distribution over the mesh",
  help: HELP,
  run(args: string[], io: Io): number {
    if (args.length === 0 || args[0] === "-h" || args[0] === "--help") {
      io.stdout.write(HELP);
      return args.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    try {
      choiceFlag("action", args[0], ["sign"] as const);
      const file = args[1];
      if (file === undefined || file.startsWith("-")) throw new UsageError("sign needs the FILE to sign first: hyphae content sign FILE --kind K --version N");
      const flags = parseFlags(args.slice(2), OPTIONS);
      if (flags.help) {
        io.stdout.write(HELP);
        return EXIT_OK;
      }
      return sign(file, flags, io);
    } catch (e) {
      if (e instanceof UsageError) {
        io.stderr.write(`hyphae content: ${e.message}\n`);
        return EXIT_USAGE;
      }
      if (e instanceof KeyStoreError) {
        io.stderr.write(`hyphae content: ${e.message}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
  },
};
