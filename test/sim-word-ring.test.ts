import { test } from "uvu";
import * as assert from "uvu/assert";
import { RingReader, RingWriter, WRAP } from "../hosts/sim/word-ring.js";
import { Rng } from "../hosts/sim/rng.js";

function ring(words: number): { writer: RingWriter; reader: RingReader } {
  const buffer = new SharedArrayBuffer(4 * words);
  const index = new Int32Array(new SharedArrayBuffer(4 * 4));
  return { writer: new RingWriter(buffer, index, 2), reader: new RingReader(buffer, index, 2) };
}

/** Writes a record [length, payload...] if there is room; returns whether it went in. */
function write(writer: RingWriter, payload: number[]): boolean {
  const at = writer.reserve(1 + payload.length);
  if (at < 0) return false;
  writer.words[at] = payload.length;
  writer.words.set(payload, at + 1);
  writer.end = at + 1 + payload.length;
  return true;
}

function readAll(reader: RingReader): number[][] {
  const out: number[][] = [];
  reader.read((k) => {
    const n = reader.words[k];
    out.push([...reader.words.subarray(k + 1, k + 1 + n)]);
    return k + 1 + n;
  });
  return out;
}

test("a record is readable only once published, and its room comes back once read", () => {
  const { writer, reader } = ring(16);
  assert.ok(write(writer, [1, 2, 3]));
  assert.equal(readAll(reader), []);
  assert.ok(writer.publish());
  assert.not.ok(writer.publish(), "nothing new");
  assert.equal(readAll(reader), [[1, 2, 3]]);
});

test("a ring of 16 words keeps 15 in use at most; a writer waits for the reader beyond", () => {
  const { writer, reader } = ring(16);
  assert.ok(write(writer, [1, 2, 3, 4]));
  assert.ok(write(writer, [5, 6, 7, 8]));
  assert.ok(write(writer, [9, 10, 11, 12]));
  assert.not.ok(write(writer, []), "full until the reader catches up");
  writer.publish();
  assert.equal(readAll(reader), [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  assert.ok(write(writer, []));
});

test("a record that would not fit before the end starts at word 0, after a WRAP", () => {
  const { writer, reader } = ring(16);
  assert.ok(write(writer, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  writer.publish();
  assert.equal(readAll(reader), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  assert.ok(write(writer, [11, 12, 13, 14, 15, 16]), "7 words: 5 left before the end, so it wraps");
  assert.is(writer.words[11], WRAP);
  assert.is(writer.end, 7);
  writer.publish();
  assert.equal(readAll(reader), [[11, 12, 13, 14, 15, 16]]);
});

test("records too large for the ring are refused with a clear error", () => {
  const { writer } = ring(16);
  assert.throws(() => writer.reserve(16), /a record of 16 words can't fit a ring of 16/);
});

test("any mix of sizes and reading paces: every record comes out once, in order, intact", () => {
  const rng = new Rng(7);
  const { writer, reader } = ring(64);
  const sent: number[][] = [];
  const got: number[][] = [];
  let next = 0;
  for (let step = 0; step < 20_000; step++) {
    const payload = Array.from({ length: rng.int(20) }, () => next++);
    if (write(writer, payload)) sent.push(payload);
    if (rng.int(3) === 0) writer.publish();
    if (rng.int(4) === 0) got.push(...readAll(reader));
  }
  writer.publish();
  got.push(...readAll(reader));
  assert.ok(sent.length > 5_000, "most writes found room");
  assert.equal(got, sent);
});

test.run();
