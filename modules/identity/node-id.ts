/**
 * A node's id: the first 8 bytes of SHA-512 of its Ed25519 public key. Short enough for every
 * frame header and neighbor entry; the certificate binds it back to the full key.
 */
import { toHex } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export function nodeIdOf(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  // slice, not subarray: an id is kept long-term and should not pin the 64-byte digest.
  return crypto.sha512(publicKey).slice(0, NODE_ID_BYTES);
}

export function nodeIdHex(id: Uint8Array): string {
  return toHex(id);
}
