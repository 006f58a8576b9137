/**
 * Peers whose certificates have already been verified, so each signature is checked once, not on
 * every HELLO. Bounded: a node meets at most `capacity` peers before the least recently used goes.
 * Recency is a use counter per entry (a touch is one store); eviction, rare, scans for the smallest.
 *
 * Each entry also holds its peer's replay window (link/replay-window.ts), opened with the peer's
 * first frame, from the peer's floor if it was forgotten before (link/replay-floors.ts), and released
 * when the entry goes, its floor kept.
 *
 * An entry also keeps the link address its peer's last accepted frame came from: the peer's frames
 * from there are opened without charge to the open budget (limits/open-budget.ts).
 *
 * Memory: entries are slots of typed arrays allocated once (certificate, id, window, use) and a link
 * reference: about 135 bytes each and nothing per entry on the heap; a lookup compares two u32 words per slot.
 */
import { readU32, writeU32 } from "../bytes.js";
import type { ReplayFloors } from "../link/replay-floors.js";
import type { ReplayWindows } from "../link/replay-window.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { CertificateSlots } from "./certificate-slots.js";
import { typedArrays } from "../typed-arrays.js";

export const MAX_CACHE_CAPACITY = 1024;

/** Per entry, u32: the id as two big-endian words, then its replay window + 1 (0: none yet). */
const ID_HIGH = 0;
const ID_LOW = 1;
const WINDOW = 2;
const STRIDE = 3;

export class CertificateCache {
  readonly capacity: number;
  /** The verified certificates, by slot. */
  readonly entries: CertificateSlots;
  private readonly u32: Uint32Array;
  /** Use counter at the last put or get; 0 = free slot. */
  private readonly ranks: Float64Array;
  /** Per slot, the link address the peer's last accepted frame came from (null: none yet), as the host gave it. */
  private readonly links: unknown[];
  private uses = 0;
  private count = 0;
  private windowCount = 0;

  constructor(capacity: number, private readonly windows: ReplayWindows, private readonly floors: ReplayFloors) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CACHE_CAPACITY) {
      throw new RangeError(`capacity must be an integer 1..${MAX_CACHE_CAPACITY}`);
    }
    this.capacity = capacity;
    this.entries = new CertificateSlots(capacity);
    [this.ranks, this.u32] = typedArrays([Float64Array, capacity], [Uint32Array, capacity * STRIDE]);
    this.links = new Array<unknown>(capacity).fill(null);
  }

  get size(): number {
    return this.count;
  }

  /** Entries whose peer's replay window is open. */
  get windowsOpen(): number {
    return this.windowCount;
  }

  /** Slot of the peer with the 8-byte `id`, or -1; does not count as a use. */
  find(id: Uint8Array): number {
    const high = readU32(id, 0);
    const low = readU32(id, 4);
    for (let slot = 0; slot < this.capacity; slot++) {
      const u = slot * STRIDE;
      if (this.u32[u + ID_LOW] === low && this.u32[u + ID_HIGH] === high && this.ranks[slot] !== 0) return slot;
    }
    return -1;
  }

  /** Slot of the peer `id`, marked most recently used; -1 if not cached. */
  get(id: Uint8Array): number {
    const slot = this.find(id);
    if (slot >= 0) this.ranks[slot] = ++this.uses;
    return slot;
  }

  /**
   * Stores a copy of `certificate` (verified by the caller) as peer `id`'s, most recently used, and
   * returns its slot. A peer already cached keeps its slot and replay window; a new one takes a free
   * slot, or the least recently used one's when full.
   */
  put(id: Uint8Array, certificate: Uint8Array): number {
    let slot = this.find(id);
    if (slot < 0) {
      slot = this.ranks.indexOf(0);
      if (slot < 0) {
        slot = 0;
        for (let s = 1; s < this.capacity; s++) if (this.ranks[s] < this.ranks[slot]) slot = s;
        this.free(slot);
      }
      this.u32[slot * STRIDE + ID_HIGH] = readU32(id, 0);
      this.u32[slot * STRIDE + ID_LOW] = readU32(id, 4);
      this.links[slot] = null;
      this.count++;
    }
    this.entries.set(slot, certificate);
    this.ranks[slot] = ++this.uses;
    return slot;
  }

  delete(id: Uint8Array): boolean {
    const slot = this.find(id);
    if (slot < 0) return false;
    this.free(slot);
    return true;
  }

  /** The id in `slot` (a new array). */
  idOf(slot: number): Uint8Array {
    const id = new Uint8Array(NODE_ID_BYTES);
    writeU32(id, 0, this.u32[slot * STRIDE + ID_HIGH]);
    writeU32(id, 4, this.u32[slot * STRIDE + ID_LOW]);
    return id;
  }

  /** The replay window of the peer in `slot` (in the table given at construction), opened on first use. */
  window(slot: number): number {
    const u = slot * STRIDE + WINDOW;
    if (this.u32[u] === 0) {
      const w = this.windows.open();
      this.floors.restore(this.keyOf(slot), this.windows, w);
      this.u32[u] = w + 1;
      this.windowCount++;
    }
    return this.u32[u] - 1;
  }

  /**
   * True if the replay window that judges peer `id`'s next frame refuses (epoch, counter): the window
   * of its `slot` (find's answer, -1 if not cached), else the floor a window opened for it starts from.
   */
  refuses(slot: number, id: Uint8Array, epoch: number, counter: number): boolean {
    const window = slot < 0 ? 0 : this.u32[slot * STRIDE + WINDOW];
    if (window !== 0) return this.windows.refuses(window - 1, epoch, counter);
    return this.floors.refuses((readU32(id, 0) ^ readU32(id, 4)) >>> 0, epoch, counter); // keyOf's key, from the id
  }

  /** The link address peer `slot`'s last accepted frame came from, or null. */
  link(slot: number): unknown {
    return this.links[slot];
  }

  /** Peer `slot`'s frame from `link` was accepted. */
  heardOn(slot: number, link: unknown): void {
    this.links[slot] = link;
  }

  /** Occupied slots, least recently used first. */
  slotsByUse(): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.capacity; slot++) if (this.ranks[slot] !== 0) slots.push(slot);
    return slots.sort((a, b) => this.ranks[a] - this.ranks[b]);
  }

  /** idKey (neighbor-table.ts) of the id in `slot`. */
  private keyOf(slot: number): number {
    return (this.u32[slot * STRIDE + ID_HIGH] ^ this.u32[slot * STRIDE + ID_LOW]) >>> 0;
  }

  private free(slot: number): void {
    const u = slot * STRIDE + WINDOW;
    if (this.u32[u] !== 0) {
      this.floors.remember(this.keyOf(slot), this.windows, this.u32[u] - 1);
      this.windows.release(this.u32[u] - 1);
      this.u32[u] = 0;
      this.windowCount--;
    }
    this.ranks[slot] = 0;
    this.links[slot] = null;
    this.count--;
  }
}
