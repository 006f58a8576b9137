/**
 * The origin's readings that no gateway has confirmed yet, kept in storage so they survive a reboot.
 *
 * Entries are grouped by seq into chunks of CHUNK_ENTRIES, chunk k stored under key "fq<k mod n>"
 * (n = capacity / CHUNK_ENTRIES), so a reading costs one flash write of its chunk and the store never
 * holds more than `capacity` entries: when the oldest unconfirmed chunk's key is reused, those readings
 * are lost, and counted. The highest confirmed seq is kept under "fqc".
 *
 * RAM holds three numbers, not the readings: the unconfirmed ones are always the seqs from `first`
 * to `last` (readings are taken and confirmed in order), and their bytes are read back from flash
 * when they are sent again, which is rare.
 */
import { readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import type { Storage } from "../ports.js";

export const CHUNK_ENTRIES = 16;
const KEY_CONFIRMED = "fqc";
const KEY_LOST = "fql";
/** A chunk holding no entry: one byte, read as a torn tail (an empty NVS blob fails on some ESP-IDF versions). */
const NO_ENTRIES = Uint8Array.of(0);

export class UnsentStore {
  private confirmedSeq = 0;
  /** Lowest seq still held (first ≤ last when any is); 0 when nothing was ever stored. */
  private first = 0;
  private last = 0;
  /**
   * Readings overwritten before any gateway confirmed them, held by no lender and with no copy on its
   * way (add's `onItsWay`: the caller counts one whose copy it gives up later), or written off.
   */
  lost = 0;
  /**
   * The last run of seqs so lost (runs in a row make one): a gateway waiting for them would wait
   * forever. Those below it are held by lenders (lent in order), so the gateway skips the run only once
   * it has confirmed them.
   */
  private lostFrom = 0;
  private lostThrough = 0;
  /**
   * The runs lost before the last one, still above the confirmed or written-off readings (RAM only;
   * empty: from > through): the run before the last, or from the first through the one before the last
   * (lent readings between those are not told from lost ones). After a boot, from the first
   * unconfirmed reading through the last run: the runs before it are unknown.
   */
  private unlentFrom: number;
  private unlentThrough: number;
  /** Lent readings up to this seq were written off (their lender died with them). */
  private writtenOff = 0;
  private readonly chunks: number;

  constructor(private readonly storage: Storage, capacity: number) {
    if (capacity < CHUNK_ENTRIES || capacity % CHUNK_ENTRIES !== 0) throw new RangeError(`unsent capacity must be a multiple of ${CHUNK_ENTRIES}`);
    this.chunks = capacity / CHUNK_ENTRIES;
    const confirmed = storage.get(KEY_CONFIRMED);
    if (confirmed && confirmed.length === 4) this.confirmedSeq = readU32(confirmed, 0);
    const lost = storage.get(KEY_LOST);
    if (lost && lost.length === 12) {
      this.lostFrom = readU32(lost, 0);
      this.lostThrough = readU32(lost, 4);
      this.writtenOff = readU32(lost, 8);
    }
    let misplaced = false;
    for (let k = 0; k < this.chunks; k++) {
      const chunk = storage.get(chunkKey(k));
      if (!chunk) continue;
      for (const e of splitChunk(chunk)) {
        if (e.seq <= this.confirmedSeq) continue;
        if (k !== chunkOf(e.seq) % this.chunks) misplaced = true;
        if (this.first === 0 || e.seq < this.first) this.first = e.seq;
        if (e.seq > this.last) this.last = e.seq;
      }
    }
    if (misplaced) this.relayout();
    this.unlentFrom = this.resolved + 1;
    this.unlentThrough = this.lostThrough;
  }

  /** Readings up to this seq were confirmed, or written off: none a gateway waits for. */
  private get resolved(): number {
    return Math.max(this.confirmedSeq, this.writtenOff);
  }

  get size(): number {
    return this.first === 0 ? 0 : Math.max(0, this.last - this.firstUnconfirmed + 1);
  }

  get confirmed(): number {
    return this.confirmedSeq;
  }

  /**
   * Whether reading `seq`, unconfirmed and not written off, may be one storage overwrote in a lost run
   * (the last, or the ones before it): one overwritten outside them was lent, or its lend waited.
   */
  unlent(seq: number): boolean {
    return (seq >= this.lostFrom && seq <= this.lostThrough) || (seq >= this.unlentFrom && seq <= this.unlentThrough);
  }

  /** The lowest seq a gateway can still get (from here or a lender): the `base` entries carry. */
  get base(): number {
    const base = this.resolved + 1;
    return base >= this.lostFrom && base <= this.lostThrough ? this.lostThrough + 1 : base;
  }

  /** The lowest stored seq no gateway has confirmed (above `last` when there is none). */
  private get firstUnconfirmed(): number {
    return Math.max(this.first, this.confirmedSeq + 1);
  }

  /** Whether reading `seq` is stored here, not yet confirmed. */
  holds(seq: number): boolean {
    return this.first !== 0 && seq >= this.firstUnconfirmed && seq <= this.last;
  }

  /** The lowest seq still held here (the ones below were confirmed, lent, or lost). */
  get firstHeld(): number {
    return this.first === 0 ? this.last + 1 : this.first;
  }

  /**
   * Gives up on the unconfirmed readings up to `through` that are no longer held here: a gateway kept
   * pulling them and no lender answered (it died with them). The base then skips them. Only the `kept`
   * ones (lent, or their lends waiting: not in a lost run, as for add) are counted lost here: the others
   * were counted as storage overwrote them, or are when their copy on its way is given up (the caller's).
   */
  writeOff(through: number, kept: (seq: number) => boolean): void {
    through = Math.min(through, this.firstHeld - 1);
    const from = this.resolved + 1;
    if (through < from) return;
    for (let seq = from; seq <= through; seq++) if (kept(seq)) this.lost++;
    this.writtenOff = through;
    this.saveLost();
  }

  /** Unconfirmed entries, oldest first, read from flash one chunk at a time. */
  *pending(): Generator<{ seq: number; bytes: Uint8Array }> {
    const from = this.firstUnconfirmed;
    if (this.first === 0 || from > this.last) return;
    for (let chunk = chunkOf(from); chunk <= chunkOf(this.last); chunk++) {
      const stored = this.storage.get(chunkKey(chunk % this.chunks));
      if (!stored) continue;
      for (const e of splitChunk(stored)) if (e.seq >= from && e.seq <= this.last && chunkOf(e.seq) === chunk) yield e;
    }
  }

  /**
   * The highest seq that `ahead` more readings would overwrite unconfirmed (0: none): the readings
   * to lend to a neighbor before they are lost.
   */
  doomedThrough(ahead: number): number {
    const from = this.firstUnconfirmed;
    if (this.first === 0 || from > this.last) return 0;
    const reused = chunkOf(this.last + ahead) - this.chunks;
    return reused >= chunkOf(from) ? Math.min(this.last, (reused + 1) * CHUNK_ENTRIES) : 0;
  }

  /**
   * Stores a new entry (seq above every stored one) with one write of its chunk. Readings up to
   * `keptThrough` are held by a neighbor too (lent): overwriting them loses nothing. Nor one whose copy
   * is on its way (`onItsWay`): it is not counted lost here, only the run the base skips names it.
   */
  add(seq: number, bytes: Uint8Array, keptThrough = 0, onItsWay: (seq: number) => boolean = nowhere): void {
    const chunk = chunkOf(seq);
    // The chunk whose key this one reuses is gone: its unconfirmed readings are lost.
    const reused = chunk - this.chunks;
    if (this.first !== 0 && reused >= 0 && chunkOf(this.firstUnconfirmed) <= reused) {
      const newFirst = (reused + 1) * CHUNK_ENTRIES + 1;
      const from = Math.max(this.firstUnconfirmed, keptThrough + 1);
      const lostThrough = Math.min(this.last, newFirst - 1);
      if (lostThrough >= from) {
        for (let s = from; s <= lostThrough; s++) if (!onItsWay(s)) this.lost++;
        // A run right after the last one goes on with it: remembered alone, it let the base fall back to the last one's start.
        if (from !== this.lostThrough + 1) {
          // The last run joins the ones before it still waited for (from the first: one run more between them hides the lent ones).
          if (this.lostThrough > this.resolved) {
            if (this.unlentThrough <= this.resolved) this.unlentFrom = this.lostFrom;
            this.unlentThrough = this.lostThrough;
          }
          this.lostFrom = from;
        }
        this.lostThrough = lostThrough;
        this.saveLost();
      }
      this.first = newFirst;
    }
    const key = chunkKey(chunk % this.chunks);
    const old = this.storage.get(key);
    const kept = old ? splitChunk(old).filter((e) => chunkOf(e.seq) === chunk && e.seq < seq) : [];
    kept.push({ seq, bytes });
    this.storage.set(key, joinChunk(kept));
    if (this.first === 0 || this.first > seq) this.first = seq;
    this.last = seq;
  }

  /**
   * Rewrites readings stored under another layout (the chunk size changed with a firmware update, or
   * the capacity grew) into this one's keys, once. A capacity cut leaves the keys past the new ones
   * unread: the gateway writes their readings off when no one answers its pulls.
   */
  private relayout(): void {
    const groups: { seq: number; bytes: Uint8Array }[][] = Array.from({ length: this.chunks }, () => []);
    for (let k = 0; k < this.chunks; k++) {
      const chunk = this.storage.get(chunkKey(k));
      if (chunk) for (const e of splitChunk(chunk)) if (e.seq > this.confirmedSeq) groups[chunkOf(e.seq) % this.chunks].push(e);
    }
    for (let k = 0; k < this.chunks; k++) {
      if (groups[k].length > 0) this.storage.set(chunkKey(k), joinChunk(groups[k].sort((a, b) => a.seq - b.seq)));
      else if (this.storage.get(chunkKey(k))) this.storage.set(chunkKey(k), NO_ENTRIES);
    }
  }

  private saveLost(): void {
    const v = new Uint8Array(12);
    writeU32(v, 0, this.lostFrom);
    writeU32(v, 4, this.lostThrough);
    writeU32(v, 8, this.writtenOff);
    this.storage.set(KEY_LOST, v);
  }

  /** A gateway delivered everything up to `seq`: those entries are no longer needed. */
  confirm(seq: number): void {
    if (seq <= this.confirmedSeq) return;
    this.confirmedSeq = seq;
    const v = new Uint8Array(4);
    writeU32(v, 0, seq);
    this.storage.set(KEY_CONFIRMED, v);
  }
}

function nowhere(): boolean {
  return false;
}

function chunkOf(seq: number): number {
  return Math.floor((seq - 1) / CHUNK_ENTRIES);
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
