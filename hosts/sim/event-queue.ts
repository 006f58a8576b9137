/**
 * Simulator events ordered by (time, rank, order): the caller's two tie keys, not the order of
 * pushes. The simulator makes both keys of a node's event something the node alone determines
 * (hosts/sim/simulator.ts), so a node's events run in the same order however the network around it
 * is split between threads. Events with equal keys pop in push order.
 *
 * A calendar of one bucket per integer ms over the next RING_MS ms, backed by a binary min-heap for
 * everything else (later, fractional or earlier times). Nearly every event is a reception 2–5 ms
 * ahead or a tick within a beacon period, so most pushes and pops are list operations instead of
 * sifts through a heap of every frame in flight. A bucket is a list kept sorted by (rank, order):
 * a push that sorts last (the common case for a tick) is appended; others walk from the head. A pop
 * takes the earlier of the first bucket's head and the heap's top.
 *
 * Allocation-free in steady state: each event's fields live in a slot of one Float64Array, its
 * numbers side by side (a cache line per event rather than one per field: the queue is cold after
 * every device call), recycled through a free list; `pop()` writes the popped event into this
 * object's public fields instead of returning a fresh record.
 */

/** Calendar span, ms (a power of two): a beacon period with its jitter fits. */
const RING_MS = 8192;
const RING_MASK = RING_MS - 1;
const NONE = -1;
/** A slot's fields in `slots`, at slot × STRIDE: the keys, the payload-free `aux` and the next slot of its bucket. */
const TIME = 0;
const RANK = 1;
const ORDER = 2;
const SEQ = 3;
const AUX = 4;
const NEXT = 5;
const STRIDE = 8;

export class EventQueue<P> {
  /** Fields of the event last popped. */
  time = 0;
  rank = 0;
  order = 0;
  aux = 0;
  payload: P | undefined = undefined;

  private n = 0;
  /** Push counter: the last tie-break, between events of equal keys. */
  private nextSeq = 0;
  /** Per slot, STRIDE numbers: the event (NEXT: the next slot in the same bucket, NONE: last). */
  private slots: Float64Array;
  private slotPayload: (P | undefined)[];
  private free: Int32Array;
  private freeTop: number;
  // The calendar: bucket `t & RING_MASK` holds the events at integer time t, for cur ≤ t < cur + RING_MS.
  private readonly head = new Int32Array(RING_MS).fill(NONE);
  private readonly tail = new Int32Array(RING_MS).fill(NONE);
  /** No calendar event is earlier than this; only ever grows. */
  private cur = 0;
  private inRing = 0;
  /** The heap of the other events: slots, ordered by their keys. */
  private heapSize = 0;
  private heap: Int32Array;

  constructor(capacity = 1024) {
    capacity = Math.max(1, capacity);
    this.slots = new Float64Array(capacity * STRIDE);
    this.slotPayload = new Array<P | undefined>(capacity).fill(undefined);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
    this.heap = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, Infinity when empty. */
  peekTime(): number {
    const r = this.firstBucket();
    const ringTime = r === NONE ? Infinity : this.slots[r * STRIDE + TIME];
    const heapTime = this.heapSize > 0 ? this.slots[this.heap[0] * STRIDE + TIME] : Infinity;
    return ringTime < heapTime ? ringTime : heapTime;
  }

  /** Queues an event at `time`; among equal times, lower `rank` first, then lower `order`. */
  push(time: number, rank: number, order: number, aux: number, payload?: P): void {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop];
    const slots = this.slots;
    const at = slot * STRIDE;
    slots[at + TIME] = time;
    slots[at + RANK] = rank;
    slots[at + ORDER] = order;
    slots[at + SEQ] = this.nextSeq++;
    slots[at + AUX] = aux;
    this.slotPayload[slot] = payload;
    this.n++;
    const ahead = time - this.cur;
    if (ahead >= 0 && ahead < RING_MS && Number.isInteger(time)) {
      this.bucketInsert(time & RING_MASK, slot);
      this.inRing++;
      return;
    }
    this.heapPush(slot);
  }

  /** Removes the earliest event into the public fields; false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const r = this.firstBucket();
    const slots = this.slots;
    let slot: number;
    if (r !== NONE && (this.heapSize === 0 || this.before(r, this.heap[0]))) {
      slot = r;
      const bucket = this.cur & RING_MASK;
      const next = slots[slot * STRIDE + NEXT];
      this.head[bucket] = next;
      if (next === NONE) this.tail[bucket] = NONE;
      this.inRing--;
    } else {
      slot = this.heapPop();
    }
    this.n--;
    const at = slot * STRIDE;
    this.time = slots[at + TIME];
    this.rank = slots[at + RANK];
    this.order = slots[at + ORDER];
    this.aux = slots[at + AUX];
    this.payload = this.slotPayload[slot];
    this.slotPayload[slot] = undefined; // don't pin delivered frames
    this.free[this.freeTop++] = slot;
    return true;
  }

  /** Whether slot `x` sorts before slot `y` by (time, rank, order, push). */
  private before(x: number, y: number): boolean {
    const slots = this.slots;
    const a = x * STRIDE, b = y * STRIDE;
    const tx = slots[a + TIME], ty = slots[b + TIME];
    if (tx !== ty) return tx < ty;
    const rx = slots[a + RANK], ry = slots[b + RANK];
    if (rx !== ry) return rx < ry;
    const ox = slots[a + ORDER], oy = slots[b + ORDER];
    if (ox !== oy) return ox < oy;
    return slots[a + SEQ] < slots[b + SEQ];
  }

  /** Whether slot `at` sorts after keys (rank, order) of the same time. */
  private sortsAfter(at: number, rank: number, order: number): boolean {
    const r = this.slots[at * STRIDE + RANK];
    return r > rank || (r === rank && this.slots[at * STRIDE + ORDER] > order);
  }

  /**
   * Puts `slot` into its bucket's sorted list. A bucket holds one time, and an event sorts after the
   * ones with equal keys pushed before it, so the walk compares (rank, order) alone: it stops at
   * the first event with greater keys.
   */
  private bucketInsert(bucket: number, slot: number): void {
    const slots = this.slots;
    const rank = slots[slot * STRIDE + RANK];
    const order = slots[slot * STRIDE + ORDER];
    const last = this.tail[bucket];
    if (last === NONE) {
      slots[slot * STRIDE + NEXT] = NONE;
      this.head[bucket] = slot;
      this.tail[bucket] = slot;
      return;
    }
    if (!this.sortsAfter(last, rank, order)) {
      slots[slot * STRIDE + NEXT] = NONE;
      slots[last * STRIDE + NEXT] = slot;
      this.tail[bucket] = slot;
      return;
    }
    // The tail sorts after `slot`, so the walk ends before it.
    let prev = NONE;
    let at = this.head[bucket];
    while (!this.sortsAfter(at, rank, order)) {
      prev = at;
      at = slots[at * STRIDE + NEXT];
    }
    slots[slot * STRIDE + NEXT] = at;
    if (prev === NONE) this.head[bucket] = slot;
    else slots[prev * STRIDE + NEXT] = slot;
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

  private heapPush(slot: number): void {
    const h = this.heap;
    // Sift up by moving parents into the hole rather than swapping.
    let i = this.heapSize++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.before(h[p], slot)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = slot;
  }

  /** Removes the heap's top; returns its slot. */
  private heapPop(): number {
    const h = this.heap;
    const top = h[0];
    const n = --this.heapSize;
    if (n === 0) return top;
    // Sift the last entry down from the root.
    const s = h[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && this.before(h[r], h[c])) c = r;
      if (this.before(s, h[c])) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = s;
    return top;
  }

  private grow(): void {
    const old = this.slotPayload.length;
    const cap = old * 2;
    const slots = new Float64Array(cap * STRIDE);
    slots.set(this.slots);
    this.slots = slots;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
    for (let i = old; i < cap; i++) this.slotPayload.push(undefined);
    // Only called when every slot is taken, so the free list is exactly the new slots.
    this.free = new Int32Array(cap);
    for (let i = 0; i < old; i++) this.free[i] = cap - 1 - i;
    this.freeTop = old;
  }
}
