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
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createNodeConfig } from "../modules/config.js";
import { StoreAndForward, type ForwardContext } from "../modules/forward/store-and-forward.js";
import { checkAck, checkDataHop, DataKind, decodeData, encodeData, newDataView } from "../modules/wire/data.js";
import { WireError } from "../modules/wire/errors.js";
import { RecordType } from "../modules/wire/records.js";

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

test("replica store: a full borrower's refused lend still re-homes its readings, through a reboot; a lend with no home does not", () => {
  // Kept addressed to the home their origin left (maybe gone for good), a full row took no lend to
  // learn the new one from: in test/changing-home.test.ts its readings reached no gateway, ever.
  const storage = new MemoryStorage();
  const store = new ReplicaStore(storage, PER_BORROWER);
  for (let seq = 1; seq <= PER_BORROWER; seq++) assert.ok(store.add(id(1), id(0xaa), seq, reading(seq), 0));
  assert.not.ok(store.add(id(1), id(0xbb), PER_BORROWER + 1, reading(PER_BORROWER + 1), 0));
  assert.not.ok(store.add(id(1), new Uint8Array(8), PER_BORROWER + 2, reading(PER_BORROWER + 2), 0));
  const homes = (s: ReplicaStore): number[] => {
    const out: number[] = [];
    s.due(0, 0, (_origin, home) => out.push(home[0]) > 0);
    return [...new Set(out)];
  };
  assert.equal(homes(store), [0xbb]);
  assert.equal(homes(new ReplicaStore(storage, PER_BORROWER)), [0xbb], "kept in storage");
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

test("replica store: pulled readings go before every other reading due, whatever their row", () => {
  // A lender after a partition (30 nodes, seed 42) held 128 readings of several origins and drained
  // them row by row, half a custody queue at a time: the pulled gap, in its last row, went out after
  // its origin had written it off (confirmAfterMs after the first pull).
  const store = new ReplicaStore(new MemoryStorage(), 4 * READINGS_PER_ROW);
  for (let seq = 1; seq <= 8; seq++) store.add(id(1), HOME, seq, reading(seq), 0);
  for (let seq = 1; seq <= 8; seq++) store.add(id(2), HOME, seq, reading(seq), 0);
  for (const seq of [6, 7, 8]) store.add(id(3), HOME, seq, reading(seq), 0);
  assert.ok(store.pull(id(3), 6, 7));
  const firstFour: string[] = [];
  store.due(0, 60_000, (origin, _home, seq) => firstFour.length < 4 && firstFour.push(`${origin[0]}:${seq}`) > 0);
  assert.equal(firstFour, ["3:6", "3:7", "1:1", "1:2"], "the pulled ones first, then the others in order, while there is room");
  assert.equal(due(store, 1000), ["1:3", "1:4", "1:5", "1:6", "1:7", "1:8", ...[1, 2, 3, 4, 5, 6, 7, 8].map((s) => `2:${s}`), "3:8"], "the rest next time");
  assert.equal(due(store, 2000), [], "handed on: none due before afterMs");
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
  assert.ok(store.holds(1) && store.holds(2 * CHUNK_ENTRIES - 15));
  assert.not.ok(store.holds(2 * CHUNK_ENTRIES - 14), "not taken yet");
  store.confirm(CHUNK_ENTRIES);
  assert.is(store.doomedThrough(16), 0, "unless it is confirmed");
  assert.not.ok(store.holds(CHUNK_ENTRIES), "confirmed");
  assert.ok(store.holds(CHUNK_ENTRIES + 1));
  const full = new UnsentStore(new MemoryStorage(), CHUNK_ENTRIES);
  for (let seq = 1; seq <= CHUNK_ENTRIES; seq++) full.add(seq, bytes);
  full.add(CHUNK_ENTRIES + 1, bytes, CHUNK_ENTRIES - 6);
  assert.is(full.lost, 6, "the readings below the last 6 are held by a lender");
});

/** A lender alone with one neighbor (slot 0, the borrower), recording what it sends and drops. */
function lender(replicaCapacity: number): { forward: StoreAndForward; sent: { type: RecordType; body: Uint8Array }[]; drops: WireError[] } {
  const sent: { type: RecordType; body: Uint8Array }[] = [];
  const drops: WireError[] = [];
  const ctx = {
    id: id(7), isGateway: false,
    nextHopToward: () => -1, nextHopToNode: () => -1, nearestGatewayId: () => null, trustedGatewayId: () => null, isRevoked: () => false, broadcastHandover() {}, hasNeighbor: (slot: number) => slot === 0,
    lenderSlot: () => 0, neighborId: (slot: number) => (slot === 0 ? id(1) : null),
    sendTo: (_slot: number, type: RecordType, body: Uint8Array) => void sent.push({ type, body }),
    drop: (reason: WireError) => void drops.push(reason),
    onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, emit() {}, readingResent() {}, judge() {}, onHealthReport() {}, admitOrigin: () => null,
    admitGateway: () => null, knownPublicKey: () => null, slotOf: () => -1,
  } satisfies ForwardContext;
  const forward = new StoreAndForward(ctx, nodeCrypto, new MemoryStorage(), new Uint8Array(64), new Uint8Array(0), { ...createNodeConfig(), replicaCapacity });
  return { forward, sent, drops };
}

/**
 * Origin id(1)'s lend of `seq`, from the neighbor in slot `from` (id(from + 1)) to lender id(7), judged
 * as node.ts judges it: one checkDataHop refuses is dropped (counted in `drops`) and never applied.
 */
function lend(forward: StoreAndForward, destination: Uint8Array, seq: number, hops = 0, from = 0, drops: WireError[] = []): void {
  const view = newDataView();
  const payload = new Uint8Array(8 + 4 + 8 + 33);
  payload.set(HOME, 0);
  payload[11] = 1;
  const body = encodeData(id(1), destination, DataKind.Lend, hops, seq, payload);
  assert.is(decodeData(body, view), WireError.None);
  const hop = checkDataHop(body, id(7), id(from + 1));
  if (hop !== WireError.None) return void drops.push(hop);
  forward.onData(view, from, 1000);
  forward.flushAcks();
}

test("a lender ACKs the lends it keeps, stays silent past its quota, and drops (and counts) a lend meant for another node", () => {
  const { forward, sent, drops } = lender(READINGS_PER_ROW);
  for (let seq = 1; seq <= READINGS_PER_ROW + 1; seq++) lend(forward, id(7), seq);
  const acks = sent.filter((r) => r.type === RecordType.Ack);
  assert.is(acks.length, READINGS_PER_ROW, "one ACK per lend kept, none for the one past the quota");
  assert.ok(acks.every((r) => checkAck(r.body) === WireError.None && r.body[1 + 8] === DataKind.Lend));
  assert.is(forward.replicasHeld, READINGS_PER_ROW);
  lend(forward, id(8), 99, 0, 0, drops);
  assert.equal(drops, [WireError.BadField], "a lend for another node goes no further");
  assert.is(forward.replicasHeld, READINGS_PER_ROW);
  const alone = lender(0);
  lend(alone.forward, id(7), 1);
  assert.is(alone.sent.length, 0, "a node lending no storage ACKs no lend");
});

test("a lend in another origin's name is dropped (bad-field): neither kept nor ACKed, so it can neither fill nor re-home that origin's row", () => {
  // A lend goes one hop, from its origin. Kept from anyone, a neighbor could fill an origin's quota
  // with junk, or, now that a refused lend re-homes the row, send its replicas to any gateway id.
  const { forward, sent, drops } = lender(READINGS_PER_ROW);
  lend(forward, id(7), 1, 0, 1, drops);
  assert.equal([forward.replicasHeld, sent.length, drops], [0, 0, [WireError.BadField]]);
  lend(forward, id(7), 1);
  assert.is(forward.replicasHeld, 1, "from the origin in person: kept");
});

test("an origin that changed home lends its readings naming the previous home, as its own entries do", () => {
  const sent: { type: RecordType; body: Uint8Array }[] = [];
  const storage = new MemoryStorage();
  storage.set("fhome", HOME);
  storage.set("fprev", id(2));
  const ctx = {
    id: id(1), isGateway: false,
    nextHopToward: () => -1, nextHopToNode: () => -1, nearestGatewayId: () => HOME, trustedGatewayId: () => HOME, isRevoked: () => false, broadcastHandover() {}, hasNeighbor: (slot: number) => slot === 0,
    lenderSlot: () => 0, neighborId: (slot: number) => (slot === 0 ? id(7) : null),
    sendTo: (_slot: number, type: RecordType, body: Uint8Array) => void sent.push({ type, body }),
    drop() {}, onDirectMessage() {}, messageUnroutable() {}, onCommandAck() {}, emit() {}, readingResent() {}, judge() {}, onHealthReport() {}, admitOrigin: () => null,
    admitGateway: () => null, knownPublicKey: () => null, slotOf: () => -1,
  } satisfies ForwardContext;
  const forward = new StoreAndForward(ctx, nodeCrypto, storage, new Uint8Array(64), new Uint8Array(0), { ...createNodeConfig(), unsentCapacity: 64 });
  forward.start(0);
  // No route: every reading stays unconfirmed, and those the next ones would overwrite are lent.
  for (let k = 1; k <= 40; k++) {
    forward.publishReading("t", k, k, k * 1000);
    forward.tick(k * 1000);
  }
  const view = newDataView();
  const lends = sent.filter((r) => r.type === RecordType.Data && decodeData(r.body, view) === WireError.None && view.kind === DataKind.Lend);
  assert.ok(lends.length > 0, "readings were lent");
  for (const r of lends) {
    decodeData(r.body, view);
    assert.equal(view.payload.subarray(0, 8), HOME, "the home it is for");
    assert.equal(view.payload.subarray(view.payload.length - 8), id(2), "the previous home, last");
  }
});

test.run();
