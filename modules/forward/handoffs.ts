/**
 * When, and to which neighbor, each own unconfirmed reading was last handed on: what the sweep needs
 * to resend it in time and to hold a neighbor to the custody it took. Flat and bounded: one row per
 * unsent-store slot (seq modulo capacity), since at most that many readings are unconfirmed.
 */
import { typedArrays } from "../typed-arrays.js";

export class Handoffs {
  private readonly seqs: Uint32Array;
  private readonly times: Float64Array;
  private readonly slots: Int8Array;

  constructor(readonly capacity: number) {
    [this.times, this.seqs, this.slots] = typedArrays([Float64Array, capacity], [Uint32Array, capacity], [Int8Array, capacity]);
  }

  /** Records `seq` handed to `slot` at `at`; returns the other seq whose row it took (0: none). */
  set(seq: number, at: number, slot: number): number {
    const i = seq % this.capacity;
    const displaced = this.seqs[i] === seq ? 0 : this.seqs[i];
    this.seqs[i] = seq;
    this.times[i] = at;
    this.slots[i] = slot;
    return displaced;
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

  /** The lowest seq above `above` and below `below` handed on at `since` or later; `below` if none. */
  lowest(above: number, below: number, since: number): number {
    let low = below;
    for (let i = 0; i < this.capacity; i++) {
      const seq = this.seqs[i];
      if (seq > above && seq < low && this.times[i] >= since) low = seq;
    }
    return low;
  }

  delete(seq: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] === seq) this.seqs[i] = 0;
  }

  /** Forgets the seqs below `below` handed on at `before` or earlier, calling `gone` with each. */
  lapse(below: number, before: number, gone: (seq: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      const seq = this.seqs[i];
      if (seq === 0 || seq >= below || this.times[i] > before) continue;
      this.seqs[i] = 0;
      gone(seq);
    }
  }

  /** Forgets every seq up to `seq` (confirmed), calling `kept` with the slot each was handed to. */
  confirm(seq: number, kept: (slot: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] === 0 || this.seqs[i] > seq) continue;
      this.seqs[i] = 0;
      kept(this.slots[i]);
    }
  }
}
