/**
 * Binary min-heap of simulator events ordered by (time, insertion sequence): equal times pop in
 * the order they were pushed, which is what makes runs reproducible.
 *
 * Allocation-free in steady state. The heap holds only the sort key and a slot number in parallel
 * typed arrays (so sifting moves three numbers); each event's fields live in slot arrays recycled
 * through a free list. `pop()` writes the popped event into this object's public fields instead of
 * returning a fresh record.
 */
export class EventQueue<P> {
  /** Fields of the event last popped. */
  time = 0;
  seq = 0;
  kind = 0;
  a = 0;
  b = 0;
  payload: P | undefined = undefined;

  private n = 0;
  private nextSeq = 0;
  private heapTime: Float64Array;
  private heapSeq: Float64Array;
  private heapSlot: Int32Array;
  private slotKind: Int32Array;
  private slotA: Int32Array;
  private slotB: Int32Array;
  private slotPayload: (P | undefined)[];
  private free: Int32Array;
  private freeTop: number;

  constructor(capacity = 1024) {
    capacity = Math.max(1, capacity);
    this.heapTime = new Float64Array(capacity);
    this.heapSeq = new Float64Array(capacity);
    this.heapSlot = new Int32Array(capacity);
    this.slotKind = new Int32Array(capacity);
    this.slotA = new Int32Array(capacity);
    this.slotB = new Int32Array(capacity);
    this.slotPayload = new Array<P | undefined>(capacity).fill(undefined);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get size(): number {
    return this.n;
  }

  /** The sequence number the next push will get; every later push sorts after every earlier one. */
  get pushed(): number {
    return this.nextSeq;
  }

  /** Time of the earliest event, Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.heapTime[0] : Infinity;
  }

  push(time: number, kind: number, a: number, b: number, payload?: P): void {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop];
    this.slotKind[slot] = kind;
    this.slotA[slot] = a;
    this.slotB[slot] = b;
    this.slotPayload[slot] = payload;
    const seq = this.nextSeq++;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const hl = this.heapSlot;
    // Sift up by moving parents into the hole rather than swapping.
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ht[p];
      if (pt < time || (pt === time && hs[p] < seq)) break;
      ht[i] = pt;
      hs[i] = hs[p];
      hl[i] = hl[p];
      i = p;
    }
    ht[i] = time;
    hs[i] = seq;
    hl[i] = slot;
  }

  /** Removes the earliest event into the public fields; false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const hl = this.heapSlot;
    const slot = hl[0];
    this.time = ht[0];
    this.seq = hs[0];
    this.kind = this.slotKind[slot];
    this.a = this.slotA[slot];
    this.b = this.slotB[slot];
    this.payload = this.slotPayload[slot];
    this.slotPayload[slot] = undefined; // don't pin delivered frames
    this.free[this.freeTop++] = slot;

    const n = --this.n;
    if (n === 0) return true;
    // Sift the last entry down from the root.
    const t = ht[n];
    const s = hs[n];
    const l = hl[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (ht[r] < ht[c] || (ht[r] === ht[c] && hs[r] < hs[c]))) c = r;
      if (t < ht[c] || (t === ht[c] && s < hs[c])) break;
      ht[i] = ht[c];
      hs[i] = hs[c];
      hl[i] = hl[c];
      i = c;
    }
    ht[i] = t;
    hs[i] = s;
    hl[i] = l;
    return true;
  }

  private grow(): void {
    const old = this.heapTime.length;
    const cap = old * 2;
    const widen = <A extends Float64Array | Int32Array>(src: A, make: (n: number) => A): A => {
      const dst = make(cap);
      dst.set(src);
      return dst;
    };
    this.heapTime = widen(this.heapTime, (k) => new Float64Array(k));
    this.heapSeq = widen(this.heapSeq, (k) => new Float64Array(k));
    this.heapSlot = widen(this.heapSlot, (k) => new Int32Array(k));
    this.slotKind = widen(this.slotKind, (k) => new Int32Array(k));
    this.slotA = widen(this.slotA, (k) => new Int32Array(k));
    this.slotB = widen(this.slotB, (k) => new Int32Array(k));
    for (let i = old; i < cap; i++) this.slotPayload.push(undefined);
    // Only called when every slot is taken, so the free list is exactly the new slots.
    this.free = new Int32Array(cap);
    for (let i = 0; i < old; i++) this.free[i] = cap - 1 - i;
    this.freeTop = old;
  }
}
