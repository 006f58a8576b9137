/**
 * A feed checkpoint: the origin's signature over its feed head (docs/protocol.md §Feed).
 *
 *   off  size  field
 *   0    4     seq of the head entry, u32 big-endian (≥ 1)
 *   4    16    chain hash of that entry
 *   20   64    Ed25519 signature over "hyphae/fdck/v1" ‖ origin id ‖ bytes[0..20)
 *
 * One verify at a gateway authenticates every entry up to `seq`, whatever their number.
 */
import { ascii, concatBytes, readU32, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { CHAIN_HASH_BYTES } from "./feed-entry.js";

export const FEED_CHECKPOINT_BYTES = 4 + CHAIN_HASH_BYTES + 64;
const SIGNED_BYTES = 4 + CHAIN_HASH_BYTES;
const CONTEXT = ascii("hyphae/fdck/v1");

export interface FeedCheckpoint {
  seq: number;
  head: Uint8Array;
  signature: Uint8Array;
}

function signedPart(origin: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(CONTEXT, origin.subarray(0, NODE_ID_BYTES), body.subarray(0, SIGNED_BYTES));
}

export function signFeedCheckpoint(crypto: Crypto, secretKey: Uint8Array, origin: Uint8Array, seq: number, head: Uint8Array): Uint8Array {
  const out = new Uint8Array(FEED_CHECKPOINT_BYTES);
  writeU32(out, 0, seq);
  out.set(head, 4);
  out.set(crypto.sign(signedPart(origin, out), secretKey), SIGNED_BYTES);
  return out;
}

export function decodeFeedCheckpoint(b: Uint8Array): FeedCheckpoint | WireError {
  if (b.length < FEED_CHECKPOINT_BYTES) return WireError.Truncated;
  if (b.length > FEED_CHECKPOINT_BYTES) return WireError.TrailingBytes;
  const seq = readU32(b, 0);
  if (seq === 0) return WireError.BadField;
  return { seq, head: b.slice(4, SIGNED_BYTES), signature: b.slice(SIGNED_BYTES) };
}

export function verifyFeedCheckpoint(crypto: Crypto, bytes: Uint8Array, origin: Uint8Array, publicKey: Uint8Array): boolean {
  return bytes.length === FEED_CHECKPOINT_BYTES &&
    crypto.verify(signedPart(origin, bytes), bytes.subarray(SIGNED_BYTES), publicKey);
}
