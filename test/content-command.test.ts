/**
 * `hyphae content sign`, run as the real binary: the manifest it writes verifies under the owner key
 * of `hyphae keys` and describes the file; bad flags exit 2 naming the flag; an existing output is
 * never overwritten. And the Content section of BENCHMARKS.md is rendered and replaced in place.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromHex } from "../modules/bytes.js";
import { checkManifest, ContentKind, decodeManifest, ManifestStatus } from "../modules/content/content-manifest.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { renderContentSection, withContentSection } from "../tools/bench-content.js";
import type { ContentRunResult } from "../hosts/sim/content-run.js";

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "hyphae.js");

function hyphae(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("sign: the manifest verifies under the owner key and describes the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-content-"));
  try {
    const keys = join(dir, "keys");
    assert.is(hyphae("keys", "init", "--dir", keys).code, 0);
    const file = join(dir, "fw.bin");
    writeFileSync(file, Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff));
    const r = hyphae("content", "sign", file, "--kind", "firmware", "--version", "3", "--floor", "2", "--roles", "relay,gateway", "--dir", keys);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /firmware version 3 \(floor 2\), content id [0-9a-f]{16}: 70000 bytes in 69 pieces and 2 hash blocks/);
    const bytes = new Uint8Array(readFileSync(`${file}.manifest`));
    const m = decodeManifest(bytes);
    assert.ok(typeof m !== "number");
    assert.equal([m.kind, m.version, m.floor, m.totalBytes, m.roleMask], [ContentKind.Firmware, 3, 2, 70_000, 0b1010]);
    const owner = JSON.parse(readFileSync(join(keys, "owner.json"), "utf8")) as { ownerPublicKey: string; networkId: string };
    assert.is(checkManifest(nodeCrypto, bytes, m, fromHex(owner.ownerPublicKey), Number(owner.networkId), () => false), ManifestStatus.Valid);

    const again = hyphae("content", "sign", file, "--kind", "firmware", "--version", "4", "--dir", keys);
    assert.is(again.code, 1, "an existing manifest is never overwritten");
    assert.match(again.stderr, /cannot write/);
    const bad = hyphae("content", "sign", file, "--kind", "kernel", "--version", "4", "--dir", keys);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--kind must be one of firmware, config/);
    const floor = hyphae("content", "sign", file, "--kind", "config", "--version", "4", "--floor", "5", "--dir", keys);
    assert.is(floor.code, 2);
    assert.match(floor.stderr, /--floor must be an integer from 0 to 4/);
    assert.is(hyphae("content", "sign", "--kind", "config").code, 2, "no file");
    const noOwner = hyphae("content", "sign", file, "--kind", "config", "--version", "1", "--dir", join(dir, "none"), "--out", join(dir, "x"));
    assert.is(noOwner.code, 1);
    assert.match(noOwner.stderr, /no owner key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Content section is rendered and replaced in place", () => {
  const result = {
    nodes: 10, honestReachable: 10, installedRight: 10, installedWrong: 0, corrupters: 0, liars: 0, timeToAllMs: 12_345,
    bytesOnAir: 3_000_000, contentBytesOnAir: 2_900_000, imageBytesDelivered: 2_621_440,
    baseline: { bytesOnAir: 9_000_000, timeToAllMs: 200_000 }, badContentDrops: 0, devices: [], installedAt: new Float64Array(0), wallMs: 900,
  } as ContentRunResult;
  const section = renderContentSection([{ name: "10 nodes", malicious: 0, result }], null);
  assert.match(section, /^## Content\n/);
  assert.match(section, /\| 10 nodes \| 10 of 10 \| 0 \| 12\.3 s \| 1\.14× \(3\.0 MB\) \| 200\.0 s \| 3\.43× \(9\.0 MB\) \| 0 \|/);
  assert.is(withContentSection("# B\n\n## Content\n\nold\n\n## Z\n", section), `# B\n\n${section}\n## Z\n`);
  assert.is(withContentSection("# B\n", section), `# B\n\n${section}`);
});

test.run();
