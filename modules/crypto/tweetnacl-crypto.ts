/**
 * The portable Crypto binding: pure-JS tweetnacl, so it runs anywhere, XS included.
 * Hosts with faster primitives bind their own (hosts/node/node-crypto.ts); the bytes are identical.
 */
import nacl from "tweetnacl";
import type { Crypto } from "../ports.js";
import { agreeWith } from "./ed25519-agreement.js";

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;

/** Ed25519 group order L, little-endian, as S is encoded in a signature. */
const ORDER = Uint8Array.of(
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
);

/**
 * tweetnacl accepts S ≥ L (so S + L is a second valid signature); OpenSSL and RFC 8032 reject it.
 * Checking here keeps both bindings agreeing on which signatures are valid.
 */
function canonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i];
    if (s !== ORDER[i]) return s < ORDER[i];
  }
  return false;
}

export const tweetnaclCrypto: Crypto = {
  sha512: (data) => nacl.hash(data),
  sign: (message, secretKey) => nacl.sign.detached(message, secretKey),
  verify(message, signature, publicKey) {
    // Wire input: wrong lengths are a failed check, not an exception (tweetnacl would throw).
    if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
    if (!canonicalS(signature)) return false;
    return nacl.sign.detached.verify(message, signature, publicKey);
  },
  seal: (plaintext, nonce, key) => nacl.secretbox(plaintext, nonce, key),
  open: (box, nonce, key) => nacl.secretbox.open(box, nonce, key),
  agree: (secretKey, publicKey) => agreeWith(nacl.scalarMult, nacl.hash, secretKey, publicKey),
};

/** Ed25519 key pair from a 32-byte seed; `secretKey` is NaCl's 64-byte seed‖public form. */
export function keyPairFromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const pair = nacl.sign.keyPair.fromSeed(seed);
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}
