/**
 * SEQNO_REQUEST: a request for a newer seqno of a gateway's route, passed hop by hop toward that
 * gateway in frames addressed to one neighbor (docs/protocol.md §Routing; RFC 8966 §3.8.1.2).
 *
 *   off  size  field
 *   0    8     destination: the gateway whose seqno is wanted
 *   8    2     seqno wanted (u16, serial arithmetic)
 *   10   1     hops left (≥ 1): passed on with one less, never once it is 1
 */
import { readU16, writeU16 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";

export const SEQNO_REQUEST_BYTES = NODE_ID_BYTES + 3;
/** Hops left in a request a node starts: farther than a repair needs to look for a newer seqno. */
export const SEQNO_REQUEST_HOPS = 16;

export interface SeqnoRequestView {
  destination: Uint8Array;
  wanted: number;
  hops: number;
}

export function newSeqnoRequestView(): SeqnoRequestView {
  return { destination: new Uint8Array(0), wanted: 0, hops: 0 };
}

/** Fills `out` with views into `body` (copy the destination before keeping it). */
export function decodeSeqnoRequest(body: Uint8Array, out: SeqnoRequestView): WireError {
  if (body.length < SEQNO_REQUEST_BYTES) return WireError.Truncated;
  if (body.length > SEQNO_REQUEST_BYTES) return WireError.TrailingBytes;
  const hops = body[NODE_ID_BYTES + 2];
  if (hops === 0) return WireError.BadField;
  out.destination = body.subarray(0, NODE_ID_BYTES);
  out.wanted = readU16(body, NODE_ID_BYTES);
  out.hops = hops;
  return WireError.None;
}

/** Throws RangeError on a destination that is not a node id, a seqno that is not u16, or hops outside 1..255. */
export function encodeSeqnoRequest(destination: Uint8Array, wanted: number, hops: number): Uint8Array {
  if (destination.length !== NODE_ID_BYTES) throw new RangeError("seqno request destination must be a node id");
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 0xffff) throw new RangeError("wanted seqno must be u16");
  if (!Number.isInteger(hops) || hops < 1 || hops > 0xff) throw new RangeError("hops left must be 1..255");
  const out = new Uint8Array(SEQNO_REQUEST_BYTES);
  out.set(destination, 0);
  writeU16(out, NODE_ID_BYTES, wanted);
  out[NODE_ID_BYTES + 2] = hops;
  return out;
}
