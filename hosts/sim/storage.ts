/**
 * In-memory stand-in for a node's flash (the `Storage` port). The simulator keeps one per node
 * across stop/crash/reboot, which is exactly what flash survives.
 *
 * Values are copied in and out, so neither side can alias the other's buffer. The board's
 * Preference limits are enforced, so a core that would overflow them fails in simulation first.
 */
import type { Storage } from "../../modules/ports.js";

export const MAX_KEY_CHARS = 15;
export const MAX_VALUE_BYTES = 4000;

export class MemoryStorage implements Storage {
  /** Number of `set` calls: each is a flash commit on the board, worth watching. */
  writes = 0;
  private readonly map = new Map<string, Uint8Array>();

  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    return v === undefined ? undefined : v.slice();
  }

  set(key: string, value: Uint8Array): void {
    if (key.length === 0 || key.length > MAX_KEY_CHARS || !/^[\x20-\x7e]+$/.test(key)) {
      throw new RangeError(`storage key must be 1..${MAX_KEY_CHARS} printable ASCII chars: ${JSON.stringify(key)}`);
    }
    if (value.length > MAX_VALUE_BYTES) throw new RangeError(`storage value for ${key} is ${value.length} bytes > ${MAX_VALUE_BYTES}`);
    this.writes++;
    this.map.set(key, value.slice());
  }

  /** Stored keys, in first-set order. */
  keys(): string[] {
    return [...this.map.keys()];
  }
}
