/**
 * Route discovery to any node, AODV/LOADng style (docs/protocol.md §Routes to any node).
 *
 * ROUTE_REQUEST (record type 10), broadcast and relayed once per node:
 *   off  size  field
 *   0    8     origin: the node looking for a route
 *   8    8     target: the node it wants to reach
 *   16   2     origin seqno (u16, serial arithmetic): names the request and freshens the way back
 *   18   2     target seqno: the newest the origin knew (0 when flags bit 0 is clear)
 *   20   2     metric (u16): ETX × 256 from the origin to the sender of this copy, < 0xffff
 *   22   1     hops so far (< hop limit)
 *   23   1     hop limit (≥ 1)
 *   24   1     flags: bit 0 target seqno known; other bits zero
 *
 * ROUTE_REPLY (record type 11), unicast hop by hop back along the request's reverse path:
 *   0    8     target: the node the route leads to (it sent the reply)
 *   8    8     origin: the node that asked, where the reply goes
 *   16   2     target seqno
 *   18   2     metric (u16): ETX × 256 from the target to the sender of this copy, < 0xffff
 *   20   1     hops so far
 */
import { readU16, writeU16 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";

export const ROUTE_REQUEST_BYTES = 25;
export const ROUTE_REPLY_BYTES = 21;
/** The largest metric on the wire; 0xffff is never sent (no route). */
export const MAX_NODE_METRIC = 0xfffe;
const TARGET_SEQNO_KNOWN = 1;

export interface RouteRequestView {
  origin: Uint8Array;
  target: Uint8Array;
  originSeqno: number;
  /** -1 when the origin knew none. */
  targetSeqno: number;
  metric: number;
  hops: number;
  hopLimit: number;
}

export interface RouteReplyView {
  target: Uint8Array;
  origin: Uint8Array;
  targetSeqno: number;
  metric: number;
  hops: number;
}

const NONE = new Uint8Array(0);

export function newRouteRequestView(): RouteRequestView {
  return { origin: NONE, target: NONE, originSeqno: 0, targetSeqno: -1, metric: 0, hops: 0, hopLimit: 0 };
}

export function newRouteReplyView(): RouteReplyView {
  return { target: NONE, origin: NONE, targetSeqno: 0, metric: 0, hops: 0 };
}

function checkLength(body: Uint8Array, bytes: number): WireError {
  if (body.length < bytes) return WireError.Truncated;
  return body.length > bytes ? WireError.TrailingBytes : WireError.None;
}

export function decodeRouteRequest(body: Uint8Array, out: RouteRequestView): WireError {
  const e = checkLength(body, ROUTE_REQUEST_BYTES);
  if (e !== WireError.None) return e;
  const flags = body[24];
  const metric = readU16(body, 20);
  const hops = body[22];
  const hopLimit = body[23];
  if ((flags & ~TARGET_SEQNO_KNOWN) !== 0 || metric > MAX_NODE_METRIC || hopLimit === 0 || hops >= hopLimit) return WireError.BadField;
  if (!(flags & TARGET_SEQNO_KNOWN) && readU16(body, 18) !== 0) return WireError.BadField;
  if (equalIds(body, 0, NODE_ID_BYTES)) return WireError.BadField;
  out.origin = body.subarray(0, NODE_ID_BYTES);
  out.target = body.subarray(NODE_ID_BYTES, 2 * NODE_ID_BYTES);
  out.originSeqno = readU16(body, 16);
  out.targetSeqno = flags & TARGET_SEQNO_KNOWN ? readU16(body, 18) : -1;
  out.metric = metric;
  out.hops = hops;
  out.hopLimit = hopLimit;
  return WireError.None;
}

export function encodeRouteRequest(r: RouteRequestView): Uint8Array {
  const out = new Uint8Array(ROUTE_REQUEST_BYTES);
  writeRouteRequest(out, 0, r);
  return out;
}

/** Writes a request at `at` of `out` (a relay queue row); throws RangeError on an out-of-range field. */
export function writeRouteRequest(out: Uint8Array, at: number, r: RouteRequestView): void {
  checkId(r.origin);
  checkId(r.target);
  checkU16(r.originSeqno);
  if (r.targetSeqno !== -1) checkU16(r.targetSeqno);
  if (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > MAX_NODE_METRIC) throw new RangeError("metric must be 0..0xfffe");
  if (!Number.isInteger(r.hopLimit) || r.hopLimit < 1 || r.hopLimit > 255 || !Number.isInteger(r.hops) || r.hops < 0 || r.hops >= r.hopLimit) {
    throw new RangeError("hops must be below a hop limit of 1..255");
  }
  out.set(r.origin, at);
  out.set(r.target, at + NODE_ID_BYTES);
  writeU16(out, at + 16, r.originSeqno);
  writeU16(out, at + 18, r.targetSeqno === -1 ? 0 : r.targetSeqno);
  writeU16(out, at + 20, r.metric);
  out[at + 22] = r.hops;
  out[at + 23] = r.hopLimit;
  out[at + 24] = r.targetSeqno === -1 ? 0 : TARGET_SEQNO_KNOWN;
}

export function decodeRouteReply(body: Uint8Array, out: RouteReplyView): WireError {
  const e = checkLength(body, ROUTE_REPLY_BYTES);
  if (e !== WireError.None) return e;
  const metric = readU16(body, 18);
  if (metric > MAX_NODE_METRIC || equalIds(body, 0, NODE_ID_BYTES)) return WireError.BadField;
  out.target = body.subarray(0, NODE_ID_BYTES);
  out.origin = body.subarray(NODE_ID_BYTES, 2 * NODE_ID_BYTES);
  out.targetSeqno = readU16(body, 16);
  out.metric = metric;
  out.hops = body[20];
  return WireError.None;
}

export function encodeRouteReply(r: RouteReplyView): Uint8Array {
  checkId(r.target);
  checkId(r.origin);
  checkU16(r.targetSeqno);
  if (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > MAX_NODE_METRIC) throw new RangeError("metric must be 0..0xfffe");
  if (!Number.isInteger(r.hops) || r.hops < 0 || r.hops > 255) throw new RangeError("hops must be a u8");
  const out = new Uint8Array(ROUTE_REPLY_BYTES);
  out.set(r.target, 0);
  out.set(r.origin, NODE_ID_BYTES);
  writeU16(out, 16, r.targetSeqno);
  writeU16(out, 18, r.metric);
  out[20] = r.hops;
  return out;
}

/** A request or reply between a node and itself is malformed. */
function equalIds(body: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < NODE_ID_BYTES; i++) if (body[a + i] !== body[b + i]) return false;
  return true;
}

function checkId(id: Uint8Array): void {
  if (id.length !== NODE_ID_BYTES) throw new RangeError("ids must be 8 bytes");
}

function checkU16(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError("seqnos must be u16");
}
