/**
 * Swarm records for content distribution (docs/protocol.md §Content).
 *
 * CONTENT_HAVE (record type 7), broadcast: what a node holds of one transfer.
 *   0   8   content id
 *   8   1   kind (1 firmware, 2 config)
 *   9   4   version (u32 ≥ 1)
 *   13  2   swarm pieces P (hash blocks + data pieces, 2..MAX_SWARM_PIECES)
 *   15  ⌈P/8⌉ bitfield, bit i = piece i held (MSB first); padding bits 0
 *
 * CONTENT_REQUEST (type 8), to one neighbor:
 *   0   8   content id
 *   8   1   count c (1..MAX_REQUEST_PIECES)
 *   9   2c  piece indices (u16); MANIFEST_INDEX asks for the manifest
 *
 * CONTENT_PIECE (type 9), to one neighbor:
 *   0   8   content id
 *   8   2   piece index (u16; MANIFEST_INDEX: the data is the manifest)
 *   10  n   data, 0..MAX_PIECE_DATA bytes; n = 0 says "not now" (no upload budget, or not held)
 */
import { readU16, writeU16, writeU32, readU32 } from "../bytes.js";
import { bitfieldBytes, paddingClear } from "../content/bitfield.js";
import { CONTENT_ID_BYTES, MAX_BLOCKS, MAX_MANIFEST_BYTES, MAX_PIECE_BYTES, MAX_PIECES } from "../content/content-manifest.js";
import { WireError } from "./errors.js";

export const MANIFEST_INDEX = 0xffff;
export const MAX_SWARM_PIECES = MAX_PIECES + MAX_BLOCKS;
export const MAX_REQUEST_PIECES = 8;
export const MAX_PIECE_DATA = Math.max(MAX_PIECE_BYTES, MAX_MANIFEST_BYTES);
const HAVE_FIXED = 15;
const PIECE_FIXED = 10;

export interface HaveView {
  /** Views into the record; copy before keeping. */
  contentId: Uint8Array;
  kind: number;
  version: number;
  pieces: number;
  bits: Uint8Array;
}

export interface PieceView {
  contentId: Uint8Array;
  index: number;
  data: Uint8Array;
}

const NONE = new Uint8Array(0);

export function newHaveView(): HaveView {
  return { contentId: NONE, kind: 0, version: 0, pieces: 0, bits: NONE };
}

export function newPieceView(): PieceView {
  return { contentId: NONE, index: 0, data: NONE };
}

export function decodeHave(body: Uint8Array, out: HaveView): WireError {
  if (body.length < HAVE_FIXED) return WireError.Truncated;
  const kind = body[8];
  const version = readU32(body, 9);
  const pieces = readU16(body, 13);
  if (kind < 1 || kind > 2) return WireError.BadType;
  if (version === 0 || pieces < 2 || pieces > MAX_SWARM_PIECES) return WireError.BadField;
  const end = HAVE_FIXED + bitfieldBytes(pieces);
  if (body.length < end) return WireError.Truncated;
  if (body.length > end) return WireError.TrailingBytes;
  if (!paddingClear(body, HAVE_FIXED, pieces)) return WireError.BadField;
  out.contentId = body.subarray(0, CONTENT_ID_BYTES);
  out.kind = kind;
  out.version = version;
  out.pieces = pieces;
  out.bits = body.subarray(HAVE_FIXED, end);
  return WireError.None;
}

export function encodeHave(contentId: Uint8Array, kind: number, version: number, pieces: number, bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(HAVE_FIXED + bitfieldBytes(pieces));
  out.set(contentId, 0);
  out[8] = kind;
  writeU32(out, 9, version);
  writeU16(out, 13, pieces);
  out.set(bits.subarray(0, bitfieldBytes(pieces)), HAVE_FIXED);
  return out;
}

/** Checks a REQUEST body; its indices are read with requestIndex. */
export function checkRequest(body: Uint8Array): WireError {
  if (body.length < CONTENT_ID_BYTES + 1) return WireError.Truncated;
  const count = body[CONTENT_ID_BYTES];
  if (count === 0) return WireError.BadField;
  if (count > MAX_REQUEST_PIECES) return WireError.Oversized;
  const end = CONTENT_ID_BYTES + 1 + 2 * count;
  if (body.length < end) return WireError.Truncated;
  return body.length > end ? WireError.TrailingBytes : WireError.None;
}

export function requestCount(body: Uint8Array): number {
  return body[CONTENT_ID_BYTES];
}

export function requestIndex(body: Uint8Array, k: number): number {
  return readU16(body, CONTENT_ID_BYTES + 1 + 2 * k);
}

export function encodeRequest(contentId: Uint8Array, indices: readonly number[]): Uint8Array {
  const out = new Uint8Array(CONTENT_ID_BYTES + 1 + 2 * indices.length);
  out.set(contentId, 0);
  out[CONTENT_ID_BYTES] = indices.length;
  for (let k = 0; k < indices.length; k++) writeU16(out, CONTENT_ID_BYTES + 1 + 2 * k, indices[k]);
  return out;
}

export function decodePiece(body: Uint8Array, out: PieceView): WireError {
  if (body.length < PIECE_FIXED) return WireError.Truncated;
  if (body.length > PIECE_FIXED + MAX_PIECE_DATA) return WireError.Oversized;
  out.contentId = body.subarray(0, CONTENT_ID_BYTES);
  out.index = readU16(body, 8);
  out.data = body.subarray(PIECE_FIXED);
  return WireError.None;
}

export function encodePiece(contentId: Uint8Array, index: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(PIECE_FIXED + data.length);
  out.set(contentId, 0);
  writeU16(out, 8, index);
  out.set(data, PIECE_FIXED);
  return out;
}
