/**
 * Replay floors for gateways' handover messages (docs/protocol.md §Store-and-forward, "Changing
 * home"): per sending gateway, the highest gossip seq of its messages acted on here, and a window
 * below it in the manner of the link's replay window (link/replay-window.ts). A handover message is
 * signed but carries no time: recorded and sent again once the seen caches forgot it, an old RELEASE
 * would release an origin again from a gateway it came back to, an old RELEASED have a reading
 * delivered twice. Its seq is its sender's origin sequence, persistent and never reused (§GOSSIP):
 * one acted on, or below the window, is refused.
 *
 * A window, not a bare floor: gossip can bring a sender's messages out of order (one repaired, a
 * later one by a quicker path), and a bare floor would refuse the earlier one. The window is
 * HANDOVER_WINDOW of the sender's seqs, which its data, checkpoints and commands share (relays pass
 * an origin's gossip at 6 a minute, §Rate limits: over 5 minutes of it), and stays open
 * HANDOVER_LATE_MS after its highest seq was acted on: long enough for a message relayed and
 * repaired (repairs list three beacon periods, 15 s), short enough that a message which never
 * reached us (we were down, or cut off) cannot be recorded elsewhere and played to us later. One
 * refused all the same is asked for again: a claim sends its RELEASE every 30 s, each RELEASE is
 * answered anew.
 *
 * Bounded: `capacity` sending gateways, the least recently updated forgotten first (its old
 * messages could then be replayed once more: size it above the gateways a mesh has). Kept in storage
 * at each message acted on (key `hfloors`: rows of gateway id ‖ highest seq (u32), least recently
 * updated first), so a reboot does not reopen the hole; the window starts closed after a reboot. A
 * damaged value is ignored and reported (`damagedStored`). Only gateways keep one.
 */
import { equalAt, readU32, writeU32 } from "../bytes.js";
import type { Storage } from "../ports.js";
import { typedArrays } from "../typed-arrays.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

/** Seqs below a sender's highest that are still told apart: acted on or not. */
export const HANDOVER_WINDOW = 32;
/** How long after a sender's highest seq was acted on an earlier one not yet seen is still taken. */
export const HANDOVER_LATE_MS = 2 * 60_000;
/** A stored row: gateway id ‖ highest seq acted on. */
export const HANDOVER_FLOOR_BYTES = NODE_ID_BYTES + 4;
const KEY_FLOORS = "hfloors";

export class HandoverFloors {
  /** Rows (HANDOVER_FLOOR_BYTES each), least recently updated first: the stored value. */
  private readonly rows: Uint8Array;
  /** Per row: bit i set = seq (highest − i) acted on… */
  private readonly windows: Uint32Array;
  /** …and when the highest was. */
  private readonly highestAt: Float64Array;
  private count = 0;
  /** The stored value was damaged and ignored: every sender starts without a floor. */
  readonly damagedStored: boolean;

  constructor(readonly capacity: number, private readonly storage: Storage) {
    [this.highestAt, this.windows, this.rows] = typedArrays([Float64Array, capacity], [Uint32Array, capacity],
      [Uint8Array, capacity * HANDOVER_FLOOR_BYTES]);
    const stored = storage.get(KEY_FLOORS);
    this.damagedStored = stored !== undefined && !this.load(stored);
  }

  /** True if `gateway`'s message `seq` was acted on already, is below its window, or came too late. Records nothing. */
  refuses(gateway: Uint8Array, seq: number, now: number): boolean {
    const r = this.rowOf(gateway);
    if (r < 0) return false;
    const highest = readU32(this.rows, r * HANDOVER_FLOOR_BYTES + NODE_ID_BYTES);
    if (seq > highest) return false;
    const age = highest - seq;
    return age >= HANDOVER_WINDOW || (this.windows[r] & (1 << age)) !== 0 || now > this.highestAt[r] + HANDOVER_LATE_MS;
  }

  /**
   * `gateway`'s message `seq`, not refused, verified and acted on at `now`: recorded (its row becomes
   * the most recently updated; a new one takes the least recently updated's place when full) and stored.
   */
  accept(gateway: Uint8Array, seq: number, now: number): void {
    let r = this.rowOf(gateway);
    let highest = seq;
    let window = 1;
    let highestAt = now;
    if (r >= 0) {
      highest = readU32(this.rows, r * HANDOVER_FLOOR_BYTES + NODE_ID_BYTES);
      window = this.windows[r];
      highestAt = this.highestAt[r];
      if (seq > highest) {
        const shift = seq - highest;
        window = shift >= HANDOVER_WINDOW ? 1 : ((window << shift) | 1) >>> 0;
        highest = seq;
        highestAt = now;
      } else {
        window = (window | (1 << (highest - seq))) >>> 0;
      }
    } else {
      r = this.count === this.capacity ? 0 : this.count;
      if (this.count < this.capacity) this.count++;
    }
    const last = this.count - 1;
    this.rows.copyWithin(r * HANDOVER_FLOOR_BYTES, (r + 1) * HANDOVER_FLOOR_BYTES, this.count * HANDOVER_FLOOR_BYTES);
    this.windows.copyWithin(r, r + 1, this.count);
    this.highestAt.copyWithin(r, r + 1, this.count);
    this.rows.set(gateway.subarray(0, NODE_ID_BYTES), last * HANDOVER_FLOOR_BYTES);
    writeU32(this.rows, last * HANDOVER_FLOOR_BYTES + NODE_ID_BYTES, highest);
    this.windows[last] = window;
    this.highestAt[last] = highestAt;
    this.storage.set(KEY_FLOORS, this.rows.subarray(0, this.count * HANDOVER_FLOOR_BYTES));
  }

  /** Senders with a floor. */
  get size(): number {
    return this.count;
  }

  /**
   * Takes the stored rows, the most recently updated `capacity` of them, each with its window closed
   * (our clock restarted: nothing below the highest is taken); false (nothing taken) if the value is
   * damaged: not whole rows, a seq 0, a gateway twice.
   */
  private load(stored: Uint8Array): boolean {
    if (stored.length % HANDOVER_FLOOR_BYTES !== 0) return false;
    for (let at = 0; at < stored.length; at += HANDOVER_FLOOR_BYTES) {
      if (readU32(stored, at + NODE_ID_BYTES) === 0) return false;
      for (let other = 0; other < at; other += HANDOVER_FLOOR_BYTES) {
        if (equalAt(stored, other, stored, at, NODE_ID_BYTES)) return false;
      }
    }
    const kept = stored.subarray(Math.max(0, stored.length - this.rows.length));
    this.rows.set(kept);
    this.count = kept.length / HANDOVER_FLOOR_BYTES;
    this.windows.fill(0xffffffff);
    this.highestAt.fill(-Infinity);
    return true;
  }

  private rowOf(gateway: Uint8Array): number {
    for (let r = 0; r < this.count; r++) if (equalAt(this.rows, r * HANDOVER_FLOOR_BYTES, gateway, 0, NODE_ID_BYTES)) return r;
    return -1;
  }
}
