/**
 * `hyphae content`: the owner's side of content distribution. `sign` makes the signed manifest of a
 * firmware image or configuration file with the owner key from `hyphae keys`'s key directory;
 * `publish` runs a seeding node (`hyphae node` with the content) until its neighbors hold it.
 *
 * Exit codes: 0 ok, 2 usage error (also: a manifest or file that does not verify), 1 when the key
 * directory or a file refuses, or publishing timed out.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { toHex } from "../modules/bytes.js";
import {
  buildManifest, checkManifest, ContentKind, contentKindName, decodeManifest, HASHES_PER_BLOCK, imagePieces, ManifestStatus, MAX_PIECE_BYTES,
  MAX_PIECES, MIN_PIECE_BYTES, type ContentManifest,
} from "../modules/content/content-manifest.js";
import { Role } from "../modules/identity/certificate.js";
import type { Provisioning } from "../modules/node.js";
import { WIRE_ERROR_NAMES } from "../modules/wire/errors.js";
import type { HostEvent } from "../hosts/node/host-event.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { choiceFlag, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integerFlag, type Io, parseFlags, UsageError } from "./cli.js";
import { KeyStore, KeyStoreError, ROLE_NAMES } from "./key-store.js";
import { NODE_FLAG_OPTIONS, nodeOptionsOf, readProvisioning, runNode } from "./node-runner.js";

const DEFAULT_DIR = "hyphae-keys";
const DEFAULT_PIECE_BYTES = 1024;

const HELP = `Usage: hyphae content sign FILE --kind K --version N [flags]
       hyphae content publish FILE --manifest M --provisioning P --state DIR [flags]

sign: signs content for distribution over the mesh: the manifest (content id, kind, version,
floor, size, piece size, piece hashes, targets) signed by the owner key. Nodes fetch the pieces
from their neighbors, check every piece's hash and install only what the owner signed, never a
version at or below the one they run, nor one under the floor.

  --kind K           firmware or config [required]
  --version N        1..4294967295, above every version the nodes run [required]
  --floor N          0..version: nodes that see this manifest never accept a version below N [0]
  --roles R,R        the roles that install it: ${ROLE_NAMES.join(", ")} [all]
  --board N          the board type that installs it, 1..65535; 0 for any board [0]
  --piece-bytes N    ${MIN_PIECE_BYTES}..${MAX_PIECE_BYTES} [${DEFAULT_PIECE_BYTES}]
  --dir DIR          the key directory [${DEFAULT_DIR}]
  --out FILE         where to write the manifest [FILE.manifest]

publish: injects signed content into a running mesh. It checks that M is signed for the network
of the provisioning P and that FILE is the content M describes (every piece hash), then runs a
node of that mesh (every \`hyphae node\` flag applies: --port, --bind, --broadcast, --beacon-ms, …)
that holds the content and serves it to its neighbors, which pass it on. Its stdout is the node's
JSON lines; {"type":"content-progress",…,"neighbors":[{"id":…,"held":…}]} says how many pieces
each neighbor holds (also a status line on stderr when it is a terminal). The state directory keeps
the pieces: publishing again from it resumes seeding. A node already running with the same state
directory must be stopped first (one process per state directory).

  --manifest M       the manifest \`hyphae content sign\` wrote [required]
  --provisioning P   a node provisioning of the mesh (\`hyphae keys node\`) [required]
  --state DIR        the seeding node's state directory [required]
  --until U          when to stop: "all" (every neighbor up holds every piece, at least one),
                     a number N (N neighbors hold every piece), or "never" (until SIGINT/SIGTERM) [all]
  --timeout MS       give up (exit 1) after MS ms; 0 = never [0]

  -h, --help         this help

Exit codes: 0 ok (published: the neighbors hold the content), 2 usage error or content that does
not verify (M not signed for this network, FILE altered), 1 the key directory or a file refused,
or --timeout passed.
`;

const SIGN_FLAGS = {
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

function sign(file: string, flags: ReturnType<typeof parseFlags<typeof SIGN_FLAGS>>, io: Io): number {
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

const PUBLISH_FLAGS = {
  ...NODE_FLAG_OPTIONS,
  manifest: { type: "string" },
  until: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Why a manifest is not published, for each refusal checkManifest gives. */
const REFUSALS: Readonly<Record<number, string>> = {
  [ManifestStatus.Malformed]: "it is malformed",
  [ManifestStatus.WrongNetwork]: "it is for another network than the provisioning's",
  [ManifestStatus.BadSignature]: "its signature does not verify under the network's owner key (forged, or altered after signing)",
  [ManifestStatus.BadDelegation]: "its delegation is not the owner's, or for another network",
  [ManifestStatus.KindNotDelegated]: "its delegated key may not sign this kind of content",
  [ManifestStatus.Revoked]: "its delegated key is revoked",
  [ManifestStatus.TooLarge]: "it is larger than this node's content store holds",
};

function readInput(what: string, file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** A file that cannot be read: exit 1, as for sign. */
class InputError extends Error {}

/** "all" → -1, "never" → 0, else N ≥ 1 neighbors. */
function untilFlag(value: string | undefined): number {
  if (value === undefined || value === "all") return -1;
  if (value === "never") return 0;
  if (!/^\d+$/.test(value)) throw new UsageError(`--until must be all, never or a number of neighbors from 1 to 255, got ${JSON.stringify(value)}`);
  return integerFlag("--until", value, 1, 255);
}

/** Checks the manifest and the file as a node would, before any node starts: the swarm pieces, or a UsageError saying what is wrong. */
function checkedContent(file: string, manifestFile: string, provisioning: Provisioning): { manifest: Uint8Array; m: ContentManifest; pieces: Uint8Array[] } {
  const manifest = readInput("--manifest", manifestFile);
  const image = readInput("FILE", file);
  const m = decodeManifest(manifest);
  if (typeof m === "number") throw new UsageError(`--manifest ${manifestFile} is not a content manifest (${WIRE_ERROR_NAMES[m]})`);
  const status = checkManifest(nodeCrypto, manifest, m, provisioning.ownerPublicKey, provisioning.networkId, () => false);
  if (status !== ManifestStatus.Valid) throw new UsageError(`--manifest ${manifestFile} is refused: ${REFUSALS[status]}`);
  const pieces = imagePieces(nodeCrypto, m, image);
  if (pieces === -1) throw new UsageError(`${file} is ${image.length} bytes, but the manifest describes ${m.totalBytes}: not the signed file`);
  if (typeof pieces === "number") {
    const first = pieces * HASHES_PER_BLOCK;
    throw new UsageError(`${file} does not match the manifest: pieces ${first}..${Math.min(m.pieces, first + HASHES_PER_BLOCK) - 1} ` +
      `have other hashes than the owner signed (the file was altered, or the manifest is another file's)`);
  }
  return { manifest, m, pieces };
}

async function publish(file: string, args: string[], io: Io): Promise<number> {
  const flags = parseFlags(args, PUBLISH_FLAGS);
  if (flags.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  const options = nodeOptionsOf(flags);
  if (flags.manifest === undefined) throw new UsageError("--manifest M is required");
  const until = untilFlag(flags.until);
  const timeoutMs = flags.timeout === undefined ? 0 : integerFlag("--timeout", flags.timeout, 0, 86_400_000);
  const provisioning = readProvisioning(options.provisioningFile);
  const { manifest, m, pieces } = checkedContent(file, flags.manifest, provisioning);
  const what = `${contentKindName(m.kind)} v${m.version}`;
  let progress: Extract<HostEvent, { type: "content-progress" }> | undefined;
  let settle: ((code: number) => void) | undefined;
  let neighborsUp = (): number => 0;
  const complete = (): number => progress ? progress.neighbors.filter((n) => n.held === progress!.total).length : 0;
  const watch = (event: HostEvent): void => {
    if (event.type !== "content-progress" || event.kind !== m.kind || event.version !== m.version) return;
    progress = event;
    const need = until < 0 ? Math.max(1, neighborsUp()) : until;
    if (until !== 0 && complete() >= need) settle?.(EXIT_OK);
  };
  return runNode("content", options, provisioning, io, {
    attach: () => ({ onEvent: watch, stop: async () => {} }),
    main(host, node) {
      neighborsUp = () => node.health().neighbors;
      const status = host.publishContent(manifest, pieces)!; // runNode gives every node a content store
      const held = node.content!.progress(m.kind);
      // The state directory may already seed exactly this content (a publish resumed).
      const resumed = status === ManifestStatus.Rollback && held.version === m.version && held.held === held.total;
      if (status !== ManifestStatus.Valid && !resumed) {
        const installed = node.content!.installedVersion(m.kind);
        io.stderr.write(`hyphae content: this node refuses ${what}: ` + (status === ManifestStatus.Rollback
          ? `its state directory ${options.stateDir} holds ${contentKindName(m.kind)} v${Math.max(installed, held.version)} (sign a higher version, or use a fresh --state)\n`
          : `${REFUSALS[status]}\n`));
        return Promise.resolve(EXIT_FAILURE);
      }
      return new Promise<number>((resolve) => {
        const timer = timeoutMs > 0 ? setTimeout(() => settle!(EXIT_FAILURE), timeoutMs) : undefined;
        const stopOnSignal = (): void => settle!(EXIT_OK);
        process.on("SIGINT", stopOnSignal);
        process.on("SIGTERM", stopOnSignal);
        settle = (code) => {
          settle = undefined;
          clearTimeout(timer);
          process.off("SIGINT", stopOnSignal);
          process.off("SIGTERM", stopOnSignal);
          const holders = `${complete()} of ${progress?.neighbors.length ?? 0} neighbors that advertised it hold all ${pieces.length} pieces`;
          io.stderr.write(code === EXIT_OK ? `hyphae content: ${what} published: ${holders}\n`
            : `hyphae content: timed out after ${timeoutMs} ms publishing ${what}: ${holders}\n`);
          resolve(code);
        };
      });
    },
  });
}

export const contentCommand: Command = {
  name: "content",
  summary: "sign firmware or configuration, and publish it into a running mesh",
  help: HELP,
  async run(args: string[], io: Io): Promise<number> {
    if (args.length === 0 || args[0] === "-h" || args[0] === "--help") {
      io.stdout.write(HELP);
      return args.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    try {
      const action = choiceFlag("action", args[0], ["sign", "publish"] as const);
      const file = args[1];
      if (file === undefined || file.startsWith("-")) {
        throw new UsageError(action === "sign" ? "sign needs the FILE to sign first: hyphae content sign FILE --kind K --version N"
          : "publish needs the FILE to publish first: hyphae content publish FILE --manifest M --provisioning P --state DIR");
      }
      if (action === "publish") return await publish(file, args.slice(2), io);
      const flags = parseFlags(args.slice(2), SIGN_FLAGS);
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
      if (e instanceof KeyStoreError || e instanceof InputError) {
        io.stderr.write(`hyphae content: ${e.message}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
  },
};
