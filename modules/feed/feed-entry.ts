/**
 * One reading in a node's feed: an append-only, hash-chained log (docs/protocol.md §Feed).
 *
 *   off   size  field
 *   0     4     seq, u32 big-endian, 1 for the first entry, +1 for each next one
 *   4     4     time, unix seconds (u32; 0 when the origin had no clock yet)
 *   8     16    prev: chain hash of entry seq-1 (all zero for seq 1)
 *   24    1     n, length of the sensor name, 1..MAX_SENSOR_CHARS
 *   25    n     sensor name, printable ASCII
 *   25+n  8     value, IEEE 754 double, big-endian
 *
 * chain hash(entry) = SHA-512("hyphae/feed/v1" ‖ origin id ‖ entry)[0..16]. Because every entry
 * names the hash of the one before, a signature over one head hash covers the whole history:
 * changing, dropping, inserting or reordering any earlier entry breaks a link.
 */
import { ascii, concatBytes, readU32, writeU32 } from "../bytes.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export const CHAIN_HASH_BYTES = 16;
export const MAX_SENSOR_CHARS = 16;
const FIXED_BYTES = 4 + 4 + CHAIN_HASH_BYTES + 1 + 8;
const CONTEXT = ascii("hyphae/feed/v1");

export interface FeedEntry {
  seq: number;
  time: number;
  prev: Uint8Array;
  sensor: string;
  value: number;
}

/** Throws RangeError when a field is out of its range: callers pass their own, checked values. */
export function encodeFeedEntry(e: FeedEntry): Uint8Array {
  if (!isSensorName(e.sensor)) throw new RangeError(`sensor name must be 1..${MAX_SENSOR_CHARS} printable ASCII chars`);
  if (!Number.isInteger(e.seq) || e.seq < 1 || e.seq > 0xffffffff) throw new RangeError("feed seq must be a u32 ≥ 1");
  if (!Number.isInteger(e.time) || e.time < 0 || e.time > 0xffffffff) throw new RangeError("feed time must be a u32");
  if (e.prev.length !== CHAIN_HASH_BYTES) throw new RangeError(`prev must be ${CHAIN_HASH_BYTES} bytes`);
  const n = e.sensor.length;
  const out = new Uint8Array(FIXED_BYTES + n);
  writeU32(out, 0, e.seq);
  writeU32(out, 4, e.time);
  out.set(e.prev, 8);
  out[24] = n;
  out.set(ascii(e.sensor), 25);
  new DataView(out.buffer).setFloat64(25 + n, e.value);
  return out;
}

/** The length of the entry starting at `at` in `b`, read from its sensor name's length (-1: too short to tell). */
export function feedEntryLength(b: Uint8Array, at: number): number {
  return b.length > at + 24 ? FIXED_BYTES + b[at + 24] : -1;
}

/** Decodes strictly; a WireError number when the bytes are not exactly one well-formed entry. */
export function decodeFeedEntry(b: Uint8Array): FeedEntry | WireError {
  if (b.length < FIXED_BYTES + 1) return WireError.Truncated;
  const n = b[24];
  if (n < 1 || n > MAX_SENSOR_CHARS) return WireError.BadField;
  if (b.length < FIXED_BYTES + n) return WireError.Truncated;
  if (b.length > FIXED_BYTES + n) return WireError.TrailingBytes;
  const seq = readU32(b, 0);
  if (seq === 0) return WireError.BadField;
  let sensor = "";
  for (let i = 0; i < n; i++) {
    const c = b[25 + i];
    if (c < 0x20 || c > 0x7e) return WireError.BadField;
    sensor += String.fromCharCode(c);
  }
  const value = new DataView(b.buffer, b.byteOffset, b.length).getFloat64(25 + n);
  return { seq, time: readU32(b, 4), prev: b.slice(8, 8 + CHAIN_HASH_BYTES), sensor, value };
}

export function chainHash(crypto: Crypto, origin: Uint8Array, entry: Uint8Array): Uint8Array {
  return crypto.sha512(concatBytes(CONTEXT, origin.subarray(0, NODE_ID_BYTES), entry)).slice(0, CHAIN_HASH_BYTES);
}

export function isSensorName(s: string): boolean {
  return typeof s === "string" && s.length >= 1 && s.length <= MAX_SENSOR_CHARS && /^[\x20-\x7e]+$/.test(s);
}
