/**
 * HELLO: the neighbor beacon (docs/protocol.md §HELLO).
 *
 *   off  size   field
 *   0    2      beacon sequence (u16, wraps): receivers count gaps to estimate link quality
 *   2    2      beacon interval in units of 100 ms (1..600): receivers expect the next one by then
 *   4    1      flags: bit 0 = certificate follows; other bits must be 0
 *   5    4      highest revocation-list serial the sender holds
 *   9    110    admission certificate (only with flag bit 0)
 *   ..   1      neighbor count n (0..MAX_HELLO_NEIGHBORS)
 *   ..   9n     per neighbor: node id (8) ‖ how well the sender hears it (u8, 255 = every beacon)
 *   ..   4      relay mask (u32): bit i set = the sender asks neighbor i to relay its messages;
 *               bits at or above n must be 0
 *   ..   2      recent window in units of 100 ms (0..65535): the keys below are every gossip message
 *               the sender received in the last `window` (the newest MAX_RECENT_KEYS of them)
 *   ..   1      recent key count r (0..MAX_RECENT_KEYS)
 *   ..   2r     listed keys (u16, listedKey(messageKey(origin, seq))): what the sender has, for repair
 */
import { readU16, readU32, writeU16, writeU32 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";

export const CERTIFICATE_BYTES = 110;
export const MAX_HELLO_NEIGHBORS = 32;
/** Keys a HELLO lists: 255 of 16 bits take the bytes 128 of 32 did, and cover twice the time in a busy mesh. */
export const MAX_RECENT_KEYS = 255;
const LISTED_KEY_BYTES = 2;
export const HELLO_FLAG_CERTIFICATE = 1;
const FIXED = 9;
const NEIGHBOR_ENTRY = NODE_ID_BYTES + 1;
const RELAY_MASK_BYTES = 4;
const RECENT_FIXED = 3;

export interface HelloView {
  beaconSeq: number;
  intervalMs: number;
  revocationSerial: number;
  /** View of the certificate bytes, or null when the sender left it out. */
  certificate: Uint8Array | null;
  neighborCount: number;
  /** View of the n × 9 neighbor entries; read with helloNeighborOffset / helloNeighborQuality. */
  neighbors: Uint8Array;
  /** Bit i: the sender designated neighbor entry i as a relay for its messages. */
  relayMask: number;
  recentWindowMs: number;
  recentCount: number;
  /** View of the r × 2 listed keys; read with helloRecentKey. */
  recent: Uint8Array;
}

/** What a fresh view points at: one empty array for every view, not two per view. */
const NONE = new Uint8Array(0);

export function newHelloView(): HelloView {
  return {
    beaconSeq: 0, intervalMs: 0, revocationSerial: 0, certificate: null,
    neighborCount: 0, neighbors: NONE, relayMask: 0, recentWindowMs: 0, recentCount: 0, recent: NONE,
  };
}

export function decodeHello(body: Uint8Array, out: HelloView): WireError {
  if (body.length < FIXED + 1) return WireError.Truncated;
  const interval = readU16(body, 2);
  if (interval < 1 || interval > 600) return WireError.BadField;
  const flags = body[4];
  if ((flags & ~HELLO_FLAG_CERTIFICATE) !== 0) return WireError.BadField;
  let at = FIXED;
  let certificate: Uint8Array | null = null;
  if (flags & HELLO_FLAG_CERTIFICATE) {
    if (body.length < at + CERTIFICATE_BYTES + 1) return WireError.Truncated;
    certificate = body.subarray(at, at + CERTIFICATE_BYTES);
    at += CERTIFICATE_BYTES;
  }
  const count = body[at++];
  if (count > MAX_HELLO_NEIGHBORS) return WireError.Oversized;
  const neighborsEnd = at + count * NEIGHBOR_ENTRY;
  const recentAt = neighborsEnd + RELAY_MASK_BYTES;
  if (body.length < recentAt + RECENT_FIXED) return WireError.Truncated;
  const relayMask = readU32(body, neighborsEnd);
  if (count < 32 && relayMask >>> count !== 0) return WireError.BadField;
  const recentCount = body[recentAt + 2]; // MAX_RECENT_KEYS is the byte's most
  const end = recentAt + RECENT_FIXED + LISTED_KEY_BYTES * recentCount;
  if (body.length < end) return WireError.Truncated;
  if (body.length > end) return WireError.TrailingBytes;
  out.beaconSeq = readU16(body, 0);
  out.intervalMs = interval * 100;
  out.revocationSerial = readU32(body, 5);
  out.certificate = certificate;
  out.neighborCount = count;
  out.neighbors = body.subarray(at, neighborsEnd);
  out.relayMask = relayMask;
  out.recentWindowMs = readU16(body, recentAt) * 100;
  out.recentCount = recentCount;
  out.recent = body.subarray(recentAt + RECENT_FIXED, end);
  return WireError.None;
}

/** The `i`-th listed key: a u16 (see listedKey in gossip/recent-messages.ts). */
export function helloRecentKey(view: HelloView, i: number): number {
  return readU16(view.recent, LISTED_KEY_BYTES * i);
}

/** Offset of neighbor `i`'s id inside `view.neighbors`. */
export function helloNeighborOffset(i: number): number {
  return i * NEIGHBOR_ENTRY;
}

export function helloNeighborQuality(view: HelloView, i: number): number {
  return view.neighbors[i * NEIGHBOR_ENTRY + NODE_ID_BYTES];
}

export interface HelloNeighbor {
  id: Uint8Array;
  /** 0..255 */
  quality: number;
  /** Ask this neighbor to relay our messages. */
  relay?: boolean;
}

export function helloBytes(certificatePresent: boolean, neighborCount: number, recentCount = 0): number {
  return FIXED + (certificatePresent ? CERTIFICATE_BYTES : 0) + 1 + neighborCount * NEIGHBOR_ENTRY + RELAY_MASK_BYTES +
    RECENT_FIXED + LISTED_KEY_BYTES * recentCount;
}

/** Encodes a HELLO body. Throws RangeError on values that the decoder would reject (a local bug). */
export function encodeHello(
  beaconSeq: number, intervalMs: number, revocationSerial: number,
  certificate: Uint8Array | null, neighbors: readonly HelloNeighbor[],
  recentWindowMs = 0, recentKeys: ArrayLike<number> = [],
): Uint8Array {
  const interval = Math.round(intervalMs / 100);
  if (!(interval >= 1 && interval <= 600)) throw new RangeError("beacon interval must be 100..60000 ms");
  if (neighbors.length > MAX_HELLO_NEIGHBORS) throw new RangeError(`at most ${MAX_HELLO_NEIGHBORS} neighbors`);
  if (certificate && certificate.length !== CERTIFICATE_BYTES) throw new RangeError("certificate must be 110 bytes");
  if (recentKeys.length > MAX_RECENT_KEYS) throw new RangeError(`at most ${MAX_RECENT_KEYS} recent keys`);
  const window = Math.round(recentWindowMs / 100);
  if (!(window >= 0 && window <= 0xffff)) throw new RangeError("recent window must be 0..6553500 ms");
  const out = new Uint8Array(helloBytes(certificate !== null, neighbors.length, recentKeys.length));
  writeU16(out, 0, beaconSeq & 0xffff);
  writeU16(out, 2, interval);
  out[4] = certificate ? HELLO_FLAG_CERTIFICATE : 0;
  writeU32(out, 5, revocationSerial);
  let at = FIXED;
  if (certificate) {
    out.set(certificate, at);
    at += CERTIFICATE_BYTES;
  }
  out[at++] = neighbors.length;
  let relayMask = 0;
  neighbors.forEach((n, i) => {
    out.set(n.id.subarray(0, NODE_ID_BYTES), at);
    out[at + NODE_ID_BYTES] = n.quality;
    at += NEIGHBOR_ENTRY;
    if (n.relay) relayMask |= 1 << i;
  });
  writeU32(out, at, relayMask >>> 0);
  at += RELAY_MASK_BYTES;
  writeU16(out, at, window);
  out[at + 2] = recentKeys.length;
  at += RECENT_FIXED;
  for (let i = 0; i < recentKeys.length; i++, at += LISTED_KEY_BYTES) {
    const key = recentKeys[i];
    if (!(key >= 0 && key <= 0xffff)) throw new RangeError("listed keys must be u16");
    writeU16(out, at, key);
  }
  return out;
}
