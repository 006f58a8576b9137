/**
 * The owner's key directory, as `hyphae keys` keeps it. Secrets stay off the devices except each
 * node's own provisioning file.
 *
 *   DIR/owner.json          networkId, networkKey, ownerPublicKey, ownerSecretKey   (0600)
 *   DIR/nodes/NAME.json     a node's provisioning (provisioningToText) + name, id, role, validity (0600)
 *   DIR/revocation.json     serial, revoked ids, and the owner-signed list as hex (0600)
 *
 * Files are created exclusively (O_EXCL): nothing is ever overwritten except the revocation list,
 * which is replaced whole by a newer serial.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex, toHex } from "../modules/bytes.js";
import { decodeCertificate, issueCertificate, Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { issueRevocationList, MAX_REVOKED } from "../modules/identity/revocation.js";
import { provisioningFromText, provisioningToText, type ProvisioningText } from "../modules/provisioning.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";

export const ROLE_NAMES = ["node", "relay", "leaf", "gateway"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
const ROLE_OF: Record<RoleName, Role> = { node: Role.Node, relay: Role.Relay, leaf: Role.Leaf, gateway: Role.Gateway };
export const NODE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface Owner {
  networkId: number;
  networkKey: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface NodeFile extends ProvisioningText {
  name: string;
  id: string;
  role: RoleName;
  notBefore: number;
  notAfter: number;
}

export interface Revocations {
  serial: number;
  ids: string[];
  list: string;
}

/** A problem with the key directory or its files: the CLI reports it and exits 1. */
export class KeyStoreError extends Error {
  override name = "KeyStoreError";
}

export class KeyStore {
  constructor(readonly dir: string) {}

  get ownerFile(): string {
    return join(this.dir, "owner.json");
  }

  nodeFile(name: string): string {
    return join(this.dir, "nodes", `${name}.json`);
  }

  get revocationFile(): string {
    return join(this.dir, "revocation.json");
  }

  init(networkId: number): Owner {
    mkdirSync(join(this.dir, "nodes"), { recursive: true, mode: 0o700 });
    const pair = nodeKeyPairFromSeed(randomBytes(32));
    const owner = { networkId, networkKey: new Uint8Array(randomBytes(32)), publicKey: pair.publicKey, secretKey: pair.secretKey };
    createSecret(this.ownerFile, {
      networkId: "0x" + networkId.toString(16).padStart(8, "0"),
      networkKey: toHex(owner.networkKey),
      ownerPublicKey: toHex(owner.publicKey),
      ownerSecretKey: toHex(owner.secretKey),
    });
    return owner;
  }

  owner(): Owner {
    const text = readJson(this.ownerFile, "owner key", " (run `hyphae keys init` first)") as Record<string, string>;
    try {
      const p = provisioningFromText({
        networkId: text.networkId, networkKey: text.networkKey, ownerPublicKey: text.ownerPublicKey,
        secretKey: text.ownerSecretKey, certificate: "00".repeat(110),
      });
      return { networkId: p.networkId, networkKey: p.networkKey, publicKey: p.ownerPublicKey, secretKey: p.secretKey };
    } catch (e) {
      throw new KeyStoreError(`${this.ownerFile}: ${(e as Error).message.replace("provisioning.secretKey", "ownerSecretKey")}`);
    }
  }

  /** `command`: the certificate grants the right to command other nodes (docs/security.md §Commands). */
  issue(name: string, role: RoleName, notBefore: number, notAfter: number, command = false): NodeFile {
    const owner = this.owner();
    const pair = nodeKeyPairFromSeed(randomBytes(32));
    const certificate = issueCertificate(nodeCrypto, owner.secretKey, {
      networkId: owner.networkId, publicKey: pair.publicKey, role: ROLE_OF[role], notBefore, notAfter, command,
    });
    const file: NodeFile = {
      name, id: toHex(nodeIdOf(nodeCrypto, pair.publicKey)), role, notBefore, notAfter,
      ...provisioningToText({ networkId: owner.networkId, networkKey: owner.networkKey, ownerPublicKey: owner.publicKey, secretKey: pair.secretKey, certificate }),
    };
    mkdirSync(join(this.dir, "nodes"), { recursive: true, mode: 0o700 });
    createSecret(this.nodeFile(name), file);
    return file;
  }

  node(name: string): NodeFile {
    const file = readJson(this.nodeFile(name), `node ${name}`) as NodeFile;
    try {
      provisioningFromText(file);
    } catch (e) {
      throw new KeyStoreError(`${this.nodeFile(name)}: ${(e as Error).message}`);
    }
    return file;
  }

  nodes(): NodeFile[] {
    const dir = join(this.dir, "nodes");
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => this.node(f.slice(0, -5)));
  }

  revocations(): Revocations {
    if (!existsSync(this.revocationFile)) return { serial: 0, ids: [], list: "" };
    return readJson(this.revocationFile, "revocation list") as Revocations;
  }

  /** Adds a node to the revocation list and signs it under the next serial. */
  revoke(name: string): Revocations {
    const owner = this.owner();
    const node = this.node(name);
    const current = this.revocations();
    if (current.ids.includes(node.id)) throw new KeyStoreError(`node ${name} (${node.id}) is already revoked`);
    if (current.ids.length >= MAX_REVOKED) throw new KeyStoreError(`the revocation list is full (${MAX_REVOKED} ids)`);
    const ids = [...current.ids, node.id];
    const serial = current.serial + 1;
    const list = issueRevocationList(nodeCrypto, owner.secretKey, owner.networkId, serial, ids.map(fromHex));
    const next = { serial, ids, list: toHex(list) };
    const tmp = this.revocationFile + ".tmp";
    writeFileSync(tmp, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
    renameSync(tmp, this.revocationFile);
    return next;
  }
}

/** Role name of a node file's certificate, and whether it grants the command right (as signed, not as labelled). */
export function certificateGrants(file: NodeFile): { role: RoleName; command: boolean } {
  const cert = decodeCertificate(fromHex(file.certificate));
  if (typeof cert === "number") throw new KeyStoreError(`node ${file.name}: certificate is malformed`);
  return { role: ROLE_NAMES.find((r) => ROLE_OF[r] === cert.role) ?? "node", command: cert.command };
}

function createSecret(path: string, value: unknown): void {
  try {
    writeFileSync(path, JSON.stringify(value, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new KeyStoreError(`${path} exists; refusing to overwrite it`);
    throw new KeyStoreError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

function readJson(path: string, what: string, hint = ""): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new KeyStoreError(`no ${what} at ${path}${hint}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KeyStoreError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}
