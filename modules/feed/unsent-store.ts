/**
 * The origin's readings that no gateway has confirmed yet, kept in storage so they survive a reboot.
 *
 * Entries are grouped by seq into chunks of CHUNK_ENTRIES, chunk k stored under key "fq<k mod n>"
 * (n = capacity / CHUNK_ENTRIES), so a reading costs one flash write of its chunk and the store never
 * holds more than `capacity` entries: when the oldest unconfirmed chunk's key is reused, those readings
 * are lost, and counted. The highest confirmed seq is kept under "fqc".
 */
import { readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import type { Storage } from "../ports.js";

export const CHUNK_ENTRIES = 64;
const KEY_CONFIRMED = "fqc";

export class UnsentStore {
  /** Unconfirmed entries by seq, ascending. */
  private readonly entries: { seq: number; bytes: Uint8Array }[] = [];
  private confirmedSeq = 0;
  /** Readings overwritten before any gateway confirmed them. */
  lost = 0;
  private readonly chunks: number;

  constructor(private readonly storage: Storage, capacity: number) {
    if (capacity < CHUNK_ENTRIES || capacity % CHUNK_ENTRIES !== 0) throw new RangeError(`unsent capacity must be a multiple of ${CHUNK_ENTRIES}`);
    this.chunks = capacity / CHUNK_ENTRIES;
    const confirmed = storage.get(KEY_CONFIRMED);
    if (confirmed && confirmed.length === 4) this.confirmedSeq = readU32(confirmed, 0);
    for (let k = 0; k < this.chunks; k++) {
      const chunk = storage.get(chunkKey(k));
      if (chunk) for (const e of splitChunk(chunk)) if (e.seq > this.confirmedSeq) this.entries.push(e);
    }
    this.entries.sort((a, b) => a.seq - b.seq);
  }

  get size(): number {
    return this.entries.length;
  }

  get confirmed(): number {
    return this.confirmedSeq;
  }

  /** Unconfirmed entries, oldest first (read-only view). */
  get pending(): readonly { seq: number; bytes: Uint8Array }[] {
    return this.entries;
  }

  /** Stores a new entry (seq above every stored one) with one write of its chunk. */
  add(seq: number, bytes: Uint8Array): void {
    const chunkOf = (s: number) => Math.floor((s - 1) / CHUNK_ENTRIES);
    const chunk = chunkOf(seq);
    // Entries whose chunk key this chunk reuses are gone.
    while (this.entries.length > 0 && chunk - chunkOf(this.entries[0].seq) >= this.chunks) {
      this.entries.shift();
      this.lost++;
    }
    this.entries.push({ seq, bytes: bytes.slice() });
    this.storage.set(chunkKey(chunk % this.chunks), joinChunk(this.entries.filter((e) => chunkOf(e.seq) === chunk)));
  }

  /** A gateway delivered everything up to `seq`: those entries are no longer needed. */
  confirm(seq: number): void {
    if (seq <= this.confirmedSeq) return;
    this.confirmedSeq = seq;
    while (this.entries.length > 0 && this.entries[0].seq <= seq) this.entries.shift();
    const v = new Uint8Array(4);
    writeU32(v, 0, seq);
    this.storage.set(KEY_CONFIRMED, v);
  }
}

function chunkKey(k: number): string {
  return "fq" + k;
}

/** A chunk is a sequence of seq u32 ‖ length u16 ‖ entry bytes. */
function joinChunk(list: { seq: number; bytes: Uint8Array }[]): Uint8Array {
  let size = 0;
  for (const e of list) size += 6 + e.bytes.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of list) {
    writeU32(out, at, e.seq);
    writeU16(out, at + 4, e.bytes.length);
    out.set(e.bytes, at + 6);
    at += 6 + e.bytes.length;
  }
  return out;
}

/** Reads a chunk back; a damaged tail (torn write) is ignored rather than trusted. */
function splitChunk(chunk: Uint8Array): { seq: number; bytes: Uint8Array }[] {
  const out: { seq: number; bytes: Uint8Array }[] = [];
  let at = 0;
  while (at + 6 <= chunk.length) {
    const len = readU16(chunk, at + 4);
    if (at + 6 + len > chunk.length) break;
    out.push({ seq: readU32(chunk, at), bytes: chunk.slice(at + 6, at + 6 + len) });
    at += 6 + len;
  }
  return out;
}
