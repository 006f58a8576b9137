/**
 * The command message: a GOSSIP kind 4 payload that tells one node to set something
 * (docs/protocol.md §Commands). Gossip carries it to the target wherever it is; the origin signs it,
 * so the target can attribute it without waiting for a checkpoint.
 *
 *   off      size  field
 *   0        110   origin's certificate (its role byte must carry COMMAND_RIGHT)
 *   110      8     target node id
 *   118      1     path length p, 1..MAX_COMMAND_PATH
 *   119      p     path: ASCII 0x21..0x7e except + and # (the MQTT topic after `set/`)
 *   119+p    1     value length v, 0..MAX_COMMAND_VALUE
 *   120+p    v     value (opaque bytes: the MQTT payload)
 *   120+p+v  64    origin's Ed25519 signature over
 *                  ascii("hyphae/cmd/v1") ‖ origin (8) ‖ seq (u32) ‖ bytes[110..120+p+v)
 *
 * The signature binds the gossip (origin, seq), so a relay cannot move the command to another
 * sequence number or origin; the certificate is not signed again (the owner signed it).
 *
 * A command not acknowledged in time is sent again as GOSSIP kind 6 under a new gossip seq (relays'
 * seen caches would drop the first seq): the command's own seq (u32) ‖ the payload above, unchanged,
 * so the signature still binds the command's seq and the target acts on it once.
 */
import { ascii, readU32, writeU32 } from "../bytes.js";
import { gossipSigningBytes } from "../gossip/gossip-signing.js";
import type { Crypto } from "../ports.js";
import { WireError } from "../wire/errors.js";
import { NODE_ID_BYTES } from "../wire/frame.js";
import { CERTIFICATE_BYTES } from "../wire/hello.js";

export const MAX_COMMAND_PATH = 32;
export const MAX_COMMAND_VALUE = 128;
const SIGNATURE_BYTES = 64;
const TARGET_AT = CERTIFICATE_BYTES;
const PATH_LENGTH_AT = TARGET_AT + NODE_ID_BYTES;
/** Certificate, target, the two lengths and the signature. */
export const COMMAND_FIXED_BYTES = PATH_LENGTH_AT + 2 + SIGNATURE_BYTES;
const CONTEXT = ascii("hyphae/cmd/v1");
const PLUS = 0x2b;
const HASH = 0x23;

export interface CommandView {
  /** Views into the payload; copy before keeping. */
  certificate: Uint8Array;
  target: Uint8Array;
  path: Uint8Array;
  value: Uint8Array;
  /** target ‖ lengths ‖ path ‖ value: what the signature covers after the origin and seq. */
  signed: Uint8Array;
  signature: Uint8Array;
}

function isPathByte(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== PLUS && c !== HASH;
}

/** Whether `path` can travel as a command path (the gateway checks a topic's suffix with it). */
export function isCommandPath(path: string): boolean {
  if (path.length < 1 || path.length > MAX_COMMAND_PATH) return false;
  for (let i = 0; i < path.length; i++) if (!isPathByte(path.charCodeAt(i))) return false;
  return true;
}


/** Throws RangeError for a target, path or value the decoder would reject. */
export function checkCommandFields(target: Uint8Array, path: string, value: Uint8Array): void {
  if (target.length !== NODE_ID_BYTES) throw new RangeError(`command target must be a ${NODE_ID_BYTES}-byte node id`);
  if (!isCommandPath(path)) throw new RangeError(`command path must be 1..${MAX_COMMAND_PATH} of ASCII 0x21..0x7e except + and #`);
  if (value.length > MAX_COMMAND_VALUE) throw new RangeError(`command value over ${MAX_COMMAND_VALUE} bytes`);
}

/** Builds and signs a command payload for gossip (origin, seq). Throws RangeError as checkCommandFields does. */
export function encodeCommand(crypto: Crypto, secretKey: Uint8Array, certificate: Uint8Array, origin: Uint8Array, seq: number,
    target: Uint8Array, path: string, value: Uint8Array): Uint8Array {
  checkCommandFields(target, path, value);
  if (certificate.length !== CERTIFICATE_BYTES) throw new RangeError(`certificate must be ${CERTIFICATE_BYTES} bytes`);
  const out = new Uint8Array(COMMAND_FIXED_BYTES + path.length + value.length);
  out.set(certificate, 0);
  out.set(target, TARGET_AT);
  out[PATH_LENGTH_AT] = path.length;
  for (let i = 0; i < path.length; i++) out[PATH_LENGTH_AT + 1 + i] = path.charCodeAt(i);
  const valueAt = PATH_LENGTH_AT + 2 + path.length;
  out[valueAt - 1] = value.length;
  out.set(value, valueAt);
  const signedEnd = valueAt + value.length;
  out.set(crypto.sign(gossipSigningBytes(CONTEXT, origin, seq, out.subarray(TARGET_AT, signedEnd)), secretKey), signedEnd);
  return out;
}

/** Whether a command payload is addressed to `id`, without decoding the rest (relays need not). */
export function isCommandFor(payload: Uint8Array, id: Uint8Array): boolean {
  if (payload.length < COMMAND_FIXED_BYTES) return false;
  for (let i = 0; i < NODE_ID_BYTES; i++) if (payload[TARGET_AT + i] !== id[i]) return false;
  return true;
}

/** Strict decode: the exact length the two length bytes declare, bounded lengths, a valid path. Never throws. */
export function decodeCommand(payload: Uint8Array): CommandView | WireError {
  if (payload.length < COMMAND_FIXED_BYTES + 1) return WireError.Truncated;
  const pathLength = payload[PATH_LENGTH_AT];
  if (pathLength < 1 || pathLength > MAX_COMMAND_PATH) return WireError.BadField;
  const valueLengthAt = PATH_LENGTH_AT + 1 + pathLength;
  if (payload.length < valueLengthAt + 1 + SIGNATURE_BYTES) return WireError.Truncated;
  const valueLength = payload[valueLengthAt];
  if (valueLength > MAX_COMMAND_VALUE) return WireError.BadField;
  const signedEnd = valueLengthAt + 1 + valueLength;
  if (payload.length < signedEnd + SIGNATURE_BYTES) return WireError.Truncated;
  if (payload.length > signedEnd + SIGNATURE_BYTES) return WireError.TrailingBytes;
  for (let i = PATH_LENGTH_AT + 1; i < valueLengthAt; i++) if (!isPathByte(payload[i])) return WireError.BadField;
  return {
    certificate: payload.subarray(0, CERTIFICATE_BYTES),
    target: payload.subarray(TARGET_AT, PATH_LENGTH_AT),
    path: payload.subarray(PATH_LENGTH_AT + 1, valueLengthAt),
    value: payload.subarray(valueLengthAt + 1, signedEnd),
    signed: payload.subarray(TARGET_AT, signedEnd),
    signature: payload.subarray(signedEnd),
  };
}

export function verifyCommandSignature(crypto: Crypto, view: CommandView, origin: Uint8Array, seq: number, publicKey: Uint8Array): boolean {
  return crypto.verify(gossipSigningBytes(CONTEXT, origin, seq, view.signed), view.signature, publicKey);
}

/** The path as text (its bytes are ASCII, checked by decodeCommand). */
export function commandPathText(view: CommandView): string {
  let s = "";
  for (let i = 0; i < view.path.length; i++) s += String.fromCharCode(view.path[i]);
  return s;
}

/** Bytes before a resent command's payload: the command's own seq. */
export const RESEND_SEQ_BYTES = 4;

/** A resend's gossip payload: the command's seq ‖ its signed payload. */
export function encodeCommandResend(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RESEND_SEQ_BYTES + payload.length);
  writeU32(out, 0, seq);
  out.set(payload, RESEND_SEQ_BYTES);
  return out;
}

/**
 * The command seq a resend (gossip `gossipSeq`) carries, or 0 when it cannot be one: a command is
 * resent under a later seq than its own, which is never 0.
 */
export function resentCommandSeq(payload: Uint8Array, gossipSeq: number): number {
  if (payload.length < RESEND_SEQ_BYTES) return 0;
  const seq = readU32(payload, 0);
  return seq < gossipSeq ? seq : 0;
}
