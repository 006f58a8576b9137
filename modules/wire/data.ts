/**
 * DATA and ACK: readings carried hop by hop toward a gateway, each hop taking custody
 * (docs/protocol.md §Store-and-forward). Both travel in unicast frames to one neighbor.
 *
 * DATA (record type 5):
 *   off  size  field
 *   0    8     origin node id (whose feed this is)
 *   8    8     destination node id (a gateway; for a gateway's CONFIRM, the origin; for an origin's own
 *               CONFIRM, the lender it tells)
 *   16   1     kind: 1 feed entry, 2 feed checkpoint, 3 confirm, 4 health report, 5 message to a node,
 *               6 lend (hold this entry for me: one hop, to a neighbor with storage to lend),
 *               7 command ack (from a command's target back to its origin)
 *   17   1     hops travelled so far (< MAX_DATA_HOPS)
 *   18   4     seq: the entry's or checkpoint's seq; for CONFIRM, the highest seq delivered
 *   22   n     payload: entry: base (u32, the lowest seq the origin has not had confirmed) ‖ receipt
 *               commitment (8, forward/receipt-chain.ts; zero: none) ‖ the feed entry (‖ the origin's
 *               previous home, 8, once it changed home); checkpoint: the feed checkpoint ‖ the origin's
 *               certificate; a gateway's CONFIRM: gateway ‖ pull ‖ tag ‖ reveal ‖ previous top (‖ the
 *               gateway's certificate), wire/confirm.ts; an origin's own CONFIRM to its lender: none,
 *               or a gateway's pull it hands on (u32);
 *               lend: the origin's home gateway (8, zero: none yet) ‖ the entry's payload as above,
 *               commitment zero;
 *               health: the report (monitor/health-report.ts); seq numbers the origin's reports;
 *               message: the application's payload (1..200 bytes), seq from the origin's message seqs;
 *               command ack: seq the command's, the target's certificate ‖ its signature (command/command-ack.ts)
 *
 * ACK (record type 6): count c (1..MAX_ACKS), then c × (origin 8 ‖ kind 1 ‖ seq 4): the DATA items
 * the receiver took custody of (or already had).
 */
import { equalAt, readU32, writeU32 } from "../bytes.js";
import { checkCheckpointPayload } from "./checkpoint-payload.js";
import { checkConfirm, checkOriginConfirm } from "./confirm.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";
import { CERTIFICATE_BYTES } from "./hello.js";

/** Append only: these values are on the wire. */
export enum DataKind {
  Entry = 1,
  Checkpoint = 2,
  Confirm = 3,
  /** A node's health report for its gateway: best effort, never confirmed, only the newest kept. */
  Health = 4,
  /** An application message for one node, routed by on-demand routes (routing/route-discovery.ts). */
  Message = 5,
  /** An origin's entry for a neighbor to keep in its storage and carry on (forward/replica-store.ts). */
  Lend = 6,
  /** A command's target tells the command's origin it acted on it, routed like a message (command/command-ack.ts). */
  CommandAck = 7,
}

export const DATA_FIXED_BYTES = 22;
/**
 * Entries are ≤ 12 + 49 + 8 bytes, checkpoints 84 plus the 110-byte certificate and a flag, a gateway's CONFIRM 60
 * plus its certificate: a DATA record never needs more.
 */
export const MAX_DATA_PAYLOAD = 200;
/** A DATA item that travelled this far is dropped: routes are loop-free, this bounds a bug's cost. */
export const MAX_DATA_HOPS = 64;
/** A lend's payload before the base and entry: the origin's home gateway. */
export const LEND_HOME_BYTES = NODE_ID_BYTES;
/** An entry's receipt commitment (forward/receipt-chain.ts), after its base (u32). */
export const COMMITMENT_AT = 4;
export const COMMITMENT_BYTES = 8;
/** An entry's payload before the feed entry: base ‖ commitment. */
export const ENTRY_HEAD_BYTES = COMMITMENT_AT + COMMITMENT_BYTES;
/** A command ack carries the target's certificate and its Ed25519 signature. */
export const COMMAND_ACK_BYTES = CERTIFICATE_BYTES + 64;
export const ACK_ITEM_BYTES = NODE_ID_BYTES + 5;
export const MAX_ACKS = 32;

export interface DataView {
  origin: Uint8Array;
  destination: Uint8Array;
  kind: DataKind;
  hops: number;
  seq: number;
  payload: Uint8Array;
}

/** What a fresh view points at: one empty array for every view, not three per view. */
const NONE = new Uint8Array(0);

export function newDataView(): DataView {
  return { origin: NONE, destination: NONE, kind: DataKind.Entry, hops: 0, seq: 0, payload: NONE };
}

/**
 * Checks what a DATA body (passed checkData) says against who sent it and who received it. Two kinds
 * go one hop, from their origin to the neighbor they name: a lend, and an origin's own CONFIRM to its
 * lender (origin ≠ destination). One addressed to another node, or in another origin's name, only a
 * faulty or hostile sender makes; the frame is rejected whole (bad-field) before any record is
 * applied, so it cannot have a partial effect.
 */
export function checkDataHop(body: Uint8Array, receiver: Uint8Array, sender: Uint8Array): WireError {
  const kind = body[16];
  const oneHop = kind === DataKind.Lend || (kind === DataKind.Confirm && !equalAt(body, 0, body, NODE_ID_BYTES, NODE_ID_BYTES));
  if (!oneHop) return WireError.None;
  return equalAt(body, NODE_ID_BYTES, receiver, 0, NODE_ID_BYTES) && equalAt(body, 0, sender, 0, NODE_ID_BYTES)
    ? WireError.None : WireError.BadField;
}

/** Checks a DATA body as decodeData does, without decoding it anywhere. */
export function checkData(body: Uint8Array): WireError {
  if (body.length < DATA_FIXED_BYTES) return WireError.Truncated;
  if (body.length > DATA_FIXED_BYTES + MAX_DATA_PAYLOAD) return WireError.Oversized;
  const kind = body[16];
  if (kind < DataKind.Entry || kind > DataKind.CommandAck) return WireError.BadType;
  const seq = readU32(body, 18);
  if (body[17] >= MAX_DATA_HOPS || seq === 0) return WireError.BadField;
  const payload = body.length - DATA_FIXED_BYTES;
  if (kind === DataKind.Confirm) {
    // A gateway's (to the origin) names it and carries its tag; an origin's own, to a lender, at most a pull.
    if (equalAt(body, 0, body, NODE_ID_BYTES, NODE_ID_BYTES)) return checkConfirm(body.subarray(DATA_FIXED_BYTES), seq);
    return checkOriginConfirm(body.subarray(DATA_FIXED_BYTES), seq);
  }
  if (kind === DataKind.Checkpoint) return checkCheckpointPayload(body.subarray(DATA_FIXED_BYTES));
  if (payload === 0 || (kind === DataKind.CommandAck && payload !== COMMAND_ACK_BYTES)) return WireError.BadField;
  // A lend goes one hop, and carries a home, a base, a commitment and an entry.
  if (kind === DataKind.Lend && (body[17] !== 0 || payload <= LEND_HOME_BYTES + ENTRY_HEAD_BYTES)) return WireError.BadField;
  return WireError.None;
}

export function decodeData(body: Uint8Array, out: DataView): WireError {
  const error = checkData(body);
  if (error !== WireError.None) return error;
  out.origin = body.subarray(0, NODE_ID_BYTES);
  out.destination = body.subarray(NODE_ID_BYTES, 2 * NODE_ID_BYTES);
  out.kind = body[16];
  out.hops = body[17];
  out.seq = readU32(body, 18);
  out.payload = body.subarray(DATA_FIXED_BYTES);
  return WireError.None;
}

export function encodeData(origin: Uint8Array, destination: Uint8Array, kind: DataKind, hops: number, seq: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_DATA_PAYLOAD) throw new RangeError(`DATA payload above ${MAX_DATA_PAYLOAD} bytes`);
  const out = new Uint8Array(DATA_FIXED_BYTES + payload.length);
  out.set(origin.subarray(0, NODE_ID_BYTES), 0);
  out.set(destination.subarray(0, NODE_ID_BYTES), NODE_ID_BYTES);
  out[16] = kind;
  out[17] = hops;
  writeU32(out, 18, seq);
  out.set(payload, DATA_FIXED_BYTES);
  return out;
}

/** Validates an ACK body; its items are read with ackItem. */
export function checkAck(body: Uint8Array): WireError {
  if (body.length < 1) return WireError.Truncated;
  const count = body[0];
  if (count < 1 || count > MAX_ACKS) return WireError.BadField;
  if (body.length < 1 + count * ACK_ITEM_BYTES) return WireError.Truncated;
  if (body.length > 1 + count * ACK_ITEM_BYTES) return WireError.TrailingBytes;
  for (let i = 0; i < count; i++) {
    const kind = body[1 + i * ACK_ITEM_BYTES + NODE_ID_BYTES];
    if (kind < DataKind.Entry || kind > DataKind.CommandAck) return WireError.BadType;
  }
  return WireError.None;
}

/** Item i of a checked ACK body: origin (a view), kind, seq. */
export function ackItem(body: Uint8Array, i: number): { origin: Uint8Array; kind: DataKind; seq: number } {
  const at = 1 + i * ACK_ITEM_BYTES;
  return { origin: body.subarray(at, at + NODE_ID_BYTES), kind: body[at + NODE_ID_BYTES], seq: readU32(body, at + NODE_ID_BYTES + 1) };
}

export function encodeAck(items: readonly { origin: Uint8Array; kind: DataKind; seq: number }[]): Uint8Array {
  if (items.length < 1 || items.length > MAX_ACKS) throw new RangeError(`an ACK carries 1..${MAX_ACKS} items`);
  const out = new Uint8Array(1 + items.length * ACK_ITEM_BYTES);
  out[0] = items.length;
  items.forEach((item, i) => {
    const at = 1 + i * ACK_ITEM_BYTES;
    out.set(item.origin.subarray(0, NODE_ID_BYTES), at);
    out[at + NODE_ID_BYTES] = item.kind;
    writeU32(out, at + NODE_ID_BYTES + 1, item.seq);
  });
  return out;
}
