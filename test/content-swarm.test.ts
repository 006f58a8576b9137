/**
 * The content swarm: rollback refused (installed version and stored floor), forged manifests refused,
 * a piece with one flipped bit rejected and its sender penalized and never asked again, a transfer
 * interrupted by a reboot resumed from the stored pieces, bounded tables, and whole simulated meshes
 * where every node installs the image, with 10% of them malicious too.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeU32 } from "../modules/bytes.js";
import { DropReason } from "../modules/counters.js";
import { buildManifest, ContentKind, ManifestStatus } from "../modules/content/content-manifest.js";
import { MemoryContentStore } from "../modules/content/content-store.js";
import type { MeshEvent } from "../modules/events.js";
import { Role } from "../modules/identity/certificate.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { runContent } from "../hosts/sim/content-run.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { fromPositions } from "../hosts/sim/topology.js";

const rng = new Rng(7);
const keys = createMeshKeys(rng.fork("keys"));
const image = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);

function signed(version: number, floor: number, signer = keys.owner.secretKey) {
  return buildManifest(nodeCrypto, signer, {
    networkId: keys.networkId, kind: ContentKind.Firmware, version, floor, pieceBytes: 1024, roleMask: 0b1111, board: 0,
  }, image);
}

function lone(storage = new MemoryStorage(), store = new MemoryContentStore()): MeshNode {
  const node = new MeshNode(provisionNode(keys, rng.fork("lone"), Role.Node), {
    crypto: nodeCrypto, random: rng.fork("r"), storage, content: { store },
  });
  node.start(0);
  return node;
}

function events(node: MeshNode): MeshEvent[] {
  const out: MeshEvent[] = [];
  for (let e = node.pollEvent(); e; e = node.pollEvent()) out.push(e);
  return out;
}

test("rollback: never a version at or below the installed one, nor under the stored floor", () => {
  const node = lone();
  const v7 = signed(7, 5);
  assert.is(node.publishContent(v7.manifest, v7.pieces, 1), ManifestStatus.Valid);
  assert.equal(events(node).filter((e) => e.type === "content-installed"), [{ type: "content-installed", kind: 1, version: 7 }]);
  assert.is(node.content!.installedVersion(ContentKind.Firmware), 7);
  const v6 = signed(6, 1);
  assert.is(node.publishContent(v6.manifest, v6.pieces, 2), ManifestStatus.Rollback, "an older signed image");
  assert.is(node.publishContent(v7.manifest, v7.pieces, 3), ManifestStatus.Rollback, "the same version again");
  const v8 = signed(8, 8);
  assert.is(node.publishContent(v8.manifest, v8.pieces, 4), ManifestStatus.Valid);

  // A node whose storage says "installed 0, floor 5" (it saw a manifest with floor 5 and lost the transfer).
  const storage = new MemoryStorage();
  const v = new Uint8Array(8);
  writeU32(v, 4, 5);
  storage.set("cver1", v);
  const fresh = lone(storage);
  const v4 = signed(4, 1);
  assert.is(fresh.publishContent(v4.manifest, v4.pieces, 1), ManifestStatus.Rollback, "under the floor");
  const v5 = signed(5, 1);
  assert.is(fresh.publishContent(v5.manifest, v5.pieces, 2), ManifestStatus.Valid);
  // The version survives a reboot.
  const rebooted = lone(storage);
  assert.is(rebooted.content!.installedVersion(ContentKind.Firmware), 5);
  assert.is(rebooted.publishContent(v5.manifest, v5.pieces, 3), ManifestStatus.Rollback);
});

test("forged manifests are refused and nothing is stored", () => {
  const store = new MemoryContentStore();
  const node = lone(new MemoryStorage(), store);
  const stranger = nodeKeyPairFromSeed(new Uint8Array(32).fill(9));
  const forged = signed(9, 1, stranger.secretKey);
  assert.is(node.publishContent(forged.manifest, forged.pieces, 1), ManifestStatus.BadSignature);
  const tampered = signed(9, 1);
  tampered.manifest[16] ^= 1; // the version
  assert.is(node.publishContent(tampered.manifest, tampered.pieces, 1), ManifestStatus.BadSignature);
  assert.is(store.manifest(ContentKind.Firmware), undefined);
  const good = signed(9, 1);
  const wrongPiece = good.pieces.map((p) => p.slice());
  wrongPiece[2][0] ^= 1;
  assert.is(node.publishContent(good.manifest, wrongPiece, 1), ManifestStatus.Malformed, "a piece that does not match its hash");
  assert.is(node.content!.installedVersion(ContentKind.Firmware), 0);
});

/** Three nodes in radio range of each other: 0 publishes, 1 serves corrupted pieces, 2 fetches from both. */
const TRIANGLE = fromPositions([0, 1, 0.5], [0, 0, 0.8], 1.5);

test("a piece with one flipped bit is rejected, its sender penalized and never asked again", () => {
  const r = runContent({ nodes: 3, seed: 3, loss: 0, imageBytes: 64 * 1024, topology: TRIANGLE, corrupters: [1], maxMs: 120_000 });
  const victim = r.devices[2];
  assert.is(r.installedRight, 2, "the gateway and the honest node installed the image");
  assert.is(r.installedWrong, 0);
  assert.is(victim.counters.dropped(DropReason.BadContent), 1, "one bad piece, then the corrupter is never asked again");
  const scores = (victim as unknown as { scores: { score(slot: number, now: number): number } }).scores;
  const slot = victim.neighborSummary(0).findIndex((n) => n.id === r.devices[1].idHex);
  assert.ok(slot >= 0);
  assert.ok(scores.score(slot, 0) < 0, "the corrupter lost reputation");
});

test("a transfer interrupted by a reboot resumes from the stored pieces", () => {
  let writes = 0;
  let heldAtCrash = -1;
  const watched = new MemoryContentStore();
  const write = watched.write.bind(watched);
  watched.write = (kind, index, data) => { writes++; write(kind, index, data); };
  const publishAt = 30_000;
  const crashAt = publishAt + 4_000;
  const r = runContent({
    nodes: 2, seed: 4, loss: 0.1, imageBytes: 96 * 1024, topology: fromPositions([0, 1], [0, 0], 1.5), publishAt,
    reboots: [{ node: 1, at: crashAt, downMs: 3_000 }], storeFor: (i) => (i === 1 ? watched : undefined),
    onStep: (now) => { if (now === crashAt) heldAtCrash = watched.present(ContentKind.Firmware).length; },
  });
  const total = 2 + 96;
  assert.ok(heldAtCrash > 0 && heldAtCrash < total, `${heldAtCrash} of ${total} pieces held at the crash`);
  assert.ok(r.installedAt[1] > crashAt, "installed after the reboot");
  assert.is(r.installedRight, 2);
  assert.is(writes, total, "every piece fetched and written once: none fetched again after the reboot");
});

test("30 nodes, 10% loss: every node installs the image", () => {
  const r = runContent({ nodes: 30, seed: 11, loss: 0.1, imageBytes: 64 * 1024 });
  assert.is(r.honestReachable, 30);
  assert.is(r.installedRight, 30);
  assert.is(r.installedWrong, 0);
  assert.ok(Number.isFinite(r.timeToAllMs));
  assert.ok(r.bytesOnAir < 2 * r.imageBytesDelivered, `${r.bytesOnAir} bytes on air for ${r.imageBytesDelivered} delivered`);
});

test("30 nodes, 10% of them malicious (corrupted pieces, false advertisements): every honest node installs the right image, none another", () => {
  const r = runContent({ nodes: 30, seed: 12, loss: 0.1, imageBytes: 64 * 1024, malicious: 0.1 });
  assert.is(r.corrupters + r.liars, 3);
  assert.ok(r.liars >= 1 && r.corrupters >= 1);
  assert.ok(r.honestReachable >= 25, `${r.honestReachable} honest nodes reachable`);
  assert.is(r.installedRight, r.honestReachable);
  assert.is(r.installedWrong, 0);
  assert.ok(r.badContentDrops > 0, "the corrupters did serve bad pieces");
});

test.run();
