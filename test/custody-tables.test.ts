/**
 * The store-and-forward tables a custodian holds in RAM: the custody queue and the reverse routes.
 * Both are flat and bounded; these check the caps, the eviction and refusal rules, and that an item
 * comes back out byte for byte as it went in.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CustodyQueue } from "../modules/forward/custody-queue.js";
import { ReverseRoutes } from "../modules/forward/reverse-routes.js";
import { DataKind, decodeData, encodeData, MAX_DATA_PAYLOAD, newDataView } from "../modules/wire/data.js";

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n);

test("custody queue: refuses past its cap, keeps arrival order, removes by row", () => {
  const q = new CustodyQueue(3);
  for (let seq = 1; seq <= 3; seq++) assert.ok(q.add(id(seq), id(9), DataKind.Entry, seq, 2, new Uint8Array([seq]), 100));
  assert.ok(q.full);
  assert.not.ok(q.add(id(4), id(9), DataKind.Entry, 4, 2, new Uint8Array(1), 100), "a full queue refuses custody");
  assert.is(q.size, 3);
  const second = q.find(id(2), DataKind.Entry, 2);
  assert.is(q.find(id(2), DataKind.Checkpoint, 2), -1, "kind is part of the key");
  assert.is(q.find(id(2), DataKind.Entry, 3), -1, "seq is part of the key");
  q.remove(second);
  assert.equal([0, 1].map((i) => q.seq(q.at(i))), [1, 3], "the others keep their order");
  assert.ok(q.add(id(5), id(9), DataKind.Entry, 5, 0, new Uint8Array(0), 100), "the freed row is reused");
  assert.equal([0, 1, 2].map((i) => q.seq(q.at(i))), [1, 3, 5], "a new item goes last");
});

test("custody queue: an item's body is the DATA record it arrived as, destination chosen later for own items", () => {
  const q = new CustodyQueue(2);
  const payload = new Uint8Array(MAX_DATA_PAYLOAD).map((_, i) => i);
  assert.ok(q.add(id(1), id(7), DataKind.Entry, 42, 5, payload, 0));
  const row = q.find(id(1), DataKind.Entry, 42);
  assert.equal(q.body(row), encodeData(id(1), id(7), DataKind.Entry, 5, 42, payload));
  const view = newDataView();
  assert.is(decodeData(q.body(row), view), 0);
  assert.is(view.hops, 5);

  assert.ok(q.add(id(2), null, DataKind.Checkpoint, 3, 0, new Uint8Array(4), 0));
  const own = q.find(id(2), DataKind.Checkpoint, 3);
  assert.is(q.destination(own), null, "not routed until it leaves");
  q.setDestination(own, id(8));
  assert.equal(q.destination(own), id(8));
  assert.throws(() => new CustodyQueue(1).add(id(1), null, DataKind.Entry, 1, 0, new Uint8Array(MAX_DATA_PAYLOAD + 1), 0), RangeError);
});

test("custody queue: an ACK only counts from the neighbor the item was sent to; backoff doubles to its ceiling", () => {
  const q = new CustodyQueue(1);
  q.add(id(1), id(7), DataKind.Entry, 1, 0, new Uint8Array(0), 0);
  const row = q.find(id(1), DataKind.Entry, 1);
  assert.is(q.nextDeadline(), 0);
  const waits: number[] = [];
  for (let k = 0, now = 0; k < 8; k++) {
    q.sent(row, 4, now);
    waits.push(q.nextTryAt(row) - now);
    now = q.nextTryAt(row);
  }
  assert.equal(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.is(q.acknowledged(3, id(1), DataKind.Entry, 1), -1, "another neighbor's ACK is not custody taken");
  assert.is(q.acknowledged(4, id(1), DataKind.Entry, 1), row);
  assert.is(q.size, 0);
  assert.is(q.nextDeadline(), Infinity);
});

test("reverse routes: bounded, the least recently learned origin forgotten first", () => {
  const r = new ReverseRoutes(3);
  r.learn(id(1), 10, 1);
  r.learn(id(2), 20, 1);
  r.learn(id(3), 30, 1);
  r.learn(id(1), 11, 2); // learned again: now the most recent
  r.learn(id(4), 40, 1); // evicts 2
  assert.equal([1, 2, 3, 4].map((n) => r.get(id(n))), [11, -1, 30, 40]);
  assert.is(r.get(id(0)), -1, "an all-zero id is not an empty row");
  r.learn(id(5), 50, 0); // evicts 3, the least recently learned now that 2 is gone
  r.learn(id(1), 12, 0);
  r.learn(id(6), 60, 0); // evicts 4: 1 was learned again
  assert.equal([1, 3, 4, 5, 6].map((n) => r.get(id(n))), [12, -1, -1, 50, 60]);
});

test("reverse routes: a CONFIRM handed back again takes the way before every second time, while the last way brought only entries past it", () => {
  const r = new ReverseRoutes(2);
  r.learn(id(1), 10, 5);
  assert.equal([1, 2, 3].map(() => r.wayBack(id(1), 4, true)), [10, 10, 10], "one way known: always it");
  r.learn(id(1), 11, 7);
  r.learn(id(1), 11, 0); // another item the same way: the way before stays 10
  assert.equal([1, 2, 3, 4].map(() => r.wayBack(id(1), 5, true)), [11, 10, 11, 10], "CONFIRM 5 still needed, 7 came the last way: alternating");
  assert.is(r.wayBack(id(1), 5, false), 10, "a retry of the same copy keeps its way");
  assert.is(r.wayBack(id(1), 7, true), 11, "a new CONFIRM: the last way");
  assert.equal([1, 2].map(() => r.wayBack(id(1), 7, true)), [11, 11], "CONFIRM 7 covers what came the last way: it stays there");
  r.learn(id(1), 12, 6);
  r.learn(id(1), 12, 4); // a resend CONFIRM 5 covers came the new last way
  assert.equal([1, 2].map(() => r.wayBack(id(1), 5, true)), [12, 12], "its custodians wait for CONFIRM 5 that way");
  r.learn(id(2), 20, 1);
  r.learn(id(3), 30, 1); // evicts 1
  assert.is(r.wayBack(id(1), 6, true), -1);
  r.learn(id(1), 13, 9);
  assert.equal([1, 2].map(() => r.wayBack(id(1), 6, true)), [13, 13], "a row reused starts afresh: no way before, no CONFIRM handed back");
});

test.run();
