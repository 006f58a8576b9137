/**
 * The owner-signed revocation list, spread as gossip (kind Revocation, origin = ownerIdOf(owner key),
 * seq = serial). A higher serial replaces a lower one whole; there are no deltas.
 *
 *   off     size  field
 *   0       1     version (1)
 *   1       4     network id (u32)
 *   5       4     serial (u32, ≥ 1)
 *   9       2     count n (0..MAX_REVOKED)
 *   11      8n    revoked node ids, strictly ascending (so lookups binary-search and encoding is unique)
 *   11+8n   64    owner's Ed25519 signature over ascii("hyphae/revoke/v1") ‖ bytes[0..11+8n)
 */
import { ascii, concatBytes, readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { nodeIdOf } from "./node-id.js";

export const REVOCATION_VERSION = 1;
/** Keeps the list (≤ 875 bytes) inside one gossip payload. */
export const MAX_REVOKED = 100;
const FIXED = 11;
const SIGNATURE_BYTES = 64;
const SECRET_KEY_BYTES = 64;
const CONTEXT = ascii("hyphae/revoke/v1");

export interface RevocationList {
  networkId: number;
  serial: number;
  count: number;
  /** View of count × 8 sorted ids; read id i at i * 8. */
  ids: Uint8Array;
  /** View into the decoded bytes. */
  signature: Uint8Array;
}

/** The gossip origin of revocation lists: the owner's key hashed like any node's. */
export function ownerIdOf(crypto: Crypto, ownerPublicKey: Uint8Array): Uint8Array {
  return nodeIdOf(crypto, ownerPublicKey);
}

/** Lexicographic order of two 8-byte ids held at offsets in possibly different arrays. */
function compareIds(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let i = 0; i < NODE_ID_BYTES; i++) {
    const d = a[ai + i] - b[bi + i];
    if (d !== 0) return d;
  }
  return 0;
}

function signedMessage(bytes: Uint8Array, end: number): Uint8Array {
  return concatBytes(CONTEXT, bytes.subarray(0, end));
}

/** Sorts and dedupes `ids`, then signs. Throws on values decode would reject (local misuse). */
export function issueRevocationList(
  crypto: Crypto, ownerSecretKey: Uint8Array, networkId: number, serial: number, ids: readonly Uint8Array[],
): Uint8Array {
  if (ownerSecretKey.length !== SECRET_KEY_BYTES) throw new RangeError("owner secret key must be 64 bytes");
  if (!Number.isInteger(networkId) || networkId < 0 || networkId > 0xffffffff) throw new RangeError("network id must be a u32");
  if (!Number.isInteger(serial) || serial < 1 || serial > 0xffffffff) throw new RangeError("serial must be 1..2^32-1");
  for (const id of ids) {
    if (!(id instanceof Uint8Array)) throw new TypeError("ids must be Uint8Arrays");
    if (id.length !== NODE_ID_BYTES) throw new RangeError(`ids must be ${NODE_ID_BYTES} bytes`);
  }
  const sorted = ids.slice().sort((a, b) => compareIds(a, 0, b, 0));
  const unique = sorted.filter((id, i) => i === 0 || compareIds(id, 0, sorted[i - 1], 0) !== 0);
  if (unique.length > MAX_REVOKED) throw new RangeError(`at most ${MAX_REVOKED} revoked ids`);
  const end = FIXED + unique.length * NODE_ID_BYTES;
  const out = new Uint8Array(end + SIGNATURE_BYTES);
  out[0] = REVOCATION_VERSION;
  writeU32(out, 1, networkId);
  writeU32(out, 5, serial);
  writeU16(out, 9, unique.length);
  unique.forEach((id, i) => out.set(id, FIXED + i * NODE_ID_BYTES));
  out.set(crypto.sign(signedMessage(out, end), ownerSecretKey), end);
  return out;
}

/** Parses without verifying the signature; views into `bytes`. Never throws. */
export function decodeRevocationList(bytes: Uint8Array): RevocationList | WireError {
  if (bytes.length < FIXED) return WireError.Truncated;
  if (bytes[0] !== REVOCATION_VERSION) return WireError.BadVersion;
  const serial = readU32(bytes, 5);
  const count = readU16(bytes, 9);
  if (serial === 0) return WireError.BadField;
  if (count > MAX_REVOKED) return WireError.Oversized;
  const end = FIXED + count * NODE_ID_BYTES;
  if (bytes.length < end + SIGNATURE_BYTES) return WireError.Truncated;
  if (bytes.length > end + SIGNATURE_BYTES) return WireError.TrailingBytes;
  for (let at = FIXED + NODE_ID_BYTES; at < end; at += NODE_ID_BYTES) {
    if (compareIds(bytes, at - NODE_ID_BYTES, bytes, at) >= 0) return WireError.BadField;
  }
  return {
    networkId: readU32(bytes, 1),
    serial,
    count,
    ids: bytes.subarray(FIXED, end),
    signature: bytes.subarray(end, end + SIGNATURE_BYTES),
  };
}

/** The list if it is well formed, for `networkId`, and signed by the owner; otherwise null. */
export function verifyRevocationList(
  crypto: Crypto, bytes: Uint8Array, ownerPublicKey: Uint8Array, networkId: number,
): RevocationList | null {
  const list = decodeRevocationList(bytes);
  if (typeof list === "number" || list.networkId !== networkId) return null;
  const end = FIXED + list.count * NODE_ID_BYTES;
  return crypto.verify(signedMessage(bytes, end), list.signature, ownerPublicKey) ? list : null;
}

/** Binary search over the sorted ids. */
export function isRevoked(list: RevocationList, id: Uint8Array): boolean {
  let lo = 0;
  let hi = list.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareIds(list.ids, mid * NODE_ID_BYTES, id, 0);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
