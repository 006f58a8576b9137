/**
 * The Storage port on files: one file per key in a state directory, with the board's Preference
 * limits (checked by the port's own rules, so an overflow fails here as it would on flash).
 *
 * Every set is atomic: the value goes to `<file>.tmp`, is fsynced, then renamed over the old file, so a
 * crash or kill leaves either the old or the new value, never a torn one (the epoch and sequence
 * high-water marks depend on it). The directory belongs to one process at a time (`.lock` holds its
 * pid): two nodes on one state would reuse boot epochs, and so frame nonces.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkStorageEntry, checkStorageKey, type Storage } from "../../modules/ports.js";

const LOCK_FILE = ".lock";
/**
 * Directories this process holds. A lock naming our own pid but not listed here is stale: left by an
 * earlier process that had the same pid (a restarted container).
 */
const held = new Set<string>();

/**
 * Key → file name. Only [a-z0-9_-] stay as they are; everything else becomes %XX, so no key can name a
 * path, collide with a `.`-named file of ours, or meet another key on a case-insensitive filesystem.
 */
function fileName(key: string): string {
  return key.replace(/[^a-z0-9_-]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

export class FileStorage implements Storage {
  /** Number of `set` calls (each is a flash commit on the board). */
  writes = 0;
  private closed = false;

  /** `dir` is the absolute path. */
  private constructor(readonly dir: string) {}

  /** Creates `dir` if needed and takes it for this process; throws if a live process holds it. */
  static open(dir: string): FileStorage {
    mkdirSync(dir, { recursive: true });
    const path = resolve(dir);
    if (held.has(path)) throw new Error(`state directory ${dir} is already open in this process`);
    const lock = join(path, LOCK_FILE);
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(lock, String(process.pid), { flag: "wx" });
        held.add(path);
        return new FileStorage(path);
      } catch (e) {
        if (errorCode(e) !== "EEXIST" || attempt > 0) throw e;
      }
      const holder = Number(readFileSync(lock, "utf8"));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`state directory ${dir} is in use by process ${holder} (if it is not, delete ${lock})`);
      }
      // Left by a process that died without closing (a crash is exactly what the state must survive).
      unlinkSync(lock);
    }
  }

  get(key: string): Uint8Array | undefined {
    checkStorageKey(key);
    try {
      return new Uint8Array(readFileSync(join(this.dir, fileName(key))));
    } catch (e) {
      if (errorCode(e) === "ENOENT") return undefined;
      throw e;
    }
  }

  set(key: string, value: Uint8Array): void {
    checkStorageEntry(key, value);
    if (this.closed) throw new Error("storage is closed");
    const file = join(this.dir, fileName(key));
    const tmp = file + ".tmp";
    const fd = openSync(tmp, "w");
    try {
      writeFileSync(fd, value);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    this.syncDir();
    this.writes++;
  }

  /** Releases the directory. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    held.delete(this.dir);
    unlinkSync(join(this.dir, LOCK_FILE));
  }

  /** Makes the rename itself durable (POSIX: the directory entry lives in the directory). */
  private syncDir(): void {
    if (process.platform === "win32") return;
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return errorCode(e) === "EPERM";
  }
}
