/**
 * Simulator events ordered by (time, insertion sequence): equal times pop in the order they were
 * pushed, which is what makes runs reproducible.
 *
 * A calendar of one bucket per integer ms over the next RING_MS ms, backed by a binary min-heap for
 * everything else (later, fractional or earlier times). Nearly every event is a reception 2–5 ms
 * ahead or a tick within a beacon period, so most pushes and pops are O(1) list operations instead
 * of sifts through a heap of every frame in flight. A bucket is a FIFO: its events were pushed in
 * sequence order, so its head is its earliest; a pop takes the earlier of the first bucket's head
 * and the heap's top by (time, seq).
 *
 * Allocation-free in steady state: each event's fields live in slot arrays recycled through a free
 * list; `pop()` writes the popped event into this object's public fields instead of returning a
 * fresh record.
 */

/** Calendar span, ms (a power of two): a beacon period with its jitter fits. */
const RING_MS = 8192;
const RING_MASK = RING_MS - 1;
const NONE = -1;

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
  // Per slot: the event.
  private slotTime: Float64Array;
  private slotSeq: Float64Array;
  private slotKind: Int32Array;
  private slotA: Int32Array;
  private slotB: Int32Array;
  private slotPayload: (P | undefined)[];
  /** Next slot in the same bucket (NONE: last). */
  private slotNext: Int32Array;
  private free: Int32Array;
  private freeTop: number;
  // The calendar: bucket `t & RING_MASK` holds the events at integer time t, for cur ≤ t < cur + RING_MS.
  private readonly head = new Int32Array(RING_MS).fill(NONE);
  private readonly tail = new Int32Array(RING_MS).fill(NONE);
  /** No calendar event is earlier than this; only ever grows. */
  private cur = 0;
  private inRing = 0;
  // The heap of the other events: sort key and slot in parallel arrays (sifting moves three numbers).
  private heapSize = 0;
  private heapTime: Float64Array;
  private heapSeq: Float64Array;
  private heapSlot: Int32Array;

  constructor(capacity = 1024) {
    capacity = Math.max(1, capacity);
    this.slotTime = new Float64Array(capacity);
    this.slotSeq = new Float64Array(capacity);
    this.slotKind = new Int32Array(capacity);
    this.slotA = new Int32Array(capacity);
    this.slotB = new Int32Array(capacity);
    this.slotPayload = new Array<P | undefined>(capacity).fill(undefined);
    this.slotNext = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
    this.heapTime = new Float64Array(capacity);
    this.heapSeq = new Float64Array(capacity);
    this.heapSlot = new Int32Array(capacity);
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
    const r = this.firstBucket();
    const ringTime = r === NONE ? Infinity : this.slotTime[r];
    const heapTime = this.heapSize > 0 ? this.heapTime[0] : Infinity;
    return ringTime < heapTime ? ringTime : heapTime;
  }

  push(time: number, kind: number, a: number, b: number, payload?: P): void {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop];
    const seq = this.nextSeq++;
    this.slotTime[slot] = time;
    this.slotSeq[slot] = seq;
    this.slotKind[slot] = kind;
    this.slotA[slot] = a;
    this.slotB[slot] = b;
    this.slotPayload[slot] = payload;
    this.n++;
    const ahead = time - this.cur;
    if (ahead >= 0 && ahead < RING_MS && Number.isInteger(time)) {
      // Appended: every event already in the bucket was pushed earlier, so has a smaller seq.
      const bucket = time & RING_MASK;
      this.slotNext[slot] = NONE;
      if (this.tail[bucket] === NONE) this.head[bucket] = slot;
      else this.slotNext[this.tail[bucket]] = slot;
      this.tail[bucket] = slot;
      this.inRing++;
      return;
    }
    this.heapPush(time, seq, slot);
  }

  /** Removes the earliest event into the public fields; false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const r = this.firstBucket();
    let slot: number;
    if (r !== NONE && (this.heapSize === 0 || this.ringFirst(r))) {
      slot = r;
      const bucket = this.cur & RING_MASK;
      const next = this.slotNext[slot];
      this.head[bucket] = next;
      if (next === NONE) this.tail[bucket] = NONE;
      this.inRing--;
    } else {
      slot = this.heapPop();
    }
    this.n--;
    this.time = this.slotTime[slot];
    this.seq = this.slotSeq[slot];
    this.kind = this.slotKind[slot];
    this.a = this.slotA[slot];
    this.b = this.slotB[slot];
    this.payload = this.slotPayload[slot];
    this.slotPayload[slot] = undefined; // don't pin delivered frames
    this.free[this.freeTop++] = slot;
    return true;
  }

  /** Whether calendar event `r` sorts before the heap's top. */
  private ringFirst(r: number): boolean {
    const t = this.slotTime[r];
    const ht = this.heapTime[0];
    return t < ht || (t === ht && this.slotSeq[r] < this.heapSeq[0]);
  }

  /** The head slot of the earliest non-empty bucket (moving `cur` up to it), or NONE. */
  private firstBucket(): number {
    if (this.inRing === 0) return NONE;
    const head = this.head;
    let cur = this.cur;
    while (head[cur & RING_MASK] === NONE) cur++;
    this.cur = cur;
    return head[cur & RING_MASK];
  }

  private heapPush(time: number, seq: number, slot: number): void {
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const hl = this.heapSlot;
    // Sift up by moving parents into the hole rather than swapping.
    let i = this.heapSize++;
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

  /** Removes the heap's top; returns its slot. */
  private heapPop(): number {
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const hl = this.heapSlot;
    const top = hl[0];
    const n = --this.heapSize;
    if (n === 0) return top;
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
    return top;
  }

  private grow(): void {
    const old = this.slotTime.length;
    const cap = old * 2;
    const widen = <A extends Float64Array | Int32Array>(src: A, make: (n: number) => A): A => {
      const dst = make(cap);
      dst.set(src);
      return dst;
    };
    this.slotTime = widen(this.slotTime, (k) => new Float64Array(k));
    this.slotSeq = widen(this.slotSeq, (k) => new Float64Array(k));
    this.slotKind = widen(this.slotKind, (k) => new Int32Array(k));
    this.slotA = widen(this.slotA, (k) => new Int32Array(k));
    this.slotB = widen(this.slotB, (k) => new Int32Array(k));
    this.slotNext = widen(this.slotNext, (k) => new Int32Array(k));
    this.heapTime = widen(this.heapTime, (k) => new Float64Array(k));
    this.heapSeq = widen(this.heapSeq, (k) => new Float64Array(k));
    this.heapSlot = widen(this.heapSlot, (k) => new Int32Array(k));
    for (let i = old; i < cap; i++) this.slotPayload.push(undefined);
    // Only called when every slot is taken, so the free list is exactly the new slots.
    this.free = new Int32Array(cap);
    for (let i = 0; i < old; i++) this.free[i] = cap - 1 - i;
    this.freeTop = old;
  }
}
