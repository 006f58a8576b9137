/**
 * Origin attribution without a signature per message (docs/protocol.md §Checkpoints).
 *
 * An origin remembers a 16-byte digest of each data message it publishes. Every `checkpointEvery`
 * messages (or `checkpointAfterMs` after the first uncovered one) it publishes a CHECKPOINT gossip
 * message, with its own sequence number c, whose payload is
 *
 *   certificate (110) ‖ first covered seq f (u32) ‖ digests of seqs f..c-1 (16 each) ‖ signature (64)
 *
 * signed with the origin's Ed25519 key over "hyphae/ckpt/v1" ‖ origin ‖ c ‖ f ‖ digests. A consumer
 * that verifies the certificate (once, cached) and the signature (once per checkpoint) attributes up
 * to 32 messages for one verify. Relays forward checkpoints like any message and verify nothing.
 */
import { ascii, concatBytes, equalBytes, readU32, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export const DIGEST_BYTES = 16;
export const MAX_CHECKPOINT_DIGESTS = 32;
const SIGNATURE_BYTES = 64;
const CONTEXT = ascii("hyphae/ckpt/v1");

/** Digest of a message's content (not its hop count). */
export function messageDigest(crypto: Crypto, origin: Uint8Array, seq: number, kind: number, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(NODE_ID_BYTES + 5);
  head.set(origin.subarray(0, NODE_ID_BYTES));
  writeU32(head, NODE_ID_BYTES, seq);
  head[NODE_ID_BYTES + 4] = kind;
  return crypto.sha512(concatBytes(head, payload)).subarray(0, DIGEST_BYTES);
}

function signedBytes(origin: Uint8Array, seq: number, firstSeq: number, digests: Uint8Array): Uint8Array {
  const numbers = new Uint8Array(8);
  writeU32(numbers, 0, seq);
  writeU32(numbers, 4, firstSeq);
  return concatBytes(CONTEXT, origin.subarray(0, NODE_ID_BYTES), numbers, digests);
}

/** Origin side: collects digests of own data messages until a checkpoint is due. */
export class CheckpointWriter {
  private firstSeq = 0;
  /** When the batch must go out: `afterMs` after its first message that calls for a checkpoint, at once when full. */
  private dueAt = Infinity;
  private readonly digests: Uint8Array[] = [];

  constructor(private readonly every: number, private readonly afterMs: number) {
    if (every < 1 || every > MAX_CHECKPOINT_DIGESTS) throw new RangeError(`checkpoint size must be 1..${MAX_CHECKPOINT_DIGESTS}`);
  }

  /**
   * Covers own message `seq` (the next one). `callsForCheckpoint` false: it starts no clock, and is
   * covered by the checkpoint that later messages (or a full batch) call for.
   */
  add(seq: number, digest: Uint8Array, now: number, callsForCheckpoint = true): void {
    if (this.digests.length === 0) {
      this.firstSeq = seq;
      this.dueAt = Infinity;
    }
    this.digests.push(digest);
    if (callsForCheckpoint) this.dueAt = Math.min(this.dueAt, now + this.afterMs);
    if (this.digests.length >= this.every) this.dueAt = Math.min(this.dueAt, now);
  }

  /** When the next checkpoint must go out (Infinity when nothing calls for one). */
  deadline(): number {
    return this.digests.length === 0 ? Infinity : this.dueAt;
  }

  /** Builds the checkpoint payload for sequence number `seq` (the next one) and starts a new batch. */
  take(crypto: Crypto, secretKey: Uint8Array, certificate: Uint8Array, origin: Uint8Array, seq: number): Uint8Array {
    const digests = concatBytes(...this.digests);
    const signature = crypto.sign(signedBytes(origin, seq, this.firstSeq, digests), secretKey);
    const first = new Uint8Array(4);
    writeU32(first, 0, this.firstSeq);
    this.digests.length = 0;
    return concatBytes(certificate, first, digests, signature);
  }
}

export interface CheckpointView {
  certificate: Uint8Array;
  firstSeq: number;
  digests: Uint8Array;
  count: number;
  signature: Uint8Array;
}

/** Splits a checkpoint payload that came as gossip seq `seq`; null if malformed. */
export function decodeCheckpoint(payload: Uint8Array, seq: number): CheckpointView | null {
  const fixed = CERTIFICATE_BYTES + 4 + SIGNATURE_BYTES;
  const digestBytes = payload.length - fixed;
  if (digestBytes <= 0 || digestBytes % DIGEST_BYTES !== 0) return null;
  const count = digestBytes / DIGEST_BYTES;
  const firstSeq = readU32(payload, CERTIFICATE_BYTES);
  if (count > MAX_CHECKPOINT_DIGESTS || firstSeq === 0 || firstSeq + count !== seq) return null;
  return {
    certificate: payload.subarray(0, CERTIFICATE_BYTES),
    firstSeq,
    digests: payload.subarray(CERTIFICATE_BYTES + 4, CERTIFICATE_BYTES + 4 + digestBytes),
    count,
    signature: payload.subarray(payload.length - SIGNATURE_BYTES),
  };
}

export function verifyCheckpointSignature(crypto: Crypto, view: CheckpointView, origin: Uint8Array, seq: number, publicKey: Uint8Array): boolean {
  return crypto.verify(signedBytes(origin, seq, view.firstSeq, view.digests), view.signature, publicKey);
}

/**
 * Consumer side: digests of received messages not yet attributed, oldest forgotten first
 * (`capacity` entries, ≈ 40 B each).
 */
export class AttributionTable {
  private readonly entries = new Map<string, Uint8Array>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  remember(originHex: string, seq: number, digest: Uint8Array): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(originHex + ":" + seq, digest.slice());
  }

  /** Seqs whose remembered digest matches the verified checkpoint; they are forgotten. */
  attribute(originHex: string, view: CheckpointView): number[] {
    const seqs: number[] = [];
    for (let i = 0; i < view.count; i++) {
      const key = originHex + ":" + (view.firstSeq + i);
      const digest = this.entries.get(key);
      if (digest && equalBytes(digest, view.digests.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES))) {
        seqs.push(view.firstSeq + i);
        this.entries.delete(key);
      }
    }
    return seqs;
  }
}
