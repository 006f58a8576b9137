/**
 * The decrypted payload is a sequence of records, each `type u8 ‖ length u16 ‖ body`.
 * A frame may batch several records (a HELLO and queued gossip) so one seal and one radio
 * transmission carry them all. Parsing checks every record before any is applied.
 */
import { readU16, writeU16 } from "../bytes.js";
import { WireError } from "./errors.js";

/** Append only: these values are on the wire. */
export enum RecordType {
  Hello = 1,
  Gossip = 2,
  /** A GOSSIP body resent to a neighbor that missed it: a receiver new to it relays it as if designated. */
  Repair = 3,
  /** Routes to gateways, in the same frame as a HELLO (wire/route.ts). */
  Route = 4,
  /** A reading (or confirmation) handed to one neighbor, which takes custody (wire/data.ts). */
  Data = 5,
  /** Custody taken of DATA items (wire/data.ts). */
  Ack = 6,
  /** Pieces of a content transfer a node holds (wire/content.ts). */
  ContentHave = 7,
  /** Content pieces asked of one neighbor. */
  ContentRequest = 8,
  /** A content piece (or the manifest) for one neighbor. */
  ContentPiece = 9,
  /** A flooded request for a route to one node (wire/node-route.ts). */
  RouteRequest = 10,
  /** The answer to a route request, unicast back along the request's way (wire/node-route.ts). */
  RouteReply = 11,
}

export const RECORD_HEADER_BYTES = 3;
/** A frame carries at most this many records (bounds the work one frame can cause). */
export const MAX_RECORDS = 16;

export interface RecordView {
  type: RecordType;
  body: Uint8Array;
}

/**
 * Where each record of a payload lies, filled by parseRecordSpans without an object or a view per
 * record: most records a node receives are gossip copies it has seen, read in place and dropped.
 * One typed array (on XS each costs slots of its own), three words per record.
 */
export class RecordSpans {
  /** Records found (those before the error, when parsing failed). */
  count = 0;
  private readonly words = new Uint32Array(3 * MAX_RECORDS);

  type(k: number): RecordType {
    return this.words[3 * k];
  }

  /** Record k's body is payload[start(k) .. end(k)). */
  start(k: number): number {
    return this.words[3 * k + 1];
  }

  end(k: number): number {
    return this.words[3 * k + 2];
  }

  /** Appends a record (parseRecordSpans). */
  push(type: RecordType, start: number, end: number): void {
    const at = 3 * this.count++;
    this.words[at] = type;
    this.words[at + 1] = start;
    this.words[at + 2] = end;
  }
}

/**
 * Splits `payload` into record spans. Fails on an unknown type, a length past the end, an empty
 * payload or too many records.
 */
export function parseRecordSpans(payload: Uint8Array, spans: RecordSpans): WireError {
  spans.count = 0;
  if (payload.length === 0) return WireError.Truncated;
  let at = 0;
  while (at < payload.length) {
    if (spans.count === MAX_RECORDS) return WireError.Oversized;
    if (payload.length - at < RECORD_HEADER_BYTES) return WireError.Truncated;
    const type = payload[at];
    if (type < RecordType.Hello || type > RecordType.RouteReply) return WireError.BadType;
    const length = readU16(payload, at + 1);
    at += RECORD_HEADER_BYTES;
    if (payload.length - at < length) return WireError.Truncated;
    spans.push(type, at, at + length);
    at += length;
  }
  return WireError.None;
}

const SPANS = new RecordSpans();

/**
 * Splits `payload` into record views in `out` (reused between calls). Returns the count through
 * `out.length`. Fails as parseRecordSpans does.
 */
export function parseRecords(payload: Uint8Array, out: RecordView[]): WireError {
  const error = parseRecordSpans(payload, SPANS);
  out.length = 0;
  for (let k = 0; k < SPANS.count; k++) out.push({ type: SPANS.type(k), body: payload.subarray(SPANS.start(k), SPANS.end(k)) });
  return error;
}

/** Writes one record at `at` and returns the offset after it. The caller checked the space. */
export function writeRecord(out: Uint8Array, at: number, type: RecordType, body: Uint8Array): number {
  out[at] = type;
  writeU16(out, at + 1, body.length);
  out.set(body, at + RECORD_HEADER_BYTES);
  return at + RECORD_HEADER_BYTES + body.length;
}
