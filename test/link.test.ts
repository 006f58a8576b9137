/** Link layer: the anti-replay window and the frame sealer. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tweetnaclCrypto } from "../modules/crypto/tweetnacl-crypto.js";
import { FrameSealer } from "../modules/link/frame-sealer.js";
import { REPLAY_WINDOW, ReplayWindows } from "../modules/link/replay-window.js";
import { WIRE_ERROR_NAMES, WireError } from "../modules/wire/errors.js";
import {
  HEADER_BYTES, MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES, newFrameHeader, TAG_BYTES,
} from "../modules/wire/frame.js";
import { TestRng, testId } from "./helpers/prng.js";

// ======================================== ReplayWindows

/** One window of a table, read like an object. */
function newWindow(): {
  accept(epoch: number, counter: number): boolean; refuses(epoch: number, counter: number): boolean; readonly epoch: number; readonly highest: number;
} {
  const table = new ReplayWindows(1);
  const i = table.open();
  return {
    accept: (epoch, counter) => table.accept(i, epoch, counter),
    refuses: (epoch, counter) => table.refuses(i, epoch, counter),
    get epoch() { return table.epoch(i); },
    get highest() { return table.highestCounter(i); },
  };
}

test("replay windows: held windows are kept apart, a released one is reused fresh", () => {
  const table = new ReplayWindows(2);
  const a = table.open();
  const b = table.open();
  assert.is.not(a, b);
  assert.throws(() => table.open(), RangeError, "all held");
  assert.ok(table.accept(a, 1, 1));
  assert.ok(table.accept(b, 1, 1), "b has its own window");
  table.hold(a);
  table.release(a);
  assert.throws(() => table.open(), RangeError, "a is still held once");
  table.release(a);
  const c = table.open();
  assert.is(c, a);
  assert.ok(table.accept(c, 1, 1), "reopened empty");
});

test("replay: in-order counters accepted, exact replay rejected", () => {
  const w = newWindow();
  for (let c = 0; c < 100; c++) {
    assert.ok(w.accept(7, c), `counter ${c}`);
    assert.not.ok(w.accept(7, c), `replay of ${c}`);
  }
  assert.is(w.epoch, 7);
  assert.is(w.highest, 99);
  // Every recent counter is now a replay.
  for (let c = 99; c > 99 - REPLAY_WINDOW; c--) assert.not.ok(w.accept(7, c), `late replay of ${c}`);
});

test("replay: out-of-order within the window accepted exactly once", () => {
  assert.is(REPLAY_WINDOW, 32);
  const w = newWindow();
  assert.ok(w.accept(1, 100));
  // Every counter from 69 to 99 (ages 1..31) is new: accepted once, then a replay.
  for (let c = 99; c >= 100 - (REPLAY_WINDOW - 1); c--) {
    assert.ok(w.accept(1, c), `first ${c}`);
    assert.not.ok(w.accept(1, c), `second ${c}`);
  }
  assert.is(w.highest, 100);
  // Age 32 is outside the window.
  assert.not.ok(w.accept(1, 100 - REPLAY_WINDOW));
});

test("replay: the oldest slot of the window (age 31, the sign bit) works", () => {
  const w = newWindow();
  assert.ok(w.accept(0, 40));
  assert.ok(w.accept(0, 9), "age 31");
  assert.not.ok(w.accept(0, 9), "age 31 replay");
  assert.ok(w.accept(0, 41));
  // 9 is now age 32: out of the window.
  assert.not.ok(w.accept(0, 9));
  assert.ok(w.accept(0, 10), "new age 31");
  assert.not.ok(w.accept(0, 10));
});

test("replay: older than the window rejected even if never seen", () => {
  const w = newWindow();
  assert.ok(w.accept(3, 1000));
  assert.not.ok(w.accept(3, 1000 - REPLAY_WINDOW));
  assert.not.ok(w.accept(3, 0));
  assert.ok(w.accept(3, 1000 - REPLAY_WINDOW + 1));
});

test("replay: a new epoch resets the window; an old epoch is rejected", () => {
  const w = newWindow();
  assert.ok(w.accept(1, 5000));
  assert.ok(w.accept(2, 0), "new epoch, counter restarts");
  assert.is(w.epoch, 2);
  assert.is(w.highest, 0);
  assert.not.ok(w.accept(2, 0), "replay in the new epoch");
  assert.ok(w.accept(2, 1));
  assert.not.ok(w.accept(1, 5001), "old epoch, higher counter");
  assert.not.ok(w.accept(1, 4999), "old epoch, unseen counter");
  assert.not.ok(w.accept(0, 0));
  // A new epoch may start at any counter.
  assert.ok(w.accept(0xffffffff, 0xffffffff));
  assert.not.ok(w.accept(0xffffffff, 0xffffffff));
  assert.ok(w.accept(0xffffffff, 0xffffffff - 31));
});

test("replay: a jump of ≥ 32 then an old one", () => {
  for (const jump of [32, 33, 1000]) {
    const w = newWindow();
    for (let c = 0; c <= 10; c++) assert.ok(w.accept(0, c));
    assert.ok(w.accept(0, 10 + jump), `jump ${jump}`);
    // Everything seen before the jump is now at age ≥ 32.
    for (let c = 0; c <= 10; c++) assert.not.ok(w.accept(0, c), `jump ${jump}: old ${c}`);
    // Unseen counters still inside the new window are fresh; ones just outside are not.
    const oldest = 10 + jump - (REPLAY_WINDOW - 1);
    if (oldest > 10) assert.ok(w.accept(0, oldest), `jump ${jump}: oldest in window`);
    assert.ok(w.accept(0, 10 + jump - 1), `jump ${jump}: newest gap`);
    assert.not.ok(w.accept(0, 10 + jump - 1));
    assert.not.ok(w.accept(0, 10 + jump));
  }
});

test("replay: matches a reference model over random traffic", () => {
  const rng = new TestRng(32);
  for (let run = 0; run < 50; run++) {
    const w = newWindow();
    let epoch = -1;
    let highest = -1;
    let seen = new Set<number>();
    for (let step = 0; step < 2000; step++) {
      // Mostly near the current highest, sometimes a jump, sometimes an epoch change.
      const r = rng.below(100);
      const e = r < 2 ? Math.max(0, epoch + 1) : r < 3 ? Math.max(0, epoch - 1) : Math.max(0, epoch);
      const base = e === epoch ? highest : 0;
      const c = Math.max(0, base + rng.below(r < 10 ? 80 : 40) - (r < 10 ? 10 : 34));
      let want: boolean;
      if (e > epoch) {
        want = true;
        epoch = e;
        highest = c;
        seen = new Set([c]);
      } else if (e < epoch) {
        want = false;
      } else if (c > highest) {
        want = true;
        highest = c;
        seen.add(c);
      } else {
        want = highest - c < REPLAY_WINDOW && !seen.has(c);
        if (want) seen.add(c);
      }
      // refuses() judges before the open exactly as accept() does after it, and records nothing.
      assert.is(w.refuses(e, c), !want, `run ${run} step ${step}: refuses (${e}, ${c}) with highest ${highest}`);
      assert.is(w.refuses(e, c), !want, `run ${run} step ${step}: refuses again`);
      assert.is(w.accept(e, c), want, `run ${run} step ${step}: (${e}, ${c}) with highest ${highest}`);
    }
  }
});

// ======================================== FrameSealer

const NETWORK = 0x48595048;
const KEY = new Uint8Array(32).map((_, i) => (i * 13 + 1) & 0xff);
const ALICE = testId(1);
const BOB = testId(2);

function sealer(networkId = NETWORK, key = KEY, id = ALICE, epoch = 9): FrameSealer {
  return new FrameSealer(tweetnaclCrypto, networkId, key, id, epoch);
}

function errorName(r: Uint8Array | WireError): string {
  return typeof r === "number" ? WIRE_ERROR_NAMES[r] : `plaintext ${r.length} bytes`;
}

test("sealer: seal/open round trip; header carries sender, epoch, counter", () => {
  const a = sealer(NETWORK, KEY, ALICE, 0xabcdef01);
  const b = sealer(NETWORK, KEY, BOB, 3);
  for (const n of [1, 2, 100, 1000]) {
    const payload = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    const frame = a.seal(payload)!;
    assert.is(frame.length, HEADER_BYTES + TAG_BYTES + n);
    const h = newFrameHeader();
    const plain = b.open(frame, h);
    assert.instance(plain, Uint8Array, errorName(plain));
    assert.equal(plain, payload);
    assert.is(h.networkId, NETWORK);
    assert.equal(h.sender.slice(), ALICE);
    assert.is(h.epoch, 0xabcdef01);
    // The sender can also open its own frames (same network key).
    assert.equal(a.open(frame, newFrameHeader()), payload);
  }
});

test("sealer: counters increase, so two seals of the same payload differ", () => {
  const a = sealer();
  const payload = new Uint8Array(48).fill(0x42);
  const frames = [a.seal(payload)!, a.seal(payload)!, a.seal(payload)!];
  const counters = frames.map((f) => {
    const h = newFrameHeader();
    assert.equal(sealer(NETWORK, KEY, BOB).open(f, h), payload);
    return h.counter;
  });
  assert.equal(counters, [0, 1, 2]);
  for (let i = 0; i < frames.length; i++) {
    for (let j = i + 1; j < frames.length; j++) {
      // Differ not just in the counter: the tag and the ciphertext change with the nonce.
      assert.not.equal(frames[i].slice(HEADER_BYTES), frames[j].slice(HEADER_BYTES), `frames ${i} and ${j}`);
    }
  }
});

test("sealer: a flipped bit anywhere gives a header error or AuthFailed, never a plaintext", () => {
  const a = sealer();
  const b = sealer(NETWORK, KEY, BOB);
  const frame = a.seal(new Uint8Array(24).map((_, i) => i))!;
  for (let at = 0; at < frame.length; at++) {
    const expected = at === 0 ? WireError.BadVersion
      : at === 1 ? WireError.BadField
      : at < 6 ? WireError.WrongNetwork
      : WireError.AuthFailed;
    for (let bit = 0; bit < 8; bit++) {
      const bad = frame.slice();
      bad[at] ^= 1 << bit;
      const r = b.open(bad, newFrameHeader());
      assert.is(r, expected, `byte ${at} bit ${bit}: ${errorName(r)}`);
    }
  }
});

test("sealer: truncated or extended frames never open", () => {
  const a = sealer();
  const b = sealer(NETWORK, KEY, BOB);
  const frame = a.seal(new Uint8Array(30).fill(1))!;
  for (let n = 0; n < frame.length; n++) {
    const r = b.open(frame.subarray(0, n), newFrameHeader());
    assert.is(r, n < HEADER_BYTES + TAG_BYTES + 1 ? WireError.Truncated : WireError.AuthFailed, `length ${n}: ${errorName(r)}`);
  }
  const longer = new Uint8Array(frame.length + 1);
  longer.set(frame);
  assert.is(b.open(longer, newFrameHeader()), WireError.AuthFailed);
});

test("sealer: wrong network id → WrongNetwork; wrong key → AuthFailed", () => {
  const frame = sealer().seal(Uint8Array.of(1, 2, 3))!;
  assert.is(sealer(NETWORK + 1, KEY, BOB).open(frame, newFrameHeader()), WireError.WrongNetwork);
  assert.is(sealer(0, KEY, BOB).open(frame, newFrameHeader()), WireError.WrongNetwork);
  const otherKey = KEY.slice();
  otherKey[31] ^= 1;
  assert.is(sealer(NETWORK, otherKey, BOB).open(frame, newFrameHeader()), WireError.AuthFailed);
});

test("sealer: the full u32 network id range works", () => {
  for (const id of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
    const frame = sealer(id).seal(Uint8Array.of(9))!;
    assert.equal(sealer(id, KEY, BOB).open(frame, newFrameHeader()), Uint8Array.of(9), `network ${id}`);
  }
});

test("sealer: a header rewritten to another sender, epoch or counter does not open", () => {
  const b = sealer(NETWORK, KEY, BOB);
  const frame = sealer().seal(Uint8Array.of(5, 5, 5))!;
  for (const [label, at] of [["sender", 6], ["sender last byte", 13], ["epoch", 14], ["counter", 21]] as const) {
    const forged = frame.slice();
    forged[at] = (forged[at] + 1) & 0xff;
    assert.is(b.open(forged, newFrameHeader()), WireError.AuthFailed, label);
  }
});

test("sealer: payload of 0 or more than MAX_PAYLOAD_BYTES throws RangeError", () => {
  const a = sealer();
  assert.throws(() => a.seal(new Uint8Array(0)), (e: unknown) => e instanceof RangeError, "empty");
  assert.throws(() => a.seal(new Uint8Array(MAX_PAYLOAD_BYTES + 1)), (e: unknown) => e instanceof RangeError, "max + 1");
  // A refused seal does not consume a counter.
  const h = newFrameHeader();
  sealer(NETWORK, KEY, BOB).open(a.seal(Uint8Array.of(1))!, h);
  assert.is(h.counter, 0);
});

test("sealer: the largest payload gives a frame of exactly MAX_FRAME_BYTES", () => {
  const payload = new Uint8Array(MAX_PAYLOAD_BYTES).map((_, i) => i & 0xff);
  const frame = sealer().seal(payload)!;
  assert.is(frame.length, MAX_FRAME_BYTES);
  assert.is(frame.length, 1200);
  assert.equal(sealer(NETWORK, KEY, BOB).open(frame, newFrameHeader()), payload);
});

test("sealer: constructor rejects a key that is not 32 bytes", () => {
  for (const n of [0, 16, 31, 33, 64]) {
    assert.throws(() => sealer(NETWORK, new Uint8Array(n)), (e: unknown) => e instanceof RangeError, `${n}-byte key`);
  }
});

test("sealer: the counter space ends at 2^32 - 2; then seal returns null", () => {
  const a = sealer();
  (a as unknown as { counter: number }).counter = 0xfffffffe;
  const h = newFrameHeader();
  assert.equal(sealer(NETWORK, KEY, BOB).open(a.seal(Uint8Array.of(1))!, h), Uint8Array.of(1));
  assert.is(h.counter, 0xfffffffe);
  assert.is(a.seal(Uint8Array.of(1)), null);
  assert.is(a.seal(Uint8Array.of(1)), null);
});

test("sealer + replay window: a re-sent frame opens but the window rejects it", () => {
  const a = sealer();
  const b = sealer(NETWORK, KEY, BOB);
  const w = newWindow();
  const f1 = a.seal(Uint8Array.of(1))!;
  const f2 = a.seal(Uint8Array.of(2))!;
  const h = newFrameHeader();
  const order: [Uint8Array, boolean][] = [[f2, true], [f1, true], [f2, false], [f1, false]];
  for (const [f, fresh] of order) {
    assert.instance(b.open(f, h), Uint8Array);
    assert.is(w.accept(h.epoch, h.counter), fresh);
  }
});

test.run();
