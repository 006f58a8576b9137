/**
 * When, and to which neighbor, each own unconfirmed reading was last handed on: what the sweep needs
 * to resend it in time and to hold a neighbor to the custody it took. Flat and bounded: one row per
 * unsent-store slot (seq modulo capacity), since at most that many readings are unconfirmed.
 *
 * A reading storage no longer holds, whose copy is on its way, may see its row taken by the newer
 * reading of its slot being handed on. The row then carries it too (a flag in its slot byte: neighbor
 * slots are below 64), until the newer one's handoff lapses: its copy is still waited for (entryBase)
 * and given up only then, unconfirmed. Given up as its row was taken, it was counted lost while its
 * copy still reached the gateway, 7 to 9 per origin in a 20-minute partition without lenders.
 */
import { typedArrays } from "../typed-arrays.js";

/** The row also carries the seq one capacity below its own. */
const CARRIES = 0x40;

export class Handoffs {
  private readonly seqs: Uint32Array;
  private readonly times: Float64Array;
  private readonly slots: Int8Array;

  constructor(readonly capacity: number) {
    [this.times, this.seqs, this.slots] = typedArrays([Float64Array, capacity], [Uint32Array, capacity], [Int8Array, capacity]);
  }

  /**
   * Records `seq` handed to `slot` at `at`. The row's older seq, if storage no longer holds it (below
   * `below`) and it was handed on after `since`, is carried; one not carried, and the one it carried,
   * go to `gone` (a held one goes nowhere: the sweep sends it again).
   */
  set(seq: number, at: number, slot: number, below: number, since: number, gone: (seq: number) => void): void {
    const i = seq % this.capacity;
    const old = this.seqs[i];
    const carried = this.slots[i] & CARRIES ? old - this.capacity : 0;
    const carries = old === seq ? carried !== 0 : old !== 0 && old < below && this.times[i] > since;
    this.seqs[i] = seq;
    this.times[i] = at;
    this.slots[i] = slot | (carries ? CARRIES : 0);
    // Given up once the row no longer holds them (gone may ask whether they are still handed on).
    if (old === seq || old === 0) return;
    if (carried !== 0) gone(carried);
    if (!carries && old < below) gone(old);
  }

  /** When `seq` was handed on (for one carried, its row's newer seq), or -1 if it was not (or its row was reused). */
  at(seq: number): number {
    const i = seq % this.capacity;
    return this.seqs[i] === seq || (this.seqs[i] === seq + this.capacity && this.slots[i] & CARRIES) ? this.times[i] : -1;
  }

  /** The neighbor slot `seq` was handed to (meaningful when at(seq) ≥ 0 and it is not carried). */
  slot(seq: number): number {
    return this.slots[seq % this.capacity] & ~CARRIES;
  }

  /** The lowest seq above `above` and below `below` handed on at `since` or later, carried ones included; `below` if none. */
  lowest(above: number, below: number, since: number): number {
    let low = below;
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] === 0 || this.times[i] < since) continue;
      const seq = this.slots[i] & CARRIES ? this.seqs[i] - this.capacity : this.seqs[i];
      if (seq > above && seq < low) low = seq;
    }
    return low;
  }

  /** Forgets `seq`: the row keeps the seq it carried, if any, until its time lapses. */
  delete(seq: number): void {
    const i = seq % this.capacity;
    if (this.seqs[i] !== seq) return;
    if (this.slots[i] & CARRIES) {
      this.seqs[i] = seq - this.capacity;
      this.slots[i] &= ~CARRIES;
    } else this.seqs[i] = 0;
  }

  /** Forgets the seqs below `below` handed on at `before` or earlier, carried ones too, calling `gone` with each. */
  lapse(below: number, before: number, gone: (seq: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      const seq = this.seqs[i];
      if (seq === 0 || this.times[i] > before) continue;
      if (this.slots[i] & CARRIES) {
        this.slots[i] &= ~CARRIES;
        gone(seq - this.capacity);
      }
      if (seq >= below) continue;
      this.seqs[i] = 0;
      gone(seq);
    }
  }

  /** Forgets every seq up to `seq` (confirmed), calling `kept` with the slot each was handed to (not for carried ones). */
  confirm(seq: number, kept: (slot: number) => void): void {
    for (let i = 0; i < this.capacity; i++) {
      if (this.seqs[i] === 0) continue;
      if (this.seqs[i] - this.capacity <= seq) this.slots[i] &= ~CARRIES;
      if (this.seqs[i] > seq) continue;
      this.seqs[i] = 0;
      kept(this.slots[i]);
    }
  }
}
