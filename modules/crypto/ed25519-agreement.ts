/**
 * Key agreement between two Ed25519 identities: each key converted to its X25519 form as libsodium's
 * crypto_sign_ed25519_pk_to_curve25519 and crypto_sign_ed25519_sk_to_curve25519 do, then X25519
 * (RFC 7748). A node has one key pair, certified by the owner; converting it spares a second key
 * and a second certificate. Every Crypto binding brings its own X25519 and shares this conversion,
 * so all agree on the bytes.
 */
import type { Crypto } from "../ports.js";
import { invert, P, toLittleEndian } from "./x25519.js";

/** X25519(scalar, u): RFC 7748 §5, 32 bytes each way; may throw on a low-order u. */
export type X25519 = (scalar: Uint8Array, u: Uint8Array) => Uint8Array;

const KEY_BYTES = 32;
const SECRET_KEY_BYTES = 64;

/**
 * The Montgomery u of an Edwards public key: u = (1 + y) / (1 − y). Null for a non-canonical y
 * (≥ p) and for y = 1 (the identity, u at infinity). The point itself is not checked: certified
 * keys are owner-signed, and a low-order u yields an all-zero secret, which `agree` rejects.
 */
export function montgomeryPublicKey(edwardsPublicKey: Uint8Array): Uint8Array | null {
  if (edwardsPublicKey.length !== KEY_BYTES) return null;
  let y = 0n;
  for (let i = KEY_BYTES - 1; i >= 0; i--) y = (y << 8n) | BigInt(i === KEY_BYTES - 1 ? edwardsPublicKey[i] & 0x7f : edwardsPublicKey[i]);
  if (y >= P || y === 1n) return null;
  return toLittleEndian(((1n + y) * invert(1n - y)) % P);
}

/** The X25519 scalar of an Ed25519 secret key (NaCl's seed‖public form): SHA-512(seed)[0..32), clamped. */
export function montgomerySecretKey(sha512: Crypto["sha512"], edwardsSecretKey: Uint8Array): Uint8Array {
  if (edwardsSecretKey.length !== SECRET_KEY_BYTES) throw new RangeError("secret key must be 64 bytes");
  const scalar = sha512(edwardsSecretKey.subarray(0, KEY_BYTES)).slice(0, KEY_BYTES);
  scalar[0] &= 248;
  scalar[31] &= 127;
  scalar[31] |= 64;
  return scalar;
}

/**
 * The Crypto port's `agree` on a binding's X25519: the shared secret of `secretKey` and `publicKey`,
 * or null when the public key has no X25519 form or the secret is all zero (RFC 7748 §6.1: a
 * low-order key would let its holder know the secret without our key).
 */
export function agreeWith(x25519: X25519, sha512: Crypto["sha512"], secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  const u = montgomeryPublicKey(publicKey);
  if (!u) return null;
  const scalar = montgomerySecretKey(sha512, secretKey);
  let shared: Uint8Array;
  try {
    shared = x25519(scalar, u);
  } catch {
    return null;
  }
  let any = 0;
  for (let i = 0; i < shared.length; i++) any |= shared[i];
  return any === 0 ? null : shared;
}
