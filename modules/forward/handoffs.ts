/**
 * When, and to which neighbor, each own unconfirmed reading was last handed on: what the sweep needs
 * to resend it in time and to hold a neighbor to the custody it took. Also which neighbor was last
 * blamed for losing it: if the reading then reaches the gateway through that neighbor after all, the
 * blame is taken back (custody-trust.ts). Flat and bounded: one row per unsent-store slot (seq
 * modulo capacity), since at most that many readings are unconfirmed.
 */
export class Handoffs {
  private readonly seqs: Uint32Array;
  /** When the row's seq was handed on; -1: not handed on now (never, or resent since). */
  private readonly times: Float64Array;
  private readonly slots: Int8Array;
  /** The neighbor slot last blamed for losing the row's seq, -1: none. */
  private readonly blamed: Int8Array;

  constructor(readonly capacity: number) {
    this.seqs = new Uint32Array(capacity);
    this.times = new Float64Array(capacity);
    this.slots = new Int8Array(capacity);
    this.blamed = new Int8Array(capacity).fill(-1);
  }

  set(seq: number, at: number, slot: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] !== seq) this.blamed[i] = -1;
    this.seqs[i] = seq;
    this.times[i] = at;
    this.slots[i] = slot;
  }

  /** When `seq` was handed on, or -1 if it was not (or its row was reused). */
  at(seq: number): number {
    const i = seq % this.capacity;
    return this.seqs[i] === seq ? this.times[i] : -1;
  }

  /** The neighbor slot `seq` was handed to (meaningful when at(seq) ≥ 0). */
  slot(seq: number): number {
    return this.slots[seq % this.capacity];
  }

  /** `seq` is no longer handed on (it is sent again). */
  delete(seq: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] === seq) this.times[i] = -1;
  }

  /** `seq` was lost by the neighbor it was handed to, which is blamed for it; it is sent again. */
  blame(seq: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] !== seq) return;
    this.blamed[i] = this.slots[i];
    this.times[i] = -1;
  }

  /**
   * Forgets every seq up to `seq` (confirmed), calling `kept` with the slot each handed on was handed
   * to, and whether that neighbor was the one last blamed for losing it (it made good).
   */
  confirm(seq: number, kept: (slot: number, madeGood: boolean) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] === 0 || this.seqs[i] > seq) continue;
      this.seqs[i] = 0;
      if (this.times[i] >= 0) kept(this.slots[i], this.blamed[i] === this.slots[i]);
    }
  }
}
