/**
 * The ports through which the sans-I/O core reaches its platform. Each host (moddable, node, sim)
 * binds them; the core never touches sockets, timers, clocks, flash or entropy itself.
 *
 * Time is not a port: every entry point takes `now`, integer milliseconds from a monotonic clock.
 */

/**
 * Standard primitives. Whatever implementation a host binds, the bytes are the same:
 * Ed25519 (RFC 8032), SHA-512 (FIPS 180-4), XSalsa20-Poly1305 secretbox (NaCl).
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

/** Uniform float in [0, 1) from a Random port. */
export function unitFloat(random: Random): number {
  return random.nextU32() / 4294967296;
}
