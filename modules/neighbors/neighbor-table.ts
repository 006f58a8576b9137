/**
 * The neighbor table: who is in radio range, how well each link works in both directions, and whom
 * each neighbor hears (its HELLO list, kept as a bitmask over our own table's slots so that gossip
 * can reason about two-hop coverage without allocating).
 *
 * Bounded: `capacity` rows (≤ 32, one mask bit each). Admission when full: a newcomer replaces the
 * row with the worst reception ratio if that ratio is below EVICT_BELOW (below EVICT_SETTLED_BELOW
 * for a row heard SETTLED_MS and more, so a long-lived neighbor is not lost to a passing fade), and
 * at most one row is replaced per REPLACE_SPACING_MS; otherwise it is refused. Newcomers (rows
 * younger than SETTLED_MS) may hold at most half the rows while settled ones exist, so a burst of
 * new identities cannot fill the table around a node (eclipse, docs/security.md); a node whose
 * table is empty or all new (a boot) takes everyone.
 * Expiry: a row silent for `deadAfterBeacons` of its own beacon periods is removed.
 *
 * Memory: the rows live in typed arrays shared by the whole table, one element (or one fixed run)
 * per slot, allocated once; a `Neighbor` is a handle on its slot, holding only its link address (which
 * no typed array can). On XS every object and typed array costs slots, so objects and arrays per row
 * would cost several times the bytes they hold.
 */
import { typedArrays } from "../typed-arrays.js";
import { equalAt, readU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { helloNeighborOffset, helloNeighborQuality, MAX_HELLO_NEIGHBORS, type HelloView } from "../wire/hello.js";
import { BEACON_WINDOW, etx, receptionRatio, recordBeacon } from "./link-quality.js";

/** A 32-bit key of the 8-byte id at `bytes[at..]`: both halves folded, so ids sharing a prefix differ. */
export function idKey(bytes: Uint8Array, at: number): number {
  return (readU32(bytes, at) ^ readU32(bytes, at + 4)) >>> 0;
}

/** A full table gives a row to a newcomer only if some row is heard worse than this… */
export const EVICT_BELOW = 0.5;
/** …or, for a settled row, worse than this. */
export const EVICT_SETTLED_BELOW = 0.25;
/** A row heard this long is settled; younger rows are newcomers. */
export const SETTLED_MS = 60_000;
/** A full table replaces at most one row this often. */
export const REPLACE_SPACING_MS = 10_000;

/*
 * Row layout. Each row is a fixed run in each of three typed arrays shared by the whole table:
 *   u8:  id (8) · role · span · selectsUs · selectsAny · twoHopCount · adjacency
 *        qualities (one per slot, `capacity`) · two-hop qualities (MAX_HELLO_NEIGHBORS)
 *   u32: idKey · adjacency mask · beacon bitmap · last beacon seq · two-hop keys (MAX_HELLO_NEIGHBORS)
 *   f64: first heard · last heard · beacon interval (ms)
 */
const ROLE = NODE_ID_BYTES;
const SPAN = ROLE + 1;
const SELECTS_US = ROLE + 2;
const SELECTS_ANY = ROLE + 3;
const TWO_HOP_COUNT = ROLE + 4;
const ADJACENCY_QUALITY = ROLE + 5;
const KEY = 0;
const ADJACENCY = 1;
const BITS = 2;
const LAST_BEACON_SEQ = 3;
const TWO_HOP_KEYS = 4;
const U32_STRIDE = TWO_HOP_KEYS + MAX_HELLO_NEIGHBORS;
const FIRST_HEARD = 0;
const LAST_HEARD = 1;
const INTERVAL = 2;
const F64_STRIDE = 3;
/** `present` per occupied row: its id as two u32 words (big-endian halves), its idKey, its slot. */
const PRESENT_HIGH = 0;
const PRESENT_LOW = 1;
const PRESENT_KEY = 2;
const PRESENT_SLOT = 3;
const PRESENT_STRIDE = 4;

/**
 * One admitted neighbor: a handle on its row. Its fields read the table's arrays, so a handle is
 * current while its row is in the table; after removal it still reads the row as it was, until the
 * slot is given to a newcomer (which gets a handle of its own).
 */
export class Neighbor {
  /**
   * The link address its last HELLO came from, on the handle itself: every frame of the neighbor
   * compares it, and the handle is read then anyway (an array of the table's was one more cold read).
   */
  link: unknown;

  constructor(private readonly table: NeighborTable, readonly slot: number, readonly idHex: string, link: unknown) {
    this.link = link;
  }

  /** Where this row starts in the table's u8, u32 and f64 arrays. */
  private get u8(): number {
    return this.slot * this.table.u8Stride;
  }

  private get u32(): number {
    return this.slot * U32_STRIDE;
  }

  private get f64(): number {
    return this.slot * F64_STRIDE;
  }

  /** The 8-byte id (a view into the table). */
  get id(): Uint8Array {
    return this.table.u8.subarray(this.u8, this.u8 + NODE_ID_BYTES);
  }

  get role(): number {
    return this.table.u8[this.u8 + ROLE];
  }

  /** Beacon-slot bitmap, bit 0 = newest slot. */
  get bits(): number {
    return this.table.u32[this.u32 + BITS];
  }

  /** Beacon slots observed since first heard, capped at BEACON_WINDOW. */
  get span(): number {
    return this.table.u8[this.u8 + SPAN];
  }

  /** How well this neighbor hears us (from its HELLO), 0..255; 0 until it lists us. */
  get hearsUs(): number {
    return this.table.hearsUs[this.slot];
  }

  /** Bit k set: this neighbor lists the neighbor in our slot k (an int32, as the bitwise operators give). */
  get adjacency(): number {
    return this.table.u32[this.u32 + ADJACENCY] | 0;
  }

  /** Its reception ratio (0..255) of the neighbor in our slot `k` (meaningful where `adjacency` has bit k). */
  adjacencyQuality(k: number): number {
    return this.table.u8[this.u8 + ADJACENCY_QUALITY + k];
  }

  /** It designated us as one of its relays (its HELLO's relay mask). */
  get selectsUs(): boolean {
    return this.table.u8[this.u8 + SELECTS_US] === 1;
  }

  /** It designated anyone at all; until it does (it has not learned its two-hop view) all relay. */
  get selectsAny(): boolean {
    return this.table.u8[this.u8 + SELECTS_ANY] === 1;
  }

  /** How many neighbors of its own it lists: our two-hop view through it. */
  get twoHopCount(): number {
    return this.table.u8[this.u8 + TWO_HOP_COUNT];
  }

  /** idKey of its `j`-th listed neighbor (j < twoHopCount). */
  twoHopKey(j: number): number {
    return this.table.u32[this.u32 + TWO_HOP_KEYS + j];
  }

  /** How well it hears its `j`-th listed neighbor, 0..255. */
  twoHopQuality(j: number): number {
    return this.table.u8[this.u8 + this.table.twoHopQualityAt + j];
  }

  get firstHeardAt(): number {
    return this.table.f64[this.f64 + FIRST_HEARD];
  }

  get lastHeardAt(): number {
    return this.table.f64[this.f64 + LAST_HEARD];
  }

  get lastBeaconSeq(): number {
    return this.table.u32[this.u32 + LAST_BEACON_SEQ];
  }

  get intervalMs(): number {
    return this.table.f64[this.f64 + INTERVAL];
  }

  /** Our reception ratio of its beacons at `now`. */
  reception(now: number): number {
    const silent = Math.floor((now - this.lastHeardAt) / this.intervalMs);
    return receptionRatio(this.bits, this.span, silent > 0 ? silent : 0);
  }

  etx(now: number): number {
    return etx(this.reception(now), this.hearsUs / 255);
  }
}

const NONE: readonly Neighbor[] = [];

export type AdmitResult = { neighbor: Neighbor; evicted: Neighbor | null } | null;

export class NeighborTable {
  private readonly rows: (Neighbor | null)[];
  /** The occupied rows, compact, for hot loops (rebuilt on admit and remove, which are rare). */
  private present: Neighbor[] = [];
  /**
   * Their ids, idKeys and slots side by side (PRESENT_STRIDE words each), for the hottest loops:
   * findAt runs for every frame and every neighbor a HELLO lists, and reads this one short run of
   * memory alone, not the rows (~80 B apart in u8, ~150 B in u32: with many nodes simulated each
   * array and row read is a cache miss).
   */
  private readonly presentWords: Uint32Array;
  private count = 0;
  /** nextExpiry's answer, NaN when it must be found again: every change to a row's hearing or to the rows clears it. */
  private knownExpiry = NaN;
  private replacedAt = -Infinity;
  /** The rows' fields (see the layout above), read through Neighbor handles. */
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  /**
   * Per slot, how well its neighbor hears us (Neighbor.hearsUs), apart from the rows: the relay
   * policy reads it for every neighbor per message, and side by side that is one read of memory.
   */
  readonly hearsUs: Uint8Array;
  readonly u8Stride: number;
  /** Where a row's two-hop qualities start in its u8 run. */
  readonly twoHopQualityAt: number;

  constructor(readonly capacity: number, private readonly deadAfterBeacons: number) {
    if (capacity < 1 || capacity > 32) throw new RangeError("neighbor capacity must be 1..32");
    this.rows = new Array<Neighbor | null>(capacity).fill(null);
    this.twoHopQualityAt = ADJACENCY_QUALITY + capacity;
    this.u8Stride = this.twoHopQualityAt + MAX_HELLO_NEIGHBORS;
    [this.f64, this.u32, this.presentWords, this.u8, this.hearsUs] = typedArrays(
      [Float64Array, capacity * F64_STRIDE], [Uint32Array, capacity * U32_STRIDE], [Uint32Array, capacity * PRESENT_STRIDE],
      [Uint8Array, capacity * this.u8Stride], [Uint8Array, capacity]);
  }

  get size(): number {
    return this.count;
  }

  get(idHex: string): Neighbor | undefined {
    for (const n of this.rows) if (n && n.idHex === idHex) return n;
    return undefined;
  }

  /** Row holding the 8-byte id at `bytes[at..]`, compared in place. */
  findAt(bytes: Uint8Array, at: number): Neighbor | undefined {
    const high = readU32(bytes, at);
    const low = readU32(bytes, at + 4);
    // The occupied rows only (in slot order): a HELLO looks up each neighbor it lists.
    const words = this.presentWords;
    const end = this.count * PRESENT_STRIDE;
    for (let w = 0; w < end; w += PRESENT_STRIDE) {
      if (words[w + PRESENT_HIGH] === high && words[w + PRESENT_LOW] === low) return this.rows[words[w + PRESENT_SLOT]]!;
    }
    return undefined;
  }

  /** Whether some row has this idKey (a two-hop key). */
  hasKey(key: number): boolean {
    const words = this.presentWords;
    const end = this.count * PRESENT_STRIDE;
    for (let w = PRESENT_KEY; w < end; w += PRESENT_STRIDE) if (words[w] === key) return true;
    return false;
  }

  bySlot(slot: number): Neighbor | null {
    return this.rows[slot];
  }

  /** Slot of the `k`-th occupied row (k < size), in slot order as `all`: hot loops read the table's per-slot arrays with it. */
  slotAt(k: number): number {
    return this.presentWords[k * PRESENT_STRIDE + PRESENT_SLOT];
  }

  /** Occupied rows; read only, replaced (not mutated) when the table changes. */
  get all(): readonly Neighbor[] {
    return this.present;
  }

  [Symbol.iterator](): IterableIterator<Neighbor> {
    return this.present[Symbol.iterator]();
  }

  /**
   * Adds a neighbor first heard at `now`, applying the admission rule. Returns null when refused.
   * `id` is copied.
   */
  admit(id: Uint8Array, idHex: string, link: unknown, role: number, beaconSeq: number, intervalMs: number, now: number): AdmitResult {
    let newcomers = 0;
    for (const n of this.present) if (now - n.firstHeardAt < SETTLED_MS) newcomers++;
    if (newcomers < this.count && newcomers >= this.capacity >> 1) return null;
    let slot = this.rows.indexOf(null);
    let evicted: Neighbor | null = null;
    if (slot < 0) {
      if (now - this.replacedAt < REPLACE_SPACING_MS) return null;
      let worst: Neighbor | null = null;
      let worstMargin = 0;
      for (const n of this.rows) {
        const below = now - n!.firstHeardAt >= SETTLED_MS ? EVICT_SETTLED_BELOW : EVICT_BELOW;
        const margin = below - n!.reception(now);
        if (margin > worstMargin) {
          worst = n;
          worstMargin = margin;
        }
      }
      if (!worst) return null;
      this.replacedAt = now;
      evicted = worst;
      slot = worst.slot;
      this.remove(worst);
    }
    const u8 = slot * this.u8Stride;
    const u32 = slot * U32_STRIDE;
    const f64 = slot * F64_STRIDE;
    this.u8.fill(0, u8, u8 + this.u8Stride);
    this.u8.set(id.subarray(0, NODE_ID_BYTES), u8);
    this.u8[u8 + ROLE] = role;
    this.u8[u8 + SPAN] = 1;
    this.u32.fill(0, u32, u32 + U32_STRIDE);
    this.u32[u32 + KEY] = idKey(id, 0);
    this.u32[u32 + BITS] = 1;
    this.u32[u32 + LAST_BEACON_SEQ] = beaconSeq;
    this.f64[f64 + FIRST_HEARD] = now;
    this.f64[f64 + LAST_HEARD] = now;
    this.f64[f64 + INTERVAL] = intervalMs;
    this.knownExpiry = NaN;
    this.hearsUs[slot] = 0;
    const neighbor = new Neighbor(this, slot, idHex, link);
    this.rows[slot] = neighbor;
    this.count++;
    this.compact();
    return { neighbor, evicted };
  }

  /** Records a HELLO from an admitted neighbor: reception bitmap, interval, and whom it hears. */
  heard(n: Neighbor, hello: HelloView, selfId: Uint8Array, link: unknown, now: number): void {
    const u8 = n.slot * this.u8Stride;
    const u32 = n.slot * U32_STRIDE;
    const f64 = n.slot * F64_STRIDE;
    const advance = (hello.beaconSeq - this.u32[u32 + LAST_BEACON_SEQ]) & 0xffff;
    // More beacons than the sender could have sent since we last heard it (its period is at least
    // half its interval, as beaconJitter ≤ 0.5): it rebooted and restarted its sequence.
    if (advance > Math.floor((now - this.f64[f64 + LAST_HEARD]) / (this.f64[f64 + INTERVAL] / 2)) + 1) {
      this.u32[u32 + BITS] = 1;
      this.u8[u8 + SPAN] = 1;
    } else if (advance > 0) {
      this.u32[u32 + BITS] = recordBeacon(this.u32[u32 + BITS], advance);
      this.u8[u8 + SPAN] = Math.min(BEACON_WINDOW, this.u8[u8 + SPAN] + advance);
    }
    this.u32[u32 + LAST_BEACON_SEQ] = hello.beaconSeq;
    this.f64[f64 + LAST_HEARD] = now;
    this.f64[f64 + INTERVAL] = hello.intervalMs;
    this.knownExpiry = NaN;
    n.link = link;
    let hearsUs = 0;
    let adjacency = 0;
    let selectsUs = false;
    let twoHops = 0;
    for (let i = 0; i < hello.neighborCount; i++) {
      const at = helloNeighborOffset(i);
      const quality = helloNeighborQuality(hello, i);
      if (equalAt(hello.neighbors, at, selfId, 0, NODE_ID_BYTES)) {
        hearsUs = quality;
        selectsUs = ((hello.relayMask >>> i) & 1) === 1;
        continue;
      }
      this.u32[u32 + TWO_HOP_KEYS + twoHops] = idKey(hello.neighbors, at);
      this.u8[u8 + this.twoHopQualityAt + twoHops++] = quality;
      const other = this.findAt(hello.neighbors, at);
      if (other) {
        adjacency |= 1 << other.slot;
        this.u8[u8 + ADJACENCY_QUALITY + other.slot] = quality;
      }
    }
    this.u8[u8 + TWO_HOP_COUNT] = twoHops;
    this.hearsUs[n.slot] = hearsUs;
    this.u32[u32 + ADJACENCY] = adjacency;
    this.u8[u8 + SELECTS_US] = selectsUs ? 1 : 0;
    this.u8[u8 + SELECTS_ANY] = hello.relayMask !== 0 ? 1 : 0;
  }

  remove(n: Neighbor): void {
    if (this.rows[n.slot] !== n) return;
    this.rows[n.slot] = null;
    this.count--;
    this.knownExpiry = NaN;
    this.compact();
    const clear = ~(1 << n.slot);
    for (const other of this.rows) if (other) this.u32[other.slot * U32_STRIDE + ADJACENCY] &= clear;
  }

  /** Rebuilds `present` and `presentWords` after a row came or went. */
  private compact(): void {
    this.present = this.rows.filter((r): r is Neighbor => r !== null);
    for (let k = 0; k < this.present.length; k++) {
      const slot = this.present[k].slot;
      const w = k * PRESENT_STRIDE;
      this.presentWords[w + PRESENT_HIGH] = readU32(this.u8, slot * this.u8Stride);
      this.presentWords[w + PRESENT_LOW] = readU32(this.u8, slot * this.u8Stride + 4);
      this.presentWords[w + PRESENT_KEY] = this.u32[slot * U32_STRIDE + KEY];
      this.presentWords[w + PRESENT_SLOT] = slot;
    }
  }

  /** How long the row whose f64 fields start at `f64` may stay silent: deadAfterBeacons and a half of its beacon periods. */
  private silenceAllowed(f64: number): number {
    const intervalMs = this.f64[f64 + INTERVAL];
    return this.deadAfterBeacons * intervalMs + intervalMs / 2;
  }

  /** Removes and returns the rows silent for longer than allowed at `now`. */
  expire(now: number): readonly Neighbor[] {
    // Every tick asks, and rows rarely die: none can before the known expiry (a millisecond of margin
    // covers its rounding), and then the walk would find none and the same expiry.
    if (now <= this.knownExpiry - 2) return NONE;
    let dead: Neighbor[] | null = null;
    let next = Infinity;
    for (let k = 0; k < this.count; k++) {
      const slot = this.slotAt(k);
      const f64 = slot * F64_STRIDE;
      const lastHeard = this.f64[f64 + LAST_HEARD];
      const allowed = this.silenceAllowed(f64);
      if (now - lastHeard > allowed) (dead ??= []).push(this.rows[slot]!);
      else next = Math.min(next, lastHeard + allowed + 1);
    }
    if (!dead) {
      // Every tick asks, and then for nextExpiry: rows rarely die, and this walk has found it.
      this.knownExpiry = next;
      return NONE;
    }
    for (const n of dead) this.remove(n);
    return dead;
  }

  /** Earliest time at which some row would expire (Infinity if the table is empty). */
  nextExpiry(): number {
    if (this.knownExpiry === this.knownExpiry) return this.knownExpiry;
    let t = Infinity;
    for (let k = 0; k < this.count; k++) {
      const f64 = this.slotAt(k) * F64_STRIDE;
      t = Math.min(t, this.f64[f64 + LAST_HEARD] + this.silenceAllowed(f64) + 1);
    }
    this.knownExpiry = t;
    return t;
  }
}
