/**
 * ROUTE: a node's distance-vector advertisement of its routes to gateways (docs/protocol.md §Routing).
 * Sent in the same frame as each HELLO.
 *
 *   off     size  field
 *   0       1     count c (0..MAX_ROUTE_ENTRIES)
 *   1+12i   8     destination: a gateway's node id
 *   9+12i   2     seqno (u16, serial arithmetic), set by the destination
 *   11+12i  2     metric (u16): ETX × 256 summed along the path; 0xffff retracts the route
 */
import { readU16, writeU16 } from "../bytes.js";
import { WireError } from "./errors.js";
import { NODE_ID_BYTES } from "./frame.js";

/** Destinations a node may hold routes to: every one of them fits in each ROUTE record. */
export const MAX_ROUTE_DESTINATIONS = 8;
/** A gateway's own entry, then per destination its route or retraction. */
export const MAX_ROUTE_ENTRIES = 1 + MAX_ROUTE_DESTINATIONS;
export const ROUTE_ENTRY_BYTES = NODE_ID_BYTES + 4;
/** A metric that says "no route": sent to retract, never selected. */
export const INFINITE_METRIC = 0xffff;

export interface RouteEntry {
  destination: Uint8Array;
  seqno: number;
  metric: number;
}

export interface RouteView {
  count: number;
  /** Entries as views into the record; copy destinations before keeping them. Grown as records need. */
  entries: RouteEntry[];
}

export function newRouteView(): RouteView {
  return { count: 0, entries: [] };
}

export function decodeRoute(body: Uint8Array, out: RouteView): WireError {
  if (body.length < 1) return WireError.Truncated;
  const count = body[0];
  if (count > MAX_ROUTE_ENTRIES) return WireError.Oversized;
  if (body.length < 1 + count * ROUTE_ENTRY_BYTES) return WireError.Truncated;
  if (body.length > 1 + count * ROUTE_ENTRY_BYTES) return WireError.TrailingBytes;
  for (let i = 0; i < count; i++) {
    const at = 1 + i * ROUTE_ENTRY_BYTES;
    const e = out.entries[i] ?? (out.entries[i] = { destination: body, seqno: 0, metric: 0 });
    e.destination = body.subarray(at, at + NODE_ID_BYTES);
    e.seqno = readU16(body, at + NODE_ID_BYTES);
    e.metric = readU16(body, at + NODE_ID_BYTES + 2);
  }
  out.count = count;
  return WireError.None;
}

/** Throws RangeError on more than MAX_ROUTE_ENTRIES entries or an out-of-range field. */
export function encodeRoute(entries: readonly RouteEntry[]): Uint8Array {
  if (entries.length > MAX_ROUTE_ENTRIES) throw new RangeError(`at most ${MAX_ROUTE_ENTRIES} route entries`);
  const out = new Uint8Array(1 + entries.length * ROUTE_ENTRY_BYTES);
  out[0] = entries.length;
  entries.forEach((e, i) => {
    if (e.destination.length !== NODE_ID_BYTES) throw new RangeError("route destination must be a node id");
    if (!isU16(e.seqno) || !isU16(e.metric)) throw new RangeError("route seqno and metric must be u16");
    const at = 1 + i * ROUTE_ENTRY_BYTES;
    out.set(e.destination, at);
    writeU16(out, at + NODE_ID_BYTES, e.seqno);
    writeU16(out, at + NODE_ID_BYTES + 2, e.metric);
  });
  return out;
}

function isU16(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff;
}
