/**
 * Wire decoders, h11 style: every input is fed whole, truncated at every length, with trailing bytes
 * and mutated; decoders must answer with a WireError, never throw, and whatever they accept must
 * re-encode to exactly the bytes received (one encoding per value).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { concatBytes, equalBytes, toHex, writeU16, writeU32 } from "../modules/bytes.js";
import { WIRE_ERROR_NAMES, WireError } from "../modules/wire/errors.js";
import {
  decodeFrameHeader, encodeFrameHeader, FRAME_VERSION, frameNonce, HEADER_BYTES, MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES, newFrameHeader, NONCE_BYTES, TAG_BYTES,
} from "../modules/wire/frame.js";
import {
  decodeGossip, encodeGossip, GOSSIP_FIXED_BYTES, GOSSIP_HOPS_OFFSET, GossipKind, MAX_GOSSIP_PAYLOAD,
  MAX_HOP_LIMIT, newGossipView, type GossipView,
} from "../modules/wire/gossip.js";
import {
  CERTIFICATE_BYTES, decodeHello, encodeHello, helloBytes, helloNeighborOffset, helloNeighborQuality,
  helloRecentKey, MAX_HELLO_NEIGHBORS, MAX_RECENT_KEYS, newHelloView, type HelloNeighbor, type HelloView,
} from "../modules/wire/hello.js";
import {
  MAX_RECORDS, parseRecords, RECORD_HEADER_BYTES, RecordType, writeRecord, type RecordView,
} from "../modules/wire/records.js";
import { TestRng, testId } from "./helpers/prng.js";

const ALL_ERRORS = new Set<number>([
  WireError.None, WireError.Truncated, WireError.Oversized, WireError.BadVersion, WireError.BadType,
  WireError.TrailingBytes, WireError.BadField, WireError.WrongNetwork, WireError.AuthFailed,
]);

function name(e: WireError): string {
  return WIRE_ERROR_NAMES[e] ?? `?${e}`;
}

function isError(e: WireError, expected: WireError, what: string): void {
  assert.is(e, expected, `${what}: got ${name(e)}, want ${name(expected)}`);
}

function certificate(): Uint8Array {
  return new Uint8Array(CERTIFICATE_BYTES).map((_, i) => (i * 37 + 11) & 0xff);
}

function neighbors(n: number): HelloNeighbor[] {
  const out: HelloNeighbor[] = [];
  for (let i = 0; i < n; i++) out.push({ id: testId(1000 + i), quality: (i * 53 + 7) & 0xff });
  return out;
}

/** Each encoder call must throw RangeError; an encoded body is reported with the receiver's verdict. */
function expectRangeErrors(bad: [string, () => Uint8Array][], decode: (body: Uint8Array) => WireError): void {
  for (const [label, fn] of bad) {
    let body: Uint8Array;
    try {
      body = fn();
    } catch (e) {
      assert.ok(e instanceof RangeError, `${label}: threw ${String(e)}, want RangeError`);
      continue;
    }
    assert.unreachable(`${label}: encoded to ${toHex(body)} (${name(decode(body))} at the receiver)`);
  }
}

// ---- re-encoders: what a decoder accepted must encode back to the same bytes ----

function reencodeHello(v: HelloView): Uint8Array {
  const list: HelloNeighbor[] = [];
  for (let i = 0; i < v.neighborCount; i++) {
    const at = helloNeighborOffset(i);
    list.push({ id: v.neighbors.subarray(at, at + 8), quality: helloNeighborQuality(v, i), relay: ((v.relayMask >>> i) & 1) === 1 });
  }
  const keys: number[] = [];
  for (let i = 0; i < v.recentCount; i++) keys.push(helloRecentKey(v, i));
  return encodeHello(v.beaconSeq, v.intervalMs, v.revocationSerial, v.certificate, list, v.recentWindowMs, keys);
}

function reencodeGossip(v: GossipView): Uint8Array {
  return encodeGossip(v.origin, v.seq, v.kind, v.hops, v.hopLimit, v.payload);
}

function reencodeRecords(views: RecordView[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const r of views) at = writeRecord(out, at, r.type, r.body);
  assert.is(at, length, "records cover the payload exactly");
  return out;
}

/** Runs all four decoders on `input`; every answer must be a WireError; accepted input must re-encode. */
function decodeAll(input: Uint8Array): void {
  const where = () => `input ${toHex(input.subarray(0, 64))}${input.length > 64 ? "…" : ""} (${input.length} bytes)`;
  let e: WireError;
  try {
    const h = newFrameHeader();
    e = decodeFrameHeader(input, h);
    assert.ok(ALL_ERRORS.has(e), `decodeFrameHeader returned ${String(e)} for ${where()}`);
    if (e === WireError.None) {
      const again = new Uint8Array(HEADER_BYTES);
      encodeFrameHeader(again, h.networkId, h.sender, h.epoch, h.counter);
      assert.ok(equalBytes(again, input.subarray(0, HEADER_BYTES)), `frame header re-encodes: ${where()}`);
      assert.is(h.box.length, input.length - HEADER_BYTES);
    }

    const records: RecordView[] = [];
    e = parseRecords(input, records);
    assert.ok(ALL_ERRORS.has(e), `parseRecords returned ${String(e)} for ${where()}`);
    if (e === WireError.None) {
      assert.ok(records.length >= 1 && records.length <= MAX_RECORDS);
      assert.ok(equalBytes(reencodeRecords(records, input.length), input), `records re-encode: ${where()}`);
    }

    const hv = newHelloView();
    e = decodeHello(input, hv);
    assert.ok(ALL_ERRORS.has(e), `decodeHello returned ${String(e)} for ${where()}`);
    if (e === WireError.None) assert.ok(equalBytes(reencodeHello(hv), input), `hello re-encodes: ${where()}`);

    const gv = newGossipView();
    e = decodeGossip(input, gv);
    assert.ok(ALL_ERRORS.has(e), `decodeGossip returned ${String(e)} for ${where()}`);
    if (e === WireError.None) assert.ok(equalBytes(reencodeGossip(gv), input), `gossip re-encodes: ${where()}`);
  } catch (err) {
    if (err instanceof assert.Assertion) throw err;
    throw new Error(`a decoder threw ${String(err)} on ${where()}`);
  }
}

// ======================================== frame header

function validFrame(length: number): Uint8Array {
  const frame = new Uint8Array(length).map((_, i) => (i * 7 + 3) & 0xff);
  encodeFrameHeader(frame, 0xc0ffee01, testId(7), 0xfffffffe, 0x01020304);
  return frame;
}

test("frame header: encode/decode round trip", () => {
  for (const [networkId, epoch, counter] of [[0, 0, 0], [0xffffffff, 0xffffffff, 0xffffffff], [0x80000000, 1, 0x7fffffff]]) {
    const frame = new Uint8Array(HEADER_BYTES + TAG_BYTES + 5).fill(0xee);
    encodeFrameHeader(frame, networkId, testId(42), epoch, counter);
    assert.is(frame[0], FRAME_VERSION);
    assert.is(frame[1], 0);
    const h = newFrameHeader();
    isError(decodeFrameHeader(frame, h), WireError.None, "round trip");
    assert.is(h.networkId, networkId);
    assert.is(h.epoch, epoch);
    assert.is(h.counter, counter);
    assert.equal(h.sender.slice(), testId(42));
    assert.equal(h.box.slice(), frame.slice(HEADER_BYTES));
    assert.is(h.box.length, TAG_BYTES + 5);
  }
});

test("frame header: constants agree (1200-byte frame, 1162-byte payload)", () => {
  assert.is(HEADER_BYTES, 22);
  assert.is(MAX_FRAME_BYTES, 1200);
  assert.is(MAX_PAYLOAD_BYTES, MAX_FRAME_BYTES - HEADER_BYTES - TAG_BYTES);
  assert.is(MAX_PAYLOAD_BYTES, 1162);
});

test("frame header: every truncation below the minimum is Truncated; longer prefixes decode", () => {
  const frame = validFrame(120);
  const min = HEADER_BYTES + TAG_BYTES + 1;
  for (let n = 0; n < frame.length; n++) {
    const h = newFrameHeader();
    const e = decodeFrameHeader(frame.subarray(0, n), h);
    if (n < min) {
      isError(e, WireError.Truncated, `length ${n}`);
    } else {
      // The header cannot know the box length: a shorter box is for the secretbox to reject.
      isError(e, WireError.None, `length ${n}`);
      assert.is(h.box.length, n - HEADER_BYTES);
    }
  }
});

test("frame header: size limits", () => {
  const h = newFrameHeader();
  isError(decodeFrameHeader(validFrame(MAX_FRAME_BYTES), h), WireError.None, "1200 bytes");
  isError(decodeFrameHeader(validFrame(MAX_FRAME_BYTES + 1), h), WireError.Oversized, "1201 bytes");
  isError(decodeFrameHeader(validFrame(4000), h), WireError.Oversized, "4000 bytes");
  isError(decodeFrameHeader(new Uint8Array(0), h), WireError.Truncated, "empty");
});

test("frame header: wrong version is BadVersion, a reserved byte is BadField", () => {
  for (const v of [0, 2, 0x81, 0xff]) {
    const frame = validFrame(60);
    frame[0] = v;
    isError(decodeFrameHeader(frame, newFrameHeader()), WireError.BadVersion, `version ${v}`);
  }
  for (const r of [1, 0x80, 0xff]) {
    const frame = validFrame(60);
    frame[1] = r;
    isError(decodeFrameHeader(frame, newFrameHeader()), WireError.BadField, `reserved ${r}`);
  }
});

test("frameNonce: 22 header bytes then two zero bytes; every header byte changes it", () => {
  const frame = validFrame(80);
  const nonce = frameNonce(frame, new Uint8Array(NONCE_BYTES).fill(0x55));
  assert.is(nonce.length, NONCE_BYTES);
  assert.equal(nonce.slice(0, HEADER_BYTES), frame.slice(0, HEADER_BYTES));
  assert.is(nonce[22], 0);
  assert.is(nonce[23], 0);
  const base = toHex(nonce);
  for (let i = 0; i < HEADER_BYTES; i++) {
    for (const flip of [0x01, 0x80]) {
      const other = frame.slice();
      other[i] ^= flip;
      assert.is.not(toHex(frameNonce(other, new Uint8Array(NONCE_BYTES))), base, `header byte ${i}`);
    }
  }
  // The box is not part of the nonce.
  const boxChanged = frame.slice();
  boxChanged[HEADER_BYTES + 3] ^= 0xff;
  assert.is(toHex(frameNonce(boxChanged, new Uint8Array(NONCE_BYTES))), base);
});

test("frame header: mutation of every byte never throws", () => {
  const frame = validFrame(64);
  for (let i = 0; i < frame.length; i++) {
    for (const v of [0, 1, 0x7f, 0x80, 0xff, frame[i] ^ 1]) {
      const m = frame.slice();
      m[i] = v;
      decodeAll(m);
    }
  }
});

// ======================================== records

function recordPayload(bodies: [RecordType, Uint8Array][]): Uint8Array {
  let total = 0;
  for (const [, b] of bodies) total += RECORD_HEADER_BYTES + b.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const [type, body] of bodies) at = writeRecord(out, at, type, body);
  assert.is(at, total);
  return out;
}

const HELLO_BODY = encodeHello(9, 5000, 3, null, neighbors(2), 3000, recentKeys(2));
const GOSSIP_BODY = encodeGossip(testId(5), 77, GossipKind.Data, 1, 8, Uint8Array.of(1, 2, 3, 4, 5));
const SAMPLE_RECORDS: [RecordType, Uint8Array][] = [
  [RecordType.Hello, HELLO_BODY],
  [RecordType.Gossip, GOSSIP_BODY],
  [RecordType.Gossip, new Uint8Array(0)],
  [RecordType.Gossip, encodeGossip(testId(6), 1, GossipKind.Checkpoint, 0, 1, new Uint8Array(0))],
];

test("records: round trip of several records", () => {
  const payload = recordPayload(SAMPLE_RECORDS);
  const out: RecordView[] = [];
  isError(parseRecords(payload, out), WireError.None, "parse");
  assert.is(out.length, SAMPLE_RECORDS.length);
  for (let i = 0; i < out.length; i++) {
    assert.is(out[i].type, SAMPLE_RECORDS[i][0]);
    assert.equal(out[i].body.slice(), SAMPLE_RECORDS[i][1]);
  }
  // The output array is reused: a shorter parse shrinks it.
  isError(parseRecords(recordPayload([[RecordType.Hello, HELLO_BODY]]), out), WireError.None, "reuse");
  assert.is(out.length, 1);
  assert.equal(out[0].body.slice(), HELLO_BODY);
});

test("records: every truncation is Truncated unless it ends on a record boundary", () => {
  const payload = recordPayload(SAMPLE_RECORDS);
  const boundaries = new Map<number, number>();
  let at = 0;
  SAMPLE_RECORDS.forEach(([, b], i) => {
    at += RECORD_HEADER_BYTES + b.length;
    boundaries.set(at, i + 1);
  });
  const out: RecordView[] = [];
  for (let n = 0; n < payload.length; n++) {
    const e = parseRecords(payload.subarray(0, n), out);
    if (boundaries.has(n)) {
      isError(e, WireError.None, `length ${n}`);
      assert.is(out.length, boundaries.get(n));
    } else {
      isError(e, WireError.Truncated, `length ${n}`);
    }
  }
});

test("records: empty payload, short header, length past the end → Truncated", () => {
  const out: RecordView[] = [];
  isError(parseRecords(new Uint8Array(0), out), WireError.Truncated, "empty");
  assert.is(out.length, 0);
  isError(parseRecords(Uint8Array.of(1), out), WireError.Truncated, "1 byte");
  isError(parseRecords(Uint8Array.of(1, 0), out), WireError.Truncated, "2 bytes");
  isError(parseRecords(Uint8Array.of(1, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9), out), WireError.Truncated, "9 of 10");
  isError(parseRecords(Uint8Array.of(2, 0xff, 0xff, 0), out), WireError.Truncated, "65535 declared");
  // Trailing partial header after a good record.
  const good = recordPayload([[RecordType.Gossip, GOSSIP_BODY]]);
  isError(parseRecords(concatBytes(good, Uint8Array.of(0)), out), WireError.Truncated, "one trailing byte");
  isError(parseRecords(concatBytes(good, Uint8Array.of(2, 0)), out), WireError.Truncated, "two trailing bytes");
  // Three trailing bytes that form an empty record are a valid record.
  isError(parseRecords(concatBytes(good, Uint8Array.of(2, 0, 0)), out), WireError.None, "empty record");
  assert.is(out.length, 2);
});

test("records: unknown type → BadType, in any position", () => {
  const out: RecordView[] = [];
  for (const t of [0, RecordType.RouteReply + 1, 0x80, 0xff]) {
    isError(parseRecords(Uint8Array.of(t, 0, 0), out), WireError.BadType, `type ${t} first`);
    const payload = recordPayload([[RecordType.Hello, HELLO_BODY], [RecordType.Gossip, GOSSIP_BODY]]);
    payload[RECORD_HEADER_BYTES + HELLO_BODY.length] = t;
    isError(parseRecords(payload, out), WireError.BadType, `type ${t} second`);
  }
});

test("records: 16 records accepted, 17 → Oversized", () => {
  const out: RecordView[] = [];
  const sixteen = new Uint8Array(MAX_RECORDS * RECORD_HEADER_BYTES);
  for (let i = 0; i < MAX_RECORDS; i++) sixteen[i * RECORD_HEADER_BYTES] = RecordType.Gossip;
  isError(parseRecords(sixteen, out), WireError.None, "16 records");
  assert.is(out.length, 16);
  const seventeen = concatBytes(sixteen, Uint8Array.of(RecordType.Gossip, 0, 0));
  isError(parseRecords(seventeen, out), WireError.Oversized, "17 records");
  // Too many records is reported before the 17th is even looked at.
  isError(parseRecords(concatBytes(sixteen, Uint8Array.of(0xff)), out), WireError.Oversized, "16 + junk");
  const bodies: [RecordType, Uint8Array][] = [];
  for (let i = 0; i < 17; i++) bodies.push([RecordType.Gossip, GOSSIP_BODY]);
  isError(parseRecords(recordPayload(bodies), out), WireError.Oversized, "17 gossip records");
});

test("records: mutation of every byte never throws and accepted input re-encodes", () => {
  const payload = recordPayload(SAMPLE_RECORDS);
  for (let i = 0; i < payload.length; i++) {
    for (const v of [0, 1, 2, 3, 0xff, payload[i] ^ 0x01, payload[i] ^ 0x80]) {
      const m = payload.slice();
      m[i] = v;
      decodeAll(m);
    }
  }
});

// ======================================== HELLO

interface HelloCase {
  label: string;
  cert: Uint8Array | null;
  neighbors: number;
  recent: number;
}

const HELLO_CASES: HelloCase[] = [
  { label: "no certificate, 0 neighbors", cert: null, neighbors: 0, recent: 0 },
  { label: "no certificate, 32 neighbors", cert: null, neighbors: MAX_HELLO_NEIGHBORS, recent: 0 },
  { label: "certificate, 0 neighbors", cert: certificate(), neighbors: 0, recent: 0 },
  { label: "certificate, 32 neighbors", cert: certificate(), neighbors: MAX_HELLO_NEIGHBORS, recent: 0 },
  { label: "no certificate, 0 neighbors, 255 recent keys", cert: null, neighbors: 0, recent: MAX_RECENT_KEYS },
  { label: "certificate, 32 neighbors, 255 recent keys", cert: certificate(), neighbors: MAX_HELLO_NEIGHBORS, recent: MAX_RECENT_KEYS },
  { label: "no certificate, 3 neighbors, 5 recent keys", cert: null, neighbors: 3, recent: 5 },
];

function recentKeys(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 16);
}

function helloOf(c: HelloCase, beaconSeq = 5, intervalMs = 5000, serial = 1, windowMs = 12300): Uint8Array {
  return encodeHello(beaconSeq, intervalMs, serial, c.cert, neighbors(c.neighbors), windowMs, recentKeys(c.recent));
}

test("hello: round trip with and without certificate, 0 and 32 neighbors, recent keys", () => {
  for (const c of HELLO_CASES) {
    const { label } = c;
    const list = neighbors(c.neighbors);
    const keys = recentKeys(c.recent);
    const body = encodeHello(0xfffe, 60000, 0xffffffff, c.cert, list, 6553500, keys);
    assert.is(body.length, helloBytes(c.cert !== null, c.neighbors, c.recent), label);
    const v = newHelloView();
    isError(decodeHello(body, v), WireError.None, label);
    assert.is(v.beaconSeq, 0xfffe, label);
    assert.is(v.intervalMs, 60000, label);
    assert.is(v.revocationSerial, 0xffffffff, label);
    if (c.cert) assert.equal(v.certificate!.slice(), c.cert, label);
    else assert.is(v.certificate, null, label);
    assert.is(v.neighborCount, c.neighbors, label);
    assert.is(v.neighbors.length, c.neighbors * 9, label);
    for (let i = 0; i < c.neighbors; i++) {
      const at = helloNeighborOffset(i);
      assert.equal(v.neighbors.slice(at, at + 8), list[i].id, `${label} id ${i}`);
      assert.is(helloNeighborQuality(v, i), list[i].quality, `${label} quality ${i}`);
    }
    assert.is(v.recentWindowMs, 6553500, label);
    assert.is(v.recentCount, c.recent, label);
    for (let i = 0; i < c.recent; i++) assert.is(helloRecentKey(v, i), keys[i], `${label} key ${i}`);
    assert.equal(reencodeHello(v), body, label);
  }
});

test("hello: field edges (interval 100 ms and 60 s, sequence wraps, empty recent window)", () => {
  const v = newHelloView();
  isError(decodeHello(encodeHello(0, 100, 0, null, []), v), WireError.None, "100 ms");
  assert.is(v.intervalMs, 100);
  assert.is(v.beaconSeq, 0);
  assert.is(v.revocationSerial, 0);
  assert.is(v.recentWindowMs, 0);
  assert.is(v.recentCount, 0);
  isError(decodeHello(encodeHello(0x10001, 2500, 7, null, [], 100, [0, 0xffff]), v), WireError.None, "wrapped seq");
  assert.is(v.beaconSeq, 1);
  assert.is(v.intervalMs, 2500);
  assert.is(v.recentWindowMs, 100);
  assert.equal([helloRecentKey(v, 0), helloRecentKey(v, 1)], [0, 0xffff]);
});

test("hello: every truncation → Truncated", () => {
  for (const c of HELLO_CASES) {
    const body = helloOf(c);
    for (let n = 0; n < body.length; n++) {
      isError(decodeHello(body.subarray(0, n), newHelloView()), WireError.Truncated, `${c.label}, length ${n}`);
    }
  }
});

test("hello: trailing bytes → TrailingBytes", () => {
  for (const c of HELLO_CASES) {
    const body = helloOf(c);
    for (const extra of [Uint8Array.of(0), Uint8Array.of(0xff), new Uint8Array(4), new Uint8Array(9)]) {
      isError(decodeHello(concatBytes(body, extra), newHelloView()), WireError.TrailingBytes, `${c.label} +${extra.length}`);
    }
  }
});

test("hello: interval 0 or 601 → BadField; 1 and 600 accepted", () => {
  for (const [units, expected] of [[0, WireError.BadField], [601, WireError.BadField], [0xffff, WireError.BadField],
    [1, WireError.None], [600, WireError.None]] as const) {
    const body = encodeHello(5, 5000, 1, certificate(), neighbors(3));
    writeU16(body, 2, units);
    isError(decodeHello(body, newHelloView()), expected, `interval ${units}`);
  }
});

test("hello: any unknown flag bit → BadField", () => {
  for (let bit = 1; bit < 8; bit++) {
    for (const cert of [null, certificate()]) {
      const body = encodeHello(5, 5000, 1, cert, neighbors(2));
      body[4] |= 1 << bit;
      isError(decodeHello(body, newHelloView()), WireError.BadField, `flag bit ${bit}, cert ${cert !== null}`);
    }
  }
});

test("hello: certificate flag set without a certificate → Truncated", () => {
  const body = encodeHello(5, 5000, 1, null, neighbors(2));
  body[4] = 1;
  isError(decodeHello(body, newHelloView()), WireError.Truncated, "flag without certificate");
});

/** A HELLO built byte by byte: `count` neighbor entries, then the recent tail with `keys` keys. */
function craftHello(withCert: boolean, count: number, keys: number): { body: Uint8Array; countAt: number; keysAt: number } {
  const countAt = 9 + (withCert ? CERTIFICATE_BYTES : 0);
  const tailAt = countAt + 1 + count * 9;
  const body = new Uint8Array(tailAt + 4 + 3 + keys * 2);
  writeU16(body, 0, 1);
  writeU16(body, 2, 50);
  body[4] = withCert ? 1 : 0;
  writeU32(body, 5, 0);
  body[countAt] = count;
  for (let i = 0; i < count; i++) body.set(testId(i), countAt + 1 + i * 9);
  writeU16(body, tailAt + 4, 10);
  body[tailAt + 6] = keys;
  for (let i = 0; i < keys; i++) writeU16(body, tailAt + 7 + i * 2, i);
  return { body, countAt, keysAt: tailAt + 6 };
}

test("hello: 33 neighbors (hand-crafted) → Oversized", () => {
  for (const withCert of [false, true]) {
    for (const count of [MAX_HELLO_NEIGHBORS + 1, 0xff]) {
      const { body, countAt } = craftHello(withCert, count, 0);
      isError(decodeHello(body, newHelloView()), WireError.Oversized, `${count} neighbors, cert ${withCert}`);
      // The count alone is enough: no entries needed.
      isError(decodeHello(body.subarray(0, countAt + 1), newHelloView()), WireError.Oversized, `${count} bare`);
    }
    // Sanity: the crafting is right, 32 decodes.
    isError(decodeHello(craftHello(withCert, MAX_HELLO_NEIGHBORS, 0).body, newHelloView()), WireError.None, "32 neighbors");
  }
});

test("hello: relay mask round-trips, and bits past the neighbor count are rejected", () => {
  const list = [0, 1, 2].map((i) => ({ id: testId(i), quality: 200, relay: i !== 1 }));
  const v = newHelloView();
  isError(decodeHello(encodeHello(3, 5000, 0, null, list), v), WireError.None, "valid");
  assert.is(v.relayMask, 0b101);
  const { body, countAt } = craftHello(false, 3, 0);
  writeU32(body, countAt + 1 + 3 * 9, 0b1000);
  isError(decodeHello(body, newHelloView()), WireError.BadField, "bit 3 with 3 neighbors");
  const full = craftHello(false, MAX_HELLO_NEIGHBORS, 0);
  writeU32(full.body, full.countAt + 1 + MAX_HELLO_NEIGHBORS * 9, 0xffffffff);
  isError(decodeHello(full.body, newHelloView()), WireError.None, "all 32 bits with 32 neighbors");
});

test("hello: 255 recent keys (the count byte's most, hand-crafted) decode; one key short is Truncated", () => {
  assert.is(MAX_RECENT_KEYS, 0xff);
  for (const withCert of [false, true]) {
    const { body } = craftHello(withCert, 2, MAX_RECENT_KEYS);
    const v = newHelloView();
    isError(decodeHello(body, v), WireError.None, `255 keys, cert ${withCert}`);
    assert.equal([helloRecentKey(v, 0), helloRecentKey(v, 254)], [0, 254]);
    isError(decodeHello(body.subarray(0, body.length - 2), newHelloView()), WireError.Truncated, `254 keys' bytes, cert ${withCert}`);
  }
});

test("hello: encodeHello throws RangeError on bad input", () => {
  const bad: [string, () => unknown][] = [
    ["interval 0 ms", () => encodeHello(0, 0, 0, null, [])],
    ["interval 49 ms", () => encodeHello(0, 49, 0, null, [])],
    ["interval 60050 ms", () => encodeHello(0, 60050, 0, null, [])],
    ["interval -100 ms", () => encodeHello(0, -100, 0, null, [])],
    ["33 neighbors", () => encodeHello(0, 5000, 0, null, neighbors(MAX_HELLO_NEIGHBORS + 1))],
    ["109-byte certificate", () => encodeHello(0, 5000, 0, new Uint8Array(109), [])],
    ["111-byte certificate", () => encodeHello(0, 5000, 0, new Uint8Array(111), [])],
    ["empty certificate", () => encodeHello(0, 5000, 0, new Uint8Array(0), [])],
    ["256 recent keys", () => encodeHello(0, 5000, 0, null, [], 1000, recentKeys(MAX_RECENT_KEYS + 1))],
    ["a 17-bit listed key", () => encodeHello(0, 5000, 0, null, [], 1000, [0x10000])],
    ["a negative listed key", () => encodeHello(0, 5000, 0, null, [], 1000, [-1])],
    ["recent window -100 ms", () => encodeHello(0, 5000, 0, null, [], -100, [])],
    ["recent window 6553550 ms", () => encodeHello(0, 5000, 0, null, [], 6553550, [])],
  ];
  for (const [label, fn] of bad) assert.throws(fn, (e: unknown) => e instanceof RangeError, label);
});

test("hello: encodeHello rejects NaN or infinite durations (the decoder would reject the result)", () => {
  // Math.round(NaN) is NaN and both range comparisons are false, so the checks pass. A NaN
  // interval is written as 0, which every receiver drops as BadField (and with it the whole
  // frame); a NaN recent window is silently written as 0.
  const bad: [string, () => Uint8Array][] = [
    ["interval NaN", () => encodeHello(0, NaN, 0, null, [])],
    ["interval Infinity", () => encodeHello(0, Infinity, 0, null, [])],
    ["recent window NaN", () => encodeHello(0, 5000, 0, null, [], NaN, [])],
  ];
  expectRangeErrors(bad, (body) => decodeHello(body, newHelloView()));
});

test("hello: mutation of every byte never throws and accepted input re-encodes", () => {
  for (const c of HELLO_CASES) {
    const small = { ...c, neighbors: Math.min(c.neighbors, 4), recent: Math.min(c.recent, 3) };
    const body = helloOf(small, 0x1234, 5000, 99);
    for (let i = 0; i < body.length; i++) {
      for (const v of [0, 1, 0x21, 0xff, body[i] ^ 0x01, body[i] ^ 0x80]) {
        const m = body.slice();
        m[i] = v;
        decodeAll(m);
      }
    }
  }
});

// ======================================== GOSSIP

test("gossip: round trip of every kind and hop edge", () => {
  const payload = new Uint8Array(40).map((_, i) => i ^ 0x5a);
  for (const kind of [GossipKind.Data, GossipKind.Checkpoint, GossipKind.Revocation, GossipKind.Command, GossipKind.Handover]) {
    for (const [seq, hops, hopLimit] of [[1, 0, 1], [0xffffffff, MAX_HOP_LIMIT, MAX_HOP_LIMIT], [0xffffffff, 0, MAX_HOP_LIMIT], [12345, 3, 16], [2, 1, 1]]) {
      const body = encodeGossip(testId(9), seq, kind, hops, hopLimit, payload);
      assert.is(body.length, GOSSIP_FIXED_BYTES + payload.length);
      assert.is(body[GOSSIP_HOPS_OFFSET], hops);
      const v = newGossipView();
      isError(decodeGossip(body, v), WireError.None, `kind ${kind} seq ${seq}`);
      assert.equal(v.origin.slice(), testId(9));
      assert.is(v.seq, seq);
      assert.is(v.kind, kind);
      assert.is(v.hops, hops);
      assert.is(v.hopLimit, hopLimit);
      assert.equal(v.payload.slice(), payload);
    }
  }
  const v = newGossipView();
  isError(decodeGossip(encodeGossip(testId(1), 1, GossipKind.Data, 0, 4, new Uint8Array(0)), v), WireError.None, "empty");
  assert.is(v.payload.length, 0);
});

test("gossip: truncation below the fixed part → Truncated; longer prefixes only shorten the payload", () => {
  const payload = Uint8Array.of(9, 8, 7, 6, 5);
  const body = encodeGossip(testId(3), 77, GossipKind.Data, 2, 5, payload);
  for (let n = 0; n < body.length; n++) {
    const v = newGossipView();
    const e = decodeGossip(body.subarray(0, n), v);
    if (n < GOSSIP_FIXED_BYTES) {
      isError(e, WireError.Truncated, `length ${n}`);
    } else {
      // The body's length is the record's length; the record layer has already bounded it.
      isError(e, WireError.None, `length ${n}`);
      assert.equal(v.payload.slice(), payload.slice(0, n - GOSSIP_FIXED_BYTES));
    }
  }
});

test("gossip: seq 0, hop limit 0 or over the maximum, hops over the limit → BadField; kind 0 or 8 → BadType", () => {
  const base = () => encodeGossip(testId(3), 77, GossipKind.Data, 2, 5, Uint8Array.of(1));
  const cases: [string, (b: Uint8Array) => void, WireError][] = [
    ["seq 0", (b) => writeU32(b, 8, 0), WireError.BadField],
    ["hop limit 0", (b) => { b[13] = 0; b[14] = 0; }, WireError.BadField],
    ["hop limit at the maximum", (b) => { b[14] = MAX_HOP_LIMIT; }, WireError.None],
    ["hop limit 255", (b) => { b[14] = 0xff; }, MAX_HOP_LIMIT < 0xff ? WireError.BadField : WireError.None],
    ["hops 6 > limit 5", (b) => { b[13] = 6; }, WireError.BadField],
    ["hops 255 > limit 5", (b) => { b[13] = 0xff; }, WireError.BadField],
    ["hops 255 = limit 255", (b) => { b[13] = 0xff; b[14] = 0xff; }, MAX_HOP_LIMIT < 0xff ? WireError.BadField : WireError.None],
    ["hops = limit", (b) => { b[13] = 5; }, WireError.None],
    ["kind 0", (b) => { b[12] = 0; }, WireError.BadType],
    ["kind 8", (b) => { b[12] = 8; }, WireError.BadType],
    ["kind 255", (b) => { b[12] = 0xff; }, WireError.BadType],
  ];
  // A byte-sized limit above the maximum exists only while the maximum is below 255.
  if (MAX_HOP_LIMIT < 0xff) cases.push(["hop limit max + 1", (b) => { b[14] = MAX_HOP_LIMIT + 1; }, WireError.BadField]);
  for (const [label, mutate, expected] of cases) {
    const b = base();
    mutate(b);
    isError(decodeGossip(b, newGossipView()), expected, label);
  }
});

test("gossip: the largest payload is accepted and fills a frame exactly; one more byte → Oversized", () => {
  assert.is(RECORD_HEADER_BYTES + GOSSIP_FIXED_BYTES + MAX_GOSSIP_PAYLOAD, MAX_PAYLOAD_BYTES);
  const max = encodeGossip(testId(1), 5, GossipKind.Data, 0, 3, new Uint8Array(MAX_GOSSIP_PAYLOAD).fill(0xab));
  const v = newGossipView();
  isError(decodeGossip(max, v), WireError.None, "max");
  assert.is(v.payload.length, MAX_GOSSIP_PAYLOAD);
  isError(decodeGossip(concatBytes(max, Uint8Array.of(0)), newGossipView()), WireError.Oversized, "max + 1");
  isError(decodeGossip(new Uint8Array(MAX_FRAME_BYTES * 2), newGossipView()), WireError.Oversized, "far over");
});

test("gossip: encodeGossip throws RangeError on out-of-range values", () => {
  const id = testId(1);
  const one = Uint8Array.of(1);
  const bad: [string, () => unknown][] = [
    ["payload too long", () => encodeGossip(id, 1, GossipKind.Data, 0, 1, new Uint8Array(MAX_GOSSIP_PAYLOAD + 1))],
    ["seq 0", () => encodeGossip(id, 0, GossipKind.Data, 0, 1, one)],
    ["seq 2^32", () => encodeGossip(id, 2 ** 32, GossipKind.Data, 0, 1, one)],
    ["seq -1", () => encodeGossip(id, -1, GossipKind.Data, 0, 1, one)],
    ["hop limit 0", () => encodeGossip(id, 1, GossipKind.Data, 0, 0, one)],
    ["hop limit over the maximum", () => encodeGossip(id, 1, GossipKind.Data, 0, MAX_HOP_LIMIT + 1, one)],
    ["hops -1", () => encodeGossip(id, 1, GossipKind.Data, -1, 4, one)],
    ["hops > limit", () => encodeGossip(id, 1, GossipKind.Data, 5, 4, one)],
  ];
  for (const [label, fn] of bad) assert.throws(fn, (e: unknown) => e instanceof RangeError, label);
});

test("gossip: encodeGossip rejects every value the decoder would reject (kind, NaN)", () => {
  // encodeGossip's contract: "Throws RangeError on values the decoder would reject". These pass its
  // checks today and produce bodies every receiver drops (kind → BadType, NaN → 0 → BadField).
  const id = testId(1);
  const one = Uint8Array.of(1);
  const bad: [string, () => Uint8Array][] = [
    ["kind 0", () => encodeGossip(id, 1, 0 as GossipKind, 0, 1, one)],
    ["kind 8", () => encodeGossip(id, 1, 8 as GossipKind, 0, 1, one)],
    ["seq NaN", () => encodeGossip(id, NaN, GossipKind.Data, 0, 1, one)],
    ["hop limit NaN", () => encodeGossip(id, 1, GossipKind.Data, 0, NaN, one)],
  ];
  expectRangeErrors(bad, (body) => decodeGossip(body, newGossipView()));
});

test("gossip: mutation of every byte never throws and accepted input re-encodes", () => {
  const body = encodeGossip(testId(3), 0x01000001, GossipKind.Checkpoint, 2, 5, Uint8Array.of(1, 2, 3));
  for (let i = 0; i < body.length; i++) {
    for (const v of [0, 1, 2, 3, 4, 5, 6, 32, 33, 0xff, body[i] ^ 0x80]) {
      const m = body.slice();
      m[i] = v;
      decodeAll(m);
    }
  }
});

// ======================================== fuzz

test("fuzz: 20,000 random and mutated inputs into all four decoders never throw", () => {
  const rng = new TestRng(0x4879_7068);
  const frame = validFrame(90);
  const seeds: Uint8Array[] = [
    frame,
    recordPayload(SAMPLE_RECORDS),
    recordPayload([[RecordType.Hello, encodeHello(3, 1000, 2, certificate(), neighbors(5), 2000, recentKeys(3))]]),
    encodeHello(1, 5000, 0, null, []),
    encodeHello(2, 100, 1, certificate(), neighbors(MAX_HELLO_NEIGHBORS), 6553500, recentKeys(MAX_RECENT_KEYS)),
    encodeHello(3, 60000, 2, null, neighbors(7)),
    encodeHello(4, 5000, 2, null, [], 500, recentKeys(9)),
    GOSSIP_BODY,
    encodeGossip(testId(2), 9, GossipKind.Revocation, 0, MAX_HOP_LIMIT, rng.bytes(200)),
  ];
  const accepted = [0, 0, 0, 0];
  for (let iter = 0; iter < 20000; iter++) {
    let input: Uint8Array;
    const mode = rng.below(6);
    if (mode === 0) {
      input = rng.bytes(rng.below(rng.below(2) ? 64 : MAX_FRAME_BYTES + 40));
    } else {
      const seed = rng.pick(seeds);
      input = seed.slice();
      if (mode === 1) {
        // A few random byte changes.
        for (let k = 1 + rng.below(4); k > 0 && input.length > 0; k--) input[rng.below(input.length)] = rng.u32() & 0xff;
      } else if (mode === 2) {
        // Bit flips.
        for (let k = 1 + rng.below(3); k > 0 && input.length > 0; k--) input[rng.below(input.length)] ^= 1 << rng.below(8);
      } else if (mode === 3) {
        input = input.subarray(0, rng.below(input.length + 1));
      } else if (mode === 4) {
        input = concatBytes(input, rng.bytes(1 + rng.below(20)));
      } else {
        // Splice: cut a range out, or duplicate one.
        const a = rng.below(input.length + 1);
        const b = a + rng.below(input.length - a + 1);
        input = rng.below(2) ? concatBytes(input.subarray(0, a), input.subarray(b)) : concatBytes(input.subarray(0, b), input.subarray(a));
      }
    }
    decodeAll(input);
    if (decodeFrameHeader(input, newFrameHeader()) === WireError.None) accepted[0]++;
    if (parseRecords(input, []) === WireError.None) accepted[1]++;
    if (decodeHello(input, newHelloView()) === WireError.None) accepted[2]++;
    if (decodeGossip(input, newGossipView()) === WireError.None) accepted[3]++;
  }
  // The corpus must reach the accepting paths too, or the re-encode checks test nothing.
  for (let i = 0; i < 4; i++) assert.ok(accepted[i] > 100, `decoder ${i} accepted only ${accepted[i]} inputs`);
});

test.run();
