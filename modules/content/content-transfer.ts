/**
 * One transfer: the pieces of one manifest this node holds, which of them each neighbor advertised,
 * and how many neighbors hold each piece (for rarest-first). Bounded: a bitfield per neighbor slot
 * (≤ 260 bytes each) and one availability byte per piece, allocated when the manifest is accepted.
 *
 * Swarm indices: 0..blocks−1 are hash blocks (they carry the data pieces' hashes, so they come
 * first), blocks..blocks+pieces−1 the data pieces.
 */
import { bitfieldBytes, hasBit, setBit } from "./bitfield.js";
import { HASHES_PER_BLOCK, type ContentManifest } from "./content-manifest.js";

export class ContentTransfer {
  /** Swarm pieces P = blocks + data pieces. */
  readonly total: number;
  readonly held: Uint8Array;
  heldCount = 0;
  /** Pieces gained since our last HAVE. */
  dirty = false;
  lastHaveAt = -Infinity;
  /** A neighbor lacked some of this content when it last advertised (so we advertise every beacon). */
  neededAt = -Infinity;
  private readonly rowBytes: number;
  private readonly rows: Uint8Array;
  /** 1 while the slot's row holds its advertisement of this transfer. */
  private readonly rowOn: Uint8Array;
  private readonly availability: Uint8Array;

  constructor(readonly manifest: ContentManifest, readonly bytes: Uint8Array, slots: number) {
    this.total = manifest.blocks + manifest.pieces;
    this.rowBytes = bitfieldBytes(this.total);
    this.held = new Uint8Array(this.rowBytes);
    this.rows = new Uint8Array(slots * this.rowBytes);
    this.rowOn = new Uint8Array(slots);
    this.availability = new Uint8Array(this.total);
  }

  get complete(): boolean {
    return this.heldCount === this.total;
  }

  has(i: number): boolean {
    return hasBit(this.held, 0, i);
  }

  add(i: number): void {
    if (this.has(i)) return;
    setBit(this.held, 0, i);
    this.heldCount++;
    this.dirty = true;
  }

  advertises(slot: number): boolean {
    return this.rowOn[slot] === 1;
  }

  neighborHas(slot: number, i: number): boolean {
    return this.rowOn[slot] === 1 && hasBit(this.rows, slot * this.rowBytes, i);
  }

  /** Replaces the slot's row with an advertised bitfield (`bits`, rowBytes long) and keeps counts in step. */
  setRow(slot: number, bits: Uint8Array): void {
    const at = slot * this.rowBytes;
    const on = this.rowOn[slot] === 1;
    for (let b = 0; b < this.rowBytes; b++) {
      const before = on ? this.rows[at + b] : 0;
      const after = bits[b];
      if (before === after) continue;
      for (let k = 0; k < 8; k++) {
        const mask = 0x80 >>> k;
        if ((before & mask) === (after & mask)) continue;
        this.availability[8 * b + k] += after & mask ? 1 : -1;
      }
      this.rows[at + b] = after;
    }
    this.rowOn[slot] = 1;
  }

  /** Pieces the slot last advertised (0 without an advertisement). */
  rowCount(slot: number): number {
    if (this.rowOn[slot] === 0) return 0;
    let n = 0;
    for (let i = 0; i < this.total; i++) if (hasBit(this.rows, slot * this.rowBytes, i)) n++;
    return n;
  }

  clearRow(slot: number): void {
    if (this.rowOn[slot] === 0) return;
    const at = slot * this.rowBytes;
    for (let i = 0; i < this.total; i++) if (hasBit(this.rows, at, i)) this.availability[i]--;
    this.rows.fill(0, at, at + this.rowBytes);
    this.rowOn[slot] = 0;
  }

  /**
   * The piece to ask `slot` for: a hash block first (data pieces cannot be checked without theirs),
   * else the rarest data piece it has whose hash block we hold; `start` spreads ties. -1: none.
   */
  pick(slot: number, start: number, busy: (i: number) => boolean): number {
    const blocks = this.manifest.blocks;
    for (let j = 0; j < blocks; j++) if (!this.has(j) && this.neighborHas(slot, j) && !busy(j)) return j;
    const n = this.manifest.pieces;
    let best = -1;
    let bestCount = 256;
    for (let k = 0; k < n; k++) {
      const d = (start + k) % n;
      const i = blocks + d;
      if (this.has(i) || !this.neighborHas(slot, i) || !this.has((d / HASHES_PER_BLOCK) | 0)) continue;
      const count = this.availability[i];
      if (count < bestCount && !busy(i)) {
        best = i;
        bestCount = count;
        if (count <= 1) break;
      }
    }
    return best;
  }
}
