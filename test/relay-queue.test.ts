/** The relay queue: queue order, a bounded pool of slots reused in any order, one miss row per entry. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RelayQueue } from "../modules/gossip/relay-queue.js";

/** A gossip body whose origin is eight bytes of `origin`. */
function body(origin: number): Uint8Array {
  return new Uint8Array(20).fill(origin);
}

/** No repair store's arena: every body is held as an object. */
const NO_ARENA = new Uint8Array(0);

function seqsInOrder(q: RelayQueue): number[] {
  return Array.from({ length: q.length }, (_, i) => q.seq(q.slotAt(i)));
}

test("entries keep queue order as others leave from anywhere; a full queue refuses", () => {
  const q = new RelayQueue(3, 4, NO_ARENA);
  for (const seq of [1, 2, 3]) assert.ok(q.add(body(seq), seq, false) >= 0);
  assert.is(q.add(body(4), 4, false), -1, "full");
  q.removeAt(1);
  assert.equal(seqsInOrder(q), [1, 3]);
  assert.ok(q.add(body(4), 4, true, 2) >= 0, "the freed slot is reused");
  assert.equal(seqsInOrder(q), [1, 3, 4]);
  assert.ok(q.isRepair(q.slotAt(2)));
  assert.not.ok(q.isRepair(q.slotAt(0)));
  assert.is(q.needed(q.slotAt(2)), 2);
  assert.is(q.needed(q.slotAt(0)), 1, "one neighbor missing it by default");
  q.removeAt(0);
  q.removeAt(1);
  assert.equal(seqsInOrder(q), [3]);
});

test("find matches origin and seq, first in queue order", () => {
  const q = new RelayQueue(4, 2, NO_ARENA);
  const a = q.add(body(7), 5, false);
  q.add(body(8), 5, false);
  const c = q.add(body(7), 6, false);
  assert.is(q.find(new Uint8Array(8).fill(7), 5), a);
  assert.is(q.find(new Uint8Array(8).fill(7), 6), c);
  assert.is(q.find(new Uint8Array(8).fill(9), 5), -1);
  assert.is(q.body(c)[0], 7);
});

test("each entry has its own miss row, zeroed when the slot is taken again; copies and fire times per entry", () => {
  const q = new RelayQueue(2, 3, NO_ARENA);
  const a = q.add(body(1), 1, false);
  const b = q.add(body(2), 2, false);
  q.miss.fill(255, q.missAt(a), q.missAt(a) + 3);
  assert.equal([...q.miss.subarray(q.missAt(b), q.missAt(b) + 3)], [0, 0, 0], "rows do not overlap");
  q.heardCopy(a);
  q.heardCopy(a);
  assert.is(q.copies(a), 2);
  assert.is(q.copies(b), 0);
  assert.is(q.earliest(), Infinity, "not scheduled yet");
  q.setFireAt(a, 50);
  q.setFireAt(b, 20);
  assert.is(q.earliest(), 20);
  q.removeAt(0);
  const c = q.add(body(3), 3, false);
  assert.is(c, a, "slot reused");
  assert.equal([...q.miss.subarray(q.missAt(c), q.missAt(c) + 3)], [0, 0, 0]);
  assert.is(q.copies(c), 0);
  assert.is(q.earliest(), 20);
});


test("bodies in the arena are held as runs of it; release copies out those meeting the bytes about to be written over, and only those", () => {
  const arena = new Uint8Array(64).fill(1).subarray(8);
  const q = new RelayQueue(4, 1, arena);
  const other = new Uint8Array(64).fill(2);
  const slots = [arena.subarray(0, 20), arena.subarray(20, 40), arena.subarray(40, 56), other.subarray(20, 40)].map((b, k) => q.add(b, k, false));
  q.release(10, 30);
  arena.fill(9);
  other.fill(9);
  assert.equal(slots.map((s) => q.body(s)[0]), [1, 1, 9, 9], "the runs meeting [10, 30) of the arena kept their bytes");
  assert.is(q.find(new Uint8Array(8).fill(9), 2), slots[2], "a run is read where it lies");
});

test("earliest() is the smallest fire time of the live entries through adds, moves and removals", () => {
  const q = new RelayQueue(6, 2, NO_ARENA);
  let state = 12345;
  const draw = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const scan = (): number => {
    let t = Infinity;
    for (let i = 0; i < q.length; i++) t = Math.min(t, q.fireAt(q.slotAt(i)));
    return t;
  };
  assert.is(q.earliest(), Infinity, "empty");
  for (let step = 0; step < 2000; step++) {
    const op = draw(3);
    if (op === 0 && q.length < q.capacity) {
      const slot = q.add(body(step & 255), step, false);
      // Ties are common: equal times must survive the removal of one of them.
      if (draw(2) === 0) q.setFireAt(slot, draw(20));
    } else if (op === 1 && q.length > 0) {
      q.setFireAt(q.slotAt(draw(q.length)), draw(20));
    } else if (q.length > 0) {
      q.removeAt(draw(q.length));
    }
    assert.is(q.earliest(), scan(), `step ${step}`);
  }
});

test.run();
