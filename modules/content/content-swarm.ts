/**
 * The content swarm: signed firmware and configuration spread through the mesh piece by piece, as a
 * sans-I/O component that MeshNode owns and feeds (docs/protocol.md §Content).
 *
 * 1. Offer. A node holding content advertises it in a HAVE record (content id, kind, version, a
 *    bitfield of its pieces), with its beacons and at most once per haveGapMs when it gained pieces.
 * 2. Manifest. A neighbor that hears of a newer version than it has (never one at or below its
 *    installed version or under its stored floor) asks for the manifest, checks the owner's signature
 *    once (within a verify budget), stores it and starts the transfer.
 * 3. Pieces. It asks neighbors for pieces, hash blocks first, then data pieces rarest first, several
 *    neighbors in parallel: at most inFlightPerNeighbor requests to one, requestGapMs apart, and
 *    inFlightTotal in all. An unanswered request times out and the piece is asked again, maybe
 *    elsewhere. Every piece's hash is checked before it is stored, so only verified pieces are ever
 *    served on.
 * 4. Misbehavior. A neighbor that serves a piece with the wrong hash, or a forged manifest, or leaves
 *    maxMisses requests in a row unanswered (it advertises pieces it does not serve), loses
 *    reputation and is never asked again (a bounded list of blocked ids).
 * 5. Serving. Requests are answered within an upload budget (token bucket); beyond it, or for a piece
 *    not held, the answer is an empty PIECE ("not now") and the asker backs off.
 * 6. Install. When every piece verified, a node the manifest targets records the version and its
 *    floor in storage and emits `content-installed`; the host installs the image from the store.
 */
import { equalBytes, readU32, writeU32 } from "../bytes.js";
import { DropReason } from "../counters.js";
import type { MeshEvent } from "../events.js";
import type { Role } from "../identity/certificate.js";
import { TokenBucket } from "../limits/token-bucket.js";
import type { Crypto, Random, Storage } from "../ports.js";
import { Behavior } from "../reputation/peer-scores.js";
import { MANIFEST_INDEX, encodeHave, encodePiece, encodeRequest, requestCount, requestIndex, type HaveView, type PieceView } from "../wire/content.js";
import { RecordType } from "../wire/records.js";
import type { ContentConfig } from "./content-config.js";
import {
  blockLength, checkManifest, ContentKind, decodeManifest, HASHES_PER_BLOCK, hashMatches, ManifestStatus, pieceHash,
  pieceLength, PIECE_HASH_BYTES, targets, type ContentManifest,
} from "./content-manifest.js";
import type { ContentStore } from "./content-store.js";
import { ContentTransfer } from "./content-transfer.js";

/** What the swarm needs from its node: the MeshNode itself (no closures kept per node). */
export interface ContentContext {
  readonly role: Role;
  readonly ownerPublicKey: Uint8Array;
  readonly networkId: number;
  /** Id (hex) of the neighbor in `slot` now, null when the slot is empty. */
  neighborAt(slot: number): string | null;
  sendTo(slot: number, type: RecordType, body: Uint8Array): void;
  judge(slot: number, behavior: Behavior, now: number): void;
  emit(event: MeshEvent): void;
  drop(reason: DropReason): void;
  isRevoked(id: Uint8Array): boolean;
}

const KINDS = [ContentKind.Firmware, ContentKind.Config];
/** Ids never asked again (a bad piece, a forged manifest, pieces advertised and not served); oldest out first. */
const BLOCKED_CAPACITY = 16;
/** Complete and no neighbor in need: advertise with every this many beacons (late joiners still learn of it). */
const IDLE_HAVE_EVERY = 4;
/** A neighbor's need keeps us advertising with every beacon this long, ms. */
const NEED_MS = 30_000;
const MAX_BACKOFF_FACTOR = 16;

export class ContentSwarm {
  private readonly transfers: (ContentTransfer | null)[] = [null, null, null];
  private readonly installed = [0, 0, 0];
  private readonly floors = [0, 0, 0];
  /** Per neighbor slot: whose row it is, and how we pace it. */
  private readonly ids: (string | null)[];
  private readonly inFlight: Uint8Array;
  private readonly misses: Uint8Array;
  private readonly nextRequestAt: Float64Array;
  private readonly backoffUntil: Float64Array;
  private readonly backoffMs: Float64Array;
  /** The in-flight table: kind, swarm index, slot and deadline per request. */
  private readonly flightKind: Uint8Array;
  private readonly flightIndex: Uint16Array;
  private readonly flightSlot: Uint8Array;
  private readonly flightDeadline: Float64Array;
  private flights = 0;
  /** Per kind: the neighbor asked for a manifest and until when (one such request at a time). */
  private readonly manifestSlot = [-1, -1, -1];
  private readonly manifestDeadline = [0, 0, 0];
  /** Per kind: the bitfield advertised with the manifest we asked for, that neighbor's row once it verifies. */
  private readonly manifestBits: (Uint8Array | null)[] = [null, null, null];
  private readonly blocked: string[] = [];
  /** Per kind: the content id last refused as too large for the store (its HAVEs are then ignored). */
  private readonly tooLarge: (Uint8Array | null)[] = [null, null, null];
  private readonly upload: TokenBucket;
  private readonly verifyBudget: TokenBucket;
  private beacons = 0;
  /** The earliest a paced or backed-off neighbor may be asked again (Infinity: nothing waits). */
  private wakeAt = Infinity;

  constructor(
    private readonly ctx: ContentContext,
    private readonly crypto: Crypto,
    private readonly random: Random,
    private readonly storage: Storage,
    private readonly store: ContentStore,
    private readonly config: ContentConfig,
    private readonly slots: number,
  ) {
    this.ids = new Array<string | null>(slots).fill(null);
    this.inFlight = new Uint8Array(slots);
    this.misses = new Uint8Array(slots);
    this.nextRequestAt = new Float64Array(slots);
    this.backoffUntil = new Float64Array(slots);
    this.backoffMs = new Float64Array(slots);
    const cap = config.inFlightTotal;
    this.flightKind = new Uint8Array(cap);
    this.flightIndex = new Uint16Array(cap);
    this.flightSlot = new Uint8Array(cap);
    this.flightDeadline = new Float64Array(cap);
    this.upload = new TokenBucket(config.uploadPiecesPerSecond, config.uploadBurst, 0);
    this.verifyBudget = new TokenBucket(config.manifestVerifiesPerMinute / 60, 2, 0);
  }

  /** After boot: installed versions and floors from storage, and the transfers held in the store (resumed). */
  start(): void {
    for (const kind of KINDS) {
      const v = this.storage.get(versionKey(kind));
      if (v && v.length === 8) {
        this.installed[kind] = readU32(v, 0);
        this.floors[kind] = readU32(v, 4);
      }
      const bytes = this.store.manifest(kind);
      const m = bytes ? decodeManifest(bytes) : null;
      if (!bytes || !m || typeof m === "number" || m.kind !== kind) continue;
      const t = new ContentTransfer(m, bytes, this.slots);
      for (const i of this.store.present(kind)) if (i < t.total) t.add(i);
      this.transfers[kind] = t;
      if (t.complete) this.finish(t);
    }
  }

  /** The version of `kind` installed here (0: none yet). */
  installedVersion(kind: ContentKind): number {
    return this.installed[kind];
  }

  /** Pieces held of the `kind` transfer, and how many it has (0 of 0 without one). */
  progress(kind: ContentKind): { version: number; held: number; total: number } {
    const t = this.transfers[kind];
    return t ? { version: t.manifest.version, held: t.heldCount, total: t.total } : { version: 0, held: 0, total: 0 };
  }

  /** What each neighbor that advertised the `kind` transfer holds of it, by its last HAVE (for progress reports). */
  neighborProgress(kind: ContentKind): { id: string; held: number }[] {
    const t = this.transfers[kind];
    const out: { id: string; held: number }[] = [];
    for (let slot = 0; t && slot < this.slots; slot++) {
      const id = this.ids[slot];
      if (id !== null && t.advertises(slot)) out.push({ id, held: t.rowCount(slot) });
    }
    return out;
  }

  /**
   * Seeds the mesh: an owner-signed manifest and every swarm piece (as buildManifest returns them)
   * go into the store, checked like any received ones. Returns why it was refused, or Valid.
   */
  publish(manifest: Uint8Array, pieces: readonly Uint8Array[]): ManifestStatus {
    const bytes = manifest.slice();
    const m = decodeManifest(bytes);
    if (typeof m === "number" || pieces.length !== m.blocks + m.pieces) return ManifestStatus.Malformed;
    const status = checkManifest(this.crypto, bytes, m, this.ctx.ownerPublicKey, this.ctx.networkId, (id) => this.ctx.isRevoked(id));
    if (status !== ManifestStatus.Valid) return status;
    if (!this.acceptable(m)) return ManifestStatus.Rollback;
    if (m.totalBytes > this.store.capacity(m.kind)) return ManifestStatus.TooLarge;
    const t = this.begin(m, bytes);
    for (let i = 0; i < pieces.length; i++) {
      if (!this.verifies(t, i, pieces[i])) return ManifestStatus.Malformed;
      this.store.write(m.kind, i, pieces[i]);
      t.add(i);
    }
    this.finish(t);
    return ManifestStatus.Valid;
  }

  onHave(slot: number, idHex: string, h: HaveView, now: number): void {
    if (!this.track(slot, idHex)) return;
    const t = this.transfers[h.kind];
    if (t && equalBytes(h.contentId, t.manifest.contentId)) {
      if (h.pieces !== t.total) return;
      t.setRow(slot, h.bits);
      if (!allSet(h.bits, h.pieces)) t.neededAt = now;
      if (!t.complete) this.schedule(now);
      return;
    }
    t?.clearRow(slot);
    const ours = Math.max(this.installed[h.kind], t ? t.manifest.version : 0);
    const skipped = this.tooLarge[h.kind];
    if (h.version > ours && h.version >= this.floors[h.kind] && !(skipped && equalBytes(skipped, h.contentId))) this.askManifest(h, slot, now);
    else if (t && h.version < t.manifest.version) t.neededAt = now;
  }

  onRequest(slot: number, idHex: string, body: Uint8Array, now: number): void {
    if (!this.track(slot, idHex)) return;
    const contentId = body.subarray(0, 8);
    const t = this.transferOf(contentId);
    for (let k = 0; k < requestCount(body); k++) {
      const i = requestIndex(body, k);
      let data: Uint8Array | undefined;
      if (t && i === MANIFEST_INDEX) data = t.bytes;
      else if (t && i < t.total && t.has(i) && this.upload.take(now)) data = this.store.read(t.manifest.kind, i);
      this.ctx.sendTo(slot, RecordType.ContentPiece, encodePiece(contentId, i, data ?? NO_DATA));
    }
  }

  onPiece(slot: number, idHex: string, p: PieceView, now: number): void {
    if (!this.track(slot, idHex)) return;
    if (p.index === MANIFEST_INDEX) return this.onManifest(slot, p.data, now);
    const t = this.transferOf(p.contentId);
    const f = t ? this.findFlight(t.manifest.kind, p.index, slot) : -1;
    if (!t || f < 0) return; // unasked, or given up on: a late answer is not held against anyone
    this.removeFlight(f);
    if (p.data.length === 0) return this.backOff(slot, now);
    if (t.has(p.index)) return;
    if (!this.verifies(t, p.index, p.data)) return this.reject(slot, idHex, now);
    this.store.write(t.manifest.kind, p.index, p.data);
    t.add(p.index);
    this.misses[slot] = 0;
    this.backoffMs[slot] = 0;
    if (t.complete) this.finish(t);
    this.schedule(now);
  }

  tick(now: number): void {
    for (let f = this.flights - 1; f >= 0; f--) {
      if (this.flightDeadline[f] > now) continue;
      const slot = this.flightSlot[f];
      this.removeFlight(f);
      const id = this.ids[slot];
      if (id !== null && ++this.misses[slot] >= this.config.maxMisses) {
        this.ctx.judge(slot, Behavior.FalseAdvertisement, now);
        this.block(slot, id);
      }
    }
    for (const kind of KINDS) if (this.manifestSlot[kind] >= 0 && this.manifestDeadline[kind] <= now) this.manifestSlot[kind] = -1;
    this.schedule(now);
  }

  nextDeadline(): number {
    let at = this.wakeAt;
    for (let f = 0; f < this.flights; f++) at = Math.min(at, this.flightDeadline[f]);
    for (const kind of KINDS) {
      if (this.manifestSlot[kind] >= 0) at = Math.min(at, this.manifestDeadline[kind]);
      const t = this.transfers[kind];
      if (t && t.dirty) at = Math.min(at, t.lastHaveAt + this.config.haveGapMs);
    }
    return at;
  }

  /** Adds the HAVE records due now to a broadcast frame's records; `beacon`: a beacon goes out with them. */
  takeBroadcast(parts: { type: RecordType; body: Uint8Array }[], beacon: boolean, now: number): void {
    if (beacon) this.beacons++;
    for (const kind of KINDS) {
      const t = this.transfers[kind];
      if (!t) continue;
      const news = t.dirty && now >= t.lastHaveAt + this.config.haveGapMs;
      const regular = beacon && (!t.complete || now - t.neededAt < NEED_MS || this.beacons % IDLE_HAVE_EVERY === 0);
      if (!news && !regular) continue;
      const m = t.manifest;
      parts.push({ type: RecordType.ContentHave, body: encodeHave(m.contentId, kind, m.version, t.total, t.held) });
      t.dirty = false;
      t.lastHaveAt = now;
    }
  }

  /** Whether `m` is newer than what this node installed or is fetching, and not under its floor. */
  private acceptable(m: ContentManifest): boolean {
    const t = this.transfers[m.kind];
    return m.version > this.installed[m.kind] && m.version >= this.floors[m.kind] && (!t || m.version > t.manifest.version);
  }

  private askManifest(h: HaveView, slot: number, now: number): void {
    const kind = h.kind;
    if (this.manifestSlot[kind] >= 0 || now < this.backoffUntil[slot]) return;
    this.manifestSlot[kind] = slot;
    this.manifestDeadline[kind] = now + this.config.requestTimeoutMs;
    // Its bits too: piece requests can start as soon as the manifest verifies.
    this.manifestBits[kind] = h.bits.slice();
    this.ctx.sendTo(slot, RecordType.ContentRequest, encodeRequest(h.contentId, [MANIFEST_INDEX]));
  }

  private onManifest(slot: number, data: Uint8Array, now: number): void {
    const kind = this.manifestSlot.indexOf(slot);
    if (kind < 0) return; // not asked for
    this.manifestSlot[kind] = -1;
    if (data.length === 0) return this.backOff(slot, now);
    const bytes = data.slice();
    const m = decodeManifest(bytes);
    if (typeof m === "number" || m.kind !== kind) return this.reject(slot, this.ids[slot]!, now);
    if (!this.acceptable(m)) return;
    if (m.totalBytes > this.store.capacity(kind)) {
      // Unsigned yet, but nothing this node could hold: not asked for again (a liar can only make us skip that id).
      this.tooLarge[kind] = m.contentId.slice();
      return this.ctx.drop(DropReason.ContentTooLarge);
    }
    // A forgery costs a verify (1–3 s on the board): the budget bounds what a liar can make us spend.
    if (!this.verifyBudget.take(now)) return this.ctx.drop(DropReason.VerifyBudget);
    const status = checkManifest(this.crypto, bytes, m, this.ctx.ownerPublicKey, this.ctx.networkId, (id) => this.ctx.isRevoked(id));
    if (status !== ManifestStatus.Valid) return this.reject(slot, this.ids[slot]!, now);
    const t = this.begin(m, bytes);
    const bits = this.manifestBits[kind];
    this.manifestBits[kind] = null;
    if (bits && bits.length === t.held.length) t.setRow(slot, bits);
    this.schedule(now);
  }

  /**
   * A new transfer replaces the kind's old one, in the store too. Its floor holds from now on: once
   * a node has seen the owner say "nothing below F", a replayed older manifest is refused even if
   * this transfer never completes.
   */
  private begin(m: ContentManifest, bytes: Uint8Array): ContentTransfer {
    const kind = m.kind;
    if (m.floor > this.floors[kind]) {
      this.floors[kind] = m.floor;
      this.saveVersion(kind);
    }
    for (let f = this.flights - 1; f >= 0; f--) if (this.flightKind[f] === kind) this.removeFlight(f);
    this.store.reset(kind, bytes);
    const t = new ContentTransfer(m, bytes, this.slots);
    this.transfers[kind] = t;
    return t;
  }

  /** Whether `data` is swarm piece `i` of `t`: its length and its hash (a data piece's is in its hash block). */
  private verifies(t: ContentTransfer, i: number, data: Uint8Array): boolean {
    const m = t.manifest;
    if (i < m.blocks) return data.length === blockLength(m, i) && hashMatches(pieceHash(this.crypto, data), m.blockHashes, i * PIECE_HASH_BYTES);
    const d = i - m.blocks;
    const block = this.store.read(m.kind, (d / HASHES_PER_BLOCK) | 0);
    return block !== undefined && data.length === pieceLength(m, d) &&
      hashMatches(pieceHash(this.crypto, data), block, (d % HASHES_PER_BLOCK) * PIECE_HASH_BYTES);
  }

  private finish(t: ContentTransfer): void {
    const m = t.manifest;
    if (!this.acceptableInstall(m) || !targets(m, this.ctx.role, this.config.boardType)) return;
    this.installed[m.kind] = m.version;
    this.floors[m.kind] = Math.max(this.floors[m.kind], m.floor);
    this.saveVersion(m.kind);
    this.ctx.emit({ type: "content-installed", kind: m.kind, version: m.version });
  }

  /** Installed version and floor of `kind`, in one storage entry (one flash commit). */
  private saveVersion(kind: number): void {
    const v = new Uint8Array(8);
    writeU32(v, 0, this.installed[kind]);
    writeU32(v, 4, this.floors[kind]);
    this.storage.set(versionKey(kind), v);
  }

  private acceptableInstall(m: ContentManifest): boolean {
    return m.version > this.installed[m.kind] && m.version >= this.floors[m.kind];
  }

  /** Asks neighbors for pieces while they have what we lack and the pacing allows. */
  private schedule(now: number): void {
    this.wakeAt = Infinity;
    const { inFlightPerNeighbor, inFlightTotal, requestGapMs, requestTimeoutMs } = this.config;
    for (const kind of KINDS) {
      const t = this.transfers[kind];
      if (!t || t.complete) continue;
      for (let slot = 0; slot < this.slots; slot++) {
        if (!t.advertises(slot) || this.inFlight[slot] >= inFlightPerNeighbor) continue;
        if (this.ctx.neighborAt(slot) !== this.ids[slot]) {
          this.forgetSlot(slot); // gone, or another neighbor took its row
          continue;
        }
        const readyAt = Math.max(this.nextRequestAt[slot], this.backoffUntil[slot]);
        if (readyAt > now) {
          this.wakeAt = Math.min(this.wakeAt, readyAt);
          continue;
        }
        if (this.flights >= inFlightTotal) return;
        const i = t.pick(slot, this.random.nextU32() % Math.max(1, t.manifest.pieces), (j) => this.findFlight(kind, j, -1) >= 0);
        if (i < 0) continue;
        const f = this.flights++;
        this.flightKind[f] = kind;
        this.flightIndex[f] = i;
        this.flightSlot[f] = slot;
        this.flightDeadline[f] = now + requestTimeoutMs;
        this.inFlight[slot]++;
        this.nextRequestAt[slot] = now + requestGapMs;
        this.wakeAt = Math.min(this.wakeAt, now + requestGapMs);
        this.ctx.sendTo(slot, RecordType.ContentRequest, encodeRequest(t.manifest.contentId, [i]));
      }
    }
  }

  /** The in-flight entry for piece `i` of `kind` (asked of `slot`, or of anyone when slot is -1), or -1. */
  private findFlight(kind: number, i: number, slot: number): number {
    for (let f = 0; f < this.flights; f++) {
      if (this.flightKind[f] === kind && this.flightIndex[f] === i && (slot < 0 || this.flightSlot[f] === slot)) return f;
    }
    return -1;
  }

  private removeFlight(f: number): void {
    this.inFlight[this.flightSlot[f]]--;
    const last = --this.flights;
    this.flightKind[f] = this.flightKind[last];
    this.flightIndex[f] = this.flightIndex[last];
    this.flightSlot[f] = this.flightSlot[last];
    this.flightDeadline[f] = this.flightDeadline[last];
  }

  private transferOf(contentId: Uint8Array): ContentTransfer | null {
    for (const kind of KINDS) {
      const t = this.transfers[kind];
      if (t && equalBytes(contentId, t.manifest.contentId)) return t;
    }
    return null;
  }

  /** Follows who holds `slot`; false for a blocked neighbor (nothing of it is used). */
  private track(slot: number, idHex: string): boolean {
    if (this.ids[slot] !== idHex) {
      this.forgetSlot(slot);
      this.ids[slot] = idHex;
    }
    return this.blocked.indexOf(idHex) < 0;
  }

  private forgetSlot(slot: number): void {
    for (const t of this.transfers) t?.clearRow(slot);
    for (let f = this.flights - 1; f >= 0; f--) if (this.flightSlot[f] === slot) this.removeFlight(f);
    for (const kind of KINDS) if (this.manifestSlot[kind] === slot) this.manifestSlot[kind] = -1;
    this.ids[slot] = null;
    this.misses[slot] = 0;
    this.nextRequestAt[slot] = 0;
    this.backoffUntil[slot] = 0;
    this.backoffMs[slot] = 0;
  }

  /** A bad piece or a forged manifest: counted, held against the sender, and the sender never asked again. */
  private reject(slot: number, idHex: string, now: number): void {
    this.ctx.drop(DropReason.BadContent);
    this.ctx.judge(slot, Behavior.BadContent, now);
    this.block(slot, idHex);
  }

  private block(slot: number, idHex: string): void {
    if (this.blocked.length >= BLOCKED_CAPACITY) this.blocked.shift();
    this.blocked.push(idHex);
    this.forgetSlot(slot);
    this.ids[slot] = idHex;
  }

  private backOff(slot: number, now: number): void {
    const base = this.config.busyBackoffMs;
    this.backoffMs[slot] = Math.min(base * MAX_BACKOFF_FACTOR, this.backoffMs[slot] ? 2 * this.backoffMs[slot] : base);
    this.backoffUntil[slot] = now + this.backoffMs[slot];
    this.wakeAt = Math.min(this.wakeAt, this.backoffUntil[slot]);
  }
}

const NO_DATA = new Uint8Array(0);

function versionKey(kind: number): string {
  return `cver${kind}`;
}

function allSet(bits: Uint8Array, count: number): boolean {
  for (let i = 0; i < count >>> 3; i++) if (bits[i] !== 0xff) return false;
  const rest = count & 7;
  return rest === 0 || bits[count >>> 3] === ((0xff00 >>> rest) & 0xff);
}
