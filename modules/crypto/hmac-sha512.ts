/**
 * HMAC-SHA-512 (RFC 2104, FIPS 198-1) on the Crypto port's SHA-512: two hashes per tag, so a
 * gateway authenticates each CONFIRM for the cost of two hashes instead of an Ed25519 signature
 * (forward/confirm-tag.ts).
 */
import type { Crypto } from "../ports.js";

/** SHA-512's block: keys longer than this are hashed first, shorter ones padded with zeros. */
const BLOCK_BYTES = 128;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;

export function hmacSha512(crypto: Pick<Crypto, "sha512">, key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = key.length > BLOCK_BYTES ? crypto.sha512(key) : key;
  const inner = new Uint8Array(BLOCK_BYTES + message.length);
  const outer = new Uint8Array(BLOCK_BYTES + 64);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i < k.length ? k[i] : 0;
    inner[i] = byte ^ INNER_PAD;
    outer[i] = byte ^ OUTER_PAD;
  }
  inner.set(message, BLOCK_BYTES);
  outer.set(crypto.sha512(inner), BLOCK_BYTES);
  return crypto.sha512(outer);
}
