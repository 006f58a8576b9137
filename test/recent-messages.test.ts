/**
 * The repair store: which keys a HELLO lists and which window it may claim.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RecentMessages } from "../modules/gossip/recent-messages.js";
import { RelayQueue } from "../modules/gossip/relay-queue.js";

/** Nothing borrows the arena's bodies. */
const NO_BORROWERS = { release(): void {} };

function recent(capacity: number, maxBodyBytes: number, arenaBytes = 64 * capacity): RecentMessages {
  return new RecentMessages(capacity, maxBodyBytes, new Uint8Array(arenaBytes), NO_BORROWERS);
}

function store(capacity: number, times: number[]): RecentMessages {
  const s = recent(capacity, 256);
  times.forEach((t, i) => s.add(1000 + i, new Uint8Array(20), t));
  return s;
}

/** The keys a HELLO would list after `since` (at most `max`) and the window it would claim. */
function listed(s: RecentMessages, since: number, now: number, max: number): { keys: number[]; window: number } {
  const out = new Uint16Array(max);
  const n = s.keysSince(since, out);
  return { keys: [...out.subarray(0, n)], window: s.listedWindow(since, now, n) };
}

test("lists every key received in the window, newest first, and claims the whole window", () => {
  const { keys, window } = listed(store(8, [100, 200, 300]), 150, 400, 32);
  assert.equal(keys, [1002, 1001]);
  assert.is(window, 250);
});

test("a key cap shortens the claimed window to what was listed", () => {
  const { keys, window } = listed(store(8, [100, 200, 300, 350]), 0, 400, 2);
  assert.equal(keys, [1003, 1002]);
  assert.is(window, 200, "entries after t=200 are all listed");
});

test("a full store claims no further back than its oldest entry", () => {
  const { keys, window } = listed(store(3, [100, 200, 300, 350]), 0, 400, 32);
  assert.equal(keys, [1003, 1002, 1001]);
  assert.is(window, 200, "the entry at t=100 was forgotten: the window must not cover it");
});

test("firstAfter: the oldest entry received after t, equal times included in order, across the ring's wrap", () => {
  const times = [100, 200, 200, 300, 350];
  const wrapped = store(3, times); // holds 200, 300, 350
  for (const [s, capacity] of [[store(8, times), 8], [wrapped, 3]] as const) {
    for (const t of [0, 99, 100, 199, 200, 250, 300, 349, 350, 1000]) {
      let expected = s.size;
      while (expected > 0 && s.receivedAt(expected - 1) > t) expected--;
      assert.is(s.firstAfter(t), expected, `capacity ${capacity}, t=${t}`);
    }
  }
  assert.is(recent(4, 16).firstAfter(0), 0, "an empty store");
});

test("bodies over the limit are not kept, their keys are", () => {
  const s = recent(4, 16);
  s.add(7, new Uint8Array(17), 10);
  assert.is(s.key(0), 7);
  assert.is(s.body(0), null);
});

test("a message that arrived as a repair is marked late", () => {
  const s = recent(4, 64);
  s.add(1, new Uint8Array(8), 10);
  s.add(2, new Uint8Array(8), 20, true);
  assert.equal([s.late(0), s.late(1)], [false, true]);
});

test("an entry can ground a repair only with its body kept and not late; a reused ring slot is judged anew", () => {
  const s = recent(4, 16);
  s.add(1, new Uint8Array(8), 10);
  s.add(2, new Uint8Array(8), 20, true);
  s.add(3, null, 30);
  s.add(4, new Uint8Array(17), 40);
  assert.equal([0, 1, 2, 3].map((i) => s.canRepair(i)), [true, false, false, false]);
  s.add(5, null, 50);
  s.add(6, new Uint8Array(16), 60, false, true);
  assert.equal([0, 1, 2, 3].map((i) => s.canRepair(i)), [false, false, false, true]);
});

test("our own messages are flagged apart from late ones, and a reused ring slot drops the flag", () => {
  const s = recent(2, 64);
  assert.is(s.lastOwnAt, -Infinity);
  s.add(1, new Uint8Array(8), 10, false, true);
  s.add(2, new Uint8Array(8), 20, true);
  assert.equal([s.own(0), s.late(0), s.own(1), s.late(1)], [true, false, false, true]);
  assert.is(s.lastOwnAt, 10, "the newest of ours, not the newest entry");
  s.add(3, new Uint8Array(8), 30);
  assert.equal([s.key(1), s.own(1), s.late(1)], [3, false, false]);
});

test("repairs are counted per entry, and a reused ring slot starts again at zero", () => {
  const s = recent(2, 64);
  s.add(1, new Uint8Array(8), 10);
  s.add(2, new Uint8Array(8), 20);
  s.repaired(0);
  s.repaired(0);
  s.repaired(1);
  assert.equal([s.repairs(0), s.repairs(1)], [2, 1]);
  s.add(3, new Uint8Array(8), 30); // evicts key 1
  assert.equal([s.key(0), s.repairs(0), s.key(1), s.repairs(1)], [2, 1, 3, 0]);
});

test("neighbors shown missing an entry are kept until they list it, with the last evidence's time; a reused slot forgets them", () => {
  const s = recent(2, 64);
  s.add(1, new Uint8Array(8), 10);
  s.add(2, new Uint8Array(8), 20);
  s.shownMissing(1, 0, 21);
  s.shownMissing(1, 31, 22);
  assert.equal([s.missing(1), s.missing(0)], [(1 | (1 << 31)) >>> 0, 0]); // slots 0 and 31, nothing for entry 0
  assert.equal([s.missingAt(0), s.missingAt(1)], [0, 22]);
  s.repairSent(2, 25); // a repair that went out is evidence too
  s.repairSent(9, 28); // not held: nothing changes
  assert.equal([s.missingAt(0), s.missingAt(1)], [0, 25]);
  s.listedBy(1, 0);
  assert.is(s.missing(1), (1 << 31) >>> 0);
  s.add(3, new Uint8Array(8), 30);
  s.add(4, new Uint8Array(8), 40); // evicts key 2
  assert.equal([s.missing(0), s.missing(1), s.missingAt(0), s.missingAt(1)], [0, 0, 0, 0]);
});

test("shownFrom: the receive time of the oldest entry shown missing, lowered as entries are shown; forgetMissing clears an entry's misses", () => {
  const s = recent(4, 64);
  s.add(1, new Uint8Array(8), 10);
  s.add(2, new Uint8Array(8), 20);
  s.add(3, new Uint8Array(8), 30);
  assert.is(s.shownFrom, Infinity);
  s.shownMissing(2, 4, 35);
  assert.is(s.shownFrom, 30);
  s.shownMissing(1, 4, 36);
  assert.is(s.shownFrom, 20);
  s.shownMissing(2, 5, 37); // already shown: no change
  assert.is(s.shownFrom, 20);
  assert.equal([s.missing(0), s.missing(1), s.missing(2)], [0, 1 << 4, (1 << 4) | (1 << 5)]);
  s.forgetMissing(1);
  assert.is(s.missing(1), 0);
  s.scannedFromShown(30); // a scan from shownFrom on found entry 2 the oldest still shown
  assert.is(s.shownFrom, 30);
});

/** A body of `length` bytes, each `fill`. */
function body(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

test("kept bodies are the same bytes whether the arena holds them or has no room: across its wrap, and past a body kept apart", () => {
  const lengths = [30, 50, 40, 60, 20, 70, 10, 64, 33, 45, 90, 25];
  for (const arenaBytes of [0, 100, 128, 200, 1000]) {
    const s = recent(4, 256, arenaBytes);
    lengths.forEach((length, k) => {
      const kept = s.add(k, body(length, k + 1), 10 * k);
      assert.equal(kept, body(length, k + 1), `arena ${arenaBytes}, body ${k} as kept`);
      for (let i = 0; i < s.size; i++) {
        const j = k - s.size + 1 + i;
        assert.equal(s.body(i), body(lengths[j], j + 1), `arena ${arenaBytes}, after body ${k}: entry ${i}`);
      }
    });
  }
});

test("a body the relay queue borrows keeps its bytes when the store writes over its run", () => {
  const arena = new Uint8Array(40);
  const relays = new RelayQueue(2, 1, arena);
  const s = new RecentMessages(2, 256, arena, relays);
  relays.add(s.add(1, body(20, 1), 10)!, 1, false);
  s.add(2, body(20, 2), 20);
  const untouched = s.add(3, body(20, 3), 30)!; // the first run, written over
  relays.add(s.body(0)!, 2, true); // a repair of body 2, whose run is written over next
  s.add(4, body(20, 4), 40);
  assert.equal([relays.body(relays.slotAt(0)), relays.body(relays.slotAt(1))], [body(20, 1), body(20, 2)]);
  assert.equal([untouched, s.body(0), s.body(1)], [body(20, 3), body(20, 3), body(20, 4)]);
});

test.run();
