/**
 * HANDOVER: what gateways tell each other, mesh-wide, when an origin changes home
 * (forward/gateway-handover.ts, docs/protocol.md §Store-and-forward): 1..MAX_NOTICES notices of
 * NOTICE_BYTES, signed by their sender in GOSSIP kind 5 (forward/handover-message.ts):
 *
 *   off  size  field
 *   0    1     type: 1 release (the sender claims `origin` from `gateway`, its old home),
 *               2 released (the sender gave `origin` up to `gateway`)
 *   1    8     origin
 *   9    8     gateway
 *   17   4     position: for released, the highest seq of the origin delivered by the sender; 0 for release
 */
import { readU32, writeU32 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";

/** Append only: these values are on the wire. */
export enum NoticeType {
  Release = 1,
  Released = 2,
}

export const NOTICE_BYTES = 1 + 2 * NODE_ID_BYTES + 4;
export const MAX_NOTICES = 16;

export interface Notice {
  type: NoticeType;
  /** Views into the payload: copy before keeping. */
  origin: Uint8Array;
  gateway: Uint8Array;
  position: number;
}

export function checkHandover(payload: Uint8Array): WireError {
  if (payload.length < NOTICE_BYTES) return WireError.Truncated;
  if (payload.length % NOTICE_BYTES !== 0) return WireError.TrailingBytes;
  if (payload.length > MAX_NOTICES * NOTICE_BYTES) return WireError.Oversized;
  for (let at = 0; at < payload.length; at += NOTICE_BYTES) {
    const type = payload[at];
    if (type !== NoticeType.Release && type !== NoticeType.Released) return WireError.BadType;
    if (type === NoticeType.Release && readU32(payload, at + 17) !== 0) return WireError.BadField;
  }
  return WireError.None;
}

/** Notice i of a checked payload. */
export function notice(payload: Uint8Array, i: number): Notice {
  const at = i * NOTICE_BYTES;
  return {
    type: payload[at],
    origin: payload.subarray(at + 1, at + 1 + NODE_ID_BYTES),
    gateway: payload.subarray(at + 1 + NODE_ID_BYTES, at + 1 + 2 * NODE_ID_BYTES),
    position: readU32(payload, at + 17),
  };
}

/** Writes notice i into `out` (MAX_NOTICES × NOTICE_BYTES long). */
export function writeNotice(out: Uint8Array, i: number, type: NoticeType, origin: Uint8Array, gateway: Uint8Array, position: number): void {
  const at = i * NOTICE_BYTES;
  out[at] = type;
  out.set(origin.subarray(0, NODE_ID_BYTES), at + 1);
  out.set(gateway.subarray(0, NODE_ID_BYTES), at + 1 + NODE_ID_BYTES);
  writeU32(out, at + 17, position);
}
