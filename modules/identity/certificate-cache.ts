/**
 * Peers whose certificates have already been verified, so each signature is checked once, not on
 * every HELLO. Bounded: a node meets at most `capacity` peers before the least recently used goes.
 * Recency is a use counter on each entry (a touch is one store, no Map reshuffle on the hot path);
 * eviction, rare, scans for the smallest.
 */
import type { Role } from "./certificate.js";

export const MAX_CACHE_CAPACITY = 1024;

export interface CachedPeer {
  id: Uint8Array;
  publicKey: Uint8Array;
  role: Role;
  notBefore: number;
  notAfter: number;
  /** The 110 certificate bytes, to forward in our own HELLOs or re-check later. */
  certificate: Uint8Array;
  /** Monotonic ms of the last put or get. */
  lastUsed: number;
}

/** What put takes: views are fine, the cache copies them. */
export type PeerFields = Omit<CachedPeer, "lastUsed">;

interface Entry extends CachedPeer {
  rank: number;
}

export class CertificateCache {
  readonly capacity: number;
  private readonly peers = new Map<string, Entry>();
  private uses = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CACHE_CAPACITY) {
      throw new RangeError(`capacity must be an integer 1..${MAX_CACHE_CAPACITY}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.peers.size;
  }

  /** Presence only; does not count as a use. */
  has(idHex: string): boolean {
    return this.peers.has(idHex);
  }

  /** The entry, marked most recently used. */
  get(idHex: string, now: number): CachedPeer | undefined {
    const peer = this.peers.get(idHex);
    if (peer === undefined) return undefined;
    peer.rank = ++this.uses;
    peer.lastUsed = now;
    return peer;
  }

  /** Stores copies of `fields` as most recently used; returns the evicted id hex when full. */
  put(idHex: string, fields: PeerFields, now: number): string | undefined {
    let evicted: string | undefined;
    if (!this.peers.delete(idHex) && this.peers.size >= this.capacity) {
      let oldest = Infinity;
      for (const [key, peer] of this.peers) {
        if (peer.rank < oldest) {
          oldest = peer.rank;
          evicted = key;
        }
      }
      this.peers.delete(evicted!);
    }
    this.peers.set(idHex, {
      id: fields.id.slice(),
      publicKey: fields.publicKey.slice(),
      role: fields.role,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
      certificate: fields.certificate.slice(),
      lastUsed: now,
      rank: ++this.uses,
    });
    return evicted;
  }

  delete(idHex: string): boolean {
    return this.peers.delete(idHex);
  }

  /** [idHex, entry] pairs, least recently used first. */
  [Symbol.iterator](): IterableIterator<[string, CachedPeer]> {
    return [...this.peers].sort((a, b) => a[1].rank - b[1].rank)[Symbol.iterator]();
  }
}
