/**
 * The last few gossip messages a node received, kept whole so that it can repair a neighbor that
 * missed one (docs/protocol.md §Repair). Each HELLO lists the keys of the messages its sender got
 * within a recent window; a neighbor that holds one of its own recent messages, received well
 * inside that window, that the list lacks, knows the sender missed it and schedules a repair.
 *
 * Bounded: `capacity` entries. Every message received is listed; only bodies of at most
 * `maxBodyBytes` that this node may relay are kept for repair.
 */
import { readU32 } from "../bytes.js";
import { messageHash } from "./seen-cache.js";

export interface RecentMessage {
  key: number;
  /** The gossip body exactly as we would send it (hop count already advanced); null if not kept. */
  body: Uint8Array | null;
  receivedAt: number;
  /**
   * It reached us as a repair, long after our neighbors had it: its receive time says nothing about
   * theirs, so it is never the ground for repairing them (that would ping-pong).
   */
  late: boolean;
}

export function messageKey(origin: Uint8Array, seq: number): number {
  return messageHash(readU32(origin, 0), readU32(origin, 4), seq);
}

export class RecentMessages {
  /** Oldest first. */
  private readonly entries: RecentMessage[] = [];

  constructor(readonly capacity: number, readonly maxBodyBytes: number) {
    if (capacity < 1 || capacity > 256) throw new RangeError("recent message capacity must be 1..256");
  }

  /** Lists `key`; keeps `body` (not copied: pass a copy you will not change) if small enough. */
  add(key: number, body: Uint8Array | null, now: number, late = false): void {
    if (this.entries.length >= this.capacity) this.entries.shift();
    this.entries.push({ key, body: body && body.length <= this.maxBodyBytes ? body : null, receivedAt: now, late });
  }

  /**
   * Keys received after `since`, newest first, at most `max`; returns the window they cover in ms
   * (shorter than `now - since` when `max` cut the list).
   */
  keysSince(since: number, now: number, max: number, out: number[]): number {
    out.length = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e.receivedAt <= since) break;
      if (out.length === max) return now - e.receivedAt;
      out.push(e.key);
    }
    // A full store may have forgotten older messages of the window: claim only what it still holds.
    const oldest = this.entries[0];
    if (this.entries.length === this.capacity && oldest.receivedAt > since) return now - oldest.receivedAt;
    return now - since;
  }

  /** Oldest first; read only. */
  get all(): readonly RecentMessage[] {
    return this.entries;
  }
}
