/**
 * The gateway's side of every feed: delivers each origin's readings once, in order, and says which
 * are proven to be what the origin signed.
 *
 * Per origin it keeps the last delivered seq and its chain hash. An entry is delivered when it is the
 * next seq and its `prev` is that hash, so a dropped entry holds delivery back (the gap is pulled
 * again), and a changed, inserted or reordered one breaks the link and is flagged, never delivered.
 * A checkpoint's signature is verified once; then
 *   - if it covers entries already delivered, their kept chain hash must match its head: they become
 *     verified (`feed-verified`), or the feed is flagged (`checkpoint-mismatch`);
 *   - if it covers entries still to come, a complete run up to its seq is delivered verified at once;
 *     entries arriving before the run is complete are delivered as they come, unverified, and the
 *     checkpoint judges them when delivery reaches its seq (`feed-verified` or `checkpoint-mismatch`).
 * Memory is bounded: `originCapacity` origins (least recently active forgotten first), and per origin
 * `bufferCapacity` entries ahead of a gap and as many chain hashes of unverified deliveries.
 *
 * Every entry comes with the origin's `base`: the lowest seq it still waits to have confirmed. A
 * feed met for the first time starts there (the entries before were confirmed by another gateway),
 * and a base past our position skips ahead the same way; the first entry's `prev` is then taken on
 * trust until a checkpoint proves the chain. With a Storage, each origin's position (last
 * delivered seq and chain hash) is written at every delivery, so a gateway that reboots delivers
 * nothing twice; positions live in 256 buckets by the id's first byte ("fv" + 2 hex digits).
 */
import { equalBytes, readU32, toHex, writeU32 } from "../bytes.js";
import type { Crypto, Storage } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { chainHash, CHAIN_HASH_BYTES, decodeFeedEntry, type FeedEntry } from "./feed-entry.js";
import { decodeFeedCheckpoint, verifyFeedCheckpoint } from "./feed-checkpoint.js";

export type FeedFlag = "malformed" | "chain-break" | "bad-signature" | "checkpoint-mismatch";

export type FeedOutcome =
  | { type: "reading"; origin: string; seq: number; sensor: string; value: number; time: number; verified: boolean }
  | { type: "feed-verified"; origin: string; upTo: number }
  | { type: "feed-flagged"; origin: string; seq: number; reason: FeedFlag };

const POSITION_BYTES = NODE_ID_BYTES + 4 + 16;

interface OriginFeed {
  delivered: number;
  /** Chain hash of entry `delivered`; null when the next entry's `prev` is taken on trust (a new start). */
  deliveredHash: Uint8Array | null;
  verified: number;
  /** Chain hashes of entries verified+1 .. delivered, oldest first (at most bufferCapacity). */
  unverified: Uint8Array[];
  /** A checkpoint whose signature verified, for a seq not delivered yet. */
  ahead: { seq: number; head: Uint8Array } | null;
  /** Entries past a gap, by seq. */
  buffer: Map<number, Uint8Array>;
  /** Entries are buffered, not delivered, while another gateway is asked where it stopped (gateway-handover.ts). */
  held: boolean;
  /** Taken over from another gateway since this gateway booted (`resume`). */
  takenOver: boolean;
}

export class FeedVerifier {
  private readonly feeds = new Map<string, OriginFeed>();
  /** Duplicates and entries past a full buffer: counted, not flagged (store-and-forward resends them). */
  duplicates = 0;
  overflows = 0;

  constructor(
    private readonly crypto: Crypto,
    private readonly storage: Storage | null = null,
    private readonly originCapacity = 256,
    private readonly bufferCapacity = 64,
  ) {}

  /** An entry of `origin`'s feed; `base` is the lowest seq the origin has not had confirmed. */
  offerEntry(originHex: string, origin: Uint8Array, bytes: Uint8Array, base: number, out: FeedOutcome[]): void {
    const entry = decodeFeedEntry(bytes);
    if (typeof entry === "number" || base < 1 || base > entry.seq) {
      return void out.push({ type: "feed-flagged", origin: originHex, seq: 0, reason: "malformed" });
    }
    const feed = this.feed(originHex, origin);
    // Confirmed elsewhere up to base - 1: start (or resume) there; entries held past the skipped gap
    // may be deliverable now, whatever this one turns out to be.
    if (skipTo(feed, base - 1)) this.drain(originHex, origin, feed, out);
    if (entry.seq <= feed.delivered || feed.buffer.has(entry.seq)) {
      this.duplicates++;
      return;
    }
    if (feed.buffer.size >= this.bufferCapacity) {
      // Keep the entries nearest the gap: they unblock delivery first.
      const highest = Math.max(...feed.buffer.keys());
      if (entry.seq > highest) return void this.overflows++;
      feed.buffer.delete(highest);
      this.overflows++;
    }
    feed.buffer.set(entry.seq, bytes.slice());
    this.drain(originHex, origin, feed, out);
  }

  offerCheckpoint(originHex: string, origin: Uint8Array, publicKey: Uint8Array, bytes: Uint8Array, out: FeedOutcome[]): void {
    const checkpoint = decodeFeedCheckpoint(bytes);
    if (typeof checkpoint === "number") return void out.push({ type: "feed-flagged", origin: originHex, seq: 0, reason: "malformed" });
    const feed = this.feed(originHex, origin);
    // Nothing to learn from it: skip the verify.
    if (checkpoint.seq <= feed.verified || (feed.ahead && feed.ahead.seq <= checkpoint.seq)) return;
    if (!verifyFeedCheckpoint(this.crypto, bytes, origin, publicKey)) {
      return void out.push({ type: "feed-flagged", origin: originHex, seq: checkpoint.seq, reason: "bad-signature" });
    }
    if (checkpoint.seq > feed.delivered) {
      feed.ahead = { seq: checkpoint.seq, head: checkpoint.head };
      return this.drain(originHex, origin, feed, out);
    }
    // unverified[i] is the chain hash of seq firstKept + i.
    const firstKept = feed.delivered - feed.unverified.length + 1;
    const kept = feed.unverified[checkpoint.seq - firstKept];
    if (!kept) return; // older than the hashes we keep: cannot be judged
    if (!equalBytes(kept, checkpoint.head)) {
      return void out.push({ type: "feed-flagged", origin: originHex, seq: checkpoint.seq, reason: "checkpoint-mismatch" });
    }
    feed.unverified.splice(0, checkpoint.seq - firstKept + 1);
    feed.verified = checkpoint.seq;
    out.push({ type: "feed-verified", origin: originHex, upTo: checkpoint.seq });
  }

  /** Holds `origin`'s entries undelivered until `resume`. */
  hold(originHex: string, origin: Uint8Array): void {
    this.feed(originHex, origin).held = true;
  }

  /** Ends a hold: another gateway delivered up to `position`, so delivery goes on after it. */
  resume(originHex: string, origin: Uint8Array, position: number, out: FeedOutcome[]): void {
    const feed = this.feed(originHex, origin);
    feed.held = false;
    feed.takenOver = true;
    skipTo(feed, position);
    this.drain(originHex, origin, feed, out);
  }

  /** Another gateway delivered `origin` up to `position` (this one released it): our position is at least that. */
  skip(originHex: string, origin: Uint8Array, position: number): void {
    skipTo(this.feed(originHex, origin), position);
  }

  /**
   * Whether this gateway took `origin`'s feed over from another since it booted. Having delivered
   * some is not enough: what reached us before the origin named its old home leaves a position
   * too, and its later entries must still claim it (3 readings delivered twice at 1,000 nodes under stress). After a reboot the claim is made again; the old home,
   * released to us, answers at once.
   */
  tookOver(originHex: string): boolean {
    return this.feeds.get(originHex)?.takenOver === true;
  }

  /** How far `origin`'s feed was delivered, here or (as its base said) elsewhere, from memory or storage; 0: never. */
  position(originHex: string, origin: Uint8Array): number {
    return this.feed(originHex, origin).delivered;
  }

  /** Last delivered seq of an origin (0 if none): what a gateway confirms to the origin. */
  deliveredSeq(originHex: string): number {
    return this.feeds.get(originHex)?.delivered ?? 0;
  }

  /** The lowest seq held past a gap in an origin's feed (0: no gap): seqs delivered+1 up to it are missing. */
  heldPast(originHex: string): number {
    const feed = this.feeds.get(originHex);
    let lowest = 0;
    if (feed) for (const seq of feed.buffer.keys()) if (lowest === 0 || seq < lowest) lowest = seq;
    return lowest;
  }

  private feed(originHex: string, origin: Uint8Array): OriginFeed {
    let feed = this.feeds.get(originHex);
    if (feed) {
      this.feeds.delete(originHex); // re-inserted below: Map order is recency order
    } else {
      if (this.feeds.size >= this.originCapacity) this.feeds.delete(this.feeds.keys().next().value as string);
      feed = {
        delivered: 0, deliveredHash: new Uint8Array(CHAIN_HASH_BYTES),
        verified: 0, unverified: [], ahead: null, buffer: new Map(), held: false, takenOver: false,
      };
      this.restore(origin, feed);
    }
    this.feeds.set(originHex, feed);
    return feed;
  }

  private drain(originHex: string, origin: Uint8Array, feed: OriginFeed, out: FeedOutcome[]): void {
    if (feed.held) return;
    const before = feed.delivered;
    this.deliverRuns(originHex, origin, feed, out);
    if (feed.delivered !== before) this.persist(origin, feed);
  }

  private deliverRuns(originHex: string, origin: Uint8Array, feed: OriginFeed, out: FeedOutcome[]): void {
    for (;;) {
      const ahead = feed.ahead;
      if (ahead && ahead.seq > feed.delivered && this.haveRun(feed, ahead.seq)) {
        // The whole run up to the checkpoint is here: judged as one and delivered verified.
        const run: { entry: FeedEntry; hash: Uint8Array }[] = [];
        let prev = feed.deliveredHash;
        for (let seq = feed.delivered + 1; seq <= ahead.seq; seq++) {
          const bytes = feed.buffer.get(seq)!;
          const entry = decodeFeedEntry(bytes) as FeedEntry;
          if (prev && !equalBytes(entry.prev, prev)) return this.reject(originHex, feed, seq, "chain-break", out);
          prev = chainHash(this.crypto, origin, bytes);
          run.push({ entry, hash: prev });
        }
        if (!prev || !equalBytes(prev, ahead.head)) return this.reject(originHex, feed, ahead.seq, "checkpoint-mismatch", out);
        for (const { entry } of run) this.deliver(originHex, feed, entry, true, out);
        feed.deliveredHash = prev;
        feed.verified = ahead.seq;
        feed.ahead = null;
        // The chain proves the entries delivered unverified before the run as well.
        if (feed.unverified.length > 0) out.push({ type: "feed-verified", origin: originHex, upTo: ahead.seq });
        feed.unverified.length = 0;
        continue;
      }
      const seq = feed.delivered + 1;
      const bytes = feed.buffer.get(seq);
      if (!bytes) return;
      const entry = decodeFeedEntry(bytes) as FeedEntry;
      if (feed.deliveredHash && !equalBytes(entry.prev, feed.deliveredHash)) return this.reject(originHex, feed, seq, "chain-break", out);
      // Part of the run is missing: what is here is delivered now, unverified (a reading should not
      // wait on a later one); the checkpoint judges them when the run reaches it.
      const hash = chainHash(this.crypto, origin, bytes);
      this.deliver(originHex, feed, entry, false, out);
      feed.deliveredHash = hash;
      feed.unverified.push(hash);
      if (feed.unverified.length > this.bufferCapacity) feed.unverified.shift();
      if (ahead && ahead.seq === seq) {
        feed.ahead = null;
        if (!equalBytes(hash, ahead.head)) {
          out.push({ type: "feed-flagged", origin: originHex, seq, reason: "checkpoint-mismatch" });
        } else {
          feed.verified = seq;
          feed.unverified.length = 0;
          out.push({ type: "feed-verified", origin: originHex, upTo: seq });
        }
      }
    }
  }

  /** Whether every entry after the last delivered one up to `seq` is buffered. */
  private haveRun(feed: OriginFeed, seq: number): boolean {
    for (let s = feed.delivered + 1; s <= seq; s++) if (!feed.buffer.has(s)) return false;
    return true;
  }

  private deliver(originHex: string, feed: OriginFeed, e: FeedEntry, verified: boolean, out: FeedOutcome[]): void {
    feed.buffer.delete(e.seq);
    feed.delivered = e.seq;
    out.push({ type: "reading", origin: originHex, seq: e.seq, sensor: e.sensor, value: e.value, time: e.time, verified });
  }

  /** Loads a stored position for an origin met anew (after a reboot, or after it was forgotten). */
  private restore(origin: Uint8Array, feed: OriginFeed): void {
    const position = this.storedAt(origin);
    if (!position) return;
    feed.delivered = readU32(position, NODE_ID_BYTES);
    feed.verified = feed.delivered;
    feed.deliveredHash = position.slice(NODE_ID_BYTES + 4, POSITION_BYTES);
  }

  /** The stored position record of `origin` (a view into its bucket), or null. */
  private storedAt(origin: Uint8Array): Uint8Array | null {
    const bucket = this.storage?.get(bucketKey(origin));
    if (!bucket) return null;
    for (let at = 0; at + POSITION_BYTES <= bucket.length; at += POSITION_BYTES) {
      if (equalBytes(bucket.subarray(at, at + NODE_ID_BYTES), origin.subarray(0, NODE_ID_BYTES))) return bucket.subarray(at, at + POSITION_BYTES);
    }
    return null;
  }

  /** Writes an origin's position into its bucket (read, replace or append, write). */
  private persist(origin: Uint8Array, feed: OriginFeed): void {
    if (!this.storage || !feed.deliveredHash) return;
    const key = bucketKey(origin);
    const old = this.storage.get(key) ?? new Uint8Array(0);
    let at = 0;
    while (at + POSITION_BYTES <= old.length && !equalBytes(old.subarray(at, at + NODE_ID_BYTES), origin.subarray(0, NODE_ID_BYTES))) {
      at += POSITION_BYTES;
    }
    const bucket = new Uint8Array(Math.max(old.length, at + POSITION_BYTES));
    bucket.set(old.subarray(0, Math.floor(old.length / POSITION_BYTES) * POSITION_BYTES));
    bucket.set(origin.subarray(0, NODE_ID_BYTES), at);
    writeU32(bucket, at + NODE_ID_BYTES, feed.delivered);
    bucket.set(feed.deliveredHash, at + NODE_ID_BYTES + 4);
    // A full bucket (over 140 origins sharing a first byte) keeps its oldest positions.
    if (bucket.length <= 4000) this.storage.set(key, bucket);
  }

  /** Drops the entry that broke the chain (a good copy may still come) and flags the feed. */
  private reject(originHex: string, feed: OriginFeed, seq: number, reason: FeedFlag, out: FeedOutcome[]): void {
    feed.buffer.delete(seq);
    if (reason === "checkpoint-mismatch") feed.ahead = null;
    out.push({ type: "feed-flagged", origin: originHex, seq, reason });
  }
}

/**
 * Moves a feed's position up to `seq` (delivered elsewhere: by the gateway that confirmed the
 * origin's base, or the one that handed it over); the next entry's `prev` is then taken on trust.
 * False when the feed was there already.
 */
function skipTo(feed: OriginFeed, seq: number): boolean {
  if (seq <= feed.delivered) return false;
  feed.delivered = seq;
  feed.deliveredHash = null;
  feed.unverified.length = 0;
  for (const s of feed.buffer.keys()) if (s <= seq) feed.buffer.delete(s);
  if (feed.ahead && feed.ahead.seq <= seq) feed.ahead = null;
  return true;
}

/** Storage keys of delivery positions start with this (a gateway host orders their writes: hosts/node). */
export const POSITION_KEY_PREFIX = "fv";

function bucketKey(origin: Uint8Array): string {
  return POSITION_KEY_PREFIX + toHex(origin.subarray(0, 1));
}

