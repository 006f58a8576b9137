/**
 * The origin's side of its feed: appends readings to the hash chain and signs the head.
 *
 * The head (seq and chain hash) is written to storage before an entry is handed out, so a reboot
 * continues the chain and never issues a second, different entry under a seq already sent: to a
 * gateway that would be indistinguishable from tampering. One flash commit per reading is fine at
 * sensor rates (one a minute wears the 24 KB NVS partition for decades), not per frame.
 */
import { readU32, writeU32 } from "../bytes.js";
import type { Crypto, Storage } from "../ports.js";
import { chainHash, CHAIN_HASH_BYTES, encodeFeedEntry } from "./feed-entry.js";
import { signFeedCheckpoint } from "./feed-checkpoint.js";

const KEY_HEAD = "feedhead";

export interface AppendedEntry {
  seq: number;
  /** The encoded entry (feed-entry.ts), ready to travel. */
  bytes: Uint8Array;
}

export class FeedLog {
  private seq = 0;
  private head: Uint8Array = new Uint8Array(CHAIN_HASH_BYTES);
  /** The signed head for `signedSeq`, reused until the head moves (a signature is dear on the board). */
  private signed: Uint8Array | null = null;
  private signedSeq = 0;

  constructor(
    private readonly crypto: Crypto,
    private readonly storage: Storage,
    private readonly origin: Uint8Array,
    private readonly secretKey: Uint8Array,
  ) {
    const stored = storage.get(KEY_HEAD);
    if (stored && stored.length === 4 + CHAIN_HASH_BYTES) {
      this.seq = readU32(stored, 0);
      this.head = stored.slice(4);
    }
  }

  /** Seq of the newest entry, 0 while the feed is empty. */
  get headSeq(): number {
    return this.seq;
  }

  append(sensor: string, value: number, time: number): AppendedEntry {
    const seq = this.seq + 1;
    const bytes = encodeFeedEntry({ seq, time, prev: this.head, sensor, value });
    const head = chainHash(this.crypto, this.origin, bytes);
    const record = new Uint8Array(4 + CHAIN_HASH_BYTES);
    writeU32(record, 0, seq);
    record.set(head, 4);
    this.storage.set(KEY_HEAD, record);
    this.seq = seq;
    this.head = head;
    return { seq, bytes };
  }

  /** A checkpoint over the current head; null while the feed is empty. */
  checkpoint(): Uint8Array | null {
    if (this.seq === 0) return null;
    if (this.signedSeq !== this.seq) {
      this.signed = signFeedCheckpoint(this.crypto, this.secretKey, this.origin, this.seq, this.head);
      this.signedSeq = this.seq;
    }
    return this.signed;
  }
}
