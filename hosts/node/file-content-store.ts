/**
 * The content store port on files, for `hyphae node`: one directory per content kind under the
 * state directory, holding the manifest and one file per verified piece. Every write is atomic
 * (temporary file, fsync, rename), so a crash leaves a piece whole or absent and a restarted node
 * resumes from the pieces it finds.
 *
 *   DIR/content-<kind>/manifest      the verified manifest
 *   DIR/content-<kind>/<index>       swarm piece <index> (hash blocks first, then data pieces)
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContentStore } from "../../modules/content/content-store.js";

const MANIFEST = "manifest";

export class FileContentStore implements ContentStore {
  constructor(private readonly dir: string) {}

  manifest(kind: number): Uint8Array | undefined {
    return this.readFile(join(this.slot(kind), MANIFEST));
  }

  reset(kind: number, manifest: Uint8Array): void {
    const slot = this.slot(kind);
    rmSync(slot, { recursive: true, force: true });
    mkdirSync(slot, { recursive: true });
    atomicWrite(join(slot, MANIFEST), manifest);
  }

  write(kind: number, index: number, data: Uint8Array): void {
    atomicWrite(join(this.slot(kind), String(index)), data);
  }

  read(kind: number, index: number): Uint8Array | undefined {
    return this.readFile(join(this.slot(kind), String(index)));
  }

  present(kind: number): number[] {
    let names: string[];
    try {
      names = readdirSync(this.slot(kind));
    } catch {
      return [];
    }
    return names.filter((n) => /^\d+$/.test(n)).map(Number);
  }

  /** Bounded by the manifest format (MAX_PIECES × MAX_PIECE_BYTES), not by the disk. */
  capacity(): number {
    return Infinity;
  }

  private slot(kind: number): string {
    return join(this.dir, `content-${kind}`);
  }

  private readFile(path: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }
}

function atomicWrite(path: string, data: Uint8Array): void {
  const tmp = path + ".tmp";
  const fd = openSync(tmp, "w");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
