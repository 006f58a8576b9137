/**
 * A content delegation: the owner's signature that another key may sign content manifests of some
 * kinds, so the owner key can stay offline while a build machine signs releases. Carried inside the
 * manifest it authorizes (docs/protocol.md §Content).
 *
 *   off  size  field
 *   0    1     version (1)
 *   1    4     network id (u32)
 *   5    32    delegate Ed25519 public key
 *   37   1     kinds: bit k−1 set = may sign manifests of ContentKind k; other bits 0
 *   38   64    owner's Ed25519 signature over ascii("hyphae/cdlg/v1") ‖ bytes[0..38)
 *
 * A delegation is withdrawn by revoking the delegate key's id (nodeIdOf) in the revocation list.
 */
import { ascii, concatBytes, readU32, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";

export const DELEGATION_VERSION = 1;
export const DELEGATION_BYTES = 102;
const SIGNED_BYTES = 38;
/** Domain separation: an owner signature over a delegation passes as nothing else. */
const CONTEXT = ascii("hyphae/cdlg/v1");
/** Kind bits that exist (ContentKind 1 and 2). */
export const KNOWN_KIND_BITS = 0b11;

export interface Delegation {
  networkId: number;
  /** View into the decoded bytes. */
  publicKey: Uint8Array;
  kinds: number;
  signature: Uint8Array;
}

/** Owner-signs a delegation of `kinds` (bit mask) to `publicKey`. Throws on values decode would reject. */
export function issueDelegation(crypto: Crypto, ownerSecretKey: Uint8Array, networkId: number, publicKey: Uint8Array, kinds: number): Uint8Array {
  if (ownerSecretKey.length !== 64) throw new RangeError("owner secret key must be 64 bytes");
  if (publicKey.length !== 32) throw new RangeError("delegate public key must be 32 bytes");
  if (!Number.isInteger(networkId) || networkId < 0 || networkId > 0xffffffff) throw new RangeError("network id must be a u32");
  if (kinds === 0 || (kinds & ~KNOWN_KIND_BITS) !== 0) throw new RangeError("kinds must be a non-empty mask of known content kinds");
  const out = new Uint8Array(DELEGATION_BYTES);
  out[0] = DELEGATION_VERSION;
  writeU32(out, 1, networkId);
  out.set(publicKey, 5);
  out[37] = kinds;
  out.set(crypto.sign(concatBytes(CONTEXT, out.subarray(0, SIGNED_BYTES)), ownerSecretKey), SIGNED_BYTES);
  return out;
}

/** Parses without verifying; views into `bytes`. Never throws. */
export function decodeDelegation(bytes: Uint8Array): Delegation | WireError {
  if (bytes.length < DELEGATION_BYTES) return WireError.Truncated;
  if (bytes.length > DELEGATION_BYTES) return WireError.TrailingBytes;
  if (bytes[0] !== DELEGATION_VERSION) return WireError.BadVersion;
  const kinds = bytes[37];
  if (kinds === 0 || (kinds & ~KNOWN_KIND_BITS) !== 0) return WireError.BadField;
  return { networkId: readU32(bytes, 1), publicKey: bytes.subarray(5, 37), kinds, signature: bytes.subarray(SIGNED_BYTES) };
}

/** Whether the owner signed this delegation (its fields are checked by the caller). */
export function verifyDelegationSignature(crypto: Crypto, bytes: Uint8Array, signature: Uint8Array, ownerPublicKey: Uint8Array): boolean {
  return crypto.verify(concatBytes(CONTEXT, bytes.subarray(0, SIGNED_BYTES)), signature, ownerPublicKey);
}
