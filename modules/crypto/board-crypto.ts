/**
 * The Crypto binding the firmware runs on XS: the fastest well-kept implementation of each primitive
 * there (measured in /work/shared/platform-notes.md §Crypto cost in real XS).
 *
 * - Ed25519 on @noble/curves' point arithmetic. XS does BigInt in C, so it verifies ~10× faster than
 *   tweetnacl's Float64Array field code (the ESP32 has no double-precision FPU). The curve is built
 *   here from `abstract/edwards` rather than imported from `@noble/curves/ed25519.js`, which on load
 *   also builds ed25519ctx, ed25519ph, x25519, ristretto255, FROST and OPRF: with the hashes they
 *   import, 73 KB of the firmware's XS heap at rest (BENCHMARKS.md §Device: the firmware in the
 *   Moddable simulator, 181.5 KB before, 108.1 KB after).
 * - X25519 on a BigInt ladder of its own (x25519.ts), lighter than noble's, under the Ed25519 keys
 *   converted as libsodium does (ed25519-agreement.ts).
 * - XSalsa20-Poly1305 secretbox from tweetnacl.
 * - SHA-512 from the host (the Moddable SDK's native Digest on the board), tweetnacl's by default; it
 *   is also the hash inside Ed25519.
 *
 * The bytes are those of every other binding, and so is the judgement of which signatures are valid.
 */
import { eddsa, edwards } from "@noble/curves/abstract/edwards.js";
import nacl from "tweetnacl";
import { equalBytes } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { agreeWith } from "./ed25519-agreement.js";
import { x25519 } from "./x25519.js";

const SEED_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/**
 * Base-point window: W > 1 keeps a table of (⌈253 / W⌉ + 1) · 2^(W−1) points, built on first use and
 * kept for good; W=1 keeps none. Measured in XS (BENCHMARKS.md §Device): W=2 would hold 1,292 slots
 * and 45 KB of BigInt chunks, ≈ 64 KB on the ESP32 (more than a node's whole mesh state may take),
 * for a verify only ~20% faster; noble's default W=6 ~7,000 slots and far more chunks. So none.
 */
export const BASE_WINDOW = 1;

/** RFC 8032 §5.1: edwards25519, −x² + y² = 1 + d·x²·y² over GF(2^255 − 19), base point B of order L. */
const P = 2n ** 255n - 19n;
const ED25519 = {
  p: P,
  n: 2n ** 252n + 27742317777372353535851937790883648493n,
  h: 8n,
  a: P - 1n,
  d: 37095705934669439343138083508754565189542113879843219016388785533085940283555n,
  Gx: 15112221349535400772501151409588531511454012693041857206046113283949847762202n,
  Gy: 46316835694926478169428394003475163141307993866256225615783033603165251855960n,
};

const Point = edwards(ED25519);
Point.BASE.precompute(BASE_WINDOW);
const ORDER = Point.Fn.ORDER;

/** RFC 8032 §5.1.5: clear the low 3 bits and the top bit, set bit 254. */
function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0] &= 248;
  bytes[31] &= 127;
  bytes[31] |= 64;
  return bytes;
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function concat(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}

/** A Crypto port for XS; pass the host's native SHA-512 when it has one. */
export function createBoardCrypto(sha512: (data: Uint8Array) => Uint8Array = nacl.hash): Crypto {
  const signer = eddsa(Point, sha512, { adjustScalarBytes: clamp });
  return {
    sha512,
    sign(message, secretKey) {
      if (secretKey.length !== SEED_BYTES + PUBLIC_KEY_BYTES) throw new RangeError("secret key must be 64 bytes");
      return signer.sign(message, secretKey.subarray(0, SEED_BYTES));
    },
    /**
     * RFC 8032 §5.1.7 with the cofactorless equation [S]B = R + [k]A checked on R's encoding, as
     * OpenSSL and tweetnacl do: noble's own verify is cofactored and would accept signatures whose
     * R has a small-order component that the other bindings reject. S must be below the group order.
     */
    verify(message, signature, publicKey) {
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
      const s = littleEndian(signature.subarray(32));
      if (s >= ORDER) return false;
      let a;
      try {
        // Decoded as ref10 does: y is taken mod p (like OpenSSL and tweetnacl), off-curve keys throw.
        a = Point.fromBytes(publicKey, true);
      } catch {
        return false;
      }
      const r = signature.subarray(0, 32);
      const k = littleEndian(sha512(concat(r, publicKey, message))) % ORDER;
      const expected = Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k));
      return equalBytes(expected.toBytes(), r);
    },
    seal: (plaintext, nonce, key) => nacl.secretbox(plaintext, nonce, key),
    open: (box, nonce, key) => nacl.secretbox.open(box, nonce, key),
    agree: (secretKey, publicKey) => agreeWith(x25519, sha512, secretKey, publicKey),
  };
}
