/**
 * The link frame: a cleartext header that also serves as the secretbox nonce, then the sealed payload.
 * See docs/protocol.md §Frame. Every frame between neighbors has this shape; there is no unsealed frame.
 *
 *   off size field
 *   0   1    version (1)
 *   1   1    reserved, must be 0
 *   2   4    network id (u32)
 *   6   8    sender node id
 *   14  4    sender boot epoch (u32)
 *   18  4    frame counter within the epoch (u32)
 *   22  16   Poly1305 tag
 *   38  n    XSalsa20 ciphertext of the payload, 1 ≤ n ≤ MAX_PAYLOAD_BYTES
 */
import { readU32, writeU32 } from "../bytes.js";
import { WireError } from "./errors.js";

export const FRAME_VERSION = 1;
export const NODE_ID_BYTES = 8;
export const HEADER_BYTES = 22;
export const TAG_BYTES = 16;
/** Largest frame on the air: one UDP datagram well under the 1,472-byte Wi-Fi/Ethernet MTU payload. */
export const MAX_FRAME_BYTES = 1200;
export const MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - HEADER_BYTES - TAG_BYTES;
export const NONCE_BYTES = 24;

export interface FrameHeader {
  networkId: number;
  /** View into the frame; copy it before keeping it. */
  sender: Uint8Array;
  epoch: number;
  counter: number;
  /** View of tag ‖ ciphertext. */
  box: Uint8Array;
}

/** What a fresh header points at: one empty array for every header, not two per header. */
const NONE = new Uint8Array(0);

export function newFrameHeader(): FrameHeader {
  return { networkId: 0, sender: NONE, epoch: 0, counter: 0, box: NONE };
}

/** Checks the cleartext header and fills `out` with views; nothing is copied. */
export function decodeFrameHeader(frame: Uint8Array, out: FrameHeader): WireError {
  if (frame.length > MAX_FRAME_BYTES) return WireError.Oversized;
  if (frame.length < HEADER_BYTES + TAG_BYTES + 1) return WireError.Truncated;
  if (frame[0] !== FRAME_VERSION) return WireError.BadVersion;
  if (frame[1] !== 0) return WireError.BadField;
  out.networkId = readU32(frame, 2);
  out.sender = frame.subarray(6, 6 + NODE_ID_BYTES);
  out.epoch = readU32(frame, 14);
  out.counter = readU32(frame, 18);
  out.box = frame.subarray(HEADER_BYTES);
  return WireError.None;
}

/** Writes the header into `frame[0..22)`. */
export function encodeFrameHeader(
  frame: Uint8Array, networkId: number, sender: Uint8Array, epoch: number, counter: number,
): void {
  frame[0] = FRAME_VERSION;
  frame[1] = 0;
  writeU32(frame, 2, networkId);
  frame.set(sender.subarray(0, NODE_ID_BYTES), 6);
  writeU32(frame, 14, epoch);
  writeU32(frame, 18, counter);
}

/**
 * The 24-byte nonce is the 22-byte header and two zero bytes: it binds every header field to the tag,
 * and it never repeats because (sender, epoch, counter) never does (docs/protocol.md §Nonces).
 */
export function frameNonce(frame: Uint8Array, out: Uint8Array): Uint8Array {
  // Byte by byte: a view per frame (to set() from) costs more than the copy.
  for (let i = 0; i < HEADER_BYTES; i++) out[i] = frame[i];
  out[22] = 0;
  out[23] = 0;
  return out;
}
