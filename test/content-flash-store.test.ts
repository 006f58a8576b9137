/**
 * The board's firmware store (modules/content/flash-content-store.ts) on a NOR-flash model: a write
 * can only clear bits, an erase sets a whole 4 KB sector. Pieces arrive out of order and each sector
 * is erased once; a reboot resumes from what hashes right (a torn piece is fetched again); install
 * streams the image in order through a sequential OTA writer into the same partition; after the
 * restart the content is served from the running image; the ESP image length is read from its header.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildManifest, ContentKind, decodeManifest, ManifestStatus } from "../modules/content/content-manifest.js";
import { assembleImage, MemoryContentStore } from "../modules/content/content-store.js";
import { ContentSwarm, type ContentContext } from "../modules/content/content-swarm.js";
import { createContentConfig } from "../modules/content/content-config.js";
import { espImageLength, FlashContentStore, ImageCopy, type FlashPartition, type ImageWriter } from "../modules/content/flash-content-store.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const SECTOR = 4096;

/** NOR flash: writes AND into the bytes, erases set a sector to 0xFF; counts erases per sector. */
class NorFlash implements FlashPartition {
  readonly bytes: Uint8Array;
  readonly erases: number[];
  readonly blockSize = SECTOR;

  constructor(readonly byteLength: number, rng: Rng) {
    this.bytes = Uint8Array.from({ length: byteLength }, () => rng.nextU32() & 0xff); // old content, not erased
    this.erases = new Array<number>(byteLength / SECTOR).fill(0);
  }

  read(offset: number, byteLength: number): Uint8Array {
    return this.bytes.slice(offset, offset + byteLength);
  }

  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.bytes[offset + i] &= data[i];
  }

  erase(sector: number): void {
    this.bytes.fill(0xff, sector * SECTOR, (sector + 1) * SECTOR);
    this.erases[sector]++;
  }
}

/** The SDK's OTA with OTA_WITH_SEQUENTIAL_WRITES: erases each sector when the writes reach it. */
class SequentialOta implements ImageWriter {
  written = 0;
  completed = false;
  cancelled = false;

  constructor(private readonly flash: NorFlash) {}

  write(data: Uint8Array): void {
    const end = this.written + data.length;
    for (let s = Math.ceil(this.written / SECTOR); s * SECTOR < end; s++) this.flash.erase(s);
    this.flash.write(this.written, data);
    this.written = end;
  }

  complete(): void {
    this.completed = true;
  }

  cancel(): void {
    this.cancelled = true;
  }
}

const owner = nodeKeyPairFromSeed(new Uint8Array(32).fill(9));
const IMAGE = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 13 + (i >>> 9)) & 0xff);
// 1000-byte pieces: many straddle two sectors.
const built = buildManifest(nodeCrypto, owner.secretKey, {
  networkId: 7, kind: ContentKind.Firmware, version: 4, floor: 0, pieceBytes: 1000, roleMask: 0b1111, board: 0,
}, IMAGE);
const m = decodeManifest(built.manifest);
if (typeof m === "number") throw new Error("manifest");
const PARTITION = 128 * 1024;

function shuffled(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextU32() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

test("out-of-order pieces land in place, each sector erased once; a reboot resumes from what hashes right", () => {
  const rng = new Rng(1);
  const flash = new NorFlash(PARTITION, rng);
  const storage = new MemoryStorage();
  const store = new FlashContentStore(nodeCrypto, storage, flash, null, new MemoryContentStore());
  store.reset(ContentKind.Firmware, built.manifest);
  // Hash blocks first (as the swarm asks), then data pieces in random order; stop at half.
  const order = [0, ...shuffled(m.pieces, rng).map((d) => m.blocks + d)];
  const half = order.slice(0, 26);
  for (const i of half) store.write(ContentKind.Firmware, i, built.pieces[i]);
  for (const i of half) assert.equal(store.read(ContentKind.Firmware, i), built.pieces[i], `piece ${i}`);
  assert.ok(flash.erases.every((n) => n <= 1), `sectors erased at most once: ${flash.erases}`);

  // A power cut tears the next piece: half its bytes written.
  const torn = order[26];
  const tornAt = (torn - m.blocks) * m.pieceBytes;
  for (let s = Math.floor(tornAt / SECTOR); s <= Math.floor((tornAt + 999) / SECTOR); s++) {
    if (flash.erases[s] === 0) flash.erase(s);
  }
  flash.write(tornAt, built.pieces[torn].subarray(0, 500));

  const rebooted = new FlashContentStore(nodeCrypto, storage, flash, null, new MemoryContentStore());
  assert.equal(rebooted.manifest(ContentKind.Firmware), built.manifest);
  assert.equal(rebooted.present(ContentKind.Firmware).sort((a, b) => a - b), half.slice().sort((a, b) => a - b), "the torn piece is not held");
  for (const i of order.slice(26)) rebooted.write(ContentKind.Firmware, i, built.pieces[i]);
  assert.equal(assembleImage(rebooted, ContentKind.Firmware, m), IMAGE);
  assert.ok(flash.erases.every((n) => n <= 1), `no sector erased twice: ${flash.erases}`);
});

test("install streams the image in order through the OTA writer into the same partition; after the restart it is served from the running image", () => {
  const rng = new Rng(2);
  const spare = new NorFlash(PARTITION, rng);
  const storage = new MemoryStorage();
  const store = new FlashContentStore(nodeCrypto, storage, spare, null, new MemoryContentStore());
  store.reset(ContentKind.Firmware, built.manifest);
  for (const i of shuffled(built.pieces.length, rng).sort((a, b) => (a < m.blocks ? -1 : 0) - (b < m.blocks ? -1 : 0))) {
    store.write(ContentKind.Firmware, i, built.pieces[i]);
  }
  const ota = new SequentialOta(spare);
  const copy = store.install(ota);
  assert.is(store.capacity(ContentKind.Firmware), 0, "no new firmware while the copy runs");
  let steps = 1;
  while (!copy.step()) steps++;
  assert.is(steps, Math.ceil(IMAGE.length / SECTOR), "a sector a step");
  assert.ok(ota.completed && !ota.cancelled);
  assert.is(ota.written, IMAGE.length);
  assert.equal(spare.bytes.subarray(0, IMAGE.length), IMAGE, "the partition holds the image, copied in place");

  // Restarted into it: the old image's partition is now the spare one.
  const old = new NorFlash(PARTITION, rng);
  const after = new FlashContentStore(nodeCrypto, storage, old, spare, new MemoryContentStore());
  assert.is(after.present(ContentKind.Firmware).length, built.pieces.length, "found complete in the running partition");
  assert.equal(assembleImage(after, ContentKind.Firmware, m), IMAGE);
  assert.ok(old.erases.every((n) => n === 0), "the previous image is left alone");
  assert.throws(() => after.install(new SequentialOta(old)), /no complete firmware to install/, "it runs already");
  assert.throws(() => after.write(ContentKind.Firmware, 0, built.pieces[0]), /no firmware transfer/);

  const missing = new FlashContentStore(nodeCrypto, new MemoryStorage(), new NorFlash(PARTITION, rng), null, new MemoryContentStore());
  missing.reset(ContentKind.Firmware, built.manifest);
  assert.throws(() => missing.install(new SequentialOta(spare)), /no complete firmware/);
  const refusing = new SequentialOta(spare);
  refusing.complete = () => {
    throw new Error("end failed");
  };
  const failing = new ImageCopy(spare, IMAGE.length, refusing);
  assert.throws(() => {
    while (!failing.step());
  }, /end failed/);
  assert.ok(refusing.cancelled, "a refused image is cancelled");
});

test("content bigger than the OTA partition is refused before any piece is asked; other kinds go to their own store", () => {
  const rng = new Rng(3);
  const small = new FlashContentStore(nodeCrypto, new MemoryStorage(), new NorFlash(64 * 1024, rng), null, new MemoryContentStore(2048));
  assert.is(small.capacity(ContentKind.Firmware), 64 * 1024 - 32 * 1024 - SECTOR);
  assert.is(small.capacity(ContentKind.Config), 2048);
  small.holdSpare(true);
  assert.is(small.capacity(ContentKind.Firmware), 0, "the previous image is kept while the new one is on trial");
  small.holdSpare(false);
  assert.is(new FlashContentStore(nodeCrypto, new MemoryStorage(), null, null, new MemoryContentStore()).capacity(ContentKind.Firmware), 0);
  const ctx: ContentContext = {
    role: Role.Node, ownerPublicKey: owner.publicKey, networkId: 7, neighborAt: () => null, sendTo: () => {}, judge: () => {},
    emit: () => {}, drop: () => {}, isRevoked: () => false,
  };
  const swarm = new ContentSwarm(ctx, nodeCrypto, rng, new MemoryStorage(), small, createContentConfig(), 4);
  swarm.start();
  assert.is(swarm.publish(built.manifest, built.pieces), ManifestStatus.TooLarge, "50,000 bytes > 28 KB");
  assert.is(small.manifest(ContentKind.Firmware), undefined);
});

test("the ESP image length: header, segments, checksum padded to 16, the appended SHA-256", () => {
  const rng = new Rng(4);
  const flash = new NorFlash(64 * 1024, rng);
  flash.erase(0);
  flash.erase(1);
  const header = new Uint8Array(24);
  header[0] = 0xe9;
  header[1] = 2; // segments
  header[23] = 1; // hash appended
  const segment = (length: number) => Uint8Array.of(0, 0, 0x40, 0x3f, length & 0xff, length >> 8, 0, 0);
  flash.write(0, header);
  flash.write(24, segment(100));
  flash.write(24 + 8 + 100, segment(3000));
  // 24 + 108 + 3008 = 3140 bytes, + checksum byte → 3152 (16-aligned), + 32 → 3184
  assert.is(espImageLength(flash), 3184);
  flash.write(0, Uint8Array.of(0)); // magic gone
  assert.is(espImageLength(flash), -1);
});

test.run();
