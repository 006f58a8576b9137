/**
 * Content stores (memory and files: a store reopened holds what was written, a reset empties it) and
 * the swarm's bounded tables: requests in flight per neighbor and in all, and the blocked ids.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bitfieldBytes } from "../modules/content/bitfield.js";
import { createContentConfig } from "../modules/content/content-config.js";
import { buildManifest, ContentKind } from "../modules/content/content-manifest.js";
import { assembleImage, MemoryContentStore, type ContentStore } from "../modules/content/content-store.js";
import { ContentSwarm, type ContentContext } from "../modules/content/content-swarm.js";
import { Role } from "../modules/identity/certificate.js";
import { encodeHave, encodePiece, decodeHave, newHaveView, newPieceView, decodePiece, requestIndex } from "../modules/wire/content.js";
import { RecordType } from "../modules/wire/records.js";
import { FileContentStore } from "../hosts/node/file-content-store.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const owner = nodeKeyPairFromSeed(new Uint8Array(32).fill(5));
const NETWORK = 7;
const image = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7) & 0xff);
const built = buildManifest(nodeCrypto, owner.secretKey, {
  networkId: NETWORK, kind: ContentKind.Config, version: 3, floor: 0, pieceBytes: 512, roleMask: 0b1111, board: 0,
}, image);

function roundTrip(store: ContentStore, reopen: () => ContentStore): void {
  assert.is(store.manifest(ContentKind.Config), undefined);
  store.reset(ContentKind.Config, built.manifest);
  built.pieces.forEach((p, i) => store.write(ContentKind.Config, i, p));
  const again = reopen();
  assert.equal(again.manifest(ContentKind.Config), built.manifest);
  assert.equal(again.present(ContentKind.Config).sort((a, b) => a - b), built.pieces.map((_, i) => i));
  assert.equal(assembleImage(again, ContentKind.Config, { blocks: 2, pieces: 79, totalBytes: image.length }), image);
  again.reset(ContentKind.Config, built.manifest);
  assert.equal(again.present(ContentKind.Config), [], "a reset empties the slot");
  assert.is(assembleImage(again, ContentKind.Config, { blocks: 2, pieces: 79, totalBytes: image.length }), null);
  assert.is(again.manifest(ContentKind.Firmware), undefined, "slots are per kind");
}

test("memory store: what is written is read back", () => {
  const store = new MemoryContentStore();
  roundTrip(store, () => store);
});

test("file store: a reopened store holds the manifest and the pieces (a transfer resumes)", () => {
  const dir = mkdtempSync(join(tmpdir(), "hyphae-content-"));
  try {
    roundTrip(new FileContentStore(dir), () => new FileContentStore(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A swarm that holds the manifest (and the hash blocks, with `blocks`), with a fake node around it. */
function swarmWithNeighbors(slots: number, blocks = false) {
  const sent: { slot: number; type: RecordType; body: Uint8Array }[] = [];
  const judged: number[] = [];
  const ids = Array.from({ length: slots }, (_, i) => `n${i}`);
  const ctx: ContentContext = {
    role: Role.Node, ownerPublicKey: owner.publicKey, networkId: NETWORK,
    neighborAt: (slot) => ids[slot] ?? null,
    sendTo: (slot, type, body) => void sent.push({ slot, type, body }),
    judge: (slot) => void judged.push(slot),
    emit: () => {},
    drop: () => {},
    isRevoked: () => false,
  };
  const store = new MemoryContentStore();
  store.reset(ContentKind.Config, built.manifest);
  if (blocks) for (const i of [0, 1]) store.write(ContentKind.Config, i, built.pieces[i]);
  const config = createContentConfig();
  const swarm = new ContentSwarm(ctx, nodeCrypto, new Rng(1), new MemoryStorage(), store, config, slots);
  swarm.start();
  return { swarm, sent, judged, ids, config };
}

test("requests in flight are bounded per neighbor and in all", () => {
  const { swarm, sent, ids, config } = swarmWithNeighbors(32, true);
  // Every neighbor advertises every piece.
  const total = 2 + 79;
  const all = new Uint8Array(bitfieldBytes(total)).fill(0xff);
  all[all.length - 1] = 0x80; // 81 bits: the last byte holds one
  const view = newHaveView();
  const contentId = built.manifest.subarray(5, 13);
  decodeHave(encodeHave(contentId, ContentKind.Config, 3, total, all), view);
  for (let slot = 0; slot < ids.length; slot++) swarm.onHave(slot, ids[slot], view, 0);
  for (let t = 0; t <= 1000; t += 50) swarm.tick(t);
  const perSlot = new Map<number, number>();
  for (const s of sent) perSlot.set(s.slot, (perSlot.get(s.slot) ?? 0) + 1);
  assert.is(sent.length, config.inFlightTotal, "no answers: the in-flight table fills and stops there");
  for (const n of perSlot.values()) assert.ok(n <= config.inFlightPerNeighbor);
  assert.ok(sent.every((s) => s.type === RecordType.ContentRequest && requestIndex(s.body, 0) >= 2), "data pieces (the hash blocks are held)");
  assert.is(new Set(sent.map((s) => requestIndex(s.body, 0))).size, sent.length, "no piece asked twice at once");
});

test("blocked ids: a bad piece blocks its sender; the list keeps the 16 latest", () => {
  const { swarm, sent, judged, ids } = swarmWithNeighbors(20);
  const total = 2 + 79;
  const bits = new Uint8Array(bitfieldBytes(total));
  bits[0] = 0xc0; // the two hash blocks
  const view = newHaveView();
  const contentId = built.manifest.subarray(5, 13);
  decodeHave(encodeHave(contentId, ContentKind.Config, 3, total, bits), view);
  const piece = newPieceView();
  for (let round = 0; round < 12; round++) {
    for (let slot = 0; slot < ids.length; slot++) swarm.onHave(slot, ids[slot], view, 0);
    swarm.tick(round * 1000);
    for (const s of sent.splice(0)) {
      const bad = built.pieces[requestIndex(s.body, 0)].slice();
      bad[0] ^= 1;
      decodePiece(encodePiece(contentId, requestIndex(s.body, 0), bad), piece);
      swarm.onPiece(s.slot, ids[s.slot], piece, round * 1000);
    }
  }
  const blocked = (swarm as unknown as { blocked: string[] }).blocked;
  assert.is(blocked.length, 16, "bounded");
  assert.is(new Set(blocked).size, 16);
  assert.ok(judged.length >= 20, "every sender of a bad piece was judged (those pushed out of the list again when they lied again)");
  assert.equal(swarm.progress(ContentKind.Config), { version: 3, held: 0, total }, "no bad piece stored");
});

test.run();
