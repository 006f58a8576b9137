/**
 * The firmware slot of the content store on raw flash: the board's spare OTA partition. Written
 * against two small ports (a flash partition, a sequential image writer) so the same code runs on
 * the ESP32 (the SDK's `flash` and `ota` modules, hosts/moddable/esp32) and in tests (a NOR-flash model).
 *
 * Layout of the spare partition for a transfer of an image of L bytes:
 *   [0, L)                      data piece d at d × pieceBytes: where the image runs from, once installed
 *   [align(L), + blocks × 1 KB) hash block j at align(L) + j × 1024 (align: the next erase-sector start)
 *
 * Pieces arrive out of order and flash is written only into erased sectors: a sector is erased just
 * before the first piece that touches it is written, and never while it holds a piece (a piece that
 * straddles two sectors checks both). What is held is not recorded anywhere: at boot every piece is
 * read back and hashed against the manifest (hash blocks first), so a piece torn by a power cut is
 * simply fetched again and no flash commit is spent per piece.
 *
 * Install copies the image, sector by sector, through the OTA writer into the same partition: the
 * writer erases each sector as it reaches it, after the sector was read (so the copy is in place),
 * then validates the image and marks the partition bootable. After the restart the content is the
 * running image: the store finds it there and serves it from the running partition, read only.
 *
 * Other content kinds go to `others` (the board keeps small configuration in RAM).
 */
import {
  blockLength, ContentKind, decodeManifest, HASHES_PER_BLOCK, hashMatches, MAX_BLOCKS, pieceHash, PIECE_HASH_BYTES, pieceLength, type ContentManifest,
} from "./content-manifest.js";
import type { ContentStore } from "./content-store.js";
import type { Crypto, Storage } from "../ports.js";

/** A raw flash partition: erase a sector at a time, write only into erased bytes. */
export interface FlashPartition {
  readonly byteLength: number;
  /** Erase-sector size, bytes (4096 on the ESP32). */
  readonly blockSize: number;
  read(offset: number, byteLength: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  erase(sector: number): void;
}

/** A sequential image writer (the SDK's OTA): erases as it goes; `complete` validates and makes the image boot next. */
export interface ImageWriter {
  write(data: Uint8Array): void;
  complete(): void;
  cancel(): void;
}

const MANIFEST_KEY = "cfwman";
/** Hash blocks are at most 64 × 16 bytes: each gets a fixed 1 KB place. */
const BLOCK_STRIDE = HASHES_PER_BLOCK * PIECE_HASH_BYTES;

export class FlashContentStore implements ContentStore {
  private manifestBytes: Uint8Array | undefined;
  private m: ContentManifest | null = null;
  /** Where the pieces are read from: the spare partition, or the running one once the content was installed and booted. */
  private source: FlashPartition | null;
  private held: Uint8Array = new Uint8Array(0);
  /** While a new image is on trial the spare partition holds the image to roll back to: nothing goes there. */
  private spareHeld = false;
  /** The erase-sector size: hash blocks start at the first sector boundary after the image. */
  private readonly sectorBytes: number;

  /**
   * `spare`: the partition the next image goes to (null: the board has none, firmware is not taken);
   * `running`: the partition this image runs from (read only). The manifest is kept in `storage`.
   */
  constructor(
    private readonly crypto: Crypto,
    private readonly storage: Storage,
    private readonly spare: FlashPartition | null,
    running: FlashPartition | null,
    private readonly others: ContentStore,
  ) {
    this.source = spare;
    this.sectorBytes = (spare ?? running)?.blockSize ?? 4096;
    const bytes = storage.get(MANIFEST_KEY);
    const m = bytes ? decodeManifest(bytes) : null;
    if (!bytes || !m || typeof m === "number" || m.kind !== ContentKind.Firmware) return;
    this.manifestBytes = bytes;
    this.m = m;
    this.held = new Uint8Array(m.blocks + m.pieces);
    // The content may be the image running now (installed, restarted into): then it is served from there.
    if (running && this.scan(running, m) === this.held.length) this.source = running;
    else if (spare) this.scan(spare, m);
  }

  /** Keeps the spare partition (the previous image) untouched while `held`: no firmware is taken meanwhile. */
  holdSpare(held: boolean): void {
    this.spareHeld = held;
  }

  manifest(kind: number): Uint8Array | undefined {
    return kind === ContentKind.Firmware ? this.manifestBytes : this.others.manifest(kind);
  }

  reset(kind: number, manifest: Uint8Array): void {
    if (kind !== ContentKind.Firmware) return this.others.reset(kind, manifest);
    const m = decodeManifest(manifest);
    if (typeof m === "number") throw new RangeError("content store: a manifest that does not decode");
    if (m.totalBytes > this.capacity(kind)) throw new RangeError(`content store: ${m.totalBytes} bytes do not fit the OTA partition`);
    this.storage.set(MANIFEST_KEY, manifest);
    this.manifestBytes = manifest.slice();
    this.m = decodeManifest(this.manifestBytes) as ContentManifest;
    this.held = new Uint8Array(m.blocks + m.pieces);
    this.source = this.spare; // never write into the running image
  }

  write(kind: number, index: number, data: Uint8Array): void {
    if (kind !== ContentKind.Firmware) return this.others.write(kind, index, data);
    const flash = this.spare!;
    if (!this.m || this.source !== flash) throw new Error("content store: no firmware transfer to write to");
    if (this.held[index]) return;
    const at = this.offset(this.m, index);
    const sector = this.sectorBytes;
    for (let s = Math.floor(at / sector); s <= Math.floor((at + data.length - 1) / sector); s++) {
      if (!this.sectorInUse(this.m, s)) flash.erase(s);
    }
    flash.write(at, data);
    this.held[index] = 1;
  }

  read(kind: number, index: number): Uint8Array | undefined {
    if (kind !== ContentKind.Firmware) return this.others.read(kind, index);
    if (!this.m || !this.source || !this.held[index]) return undefined;
    return this.source.read(this.offset(this.m, index), this.length(this.m, index));
  }

  present(kind: number): number[] {
    if (kind !== ContentKind.Firmware) return this.others.present(kind);
    const out: number[] = [];
    for (let i = 0; i < this.held.length; i++) if (this.held[i]) out.push(i);
    return out;
  }

  /** The spare partition, less room for the largest hash-block table and a sector of alignment. */
  capacity(kind: number): number {
    if (kind !== ContentKind.Firmware) return this.others.capacity(kind);
    return this.spare && !this.spareHeld ? Math.max(0, this.spare.byteLength - MAX_BLOCKS * BLOCK_STRIDE - this.spare.blockSize) : 0;
  }

  /**
   * The copy of the complete image, in order, into `writer` (the partition boots next once it
   * completes); the spare partition is held meanwhile. Throws when no complete firmware is there.
   */
  install(writer: ImageWriter): ImageCopy {
    const m = this.m;
    const flash = this.source;
    if (!m || !flash || flash !== this.spare || this.held.indexOf(0) >= 0) throw new Error("content store: no complete firmware to install");
    this.spareHeld = true;
    return new ImageCopy(flash, m.totalBytes, writer);
  }

  /** Marks the pieces of `m` in `flash` whose hashes verify; returns how many did. */
  private scan(flash: FlashPartition, m: ContentManifest): number {
    this.held.fill(0);
    let count = 0;
    for (let j = 0; j < m.blocks; j++) {
      if (!hashMatches(pieceHash(this.crypto, flash.read(this.offset(m, j), this.length(m, j))), m.blockHashes, j * PIECE_HASH_BYTES)) continue;
      this.held[j] = 1;
      count++;
    }
    for (let d = 0; d < m.pieces; d++) {
      const j = (d / HASHES_PER_BLOCK) | 0;
      if (!this.held[j]) continue;
      const block = flash.read(this.offset(m, j), this.length(m, j));
      const i = m.blocks + d;
      if (!hashMatches(pieceHash(this.crypto, flash.read(this.offset(m, i), this.length(m, i))), block, (d % HASHES_PER_BLOCK) * PIECE_HASH_BYTES)) continue;
      this.held[i] = 1;
      count++;
    }
    return count;
  }

  /** Whether a held piece lies (partly) in erase sector `s`: then it was erased already and must not be again. */
  private sectorInUse(m: ContentManifest, s: number): boolean {
    const sector = this.sectorBytes;
    const start = s * sector;
    const end = start + sector;
    const imageEnd = alignUp(m.totalBytes, sector);
    if (start < imageEnd) {
      const first = Math.floor(start / m.pieceBytes);
      const last = Math.min(m.pieces - 1, Math.floor((end - 1) / m.pieceBytes));
      for (let d = first; d <= last; d++) if (this.held[m.blocks + d]) return true;
      return false;
    }
    for (let j = 0; j < m.blocks; j++) {
      const at = imageEnd + j * BLOCK_STRIDE;
      if (this.held[j] && at < end && at + BLOCK_STRIDE > start) return true;
    }
    return false;
  }

  private offset(m: ContentManifest, i: number): number {
    return i < m.blocks ? alignUp(m.totalBytes, this.sectorBytes) + i * BLOCK_STRIDE : (i - m.blocks) * m.pieceBytes;
  }

  private length(m: ContentManifest, i: number): number {
    return i < m.blocks ? blockLength(m, i) : pieceLength(m, i - m.blocks);
  }
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * Copies the first `length` bytes of `flash` through `writer` (which may write into the same
 * partition: each sector is read before the writer reaches it), one sector per step so the host can
 * yield between steps (an erase and a write take tens of ms on the board), then completes the writer.
 */
export class ImageCopy {
  private at = 0;

  constructor(private readonly flash: FlashPartition, private readonly length: number, private readonly writer: ImageWriter) {}

  /** Copies the next sector; true once the image is whole and the writer completed. Throws, the writer cancelled, on a failure. */
  step(): boolean {
    try {
      if (this.at < this.length) {
        this.writer.write(this.flash.read(this.at, Math.min(this.flash.blockSize, this.length - this.at)));
        this.at += this.flash.blockSize;
        if (this.at < this.length) return false;
      }
      this.writer.complete();
      return true;
    } catch (e) {
      this.writer.cancel();
      throw e;
    }
  }
}

const ESP_IMAGE_MAGIC = 0xe9;
const ESP_IMAGE_HEADER_BYTES = 24;
const ESP_IMAGE_MAX_SEGMENTS = 16;

/**
 * Length of the ESP-IDF app image at the start of `flash` (the header, its segments, the checksum
 * padded to 16 bytes, and the SHA-256 when appended; esp_image_format.h), or -1 when there is none:
 * what re-committing the previous image copies.
 */
export function espImageLength(flash: FlashPartition): number {
  const header = flash.read(0, ESP_IMAGE_HEADER_BYTES);
  const segments = header[1];
  if (header[0] !== ESP_IMAGE_MAGIC || segments === 0 || segments > ESP_IMAGE_MAX_SEGMENTS) return -1;
  let at = ESP_IMAGE_HEADER_BYTES;
  for (let s = 0; s < segments; s++) {
    if (at + 8 > flash.byteLength) return -1;
    const h = flash.read(at, 8);
    at += 8 + (h[4] | (h[5] << 8) | (h[6] << 16)) + h[7] * 0x1000000;
  }
  const length = alignUp(at + 1, 16) + (header[23] === 1 ? 32 : 0);
  return length <= flash.byteLength ? length : -1;
}
