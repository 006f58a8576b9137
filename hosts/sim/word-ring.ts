/**
 * A ring of Int32 words in shared memory from one thread to another (a parallel run's frames and
 * publications from one strip to another, parallel-worker.ts). The writer puts records where
 * `reserve` says and makes them readable with `publish`; the reader takes what was published and
 * gives the room back. A record never wraps: one that would not fit before the end starts at word
 * 0, and WRAP marks where it would have begun. Two words of `index` hold where the writer has
 * published up to and where the reader has read up to; nothing else is shared.
 */

/** Marks the end of a lap: records' first words must differ from it. */
export const WRAP = -1;

export class RingWriter {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  private readonly size: number;
  /** Where the next word goes: records reserved so far end here. */
  end = 0;

  /** `index[slot]`: published up to; `index[slot + 1]`: read up to. */
  constructor(buffer: SharedArrayBuffer, private readonly index: Int32Array, private readonly slot: number) {
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.size = this.words.length;
  }

  /**
   * Where a record of `need` contiguous words can start (the caller then writes it and moves `end`
   * past it), or -1 while the reader has not yet made room.
   */
  reserve(need: number): number {
    const size = this.size;
    if (need >= size) throw new RangeError(`a record of ${need} words can't fit a ring of ${size}`);
    if (this.end === size) this.end = 0;
    const skip = this.end + need > size ? size - this.end : 0;
    const read = Atomics.load(this.index, this.slot + 1);
    if ((read - this.end - 1 + size) % size < skip + need) return -1;
    if (skip > 0) {
      this.words[this.end] = WRAP;
      this.end = 0;
    }
    return this.end;
  }

  /** Makes every record written so far readable; false when there was nothing new. */
  publish(): boolean {
    if (this.end === this.size) this.end = 0;
    if (Atomics.load(this.index, this.slot) === this.end) return false;
    Atomics.store(this.index, this.slot, this.end);
    return true;
  }
}

export class RingReader {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  private readonly size: number;
  private at = 0;

  constructor(buffer: SharedArrayBuffer, private readonly index: Int32Array, private readonly slot: number) {
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.size = this.words.length;
  }

  /** Hands each published record not yet read to `record(at)`, which returns where the next one starts; then frees their room. */
  read(record: (at: number) => number): void {
    const end = Atomics.load(this.index, this.slot);
    let k = this.at;
    while (k !== end) {
      if (k === this.size || this.words[k] === WRAP) {
        k = 0;
        continue;
      }
      k = record(k);
    }
    this.at = k;
    Atomics.store(this.index, this.slot + 1, k === this.size ? 0 : k);
  }
}
