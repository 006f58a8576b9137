/**
 * `hyphae content publish`: keys, provisioning and manifest made with the real CLI; content that does
 * not verify is refused before any node starts; then real processes on loopback (127.0.0.2–.4, one
 * port): the publisher seeds, two `hyphae node`s fetch and install it, and the publisher exits once
 * both hold every piece.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleImage } from "../modules/content/content-store.js";
import { ContentKind, decodeManifest } from "../modules/content/content-manifest.js";
import { FileContentStore } from "../hosts/node/file-content-store.js";
import { freeUdpPort, HyphaeProcess } from "./helpers/hyphae-process.js";
import { runHyphae as hyphae } from "./helpers/run-hyphae.js";

async function ok(...argv: string[]): Promise<string> {
  const r = await hyphae(...argv);
  assert.is(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), "hyphae-publish-"));
const keys = join(dir, "keys");
const state = (name: string) => join(dir, name);
const image = join(dir, "fw.bin");
const manifest = `${image}.manifest`;
const IMAGE = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7 + (i >>> 8)) & 0xff);
const provisioning: string[] = [];

test.before(async () => {
  await ok("keys", "init", "--dir", keys, "--network-id", "0x48590007");
  for (const name of ["seeder", "n2", "n3"]) {
    await ok("keys", "issue", "--dir", keys, "--name", name);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, await ok("keys", "export", "--dir", keys, "--name", name));
    provisioning.push(file);
  }
  writeFileSync(image, IMAGE);
  await ok("content", "sign", image, "--kind", "firmware", "--version", "3", "--dir", keys);
});

test("--help documents publish, its flags and exit codes", async () => {
  const r = await hyphae("content", "--help");
  assert.is(r.code, 0);
  for (const flag of ["publish FILE --manifest M", "--until", "--timeout", "content-progress"]) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /2 usage error or content that does\s+not verify/);
});

test("content that does not verify is refused with exit 2 before a node starts", async () => {
  const altered = join(dir, "altered.bin");
  const flipped = IMAGE.slice();
  flipped[12_345] ^= 0x10;
  writeFileSync(altered, flipped);
  const short = join(dir, "short.bin");
  writeFileSync(short, IMAGE.subarray(1));
  const strangerKeys = join(dir, "stranger-keys");
  await ok("keys", "init", "--dir", strangerKeys, "--network-id", "0x48590007");
  await ok("content", "sign", image, "--kind", "firmware", "--version", "9", "--dir", strangerKeys, "--out", join(dir, "forged.manifest"));
  writeFileSync(join(dir, "garbage.manifest"), new Uint8Array(40));

  const base = ["--provisioning", provisioning[0], "--state", state("refused")];
  const cases: [string[], RegExp][] = [
    [[altered, "--manifest", manifest, ...base], /altered\.bin does not match the manifest: pieces 0\.\.19 have other hashes than the owner signed/],
    [[short, "--manifest", manifest, ...base], /short\.bin is 19999 bytes, but the manifest describes 20000/],
    [[image, "--manifest", join(dir, "forged.manifest"), ...base], /forged\.manifest is refused: its signature does not verify under the network's owner key/],
    [[image, "--manifest", join(dir, "garbage.manifest"), ...base], /garbage\.manifest is not a content manifest \(bad-version\)/],
    [[image, ...base], /--manifest M is required/],
    [[image, "--manifest", manifest, ...base, "--until", "some"], /--until must be all, never or a number/],
    [[image, "--manifest", manifest, ...base, "--port", "0"], /--port must be an integer from 1 to 65535/],
    [["--manifest", manifest], /publish needs the FILE to publish first/],
  ];
  for (const [argv, message] of cases) {
    const r = await hyphae("content", "publish", ...argv);
    assert.is(r.code, 2, `${argv.join(" ")} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const missing = await hyphae("content", "publish", join(dir, "nothing.bin"), "--manifest", manifest, ...base);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /cannot read FILE .*nothing\.bin/);
  assert.not.ok(existsSync(state("refused")), "no node ran");
});

test("one process publishes, two nodes fetch and install version 3, and the publisher exits when both hold it", async () => {
  const port = String(await freeUdpPort("127.0.0.2"));
  const start = Date.now();
  const common = ["--port", port, "--broadcast", "127.0.0.2,127.0.0.3,127.0.0.4", "--beacon-ms", "200", "--publish-every", "0"];
  const publisher = new HyphaeProcess("publisher", ["publish", image, "--manifest", manifest, "--provisioning", provisioning[0],
    "--state", state("seeder"), "--bind", "127.0.0.2", "--timeout", "30000", ...common], [], "content");
  const nodes = [2, 3].map((i) => new HyphaeProcess(`node${i}`, ["--provisioning", provisioning[i - 1], "--state", state(`n${i}`),
    "--bind", `127.0.0.${i + 1}`, ...common]));
  try {
    const installed = await Promise.all(nodes.map((n) => n.waitFor("content-installed", () => true, 30_000, "content-installed")));
    assert.equal(installed.map((e) => [e.kind, e.version]), [[ContentKind.Firmware, 3], [ContentKind.Firmware, 3]]);
    const m = decodeManifest(new Uint8Array(readFileSync(manifest)));
    assert.ok(typeof m !== "number");
    for (const i of [2, 3]) {
      assert.equal(assembleImage(new FileContentStore(state(`n${i}`)), ContentKind.Firmware, m), IMAGE, `node${i} holds the image`);
    }

    assert.is(await publisher.exited, 0, publisher.stderr);
    assert.match(publisher.stderr, /firmware v3 published: 2 of 2 neighbors that advertised it hold all 21 pieces/);
    const last = publisher.of("content-progress").pop()!;
    assert.equal([last.kind, last.version, last.held, last.total], [ContentKind.Firmware, 3, 21, 21]);
    const ids = await Promise.all(nodes.map((n) => n.waitFor("started", () => true, 1000, "start").then((e) => e.id)));
    assert.equal(last.neighbors.map((n) => n.id).sort(), ids.sort());
    assert.ok(last.neighbors.every((n) => n.held === 21), JSON.stringify(last));
    assert.is(publisher.of("content-installed")[0]?.version, 3, "the publisher is a target too");
    // Progress lines come at most once a second: the one saying 21 may follow the install a moment later.
    for (const n of nodes) await n.waitFor("content-progress", (e) => e.held === 21, 5000, "progress at 21 of 21");

    // Publishing an older version from a state directory that holds v3 is a rollback: refused, exit 1.
    await ok("content", "sign", image, "--kind", "firmware", "--version", "2", "--dir", keys, "--out", join(dir, "v2.manifest"));
    const older = await hyphae("content", "publish", image, "--manifest", join(dir, "v2.manifest"), "--provisioning", provisioning[0],
      "--state", state("seeder"), "--bind", "127.0.0.2", "--port", port, "--broadcast", "127.0.0.3");
    assert.is(older.code, 1);
    assert.match(older.stderr, /this node refuses firmware v2: its state directory .* holds firmware v3/);

    assert.equal(await Promise.all(nodes.map((n) => n.stop("SIGTERM"))), [0, 0]);
    for (const n of [publisher, ...nodes]) assert.is(n.of("error").length, 0, n.name);
    console.log(`  publish to two nodes on loopback: ${Date.now() - start} ms`);
  } finally {
    await Promise.all([publisher, ...nodes].map((n) => n.stop("SIGKILL")));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
