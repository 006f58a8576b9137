/**
 * `hyphae keys`, run as the real binary: init, issue, list, revoke, export; files are 0600 and never
 * overwritten; bad flags exit 2 with one line naming the flag; what it exports boots a node.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromHex } from "../modules/bytes.js";
import { checkCertificate, CertificateStatus, decodeCertificate, Role } from "../modules/identity/certificate.js";
import { decodeRevocationList, verifyRevocationList } from "../modules/identity/revocation.js";
import { MeshNode } from "../modules/node.js";
import { provisioningFromText } from "../modules/provisioning.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { Rng } from "../hosts/sim/rng.js";

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "hyphae.js");

function keys(dir: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "keys", ...args, "--dir", dir], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-keys-"));
  try {
    body(join(dir, "keys"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("init writes the owner key 0600 and refuses to overwrite it", () => withDir((dir) => {
  const first = keys(dir, "init", "--network-id", "0x48590001");
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, /network id 0x48590001/);
  const owner = join(dir, "owner.json");
  assert.is(statSync(owner).mode & 0o777, 0o600);
  const before = readFileSync(owner, "utf8");
  const again = keys(dir, "init");
  assert.is(again.code, 1);
  assert.match(again.stderr, /exists; refusing to overwrite it/);
  assert.is(readFileSync(owner, "utf8"), before, "the owner key is untouched");
}));

test("issue, list and export: a certificate the owner signed, which boots a node", () => withDir((dir) => {
  assert.is(keys(dir, "init").code, 0);
  const issued = keys(dir, "issue", "--name", "kitchen", "--role", "relay", "--days", "30");
  assert.is(issued.code, 0, issued.stderr);
  assert.is(statSync(join(dir, "nodes", "kitchen.json")).mode & 0o777, 0o600);
  assert.is(keys(dir, "issue", "--name", "kitchen").code, 1, "a node file is never overwritten");
  const exported = keys(dir, "export", "--name", "kitchen");
  assert.is(exported.code, 0, exported.stderr);
  const provisioning = provisioningFromText(JSON.parse(exported.stdout));
  const cert = decodeCertificate(provisioning.certificate);
  assert.ok(typeof cert !== "number");
  assert.is(cert.role, Role.Relay);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(cert.notAfter - now > 29 * 86400 && cert.notAfter - now <= 30 * 86400);
  assert.is(checkCertificate(nodeCrypto, provisioning.certificate, provisioning.ownerPublicKey, provisioning.networkId, now), CertificateStatus.Valid);
  const node = new MeshNode(provisioning, { crypto: nodeCrypto, random: new Rng(1), storage: new MemoryStorage() });
  assert.is(node.idHex, JSON.parse(exported.stdout).id);
  const listed = JSON.parse(keys(dir, "list", "--json").stdout);
  assert.equal(listed.map((n: { name: string; role: string; revoked: boolean }) => [n.name, n.role, n.revoked]), [["kitchen", "relay", false]]);
}));

test("revoke signs a list with a growing serial that names the node", () => withDir((dir) => {
  assert.is(keys(dir, "init").code, 0);
  for (const name of ["a1", "b2"]) assert.is(keys(dir, "issue", "--name", name).code, 0);
  assert.is(keys(dir, "revoke", "--name", "a1").code, 0);
  const second = keys(dir, "revoke", "--name", "b2");
  assert.match(second.stdout, /serial 2 \(2 ids\)/);
  assert.is(keys(dir, "revoke", "--name", "b2").code, 1, "already revoked");
  const owner = JSON.parse(readFileSync(join(dir, "owner.json"), "utf8"));
  const stored = JSON.parse(readFileSync(join(dir, "revocation.json"), "utf8"));
  const list = verifyRevocationList(nodeCrypto, fromHex(stored.list), fromHex(owner.ownerPublicKey), Number(owner.networkId));
  assert.ok(list, "the list verifies against the owner key");
  assert.is(list.serial, 2);
  const decoded = decodeRevocationList(fromHex(stored.list));
  assert.ok(typeof decoded !== "number" && decoded.count === 2);
  assert.match(keys(dir, "list").stdout, /a1 .* REVOKED/);
}));

test("issue --command grants the owner-signed command right; list shows it; without the flag there is none", () => withDir((dir) => {
  assert.is(keys(dir, "init").code, 0);
  const issued = keys(dir, "issue", "--name", "hall", "--role", "gateway", "--command");
  assert.is(issued.code, 0, issued.stderr);
  assert.match(issued.stdout, /hall .* gateway .* COMMAND/);
  assert.is(keys(dir, "issue", "--name", "porch", "--role", "gateway").code, 0);
  const exported = (name: string) => provisioningFromText(JSON.parse(keys(dir, "export", "--name", name).stdout));
  const hall = exported("hall");
  const cert = decodeCertificate(hall.certificate);
  assert.ok(typeof cert !== "number" && cert.command && cert.role === Role.Gateway);
  const now = Math.floor(Date.now() / 1000);
  assert.is(checkCertificate(nodeCrypto, hall.certificate, hall.ownerPublicKey, hall.networkId, now), CertificateStatus.Valid, "the owner signed the right");
  const porch = decodeCertificate(exported("porch").certificate);
  assert.ok(typeof porch !== "number" && !porch.command);
  const node = new MeshNode(hall, { crypto: nodeCrypto, random: new Rng(1), storage: new MemoryStorage() });
  assert.is(node.mayCommand, true);
  const listed = JSON.parse(keys(dir, "list", "--json").stdout);
  assert.equal(listed.map((n: { name: string; role: string; command: boolean }) => [n.name, n.role, n.command]), [["hall", "gateway", true], ["porch", "gateway", false]]);
  const text = keys(dir, "list").stdout.trim().split("\n");
  assert.match(text[0], /^hall .* COMMAND$/);
  assert.not.match(text[1], /COMMAND/);
}));

test("bad flags and missing keys: one line, the right exit code", () => withDir((dir) => {
  const cases: [string[], number, RegExp][] = [
    [["issue", "--name", "x"], 1, /no owner key at .*owner\.json/],
    [["frobnicate"], 2, /action must be one of init, issue, revoke, list, export/],
    [["issue"], 2, /--name is required/],
    [["issue", "--name", "Bad Name"], 2, /--name must be 1\.\.32/],
    [["issue", "--name", "x", "--role", "king"], 2, /--role must be one of node, relay, leaf, gateway/],
    [["issue", "--name", "x", "--days", "0"], 2, /--days must be an integer from 1 to 36500/],
    [["init", "--network-id", "0x1ffffffff"], 2, /--network-id must be an integer/],
    [["list", "--colour"], 2, /unknown flag --colour/],
    [["issue", "--name", "x", "--command=yes"], 2, /--command/],
  ];
  for (const [args, code, message] of cases) {
    const r = keys(dir, ...args);
    assert.is(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split("\n").length, 1, "one line");
  }
  const help = keys(dir, "--help");
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: hyphae keys <action>/);
}));

test.run();
