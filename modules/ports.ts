/**
 * The ports through which the sans-I/O core reaches its platform. Each host (moddable, node, sim)
 * binds them; the core never touches sockets, timers, clocks, flash or entropy itself.
 *
 * Time is not a port: every entry point takes `now`, integer milliseconds from a monotonic clock.
 */

/**
 * Standard primitives. Whatever implementation a host binds, the bytes are the same:
 * Ed25519 (RFC 8032), SHA-512 (FIPS 180-4), XSalsa20-Poly1305 secretbox (NaCl), X25519 (RFC 7748)
 * between Ed25519 identities converted as libsodium does (crypto/ed25519-agreement.ts).
 */
export interface Crypto {
  sha512(data: Uint8Array): Uint8Array;
  /** Ed25519 detached signature (64 bytes); `secretKey` is NaCl's 64-byte seed‖public form. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** secretbox: returns 16-byte tag ‖ ciphertext. */
  seal(plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** secretbox open of tag ‖ ciphertext; null when authentication fails. */
  open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /**
   * The X25519 shared secret (32 bytes) of our Ed25519 `secretKey` (seed‖public) and a peer's Ed25519
   * `publicKey`; null when the key has no X25519 form or the secret would be all zero.
   */
  agree(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
}

/** Uniform random 32-bit unsigned integers (jitter, choices). Keys come from provisioning, not here. */
export interface Random {
  nextU32(): number;
}

/**
 * Small persistent key-value store (Preference on the board). Keys are ≤ 15 ASCII chars and values
 * ≤ 4,000 bytes so they fit Moddable's Preference. Every set may be a flash commit: call rarely.
 */
export interface Storage {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
}

export const STORAGE_KEY_MAX_CHARS = 15;
export const STORAGE_VALUE_MAX_BYTES = 4000;

/** Throws RangeError unless `key` is 1..15 printable ASCII chars (Preference's rule). */
export function checkStorageKey(key: string): void {
  if (key.length === 0 || key.length > STORAGE_KEY_MAX_CHARS || !/^[\x20-\x7e]+$/.test(key)) {
    throw new RangeError(`storage key must be 1..${STORAGE_KEY_MAX_CHARS} printable ASCII chars: ${JSON.stringify(key)}`);
  }
}

/** Throws RangeError unless the entry fits Preference. Every host's Storage checks it, so an overflow fails everywhere. */
export function checkStorageEntry(key: string, value: Uint8Array): void {
  checkStorageKey(key);
  if (value.length > STORAGE_VALUE_MAX_BYTES) {
    throw new RangeError(`storage value for ${key} is ${value.length} bytes > ${STORAGE_VALUE_MAX_BYTES}`);
  }
}

/** Uniform float in [0, 1) from a Random port. */
export function unitFloat(random: Random): number {
  return random.nextU32() / 4294967296;
}
