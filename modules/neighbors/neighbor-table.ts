/**
 * The neighbor table: who is in radio range, how well each link works in both directions, and whom
 * each neighbor hears (its HELLO list, kept as a bitmask over our own table's slots so that gossip
 * can reason about two-hop coverage without allocating).
 *
 * Bounded: `capacity` rows (≤ 32, one mask bit each). Admission when full: a newcomer replaces the
 * row with the worst reception ratio if that ratio is below EVICT_BELOW; otherwise it is refused.
 * Expiry: a row silent for `deadAfterBeacons` of its own beacon periods is removed.
 */
import { equalAt, readU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { helloNeighborOffset, helloNeighborQuality, MAX_HELLO_NEIGHBORS, type HelloView } from "../wire/hello.js";
import { BEACON_WINDOW, etx, receptionRatio, recordBeacon } from "./link-quality.js";

/** A 32-bit key of the 8-byte id at `bytes[at..]`: both halves folded, so ids sharing a prefix differ. */
export function idKey(bytes: Uint8Array, at: number): number {
  return (readU32(bytes, at) ^ readU32(bytes, at + 4)) >>> 0;
}

/** A full table gives a row to a newcomer only if some row is heard worse than this. */
export const EVICT_BELOW = 0.5;

export class Neighbor {
  /** Beacon-slot bitmap, bit 0 = newest slot. */
  bits = 1;
  /** Beacon slots observed since first heard, capped at BEACON_WINDOW. */
  span = 1;
  /** How well this neighbor hears us (from its HELLO), 0..255; 0 until it lists us. */
  hearsUs = 0;
  /** Bit k set: this neighbor lists the neighbor in our slot k. */
  adjacency = 0;
  /** Its reception ratio (0..255) of the neighbor in our slot k. */
  readonly adjacencyQuality: Uint8Array;
  /** It designated us as one of its relays (its HELLO's relay mask). */
  selectsUs = false;
  /** It designated anyone at all; until it does (it has not learned its two-hop view) all relay. */
  selectsAny = false;
  /** Its own neighbors (idKey) and how well it hears each: our two-hop view. */
  readonly twoHopKeys = new Uint32Array(MAX_HELLO_NEIGHBORS);
  readonly twoHopQuality = new Uint8Array(MAX_HELLO_NEIGHBORS);
  twoHopCount = 0;

  constructor(
    readonly id: Uint8Array,
    readonly idHex: string,
    readonly slot: number,
    public link: unknown,
    public role: number,
    readonly firstHeardAt: number,
    public lastHeardAt: number,
    public lastBeaconSeq: number,
    public intervalMs: number,
    capacity: number,
  ) {
    this.adjacencyQuality = new Uint8Array(capacity);
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

export type AdmitResult = { neighbor: Neighbor; evicted: Neighbor | null } | null;

export class NeighborTable {
  private readonly rows: (Neighbor | null)[];
  /** The occupied rows, compact, for hot loops (rebuilt on admit and remove, which are rare). */
  private present: Neighbor[] = [];
  /** idKey of each row, so lookups compare one number before eight bytes. */
  private readonly keys: Uint32Array;
  private count = 0;

  constructor(readonly capacity: number, private readonly deadAfterBeacons: number) {
    if (capacity < 1 || capacity > 32) throw new RangeError("neighbor capacity must be 1..32");
    this.rows = new Array<Neighbor | null>(capacity).fill(null);
    this.keys = new Uint32Array(capacity);
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
    const key = idKey(bytes, at);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.keys[slot] !== key) continue;
      const n = this.rows[slot];
      if (n && equalAt(n.id, 0, bytes, at, NODE_ID_BYTES)) return n;
    }
    return undefined;
  }

  /** Whether some row has this idKey (a two-hop key). */
  hasKey(key: number): boolean {
    for (let slot = 0; slot < this.capacity; slot++) if (this.keys[slot] === key && this.rows[slot]) return true;
    return false;
  }

  bySlot(slot: number): Neighbor | null {
    return this.rows[slot];
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
    let slot = this.rows.indexOf(null);
    let evicted: Neighbor | null = null;
    if (slot < 0) {
      let worst: Neighbor | null = null;
      let worstRatio = EVICT_BELOW;
      for (const n of this.rows) {
        const r = n!.reception(now);
        if (r < worstRatio) {
          worst = n;
          worstRatio = r;
        }
      }
      if (!worst) return null;
      evicted = worst;
      slot = worst.slot;
      this.remove(worst);
    }
    const neighbor = new Neighbor(id.slice(0, NODE_ID_BYTES), idHex, slot, link, role, now, now, beaconSeq, intervalMs, this.capacity);
    this.rows[slot] = neighbor;
    this.keys[slot] = idKey(neighbor.id, 0);
    this.count++;
    this.present = this.rows.filter((r): r is Neighbor => r !== null);
    return { neighbor, evicted };
  }

  /** Records a HELLO from an admitted neighbor: reception bitmap, interval, and whom it hears. */
  heard(n: Neighbor, hello: HelloView, selfId: Uint8Array, link: unknown, now: number): void {
    const advance = (hello.beaconSeq - n.lastBeaconSeq) & 0xffff;
    // More beacons than the sender could have sent since we last heard it (its period is at least
    // half its interval, as beaconJitter ≤ 0.5): it rebooted and restarted its sequence.
    if (advance > Math.floor((now - n.lastHeardAt) / (n.intervalMs / 2)) + 1) {
      n.bits = 1;
      n.span = 1;
    } else if (advance > 0) {
      n.bits = recordBeacon(n.bits, advance);
      n.span = Math.min(BEACON_WINDOW, n.span + advance);
    }
    n.lastBeaconSeq = hello.beaconSeq;
    n.lastHeardAt = now;
    n.intervalMs = hello.intervalMs;
    n.link = link;
    let hearsUs = 0;
    let adjacency = 0;
    let selectsUs = false;
    n.twoHopCount = 0;
    for (let i = 0; i < hello.neighborCount; i++) {
      const at = helloNeighborOffset(i);
      const quality = helloNeighborQuality(hello, i);
      if (equalAt(hello.neighbors, at, selfId, 0, NODE_ID_BYTES)) {
        hearsUs = quality;
        selectsUs = ((hello.relayMask >>> i) & 1) === 1;
        continue;
      }
      n.twoHopKeys[n.twoHopCount] = idKey(hello.neighbors, at);
      n.twoHopQuality[n.twoHopCount++] = quality;
      const other = this.findAt(hello.neighbors, at);
      if (other) {
        adjacency |= 1 << other.slot;
        n.adjacencyQuality[other.slot] = quality;
      }
    }
    n.hearsUs = hearsUs;
    n.adjacency = adjacency;
    n.selectsUs = selectsUs;
    n.selectsAny = hello.relayMask !== 0;
  }

  remove(n: Neighbor): void {
    if (this.rows[n.slot] !== n) return;
    this.rows[n.slot] = null;
    this.count--;
    this.present = this.rows.filter((r): r is Neighbor => r !== null);
    const clear = ~(1 << n.slot);
    for (const other of this.rows) if (other) other.adjacency &= clear;
  }

  /** Removes and returns the rows silent for longer than allowed at `now`. */
  expire(now: number): Neighbor[] {
    const dead: Neighbor[] = [];
    for (const n of this.rows) {
      if (n && now - n.lastHeardAt > this.deadAfterBeacons * n.intervalMs + n.intervalMs / 2) dead.push(n);
    }
    for (const n of dead) this.remove(n);
    return dead;
  }

  /** Earliest time at which some row would expire (Infinity if the table is empty). */
  nextExpiry(): number {
    let t = Infinity;
    for (const n of this.rows) {
      if (n) t = Math.min(t, n.lastHeardAt + this.deadAfterBeacons * n.intervalMs + n.intervalMs / 2 + 1);
    }
    return t;
  }
}
