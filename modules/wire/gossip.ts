/**
 * GOSSIP: one mesh-wide message as it travels (docs/protocol.md §GOSSIP).
 *
 *   off  size  field
 *   0    8     origin node id (the owner's id for revocation lists)
 *   8    4     origin sequence (u32, ≥ 1; the revocation serial for revocation lists)
 *   12   1     kind: 1 data, 2 checkpoint, 3 revocation list, 4 command, 5 handover (wire/handover.ts),
 *               6 command resent (command/command-message.ts), 7 gateway certificate (the gateway's
 *               certificate, CERTIFICATE_BYTES, as payload; forward/gateway-certificates.ts)
 *   13   1     hops travelled so far (≤ hop limit)
 *   14   1     hop limit (1..255)
 *   15   n     payload (0..MAX_GOSSIP_PAYLOAD bytes)
 *
 * Only `hops` changes in flight; relays rewrite that one byte (GOSSIP_HOPS_OFFSET).
 */
import { readU32, writeU32 } from "../bytes.js";
import { WireError } from "./errors.js";
import { MAX_PAYLOAD_BYTES, NODE_ID_BYTES } from "./frame.js";
import { RECORD_HEADER_BYTES } from "./records.js";

/** Append only: these values are on the wire. */
export enum GossipKind {
  Data = 1,
  Checkpoint = 2,
  Revocation = 3,
  /** A signed command addressed to one node (modules/command/command-message.ts). */
  Command = 4,
  /** Gateways' notices when an origin changes home (forward/gateway-handover.ts). */
  Handover = 5,
  /** A command not acknowledged in time, sent again under a new seq: its own seq ‖ its payload unchanged. */
  CommandResend = 6,
  /** A gateway's certificate, for origins to agree on its CONFIRM key before they pick it as home. */
  GatewayCertificate = 7,
}

export const GOSSIP_FIXED_BYTES = 15;
export const GOSSIP_SEQ_OFFSET = 8;
export const GOSSIP_KIND_OFFSET = 12;
export const GOSSIP_HOPS_OFFSET = 13;
/** The field is a byte: large simulated meshes need more than the default limit of 32. */
export const MAX_HOP_LIMIT = 255;
export const MAX_GOSSIP_PAYLOAD = MAX_PAYLOAD_BYTES - RECORD_HEADER_BYTES - GOSSIP_FIXED_BYTES;

export interface GossipView {
  /** View into the record; copy before keeping. */
  origin: Uint8Array;
  seq: number;
  kind: GossipKind;
  hops: number;
  hopLimit: number;
  payload: Uint8Array;
}

/** What a fresh view points at: one empty array for every view, not two per view. */
const NONE = new Uint8Array(0);

export function newGossipView(): GossipView {
  return { origin: NONE, seq: 0, kind: GossipKind.Data, hops: 0, hopLimit: 0, payload: NONE };
}

/** Checks a GOSSIP body as decodeGossip does, without decoding it anywhere. */
export function checkGossip(body: Uint8Array): WireError {
  return checkGossipAt(body, 0, body.length);
}

/** checkGossip of the body at bytes[start .. end), read in place. */
export function checkGossipAt(bytes: Uint8Array, start: number, end: number): WireError {
  const length = end - start;
  if (length < GOSSIP_FIXED_BYTES) return WireError.Truncated;
  if (length > GOSSIP_FIXED_BYTES + MAX_GOSSIP_PAYLOAD) return WireError.Oversized;
  const seq = readU32(bytes, start + 8);
  const kind = bytes[start + 12];
  const hops = bytes[start + 13];
  const hopLimit = bytes[start + 14];
  if (kind < GossipKind.Data || kind > GossipKind.GatewayCertificate) return WireError.BadType;
  if (seq === 0 || hopLimit < 1 || hopLimit > MAX_HOP_LIMIT || hops > hopLimit) return WireError.BadField;
  return WireError.None;
}

export function decodeGossip(body: Uint8Array, out: GossipView): WireError {
  const error = checkGossip(body);
  if (error !== WireError.None) return error;
  out.origin = body.subarray(0, NODE_ID_BYTES);
  out.seq = readU32(body, 8);
  out.kind = body[12];
  out.hops = body[13];
  out.hopLimit = body[14];
  out.payload = body.subarray(GOSSIP_FIXED_BYTES);
  return WireError.None;
}

/** Encodes a GOSSIP body. Throws RangeError on values the decoder would reject (a local bug). */
export function encodeGossip(
  origin: Uint8Array, seq: number, kind: GossipKind, hops: number, hopLimit: number, payload: Uint8Array,
): Uint8Array {
  if (payload.length > MAX_GOSSIP_PAYLOAD) throw new RangeError(`gossip payload over ${MAX_GOSSIP_PAYLOAD} bytes`);
  if (!(Number.isInteger(seq) && seq >= 1 && seq <= 0xffffffff)) throw new RangeError("sequence must be an integer 1..2^32-1");
  if (!(kind >= GossipKind.Data && kind <= GossipKind.GatewayCertificate)) throw new RangeError(`unknown gossip kind ${kind}`);
  if (!(Number.isInteger(hopLimit) && Number.isInteger(hops) && hopLimit >= 1 && hopLimit <= MAX_HOP_LIMIT && hops >= 0 && hops <= hopLimit)) {
    throw new RangeError("hops must be 0..hopLimit and hopLimit 1..255");
  }
  const out = new Uint8Array(GOSSIP_FIXED_BYTES + payload.length);
  out.set(origin.subarray(0, NODE_ID_BYTES), 0);
  writeU32(out, 8, seq);
  out[12] = kind;
  out[13] = hops;
  out[14] = hopLimit;
  out.set(payload, GOSSIP_FIXED_BYTES);
  return out;
}
