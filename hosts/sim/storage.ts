/**
 * In-memory stand-in for a node's flash (the `Storage` port). The simulator keeps one per node
 * across stop/crash/reboot, which is exactly what flash survives.
 *
 * Values are copied in and out, so neither side can alias the other's buffer. The board's
 * Preference limits are enforced, so a core that would overflow them fails in simulation first.
 */
import { checkStorageEntry, type Storage } from "../../modules/ports.js";

export class MemoryStorage implements Storage {
  /** Number of `set` calls: each is a flash commit on the board, worth watching. */
  writes = 0;
  private readonly map = new Map<string, Uint8Array>();

  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    return v === undefined ? undefined : v.slice();
  }

  set(key: string, value: Uint8Array): void {
    checkStorageEntry(key, value);
    this.writes++;
    this.map.set(key, value.slice());
  }

  /** Stored keys, in first-set order. */
  keys(): string[] {
    return [...this.map.keys()];
  }
}
