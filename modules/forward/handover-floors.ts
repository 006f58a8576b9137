/**
 * Replay floors for gateways' handover messages (docs/protocol.md §Store-and-forward, "Changing
 * home"): per sending gateway, the highest gossip seq of its messages acted on here and a window of
 * HANDOVER_WINDOW seqs below it, in the manner of the link's replay window (link/replay-window.ts).
 * A handover message is signed but carries no time: recorded and sent again once the seen caches
 * forgot it, an old RELEASE would release an origin again from a gateway it came back to, an old
 * RELEASED have a reading delivered twice. Its seq is its sender's origin sequence, persistent and
 * never reused (§GOSSIP), so one acted on, or older than the window, is refused.
 *
 * A window, not a bare floor: gossip can bring a sender's messages out of order (one repaired, a
 * later one by a quicker path), and a bare floor would refuse the earlier one. The window spans 32
 * of the sender's seqs, which its data, checkpoints and commands share; relays pass an origin's
 * gossip at 6 a minute (§Rate limits), so that is over 5 minutes of its traffic, where a message
 * reaches the mesh within seconds or is lost (repairs list the last three beacon periods). One
 * refused all the same is asked for again: a claim sends its RELEASE every 30 s, and each RELEASE
 * is answered anew.
 *
 * Bounded: `capacity` sending gateways, the least recently updated forgotten first (its old
 * messages could then be replayed once more: size it above the gateways a mesh has). Persisted at
 * each message acted on (key `hfloors`, as held: rows of gateway id ‖ highest seq (u32) ‖ window
 * (u32, bit i: highest − i acted on), least recently updated first), so a reboot does not reopen
 * the window; a damaged value is ignored and reported (`damagedStored`). Only gateways keep one.
 */
import { equalAt, readU32, writeU32 } from "../bytes.js";
import type { Storage } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

/** Seqs below a sender's highest that are still told apart: acted on or not. */
export const HANDOVER_WINDOW = 32;
const KEY_FLOORS = "hfloors";
const HIGHEST = NODE_ID_BYTES;
const WINDOW = NODE_ID_BYTES + 4;
export const HANDOVER_FLOOR_BYTES = NODE_ID_BYTES + 8;

export class HandoverFloors {
  /** Rows (HANDOVER_FLOOR_BYTES each), least recently updated first: the stored value. */
  private readonly rows: Uint8Array;
  private count = 0;
  /** The stored value was damaged and ignored: every sender starts without a floor. */
  readonly damagedStored: boolean;

  constructor(readonly capacity: number, private readonly storage: Storage) {
    this.rows = new Uint8Array(capacity * HANDOVER_FLOOR_BYTES);
    const stored = storage.get(KEY_FLOORS);
    this.damagedStored = stored !== undefined && !this.load(stored);
  }

  /** True if `gateway`'s message `seq` was acted on already, or is older than its window. Records nothing. */
  refuses(gateway: Uint8Array, seq: number): boolean {
    const at = this.rowOf(gateway);
    if (at < 0) return false;
    const highest = readU32(this.rows, at + HIGHEST);
    if (seq > highest) return false;
    const age = highest - seq;
    return age >= HANDOVER_WINDOW || (readU32(this.rows, at + WINDOW) & (1 << age)) !== 0;
  }

  /**
   * `gateway`'s message `seq`, not refused, verified and acted on: recorded (its row becomes the most
   * recently updated; a new one takes the least recently updated's place when full) and persisted.
   */
  accept(gateway: Uint8Array, seq: number): void {
    let at = this.rowOf(gateway);
    let highest = seq;
    let window = 1;
    if (at >= 0) {
      highest = readU32(this.rows, at + HIGHEST);
      window = readU32(this.rows, at + WINDOW);
      if (seq > highest) {
        const shift = seq - highest;
        window = shift >= HANDOVER_WINDOW ? 1 : ((window << shift) | 1) >>> 0;
        highest = seq;
      } else {
        window = (window | (1 << (highest - seq))) >>> 0;
      }
    } else {
      at = this.count === this.capacity ? 0 : this.count * HANDOVER_FLOOR_BYTES;
      if (this.count < this.capacity) this.count++;
    }
    const end = this.count * HANDOVER_FLOOR_BYTES;
    this.rows.copyWithin(at, at + HANDOVER_FLOOR_BYTES, end);
    const last = end - HANDOVER_FLOOR_BYTES;
    this.rows.set(gateway.subarray(0, NODE_ID_BYTES), last);
    writeU32(this.rows, last + HIGHEST, highest);
    writeU32(this.rows, last + WINDOW, window);
    this.storage.set(KEY_FLOORS, this.rows.subarray(0, end));
  }

  /** Senders with a floor. */
  get size(): number {
    return this.count;
  }

  /**
   * Takes the stored rows, the most recently updated `capacity` of them; false (nothing taken) if the
   * value is damaged: not whole rows, a seq 0, a window without its highest seq, a gateway twice.
   */
  private load(stored: Uint8Array): boolean {
    if (stored.length % HANDOVER_FLOOR_BYTES !== 0) return false;
    for (let at = 0; at < stored.length; at += HANDOVER_FLOOR_BYTES) {
      if (readU32(stored, at + HIGHEST) === 0 || (stored[at + WINDOW + 3] & 1) === 0) return false;
      for (let other = 0; other < at; other += HANDOVER_FLOOR_BYTES) {
        if (equalAt(stored, other, stored, at, NODE_ID_BYTES)) return false;
      }
    }
    const kept = stored.subarray(Math.max(0, stored.length - this.rows.length));
    this.rows.set(kept);
    this.count = kept.length / HANDOVER_FLOOR_BYTES;
    return true;
  }

  private rowOf(gateway: Uint8Array): number {
    for (let at = 0; at < this.count * HANDOVER_FLOOR_BYTES; at += HANDOVER_FLOOR_BYTES) {
      if (equalAt(this.rows, at, gateway, 0, NODE_ID_BYTES)) return at;
    }
    return -1;
  }
}
