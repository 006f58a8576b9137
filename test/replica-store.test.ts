/**
 * The storage a node lends its neighbors (forward/replica-store.ts): the caps per borrower and in
 * all, the eviction of a stale borrower, the readings coming back byte for byte after the lender
 * reboots, CONFIRMs and pulls, and the origin's side (UnsentStore: what to lend, what counts as lost).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PER_BORROWER, READINGS_PER_ROW, ReplicaStore, STALE_MS } from "../modules/forward/replica-store.js";
import { CHUNK_ENTRIES, UnsentStore } from "../modules/feed/unsent-store.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

const id = (n: number): Uint8Array => new Uint8Array(8).fill(n);
const HOME = id(0xee);
const reading = (seq: number): Uint8Array => new Uint8Array(4 + 33).fill(seq & 0xff);

/** Every due reading, as "origin:seq" (origin's first byte), marking them handed on at `now`. */
function due(store: ReplicaStore, now: number, afterMs = 60_000): string[] {
  const out: string[] = [];
  store.due(now, afterMs, (origin, home, seq, payload) => {
    assert.equal(home, HOME);
    assert.equal(payload, reading(seq), "a replica comes back byte for byte");
    out.push(`${origin[0]}:${seq}`);
    return true;
  });
  return out;
}

test("replica store: PER_BORROWER readings of one borrower, capacity / READINGS_PER_ROW borrowers, capacity in all; beyond, refused", () => {
  const storage = new MemoryStorage();
  const capacity = PER_BORROWER + 2 * READINGS_PER_ROW;
  const store = new ReplicaStore(storage, capacity);
  for (let seq = 1; seq <= PER_BORROWER; seq++) assert.ok(store.add(id(1), HOME, seq, reading(seq), 0));
  assert.not.ok(store.add(id(1), HOME, PER_BORROWER + 1, reading(PER_BORROWER + 1), 0), "over its quota: refused");
  assert.ok(store.add(id(1), HOME, 3, reading(3), 0), "one already held is taken again (its ACK was lost)");
  for (let seq = 1; seq <= 2 * READINGS_PER_ROW; seq++) assert.ok(store.add(id(2 + (seq % 2)), HOME, seq, reading(seq), 0));
  assert.is(store.size, capacity);
  assert.not.ok(store.add(id(2), HOME, 99, reading(99), 0), "the store is full");
  store.confirm(id(3), 2 * READINGS_PER_ROW);
  assert.is(store.heldFor(id(3)), 0);
  for (let n = 4; n < 4 + capacity / READINGS_PER_ROW - 2; n++) assert.ok(store.add(id(n), HOME, 1, reading(1), 0), `borrower ${n}`);
  assert.not.ok(store.add(id(99), HOME, 1, reading(1), 1000), "every borrower row is taken");
  assert.is(store.refused, 3);
  assert.equal([store.heldFor(id(1)), store.heldFor(id(2)), store.heldFor(id(99))], [PER_BORROWER, READINGS_PER_ROW, 0]);
});

test("replica store: a borrower silent for STALE_MS gives its row up to a new one, its readings counted", () => {
  const store = new ReplicaStore(new MemoryStorage(), READINGS_PER_ROW);
  assert.ok(store.add(id(1), HOME, 1, reading(1), 0));
  assert.ok(store.add(id(1), HOME, 2, reading(2), 5000));
  assert.not.ok(store.add(id(2), HOME, 1, reading(1), 5000 + STALE_MS - 1), "not stale yet");
  assert.ok(store.add(id(2), HOME, 1, reading(1), 5000 + STALE_MS));
  assert.is(store.evicted, 2);
  assert.equal([store.heldFor(id(1)), store.heldFor(id(2))], [0, 1]);
});

test("replica store: survives the lender's reboot; CONFIRMs drop what they cover, pulls make readings due", () => {
  const storage = new MemoryStorage();
  const store = new ReplicaStore(storage, 2 * READINGS_PER_ROW);
  for (const seq of [4, 5, 6]) store.add(id(1), HOME, seq, reading(seq), 0);
  store.add(id(2), HOME, 9, reading(9), 0);
  assert.equal(due(store, 10), ["1:4", "1:5", "1:6", "2:9"], "all due at once, read back from storage");
  assert.equal(due(store, 20), [], "handed on: not due again before afterMs");
  assert.is(store.nextDue(60_000), 60_010);

  const rebooted = new ReplicaStore(storage, 2 * READINGS_PER_ROW);
  assert.is(rebooted.size, 4, "the readings outlive the lender's RAM");
  assert.equal(due(rebooted, 0), ["1:4", "1:5", "1:6", "2:9"], "and go out again after boot");
  rebooted.confirm(id(1), 5);
  assert.equal(rebooted.heldFor(id(1)), 1);
  assert.not.ok(rebooted.pull(id(1), 1, 5), "nothing left of a confirmed range");
  assert.ok(rebooted.pull(id(1), 6, 8));
  assert.equal(due(rebooted, 10), ["1:6"], "pulled: due at once, not after afterMs");
  rebooted.confirm(id(1), 6);
  assert.ok(rebooted.add(id(3), HOME, 1, reading(1), 20), "a slot emptied by CONFIRMs is free again");
  assert.is(new ReplicaStore(storage, 2 * READINGS_PER_ROW).size, 2, "and the confirmed readings are gone from storage too");
});

test("replica store: a torn slot keeps its whole readings; capacity must be a multiple of READINGS_PER_ROW", () => {
  const storage = new MemoryStorage();
  const store = new ReplicaStore(storage, READINGS_PER_ROW);
  for (const seq of [1, 2]) store.add(id(1), HOME, seq, reading(seq), 0);
  storage.set("rp0", storage.get("rp0")!.subarray(0, 16 + 6 + 37 + 10));
  assert.equal(due(new ReplicaStore(storage, READINGS_PER_ROW), 0), ["1:1"]);
  assert.throws(() => new ReplicaStore(storage, READINGS_PER_ROW + 1), RangeError);
});

test("unsent store: the readings the next ones would overwrite unconfirmed are the ones to lend; lent ones are not lost", () => {
  const store = new UnsentStore(new MemoryStorage(), 2 * CHUNK_ENTRIES);
  const bytes = new Uint8Array(10);
  for (let seq = 1; seq <= 2 * CHUNK_ENTRIES - 16; seq++) store.add(seq, bytes);
  assert.is(store.doomedThrough(16), 0, "16 more still fit");
  store.add(2 * CHUNK_ENTRIES - 15, bytes);
  assert.is(store.doomedThrough(16), CHUNK_ENTRIES, "the oldest chunk would be reused");
  store.confirm(CHUNK_ENTRIES);
  assert.is(store.doomedThrough(16), 0, "unless it is confirmed");
  const full = new UnsentStore(new MemoryStorage(), CHUNK_ENTRIES);
  for (let seq = 1; seq <= CHUNK_ENTRIES; seq++) full.add(seq, bytes);
  full.add(CHUNK_ENTRIES + 1, bytes, 40);
  assert.is(full.lost, CHUNK_ENTRIES - 40, "readings up to 40 are held by a lender");
});

test.run();
