/**
 * The gateway's Storage port: the node's FileStorage, except that the feed verifier's delivery
 * positions reach the disk only after the current turn of the event loop.
 *
 * Why: the verifier writes an origin's position when it delivers readings, before the host sees the
 * `reading` events; a gateway killed between that write and its outbox's would never deliver those
 * readings again (the origin has them confirmed), and they would be lost. Deferred, the position is
 * written after the synchronous call that delivered them has handed every reading to the outbox
 * (fsynced); a kill in between makes the verifier deliver them again after the restart, and the
 * outbox, which remembers each origin's last seq, drops the repeats.
 */
import { POSITION_KEY_PREFIX } from "../../modules/feed/feed-verifier.js";
import type { Storage } from "../../modules/ports.js";

export class PositionDeferringStorage implements Storage {
  /** Positions written by the verifier and not yet on disk (at most its 256 buckets). */
  private readonly pending = new Map<string, Uint8Array>();
  private scheduled = false;

  constructor(private readonly files: Storage) {}

  get(key: string): Uint8Array | undefined {
    return this.pending.get(key) ?? this.files.get(key);
  }

  set(key: string, value: Uint8Array): void {
    if (!key.startsWith(POSITION_KEY_PREFIX)) return this.files.set(key, value);
    this.pending.set(key, value.slice());
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes the pending positions now (also before the files are closed). */
  flush(): void {
    this.scheduled = false;
    for (const [key, value] of this.pending) this.files.set(key, value);
    this.pending.clear();
  }
}
