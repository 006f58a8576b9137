/**
 * A node's id: the first 8 bytes of SHA-512 of its Ed25519 public key. Short enough for every
 * frame header and neighbor entry; the certificate binds it back to the full key.
 */
import { equalBytes, toHex } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { decodeCertificate } from "./certificate.js";

export function nodeIdOf(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  // slice, not subarray: an id is kept long-term and should not pin the 64-byte digest.
  return crypto.sha512(publicKey).slice(0, NODE_ID_BYTES);
}

export function nodeIdHex(id: Uint8Array): string {
  return toHex(id);
}

/**
 * The public key `certificate` holds if it is node `id`'s (the key hashes to the id), whether or not
 * the owner signed it; null otherwise. Enough to know a key is that node's, not that it may join.
 */
export function publicKeyOf(crypto: Crypto, id: Uint8Array, certificate: Uint8Array): Uint8Array | null {
  const cert = decodeCertificate(certificate);
  if (typeof cert === "number" || !equalBytes(nodeIdOf(crypto, cert.publicKey), id)) return null;
  return cert.publicKey;
}
