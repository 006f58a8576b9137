/**
 * Feeds: the entry codec, the origin's hash-chained log across reboots, and the gateway's verifier —
 * in-order exactly-once delivery, checkpoints before and after their entries, and flags for a
 * tampered, reordered or forged feed. Bounds of the verifier's tables.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../modules/bytes.js";
import { chainHash, decodeFeedEntry, encodeFeedEntry, MAX_SENSOR_CHARS } from "../modules/feed/feed-entry.js";
import { FEED_CHECKPOINT_BYTES } from "../modules/feed/feed-checkpoint.js";
import { FeedLog } from "../modules/feed/feed-log.js";
import { FeedVerifier, type FeedOutcome } from "../modules/feed/feed-verifier.js";
import { CHUNK_ENTRIES, UnsentStore } from "../modules/feed/unsent-store.js";
import { WireError } from "../modules/wire/errors.js";
import { nodeCrypto as crypto, nodeKeyPairFromSeed } from "../hosts/node/node-crypto.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const pair = nodeKeyPairFromSeed(new Uint8Array(32).fill(9));
const stranger = nodeKeyPairFromSeed(new Uint8Array(32).fill(8));
const origin = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const originHex = toHex(origin);

function log(storage = new MemoryStorage()): FeedLog {
  return new FeedLog(crypto, storage, origin, pair.secretKey);
}

function entries(feed: FeedLog, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => feed.append("temp", 20 + i / 4, 1_800_000_000 + 60 * i).bytes);
}

function readings(out: FeedOutcome[]): { seq: number; value: number; verified: boolean }[] {
  return out.flatMap((o) => (o.type === "reading" ? [{ seq: o.seq, value: o.value, verified: o.verified }] : []));
}

function flags(out: FeedOutcome[]): string[] {
  return out.flatMap((o) => (o.type === "feed-flagged" ? [`${o.reason}@${o.seq}`] : []));
}

/** The same entry with another value: what an attacker on the path would do. */
function withValue(bytes: Uint8Array, value: number): Uint8Array {
  const e = decodeFeedEntry(bytes);
  if (typeof e === "number") throw new Error("bad fixture");
  return encodeFeedEntry({ ...e, value });
}

test("entry round trip and strict decoding", () => {
  const e = { seq: 7, time: 1_800_000_000, prev: new Uint8Array(16).fill(5), sensor: "soil-moisture", value: -0.125 };
  const bytes = encodeFeedEntry(e);
  assert.equal(decodeFeedEntry(bytes), e);
  assert.is(decodeFeedEntry(bytes.subarray(0, bytes.length - 1)), WireError.Truncated);
  assert.is(decodeFeedEntry(new Uint8Array([...bytes, 0])), WireError.TrailingBytes);
  const zeroSeq = bytes.slice();
  zeroSeq.fill(0, 0, 4);
  assert.is(decodeFeedEntry(zeroSeq), WireError.BadField);
  const control = bytes.slice();
  control[25] = 0x07;
  assert.is(decodeFeedEntry(control), WireError.BadField);
  assert.throws(() => encodeFeedEntry({ ...e, sensor: "x".repeat(MAX_SENSOR_CHARS + 1) }), RangeError);
  assert.throws(() => encodeFeedEntry({ ...e, sensor: "" }), RangeError);
  assert.throws(() => encodeFeedEntry({ ...e, seq: 0 }), RangeError);
});

test("the log chains entries and continues the chain after a reboot", () => {
  const storage = new MemoryStorage();
  const first = log(storage);
  const [a, b] = entries(first, 2);
  const eb = decodeFeedEntry(b);
  assert.ok(typeof eb !== "number");
  assert.equal([...eb.prev], [...chainHash(crypto, origin, a)]);
  const rebooted = log(storage);
  assert.is(rebooted.headSeq, 2);
  const c = rebooted.append("temp", 1, 0);
  assert.is(c.seq, 3);
  const ec = decodeFeedEntry(c.bytes);
  assert.ok(typeof ec !== "number");
  assert.equal([...ec.prev], [...chainHash(crypto, origin, b)]);
  assert.is(rebooted.checkpoint()?.length, FEED_CHECKPOINT_BYTES);
  assert.is(rebooted.checkpoint(), rebooted.checkpoint(), "one signature per head");
});

test("entries are delivered in order, once; a later checkpoint verifies them", () => {
  const feed = log();
  const list = entries(feed, 5);
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  for (const i of [0, 3, 1, 3, 4, 2, 0]) verifier.offerEntry(originHex, origin, list[i], 1, out);
  assert.equal(readings(out).map((r) => r.seq), [1, 2, 3, 4, 5]);
  assert.ok(readings(out).every((r) => !r.verified));
  assert.is(verifier.duplicates, 2);
  const checkpoint = feed.checkpoint()!;
  out.length = 0;
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, checkpoint, out);
  assert.equal(out, [{ type: "feed-verified", origin: originHex, upTo: 5 }]);
  assert.is(verifier.deliveredSeq(originHex), 5);
});

test("a checkpoint that arrives first: a complete run is delivered verified, a partial one as it comes", () => {
  const feed = log();
  const list = entries(feed, 4);
  const checkpoint = feed.checkpoint()!;
  const whole = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  whole.offerCheckpoint(originHex, origin, pair.publicKey, checkpoint, out);
  for (const i of [3, 1, 2]) whole.offerEntry(originHex, origin, list[i], 1, out);
  assert.equal(readings(out), [], "seq 1 is missing: nothing can be delivered");
  whole.offerEntry(originHex, origin, list[0], 1, out);
  assert.equal(readings(out).map((r) => [r.seq, r.verified]), [[1, true], [2, true], [3, true], [4, true]]);

  const partial = new FeedVerifier(crypto);
  const out2: FeedOutcome[] = [];
  partial.offerCheckpoint(originHex, origin, pair.publicKey, checkpoint, out2);
  partial.offerEntry(originHex, origin, list[0], 1, out2);
  partial.offerEntry(originHex, origin, list[2], 1, out2);
  partial.offerEntry(originHex, origin, list[1], 1, out2);
  assert.equal(readings(out2).map((r) => [r.seq, r.verified]), [[1, false], [2, false], [3, false]], "readings do not wait for seq 4");
  partial.offerEntry(originHex, origin, list[3], 1, out2);
  assert.equal(out2.slice(-2), [
    { type: "reading", origin: originHex, seq: 4, sensor: "temp", value: 20.75, time: 1_800_000_180, verified: true },
    { type: "feed-verified", origin: originHex, upTo: 4 },
  ]);
  // Entries after the checkpoint flow unverified again.
  partial.offerEntry(originHex, origin, feed.append("temp", 0, 0).bytes, 1, out2);
  assert.equal(readings(out2).at(-1), { seq: 5, value: 0, verified: false });
});

test("a tampered value is flagged: by the next link, and by the checkpoint", () => {
  const feed = log();
  const list = entries(feed, 3);
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  verifier.offerEntry(originHex, origin, list[0], 1, out);
  verifier.offerEntry(originHex, origin, withValue(list[1], 99), 1, out);
  verifier.offerEntry(originHex, origin, list[2], 1, out);
  assert.equal(flags(out), ["chain-break@3"]);
  const tampered = new FeedVerifier(crypto);
  const out2: FeedOutcome[] = [];
  tampered.offerEntry(originHex, origin, list[0], 1, out2);
  tampered.offerEntry(originHex, origin, withValue(list[1], 99), 1, out2);
  const storage = new MemoryStorage();
  const twin = log(storage);
  entries(twin, 2);
  tampered.offerCheckpoint(originHex, origin, pair.publicKey, twin.checkpoint()!, out2);
  assert.equal(flags(out2), ["checkpoint-mismatch@2"]);
});

test("with the checkpoint ahead, the tampered entry is never delivered", () => {
  const feed = log();
  const list = entries(feed, 3);
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, feed.checkpoint()!, out);
  verifier.offerEntry(originHex, origin, list[0], 1, out);
  verifier.offerEntry(originHex, origin, list[1], 1, out);
  verifier.offerEntry(originHex, origin, withValue(list[2], -1), 1, out);
  assert.equal(flags(out), ["checkpoint-mismatch@3"]);
  assert.equal(readings(out).filter((r) => r.verified), []);
});

test("reordered readings break the chain", () => {
  const feed = log();
  const list = entries(feed, 3);
  const a = decodeFeedEntry(list[1]);
  const b = decodeFeedEntry(list[2]);
  if (typeof a === "number" || typeof b === "number") throw new Error("bad fixture");
  // Readings 2 and 3 swapped, each under the other's seq and link.
  const swapped = [encodeFeedEntry({ ...b, seq: 2, prev: a.prev }), encodeFeedEntry({ ...a, seq: 3, prev: b.prev })];
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  for (const bytes of [list[0], ...swapped]) verifier.offerEntry(originHex, origin, bytes, 1, out);
  assert.equal(readings(out).map((r) => r.seq), [1, 2]);
  assert.equal(flags(out), ["chain-break@3"]);
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, feed.checkpoint()!, out);
  // The checkpoint is for seq 3, which was never delivered: it waits ahead and the genuine entries complete it.
  verifier.offerEntry(originHex, origin, list[2], 1, out);
  assert.equal(flags(out), ["chain-break@3", "chain-break@3"], "the genuine 3 does not link to the swapped 2");
});

test("a checkpoint not signed by the origin is flagged and ignored", () => {
  const feed = log();
  const list = entries(feed, 2);
  const forged = new FeedLog(crypto, new MemoryStorage(), origin, stranger.secretKey);
  entries(forged, 2);
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, forged.checkpoint()!, out);
  for (const bytes of list) verifier.offerEntry(originHex, origin, bytes, 1, out);
  assert.equal(flags(out), ["bad-signature@2"]);
  assert.equal(readings(out).map((r) => [r.seq, r.verified]), [[1, false], [2, false]]);
  const bad = new Uint8Array(FEED_CHECKPOINT_BYTES - 1);
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, bad, out);
  verifier.offerEntry(originHex, origin, new Uint8Array(3), 1, out);
  assert.equal(flags(out).slice(1), ["malformed@0", "malformed@0"]);
});

test("bounded: origins beyond capacity are forgotten oldest first, and the gap buffer is capped", () => {
  const verifier = new FeedVerifier(crypto, null, 2, 4);
  const feed = log();
  const list = entries(feed, 10);
  const out: FeedOutcome[] = [];
  verifier.offerEntry("aa", origin, list[0], 1, out);
  verifier.offerEntry("bb", origin, list[0], 1, out);
  verifier.offerEntry("aa", origin, list[1], 1, out);
  verifier.offerEntry("cc", origin, list[0], 1, out);
  assert.is(verifier.deliveredSeq("aa"), 2);
  assert.is(verifier.deliveredSeq("bb"), 0, "least recently active origin forgotten");
  // Past a gap at seq 3 (for origin aa), only the 4 entries nearest the gap are kept.
  for (let i = 9; i >= 3; i--) verifier.offerEntry("aa", origin, list[i], 1, out);
  assert.is(verifier.overflows, 3);
  verifier.offerEntry("aa", origin, list[2], 1, out);
  assert.is(verifier.deliveredSeq("aa"), 6, "seq 3 took the farthest slot: 3..6 delivered, 7.. come again");
  assert.is(verifier.overflows, 4);
});

test("a feed met past seq 1 starts at the origin's base; a later base skips what another gateway confirmed", () => {
  const feed = log();
  const list = entries(feed, 9);
  const verifier = new FeedVerifier(crypto);
  const out: FeedOutcome[] = [];
  verifier.offerEntry(originHex, origin, list[4], 4, out);
  assert.equal(readings(out), [], "waits for seq 4, the first the origin has not had confirmed");
  verifier.offerEntry(originHex, origin, list[3], 4, out);
  assert.equal(readings(out).map((r) => r.seq), [4, 5]);
  verifier.offerEntry(originHex, origin, list[5], 4, out);
  verifier.offerCheckpoint(originHex, origin, pair.publicKey, feed.checkpoint()!, out);
  verifier.offerEntry(originHex, origin, list[8], 9, out);
  assert.equal(readings(out).map((r) => r.seq), [4, 5, 6, 9], "7 and 8 were confirmed elsewhere");
  assert.equal(flags(out), []);
  assert.equal(readings(out).at(-1), { seq: 9, value: 22, verified: true }, "the checkpoint proves the run from the trusted start");
  verifier.offerEntry(originHex, origin, list[2], 10, out);
  assert.equal(flags(out), ["malformed@0"], "a base above the entry's own seq is malformed");
});

test("a gateway that reboots resumes each feed where it was: nothing is delivered twice", () => {
  const storage = new MemoryStorage();
  const feed = log();
  const list = entries(feed, 4);
  const out: FeedOutcome[] = [];
  const before = new FeedVerifier(crypto, storage);
  for (const bytes of list.slice(0, 3)) before.offerEntry(originHex, origin, bytes, 1, out);
  const after = new FeedVerifier(crypto, storage);
  for (const bytes of list) after.offerEntry(originHex, origin, bytes, 1, out);
  assert.equal(readings(out).map((r) => r.seq), [1, 2, 3, 4]);
  assert.is(after.duplicates, 3);
  assert.equal(storage.keys(), ["fv01"]);
});

test("unsent readings survive a reboot until confirmed; the store is bounded, and overwrites a chunk of 16 at a time", () => {
  assert.is(CHUNK_ENTRIES, 16);
  const storage = new MemoryStorage();
  const store = new UnsentStore(storage, 64);
  for (let seq = 1; seq <= 60; seq++) store.add(seq, Uint8Array.of(seq));
  store.confirm(10);
  const rebooted = new UnsentStore(storage, 64);
  assert.is(rebooted.size, 50);
  const first = [...rebooted.pending()][0];
  assert.equal([first.seq, first.bytes[0]], [11, 11]);
  for (let seq = 61; seq <= 80; seq++) rebooted.add(seq, Uint8Array.of(seq));
  // A board's store (64) keeps its newest 48 to 64 readings: the chunk of 64 it had lost them all at once.
  assert.is(rebooted.lost, 6, "chunk 0 (seqs 11..16) was overwritten by chunk 4 (65..80)");
  assert.equal([...rebooted.pending()].map((e) => e.seq), Array.from({ length: 64 }, (_, i) => 17 + i), "read back from flash in order");
  assert.is(new UnsentStore(storage, 64).size, 64);
  assert.throws(() => new UnsentStore(storage, 100), RangeError);
});

test("unsent readings: two runs lost in a row are skipped together: the base does not fall back to the first's start", () => {
  const store = new UnsentStore(new MemoryStorage(), 64);
  for (let seq = 1; seq <= 5; seq++) store.add(seq, Uint8Array.of(seq));
  store.confirm(5);
  for (let seq = 6; seq <= 65; seq++) store.add(seq, Uint8Array.of(seq));
  assert.is(store.base, 17, "6..16 lost");
  for (let seq = 66; seq <= 81; seq++) store.add(seq, Uint8Array.of(seq));
  assert.is(store.lost, 27);
  assert.is(store.base, 33, "17..32 lost right after them: remembered alone, the base fell back to 6");
});

test("unsent readings stored under another layout (chunks of 64 before an update, or a smaller capacity) are rewritten under this one once, none lost", () => {
  const storage = new MemoryStorage();
  // The layout of chunks of 64 under one key, as the firmware before stored a board's 64 readings: 65..110 in "fq0".
  const old: number[] = [];
  for (let seq = 65; seq <= 110; seq++) old.push(0, 0, 0, seq, 0, 1, seq);
  storage.set("fq0", Uint8Array.from(old));
  storage.set("fqc", Uint8Array.of(0, 0, 0, 70));
  const store = new UnsentStore(storage, 64);
  const pending = () => [...store.pending()].map((e) => `${e.seq}:${e.bytes[0]}`);
  assert.equal(pending(), Array.from({ length: 40 }, (_, i) => `${71 + i}:${71 + i}`), "every unconfirmed reading, in order");
  assert.is(store.lost, 0);
  const writes = storage.writes;
  assert.is(new UnsentStore(storage, 64).size, 40);
  assert.is(storage.writes, writes, "a second boot finds this layout and rewrites nothing");
  for (let seq = 111; seq <= 140; seq++) store.add(seq, Uint8Array.of(seq));
  assert.is(store.lost, 10, "then it overwrites as its own: 71..80 by 129..");
  assert.equal([...store.pending()][0].seq, 81);

  // A store grown from 64 to 128 readings: the chunks kept under 4 keys move to their keys among 8.
  const grown = new MemoryStorage();
  const small = new UnsentStore(grown, 64);
  for (let seq = 1; seq <= 100; seq++) small.add(seq, Uint8Array.of(seq));
  assert.is(small.lost, 48);
  const large = new UnsentStore(grown, 128);
  assert.equal([...large.pending()].map((e) => e.seq), Array.from({ length: 52 }, (_, i) => 49 + i));
  for (let seq = 101; seq <= 176; seq++) large.add(seq, Uint8Array.of(seq));
  assert.is(large.lost, 0, "128 fit");
  assert.equal([...new UnsentStore(grown, 128).pending()].map((e) => e.bytes[0]), Array.from({ length: 128 }, (_, i) => 49 + i));
});

test.run();
