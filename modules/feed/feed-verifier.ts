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
 *   - if it covers entries still to come, they are held until the run up to its seq is complete and
 *     delivered verified at once, so readings that can carry the proof do.
 * Memory is bounded: `originCapacity` origins (least recently active forgotten first), and per origin
 * `bufferCapacity` entries ahead of a gap and as many chain hashes of unverified deliveries.
 */
import { equalBytes } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { chainHash, CHAIN_HASH_BYTES, decodeFeedEntry, type FeedEntry } from "./feed-entry.js";
import { decodeFeedCheckpoint, verifyFeedCheckpoint } from "./feed-checkpoint.js";

export type FeedFlag = "malformed" | "chain-break" | "bad-signature" | "checkpoint-mismatch";

export type FeedOutcome =
  | { type: "reading"; origin: string; seq: number; sensor: string; value: number; time: number; verified: boolean }
  | { type: "feed-verified"; origin: string; upTo: number }
  | { type: "feed-flagged"; origin: string; seq: number; reason: FeedFlag };

interface OriginFeed {
  delivered: number;
  deliveredHash: Uint8Array;
  verified: number;
  /** Chain hashes of entries verified+1 .. delivered, oldest first (at most bufferCapacity). */
  unverified: Uint8Array[];
  /** A checkpoint whose signature verified, for a seq not delivered yet. */
  ahead: { seq: number; head: Uint8Array } | null;
  /** Entries past a gap, by seq. */
  buffer: Map<number, Uint8Array>;
}

export class FeedVerifier {
  private readonly feeds = new Map<string, OriginFeed>();
  /** Duplicates and entries past a full buffer: counted, not flagged (store-and-forward resends them). */
  duplicates = 0;
  overflows = 0;

  constructor(private readonly crypto: Crypto, private readonly originCapacity = 256, private readonly bufferCapacity = 64) {}

  offerEntry(originHex: string, origin: Uint8Array, bytes: Uint8Array, out: FeedOutcome[]): void {
    const entry = decodeFeedEntry(bytes);
    if (typeof entry === "number") return void out.push({ type: "feed-flagged", origin: originHex, seq: 0, reason: "malformed" });
    const feed = this.feed(originHex);
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
    const feed = this.feed(originHex);
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

  /** Last delivered seq of an origin (0 if none): the summary a gateway advertises for pulls. */
  deliveredSeq(originHex: string): number {
    return this.feeds.get(originHex)?.delivered ?? 0;
  }

  private feed(originHex: string): OriginFeed {
    let feed = this.feeds.get(originHex);
    if (feed) {
      this.feeds.delete(originHex); // re-inserted below: Map order is recency order
    } else {
      if (this.feeds.size >= this.originCapacity) this.feeds.delete(this.feeds.keys().next().value as string);
      feed = { delivered: 0, deliveredHash: new Uint8Array(CHAIN_HASH_BYTES), verified: 0, unverified: [], ahead: null, buffer: new Map() };
    }
    this.feeds.set(originHex, feed);
    return feed;
  }

  private drain(originHex: string, origin: Uint8Array, feed: OriginFeed, out: FeedOutcome[]): void {
    for (;;) {
      const ahead = feed.ahead;
      if (ahead && ahead.seq > feed.delivered) {
        // Held until the whole run up to the checkpoint is here, then judged as one.
        const run: { entry: FeedEntry; hash: Uint8Array }[] = [];
        let prev = feed.deliveredHash;
        for (let seq = feed.delivered + 1; seq <= ahead.seq; seq++) {
          const bytes = feed.buffer.get(seq);
          if (!bytes) return;
          const entry = decodeFeedEntry(bytes) as FeedEntry;
          if (!equalBytes(entry.prev, prev)) return this.reject(originHex, feed, seq, "chain-break", out);
          prev = chainHash(this.crypto, origin, bytes);
          run.push({ entry, hash: prev });
        }
        if (!equalBytes(prev, ahead.head)) return this.reject(originHex, feed, ahead.seq, "checkpoint-mismatch", out);
        for (const { entry } of run) this.deliver(originHex, feed, entry, true, out);
        feed.deliveredHash = prev;
        feed.verified = ahead.seq;
        feed.unverified.length = 0;
        feed.ahead = null;
        continue;
      }
      const seq = feed.delivered + 1;
      const bytes = feed.buffer.get(seq);
      if (!bytes) return;
      const entry = decodeFeedEntry(bytes) as FeedEntry;
      if (!equalBytes(entry.prev, feed.deliveredHash)) return this.reject(originHex, feed, seq, "chain-break", out);
      const hash = chainHash(this.crypto, origin, bytes);
      this.deliver(originHex, feed, entry, false, out);
      feed.deliveredHash = hash;
      feed.unverified.push(hash);
      if (feed.unverified.length > this.bufferCapacity) feed.unverified.shift();
    }
  }

  private deliver(originHex: string, feed: OriginFeed, e: FeedEntry, verified: boolean, out: FeedOutcome[]): void {
    feed.buffer.delete(e.seq);
    feed.delivered = e.seq;
    out.push({ type: "reading", origin: originHex, seq: e.seq, sensor: e.sensor, value: e.value, time: e.time, verified });
  }

  /** Drops the entry that broke the chain (a good copy may still come) and flags the feed. */
  private reject(originHex: string, feed: OriginFeed, seq: number, reason: FeedFlag, out: FeedOutcome[]): void {
    feed.buffer.delete(seq);
    if (reason === "checkpoint-mismatch") feed.ahead = null;
    out.push({ type: "feed-flagged", origin: originHex, seq, reason });
  }
}
