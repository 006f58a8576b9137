/**
 * Storage this node lends its neighbors: their feed entries, kept until a gateway confirms them
 * (docs/protocol.md §Store-and-forward, "Lending storage").
 *
 * An origin whose own store is about to overwrite readings no gateway confirmed yet lends them to a
 * neighbor (DATA kind 6). The lender keeps them in storage, so they survive its reboot, and carries
 * them toward the origin's home gateway like an origin carries its own: handed on, and again if no
 * CONFIRM for the origin passes back through it within `confirmAfterMs`. Only the origin's own
 * CONFIRM drops them: a lender cannot check a gateway's tag, and the origin acts only on tagged ones
 * (forward/confirm-tag.ts). A pull makes them due at once, and they go before any other reading
 * held: the origin writes off a gap still pulled `confirmAfterMs` after the first pull, and a lender
 * holding 128 readings drains them for longer than that.
 *
 * Bounded: `capacity` readings in all, at most PER_BORROWER of one borrower, and capacity / 8
 * borrowers (rows). A lend past any of these is refused (no ACK: the origin asks another neighbor),
 * except that a borrower row that lent nothing for STALE_MS is evicted for a new borrower (its
 * readings dropped and counted). Flash: row k under "rp<k>" (origin 8 ‖ home 8 ‖ per reading
 * seq u32 ‖ length u16 ‖ payload), one write per reading lent and per CONFIRM that drops some.
 * RAM: per reading its seq, row and handoff time (13 B), per row 33 B; not the bytes.
 */
import { equalBytes, readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import type { Storage } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { typedArrays } from "../typed-arrays.js";

export const PER_BORROWER = 32;
/** One borrower row per this many readings of capacity. */
export const READINGS_PER_ROW = 8;
/** A borrower silent this long gives its row up to a new one. */
export const STALE_MS = 10 * 60_000;
const HEADER = 2 * NODE_ID_BYTES;
const FREE = 0xff;
const NONE = new Uint8Array(0);
/** A lend's home when the borrower has none yet. */
const NO_HOME = new Uint8Array(NODE_ID_BYTES);
/** A reading's handoff time when never handed on (due now)… */
const NEVER = -Number.MAX_VALUE;
/** …and when a gateway pulls it (due now, before the others). */
const PULLED = -Infinity;

export class ReplicaStore {
  private readonly rows: number;
  /**
   * Three typed arrays in all (each costs the board's heap some 140 B besides its bytes):
   * `bytes`: per row borrower id ‖ home gateway, then per row its count (0: free), then per reading
   * its row (FREE: unused); `times`: per row when it last lent, then per reading when it was last
   * handed on (NEVER or PULLED: due now); `seqs`: per reading its seq.
   */
  private readonly bytes: Uint8Array;
  private readonly times: Float64Array;
  private readonly seqs: Uint32Array;
  private readonly countAt: number;
  private readonly ownerAt: number;
  /** Readings dropped with their evicted row, and lends refused (a cap reached). */
  evicted = 0;
  refused = 0;

  constructor(private readonly storage: Storage, private readonly capacity: number) {
    if (capacity < READINGS_PER_ROW || capacity % READINGS_PER_ROW !== 0 || capacity / READINGS_PER_ROW > FREE) {
      throw new RangeError(`replica capacity must be a multiple of ${READINGS_PER_ROW}, at most ${READINGS_PER_ROW * FREE}`);
    }
    this.rows = capacity / READINGS_PER_ROW;
    this.countAt = this.rows * HEADER;
    this.ownerAt = this.countAt + this.rows;
    [this.times, this.seqs, this.bytes] = typedArrays(
      [Float64Array, this.rows + capacity], [Uint32Array, capacity], [Uint8Array, this.ownerAt + capacity]);
    this.bytes.fill(FREE, this.ownerAt);
    // Lent at NaN: restored at boot, stamped with the clock when first compared (no clock in the constructor).
    this.times.fill(NaN, 0, this.rows).fill(NEVER, this.rows);
    for (let k = 0; k < this.rows; k++) {
      const stored = storage.get(rowKey(k));
      if (!stored || stored.length < HEADER) continue;
      this.bytes.set(stored.subarray(0, HEADER), k * HEADER);
      forEachReading(stored, (seq) => {
        const i = this.freeReading();
        if (i < 0 || this.bytes[this.countAt + k] >= PER_BORROWER) return;
        this.bytes[this.ownerAt + i] = k;
        this.seqs[i] = seq;
        this.bytes[this.countAt + k]++;
      });
    }
  }

  get size(): number {
    let n = 0;
    for (let k = 0; k < this.rows; k++) n += this.bytes[this.countAt + k];
    return n;
  }

  /** Readings held for `origin`. */
  heldFor(origin: Uint8Array): number {
    const k = this.rowOf(origin);
    return k < 0 ? 0 : this.bytes[this.countAt + k];
  }

  /** Keeps `payload` (base ‖ entry) of `origin`'s reading `seq`; false when refused. Already held: true. */
  add(origin: Uint8Array, home: Uint8Array, seq: number, payload: Uint8Array, now: number): boolean {
    let k = this.rowOf(origin);
    if (k >= 0 && this.indexOf(k, seq) >= 0) return true;
    if (k < 0) k = this.freeRow(now);
    const i = this.freeReading();
    if (k < 0 || i < 0 || this.bytes[this.countAt + k] >= PER_BORROWER) {
      if (k >= 0) this.rehome(k, home);
      this.refused++;
      return false;
    }
    const stored = this.bytes[this.countAt + k] > 0 ? this.storage.get(rowKey(k)) : undefined;
    const old = stored && stored.length >= HEADER ? stored : NONE;
    const bodyLength = old.length > 0 ? old.length - HEADER : 0;
    const out = new Uint8Array(HEADER + bodyLength + 6 + payload.length);
    out.set(origin.subarray(0, NODE_ID_BYTES), 0);
    out.set(home.subarray(0, NODE_ID_BYTES), NODE_ID_BYTES);
    if (bodyLength > 0) out.set(old.subarray(HEADER), HEADER);
    const at = HEADER + bodyLength;
    writeU32(out, at, seq);
    writeU16(out, at + 4, payload.length);
    out.set(payload, at + 6);
    this.storage.set(rowKey(k), out);
    this.bytes.set(out.subarray(0, HEADER), k * HEADER);
    this.bytes[this.countAt + k]++;
    this.bytes[this.ownerAt + i] = k;
    this.seqs[i] = seq;
    this.times[this.rows + i] = NEVER;
    this.times[k] = now;
    return true;
  }

  /** The origin says a gateway delivered its readings up to `seq`: those held are dropped (one write). */
  confirm(origin: Uint8Array, seq: number): void {
    const k = this.rowOf(origin);
    if (k < 0) return;
    let covered = false;
    for (let i = 0; i < this.capacity; i++) {
      if (this.bytes[this.ownerAt + i] === k && this.seqs[i] <= seq) {
        this.bytes[this.ownerAt + i] = FREE;
        this.bytes[this.countAt + k]--;
        covered = true;
      }
    }
    if (covered) this.rewrite(k, seq);
  }

  /**
   * A gateway's CONFIRM of `origin`'s readings up to `seq` passed on its way to the origin: those held
   * are not sent again for `confirmAfterMs`, by which time the origin's word has come (or not: the
   * CONFIRM was forged or lost, and they go again). Whether any is held.
   */
  defer(origin: Uint8Array, seq: number, now: number): boolean {
    const k = this.rowOf(origin);
    let any = false;
    for (let i = 0; k >= 0 && i < this.capacity; i++) {
      if (this.bytes[this.ownerAt + i] !== k || this.seqs[i] > seq) continue;
      any = true;
      if (this.times[this.rows + i] < now) this.times[this.rows + i] = now;
    }
    return any;
  }

  /** A gateway misses `origin`'s readings from `from` to `to`: those held are due now, first. */
  pull(origin: Uint8Array, from: number, to: number): boolean {
    const k = this.rowOf(origin);
    let any = false;
    for (let i = 0; k >= 0 && i < this.capacity; i++) {
      if (this.bytes[this.ownerAt + i] === k && this.seqs[i] >= from && this.seqs[i] <= to) {
        this.times[this.rows + i] = PULLED;
        any = true;
      }
    }
    return any;
  }

  /**
   * Calls `fn(origin, home, seq, payload, pulled)` for each reading not handed on within `afterMs`, the
   * pulled ones first, read from storage one row at a time; `fn` returns false to stop (no room to take more now).
   */
  due(now: number, afterMs: number, fn: (origin: Uint8Array, home: Uint8Array, seq: number, payload: Uint8Array, pulled: boolean) => boolean): void {
    if (this.dueOf(now, afterMs, true, fn)) this.dueOf(now, afterMs, false, fn);
  }

  /** due's pass over the pulled readings only, or over all; false once `fn` stopped. */
  private dueOf(now: number, afterMs: number, pulledOnly: boolean, fn: (origin: Uint8Array, home: Uint8Array, seq: number, payload: Uint8Array, pulled: boolean) => boolean): boolean {
    const isDue = (i: number) => (pulledOnly ? this.times[this.rows + i] === PULLED : now - this.times[this.rows + i] >= afterMs);
    for (let k = 0; k < this.rows; k++) {
      let any = false;
      for (let i = 0; i < this.capacity; i++) if (this.bytes[this.ownerAt + i] === k && isDue(i)) any = true;
      if (!any) continue;
      const stored = this.storage.get(rowKey(k));
      if (!stored || stored.length < HEADER) continue;
      const origin = stored.subarray(0, NODE_ID_BYTES);
      const home = stored.subarray(NODE_ID_BYTES, HEADER);
      let go = true;
      forEachReading(stored, (seq, payload) => {
        const i = this.indexOf(k, seq);
        if (!go || i < 0 || !isDue(i)) return;
        go = fn(origin, home, seq, payload, pulledOnly);
        if (go) this.times[this.rows + i] = now;
      });
      if (!go) return false;
    }
    return true;
  }

  /** When the next reading falls due (Infinity: none held). */
  nextDue(afterMs: number): number {
    let t = Infinity;
    for (let i = 0; i < this.capacity; i++) if (this.bytes[this.ownerAt + i] !== FREE) t = Math.min(t, this.times[this.rows + i] + afterMs);
    return t;
  }

  private freeReading(): number {
    for (let i = 0; i < this.capacity; i++) if (this.bytes[this.ownerAt + i] === FREE) return i;
    return -1;
  }

  private rowOf(origin: Uint8Array): number {
    for (let k = 0; k < this.rows; k++) {
      if (this.bytes[this.countAt + k] > 0 && equalBytes(this.bytes.subarray(k * HEADER, k * HEADER + NODE_ID_BYTES), origin.subarray(0, NODE_ID_BYTES))) return k;
    }
    return -1;
  }

  private indexOf(k: number, seq: number): number {
    for (let i = 0; i < this.capacity; i++) if (this.bytes[this.ownerAt + i] === k && this.seqs[i] === seq) return i;
    return -1;
  }

  /** A free row, else the one lent to least recently if that was STALE_MS ago (evicted); -1 if none. */
  private freeRow(now: number): number {
    let stalest = -1;
    for (let k = 0; k < this.rows; k++) {
      if (this.bytes[this.countAt + k] === 0) return k;
      if (Number.isNaN(this.times[k])) this.times[k] = now;
      if (stalest < 0 || this.times[k] < this.times[stalest]) stalest = k;
    }
    if (stalest < 0 || now - this.times[stalest] < STALE_MS) return -1;
    this.evicted += this.bytes[this.countAt + stalest];
    this.bytes[this.countAt + stalest] = 0;
    for (let i = 0; i < this.capacity; i++) if (this.bytes[this.ownerAt + i] === stalest) this.bytes[this.ownerAt + i] = FREE;
    return stalest;
  }

  /**
   * A borrower whose lend we refuse still says where its readings go now: the ones we keep follow it
   * (a row keeps the home of its latest lend). Kept addressed to a home the borrower left, maybe
   * gone, they reached no gateway, and a full row took no lend to learn the new one from.
   */
  private rehome(k: number, home: Uint8Array): void {
    const at = k * HEADER + NODE_ID_BYTES;
    if (equalBytes(home.subarray(0, NODE_ID_BYTES), NO_HOME) || equalBytes(this.bytes.subarray(at, at + NODE_ID_BYTES), home.subarray(0, NODE_ID_BYTES))) return;
    const stored = this.storage.get(rowKey(k));
    if (!stored || stored.length < HEADER) return;
    const out = stored.slice();
    out.set(home.subarray(0, NODE_ID_BYTES), NODE_ID_BYTES);
    this.storage.set(rowKey(k), out);
    this.bytes.set(home.subarray(0, NODE_ID_BYTES), at);
  }

  /** Writes row k again with only its readings above `seq` (RAM already dropped the others). */
  private rewrite(k: number, seq: number): void {
    const stored = this.storage.get(rowKey(k));
    const kept: { seq: number; payload: Uint8Array }[] = [];
    if (stored && stored.length >= HEADER) forEachReading(stored, (s, payload) => void (s > seq && kept.push({ seq: s, payload })));
    let size = kept.length > 0 ? HEADER : 0;
    for (const r of kept) size += 6 + r.payload.length;
    const out = new Uint8Array(size);
    if (size > 0) out.set(stored!.subarray(0, HEADER), 0);
    let at = HEADER;
    for (const r of kept) {
      writeU32(out, at, r.seq);
      writeU16(out, at + 4, r.payload.length);
      out.set(r.payload, at + 6);
      at += 6 + r.payload.length;
    }
    this.storage.set(rowKey(k), out);
  }
}

function rowKey(k: number): string {
  return "rp" + k;
}

/** Each reading of a stored row; a damaged tail (torn write) is ignored rather than trusted. */
function forEachReading(stored: Uint8Array, fn: (seq: number, payload: Uint8Array) => void): void {
  let at = HEADER;
  while (at + 6 <= stored.length) {
    const len = readU16(stored, at + 4);
    if (at + 6 + len > stored.length) break;
    fn(readU32(stored, at), stored.subarray(at + 6, at + 6 + len));
    at += 6 + len;
  }
}
