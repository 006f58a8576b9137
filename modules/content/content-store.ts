/**
 * The content store port: where a node keeps the pieces of the content it is fetching or serving,
 * one slot per content kind (on the board, the firmware slot is the OTA partition). Everything
 * written survives a reboot, so a transfer resumes from the pieces already held.
 *
 * Pieces are written only after their hash verified, and the manifest only after its signature did:
 * a node trusts its own store on boot, as it trusts the revocation list in its flash.
 */
export interface ContentStore {
  /** The manifest held in `kind`'s slot, if any. */
  manifest(kind: number): Uint8Array | undefined;
  /** Empties `kind`'s slot and keeps `manifest` there: a new transfer starts. */
  reset(kind: number, manifest: Uint8Array): void;
  /** Stores swarm piece `index` (hash block or data piece) of the slot's transfer. */
  write(kind: number, index: number, data: Uint8Array): void;
  /** Piece `index`, or undefined when it is not held. The caller must not modify it. */
  read(kind: number, index: number): Uint8Array | undefined;
  /** Indices of the pieces held (after a reboot: what to resume from). */
  present(kind: number): number[];
  /** The largest content of `kind` (total bytes) the slot can hold: bigger manifests are refused before any piece is asked. */
  capacity(kind: number): number;
}

/** RAM only, lost with the object: the simulator keeps one per node across reboots (it stands for flash). */
export class MemoryContentStore implements ContentStore {
  /** `maxBytes`: the capacity of every slot (the board bounds what it keeps in RAM). */
  constructor(private readonly maxBytes = Infinity) {}

  private readonly slots = new Map<number, { manifest: Uint8Array; pieces: Map<number, Uint8Array> }>();

  manifest(kind: number): Uint8Array | undefined {
    return this.slots.get(kind)?.manifest;
  }

  reset(kind: number, manifest: Uint8Array): void {
    this.slots.set(kind, { manifest: manifest.slice(), pieces: new Map() });
  }

  write(kind: number, index: number, data: Uint8Array): void {
    const slot = this.slots.get(kind);
    if (!slot) throw new Error(`content slot ${kind} has no manifest`);
    slot.pieces.set(index, data.slice());
  }

  read(kind: number, index: number): Uint8Array | undefined {
    return this.slots.get(kind)?.pieces.get(index);
  }

  present(kind: number): number[] {
    return [...(this.slots.get(kind)?.pieces.keys() ?? [])];
  }

  capacity(): number {
    return this.maxBytes;
  }
}

/** The content in `kind`'s slot (its data pieces in order), or null while a piece is missing: what a host installs. */
export function assembleImage(store: ContentStore, kind: number, m: { blocks: number; pieces: number; totalBytes: number }): Uint8Array | null {
  const out = new Uint8Array(m.totalBytes);
  let at = 0;
  for (let i = 0; i < m.pieces; i++) {
    const piece = store.read(kind, m.blocks + i);
    if (!piece || at + piece.length > out.length) return null;
    out.set(piece, at);
    at += piece.length;
  }
  return at === out.length ? out : null;
}
