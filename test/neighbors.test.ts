/** Link-quality arithmetic and the neighbor table. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../modules/bytes.js";
import {
  BEACON_WINDOW, etx, popcount16, receptionRatio, recordBeacon, toQualityByte,
} from "../modules/neighbors/link-quality.js";
import {
  EVICT_BELOW, EVICT_SETTLED_BELOW, NeighborTable, REPLACE_SPACING_MS, SETTLED_MS, type Neighbor,
} from "../modules/neighbors/neighbor-table.js";
import { WireError } from "../modules/wire/errors.js";
import { decodeHello, encodeHello, newHelloView, type HelloNeighbor, type HelloView } from "../modules/wire/hello.js";
import { testId } from "./helpers/prng.js";

// ======================================== link quality

test("popcount16: table and exhaustive check against a naive count", () => {
  const table: [number, number][] = [[0, 0], [1, 1], [0x8000, 1], [0x8001, 2], [0xaaaa, 8], [0x5555, 8],
    [0x0f0f, 8], [0xff00, 8], [0xffff, 16], [0x7fff, 15], [0x1234, 5]];
  for (const [x, n] of table) assert.is(popcount16(x), n, `popcount16(0x${x.toString(16)})`);
  for (let x = 0; x <= 0xffff; x++) {
    let n = 0;
    for (let v = x; v; v >>>= 1) n += v & 1;
    if (popcount16(x) !== n) assert.unreachable(`popcount16(0x${x.toString(16)}) = ${popcount16(x)}, want ${n}`);
  }
});

test("recordBeacon: shifts by the advance and marks the newest slot; ≥ 16 restarts", () => {
  assert.is(BEACON_WINDOW, 16);
  const table: [number, number, number][] = [
    [0b1, 1, 0b11],
    [0b1, 2, 0b101],
    [0b1011, 1, 0b10111],
    [0b1011, 3, 0b1011001],
    [0xffff, 1, 0xffff],           // the oldest slot falls off
    [0x8000, 1, 0x0001],
    [0x0001, 15, 0x8001],          // the old newest slot is now the oldest
    [0xffff, 15, 0x8001],
    [0xffff, 16, 0x0001],
    [0x0001, 16, 0x0001],
    [0xffff, 17, 0x0001],
    [0xffff, 1000, 0x0001],
    [0xffff, 65535, 0x0001],
  ];
  for (const [bits, advance, want] of table) {
    assert.is(recordBeacon(bits, advance), want, `recordBeacon(0b${bits.toString(2)}, ${advance})`);
  }
});

test("receptionRatio: heard over observed, counting silent slots as missed", () => {
  const table: [number, number, number, number][] = [
    // bits, span, silentSlots → ratio
    [0b1, 1, 0, 1],
    [0b1, 1, 1, 1 / 2],
    [0b1, 1, 2, 1 / 3],
    [0b11, 2, 0, 1],
    [0b101, 3, 0, 2 / 3],
    [0b10000000001, 11, 0, 2 / 11],
    [0xffff, 16, 0, 1],
    [0xffff, 16, 1, 15 / 16],
    [0xffff, 16, 4, 12 / 16],
    [0xffff, 16, 15, 1 / 16],
    [0xffff, 16, 16, 0],
    [0xffff, 16, 100, 0],
    [0x0001, 16, 0, 1 / 16],
    [0x8001, 16, 1, 1 / 16],       // the oldest heard slot slides out
    [0b1, 1, 15, 1 / 16],
    [0, 0, 0, 0],                  // nothing observed yet
  ];
  for (const [bits, span, silent, want] of table) {
    const got = receptionRatio(bits, span, silent);
    assert.ok(Math.abs(got - want) < 1e-12, `receptionRatio(0b${bits.toString(2)}, ${span}, ${silent}) = ${got}, want ${want}`);
  }
});

test("etx: 1 / (forward × reverse); Infinity when a direction is 0", () => {
  assert.is(etx(1, 1), 1);
  assert.is(etx(0.5, 0.5), 4);
  assert.is(etx(0.5, 1), 2);
  assert.ok(Math.abs(etx(0.8, 0.25) - 5) < 1e-12);
  assert.is(etx(0, 1), Infinity);
  assert.is(etx(1, 0), Infinity);
  assert.is(etx(0, 0), Infinity);
});

test("toQualityByte: rounds to 0..255 and clamps", () => {
  const table: [number, number][] = [[0, 0], [1, 255], [0.5, 128], [1 / 255, 1], [0.001, 0], [254.4 / 255, 254],
    [-0.5, 0], [-Infinity, 0], [1.0001, 255], [2, 255], [Infinity, 255]];
  for (const [ratio, want] of table) assert.is(toQualityByte(ratio), want, `toQualityByte(${ratio})`);
});

// ======================================== neighbor table

const SELF = testId(0xffff);
const INTERVAL = 1000;

function hello(beaconSeq: number, list: HelloNeighbor[] = [], intervalMs = INTERVAL): HelloView {
  const view = newHelloView();
  assert.is(decodeHello(encodeHello(beaconSeq, intervalMs, 0, null, list), view), WireError.None);
  return view;
}

function admit(table: NeighborTable, n: number, now = 0, beaconSeq = 0, intervalMs = INTERVAL) {
  const id = testId(n);
  return table.admit(id, toHex(id), `link-${n}`, 0, beaconSeq, intervalMs, now);
}

function row(table: NeighborTable, n: number): Neighbor {
  const r = table.get(toHex(testId(n)));
  assert.ok(r, `neighbor ${n} in the table`);
  return r!;
}

test("table: constructor bounds", () => {
  for (const c of [0, 33, -1]) assert.throws(() => new NeighborTable(c, 3), (e: unknown) => e instanceof RangeError, `capacity ${c}`);
  assert.is(new NeighborTable(1, 3).capacity, 1);
  assert.is(new NeighborTable(32, 3).capacity, 32);
});

test("table: admits up to capacity, each in its own slot, id copied", () => {
  const table = new NeighborTable(4, 3);
  const slots = new Set<number>();
  for (let n = 1; n <= 4; n++) {
    const id = testId(n);
    const r = table.admit(id, toHex(id), null, 2, 10, INTERVAL, 0);
    assert.ok(r);
    assert.is(r!.evicted, null);
    slots.add(r!.neighbor.slot);
    id.fill(0); // the table must have copied it
    assert.equal(r!.neighbor.id, testId(n));
    assert.is(table.size, n);
    assert.is(table.bySlot(r!.neighbor.slot), r!.neighbor);
  }
  assert.equal([...slots].sort(), [0, 1, 2, 3]);
  assert.is([...table].length, 4);
  const fresh = row(table, 2);
  assert.is(fresh.reception(0), 1);
  assert.is(fresh.hearsUs, 0);
  assert.is(fresh.adjacency, 0);
  assert.is(fresh.etx(0), Infinity, "no reverse direction known yet");
  const probe = new Uint8Array(12);
  probe.set(testId(3), 4);
  assert.is(table.findAt(probe, 4), row(table, 3));
  assert.is(table.findAt(new Uint8Array(12), 4), undefined);
  assert.is(table.get("nope"), undefined);
});

test("table: full of good links refuses a newcomer", () => {
  const table = new NeighborTable(3, 3);
  for (let n = 1; n <= 3; n++) assert.ok(admit(table, n));
  assert.is(admit(table, 4), null);
  assert.is(table.size, 3);
  assert.is(table.get(toHex(testId(4))), undefined);
});

/** Beacon rounds 1..rounds at INTERVAL spacing; `hears(n, k)` says whether round k of row n arrives. */
function beaconRounds(table: NeighborTable, rows: number[], rounds: number, hears: (n: number, k: number) => boolean): number {
  for (let k = 1; k <= rounds; k++) {
    for (const n of rows) if (hears(n, k)) table.heard(row(table, n), hello(k), SELF, `link-${n}`, k * INTERVAL);
  }
  return rounds * INTERVAL;
}

test("table: full, a row that misses beacons (< 0.5) is replaced by a newcomer in its slot", () => {
  const table = new NeighborTable(3, 3);
  for (let n = 1; n <= 3; n++) admit(table, n);
  const b = row(table, 2);
  // Ten beacon rounds; B's first nine are lost, so its round-10 HELLO skips from sequence 0 to 10.
  const now = beaconRounds(table, [1, 2, 3], 10, (n, k) => n !== 2 || k === 10);
  assert.is(b.bits, (1 << 10) | 1);
  assert.ok(Math.abs(b.reception(now) - 2 / 11) < 1e-12);
  assert.ok(b.reception(now) < EVICT_BELOW);
  assert.is(row(table, 1).reception(now), 1);
  const r = admit(table, 4, now);
  assert.ok(r, "admitted");
  assert.is(r!.evicted, b);
  assert.is(r!.neighbor.slot, b.slot);
  assert.is(table.size, 3);
  assert.is(table.get(toHex(testId(2))), undefined);
  assert.is(table.bySlot(b.slot), r!.neighbor);
});

test("table: when several rows are below 0.5 the worst goes", () => {
  const table = new NeighborTable(3, 3);
  for (let n = 1; n <= 3; n++) admit(table, n);
  // Row 1 is heard in rounds 5 and 10 (3 of 11 slots), row 3 only in round 10 (2 of 11).
  const now = beaconRounds(table, [1, 2, 3], 10, (n, k) => n === 2 || k === 10 || (n === 1 && k === 5));
  assert.ok(Math.abs(row(table, 1).reception(now) - 3 / 11) < 1e-12);
  assert.ok(Math.abs(row(table, 3).reception(now) - 2 / 11) < 1e-12);
  const r = admit(table, 4, now);
  assert.is(r!.evicted!.idHex, toHex(testId(3)));
  assert.ok(table.get(toHex(testId(1))), "the better bad row stays");
});

test("table: a burst of newcomers fills at most half the rows while settled neighbors exist; a boot takes everyone", () => {
  const boot = new NeighborTable(8, 3);
  for (let n = 1; n <= 8; n++) assert.ok(admit(boot, n, 0), `boot: ${n} admitted`);

  const table = new NeighborTable(8, 3);
  for (const n of [1, 2]) admit(table, n, 0);
  const settled = beaconRounds(table, [1, 2], SETTLED_MS / INTERVAL, () => true);
  const admitted = [3, 4, 5, 6, 7, 8].filter((n) => admit(table, n, settled + n) !== null);
  assert.equal(admitted, [3, 4, 5, 6], "newcomers stop at half the table (4 of 8)");
  assert.is(table.size, 6);
  // Once the first newcomers have settled, room opens again.
  const later = beaconRounds(table, [1, 2, 3, 4, 5, 6], SETTLED_MS / INTERVAL + 1, () => true) + settled;
  assert.ok(admit(table, 7, later), "admitted after the burst settled");
});

test("table: full, at most one replacement per spacing; a settled row survives a fade a newcomer would not", () => {
  const table = new NeighborTable(4, 3);
  for (let n = 1; n <= 4; n++) admit(table, n, 0);
  // Rows 1–4 heard every beacon for a minute, then rows 2 and 3 fade to 40% for the next twenty.
  const rounds = SETTLED_MS / INTERVAL;
  let now = beaconRounds(table, [1, 2, 3, 4], rounds, () => true);
  for (let k = rounds + 1; k <= rounds + 20; k++) {
    for (const n of [1, 2, 3, 4]) if (n === 1 || n === 4 || k % 5 < 2) table.heard(row(table, n), hello(k), SELF, `link-${n}`, k * INTERVAL);
  }
  now = (rounds + 20) * INTERVAL;
  const faded = row(table, 2).reception(now);
  assert.ok(faded < EVICT_BELOW && faded >= EVICT_SETTLED_BELOW, `row 2 at ${faded}`);
  assert.is(admit(table, 5, now), null, "a settled row below 0.5 but above 0.25 keeps its place");
  // Rows 2 and 3 go silent: both are now below 0.25, yet only one is replaced per spacing.
  now += 10 * INTERVAL;
  assert.ok(row(table, 2).reception(now) < EVICT_SETTLED_BELOW && row(table, 3).reception(now) < EVICT_SETTLED_BELOW);
  assert.ok(admit(table, 5, now), "the first newcomer replaces a silent settled row");
  assert.is(admit(table, 6, now + 1), null, "a second replacement waits");
  assert.ok(admit(table, 6, now + REPLACE_SPACING_MS), "and comes after the spacing");
  for (const n of [1, 4, 6]) row(table, n); // the steady rows stay; 6 is in
  assert.is(table.size, 4);
});

test("table: a row at exactly 0.5 is not evicted; silence below 0.5 is", () => {
  const table = new NeighborTable(3, 3);
  for (let n = 1; n <= 3; n++) admit(table, n, 0);
  // Rows 1 and 3 beacon again at t = 1000; row 2 stays silent: 1 of 2 slots at t = 1000.
  table.heard(row(table, 1), hello(1), SELF, null, 1000);
  table.heard(row(table, 3), hello(1), SELF, null, 1000);
  assert.is(row(table, 2).reception(1000), 0.5);
  assert.is(admit(table, 4, 1000), null);
  // By t = 2000, row 2 has 1 of 3 slots; rows 1 and 3 have 2 of 3 (0.67).
  assert.ok(Math.abs(row(table, 2).reception(2000) - 1 / 3) < 1e-12);
  const r = admit(table, 4, 2000);
  assert.is(r!.evicted!.idHex, toHex(testId(2)));
});

test("table: heard updates bitmap, sequence (wrapping), interval, time and link", () => {
  const table = new NeighborTable(4, 3);
  admit(table, 1, 0, 0xfffe);
  const a = row(table, 1);
  table.heard(a, hello(0xffff, [], 2000), SELF, "new-link", 500);
  assert.is(a.bits, 0b11);
  assert.is(a.span, 2);
  table.heard(a, hello(0x0001, [], 2000), SELF, "new-link", 1500); // wraps: advance 2
  assert.is(a.bits, 0b1101);
  assert.is(a.span, 4);
  assert.is(a.lastBeaconSeq, 1);
  assert.is(a.lastHeardAt, 1500);
  assert.is(a.intervalMs, 2000);
  assert.is(a.link, "new-link");
  assert.ok(Math.abs(a.reception(1500) - 3 / 4) < 1e-12);
  // The same sequence again (a duplicate beacon) does not move the bitmap.
  table.heard(a, hello(0x0001, [], 2000), SELF, "new-link", 1600);
  assert.is(a.bits, 0b1101);
  assert.is(a.span, 4);
  // Span caps at the window.
  for (let s = 2; s < 40; s++) table.heard(a, hello(s, [], 2000), SELF, null, 2000 * s);
  assert.is(a.span, BEACON_WINDOW);
  assert.is(a.bits, 0xffff);
});

test("table: heard sets hearsUs from our own entry, adjacency from listed ids in our table", () => {
  const table = new NeighborTable(8, 3);
  for (let n = 1; n <= 4; n++) admit(table, n);
  const [a, b, c, d] = [1, 2, 3, 4].map((n) => row(table, n));
  table.heard(a, hello(1, [
    { id: testId(99), quality: 50 }, // not in our table: ignored
    { id: testId(2), quality: 100 },
    { id: SELF, quality: 200 },
    { id: testId(4), quality: 255 },
  ]), SELF, null, 0);
  assert.is(a.hearsUs, 200);
  assert.is(a.adjacency, (1 << b.slot) | (1 << d.slot));
  assert.is(a.adjacencyQuality(b.slot), 100);
  assert.is(a.adjacencyQuality(d.slot), 255);
  assert.is(a.adjacency & (1 << c.slot), 0);
  assert.ok(Math.abs(a.etx(0) - 255 / 200) < 1e-12);
  // The next HELLO replaces, not merges: no self entry → hearsUs 0; only C listed now.
  table.heard(a, hello(2, [{ id: testId(3), quality: 7 }]), SELF, null, 0);
  assert.is(a.hearsUs, 0);
  assert.is(a.adjacency, 1 << c.slot);
  assert.is(a.adjacencyQuality(c.slot), 7);
  assert.is(a.etx(0), Infinity);
  // Lists of other rows are independent.
  assert.is(b.adjacency, 0);
  assert.is(b.hearsUs, 0);
});

test("table: remove clears the slot and that slot's bit in every other row's adjacency", () => {
  const table = new NeighborTable(4, 3);
  for (let n = 1; n <= 4; n++) admit(table, n);
  const [a, b, c, d] = [1, 2, 3, 4].map((n) => row(table, n));
  const all = [1, 2, 3, 4].map((n) => ({ id: testId(n), quality: 200 }));
  for (const r of [a, b, c, d]) table.heard(r, hello(1, all), SELF, null, 0);
  const others = (r: Neighbor) => [a, b, c, d].filter((x) => x !== r).reduce((m, x) => m | (1 << x.slot), 0);
  for (const r of [a, b, c, d]) assert.is(r.adjacency & others(r), others(r));
  table.remove(b);
  assert.is(table.size, 3);
  assert.is(table.bySlot(b.slot), null);
  assert.is(table.get(b.idHex), undefined);
  for (const r of [a, c, d]) {
    assert.is(r.adjacency & (1 << b.slot), 0, `${r.idHex} forgets B`);
    assert.is(r.adjacency & others(r) & ~(1 << b.slot), others(r) & ~(1 << b.slot), `${r.idHex} keeps the rest`);
  }
  // Removing twice is a no-op; a newcomer takes the free slot and is not in anyone's adjacency.
  table.remove(b);
  assert.is(table.size, 3);
  const e = admit(table, 5)!;
  assert.is(e.neighbor.slot, b.slot);
  assert.is(e.evicted, null);
  for (const r of [a, c, d]) assert.is(r.adjacency & (1 << b.slot), 0);
  // A stale Neighbor object for a reused slot does not remove the new occupant.
  table.remove(b);
  assert.is(table.bySlot(b.slot), e.neighbor);
  assert.is(table.size, 4);
});

test("table: expire removes rows silent > deadAfterBeacons × interval + interval / 2, keeps the rest", () => {
  const table = new NeighborTable(4, 3);
  admit(table, 1, 0);
  admit(table, 2, 1000);
  admit(table, 3, 0, 0, 4000);
  // Row 1: dead after 0 + 3500; row 2: after 1000 + 3500; row 3: after 0 + 14000.
  assert.is(table.nextExpiry(), 3501);
  assert.equal(table.expire(3500), []);
  assert.is(table.size, 3);
  const dead = table.expire(3501);
  assert.equal(dead.map((n) => n.idHex), [toHex(testId(1))]);
  assert.is(table.size, 2);
  assert.is(table.nextExpiry(), 4501);
  // Hearing a row pushes its expiry out.
  table.heard(row(table, 2), hello(1), SELF, null, 4000);
  assert.is(table.nextExpiry(), 4000 + 3500 + 1);
  assert.equal(table.expire(7500), []);
  assert.equal(table.expire(7501).map((n) => n.idHex), [toHex(testId(2))]);
  assert.is(table.nextExpiry(), 14001);
  assert.equal(table.expire(14000), []);
  assert.equal(table.expire(14001).map((n) => n.idHex), [toHex(testId(3))]);
  assert.is(table.size, 0);
  assert.is(table.nextExpiry(), Infinity);
});

test("table: the next expiry an expire walk found holds until a row is heard, admitted or removed", () => {
  const table = new NeighborTable(4, 3);
  admit(table, 1, 0);
  admit(table, 2, 0, 0, 4000);
  assert.equal(table.expire(2000), []);
  assert.is(table.nextExpiry(), 3501);
  // A row heard with a shorter interval may now expire first.
  // Heard again, and with a shorter interval: its expiry moves, the earliest with it.
  table.heard(row(table, 1), hello(1, [], 500), SELF, null, 2000);
  assert.is(table.nextExpiry(), 2000 + 1500 + 250 + 1);
  assert.equal(table.expire(3000), []);
  admit(table, 3, 3000, 0, 100);
  assert.is(table.nextExpiry(), 3000 + 300 + 50 + 1);
  assert.equal(table.expire(3351).map((n) => n.idHex), [toHex(testId(3))]);
  assert.is(table.nextExpiry(), 3751);
  table.remove(row(table, 1));
  assert.is(table.nextExpiry(), 14001);
});

test("table: expire uses deadAfterBeacons and clears adjacency of the dead", () => {
  const table = new NeighborTable(4, 5);
  admit(table, 1, 0);
  admit(table, 2, 0);
  const [a, b] = [row(table, 1), row(table, 2)];
  table.heard(a, hello(1, [{ id: testId(2), quality: 9 }]), SELF, null, 5000);
  assert.is(a.adjacency, 1 << b.slot);
  assert.is(table.nextExpiry(), 5501);
  assert.equal(table.expire(5501).map((n) => n.idHex), [b.idHex]);
  assert.is(a.adjacency, 0);
});

test("table: slot 31 (the sign bit of the masks) works in heard, remove and expire", () => {
  const table = new NeighborTable(32, 3);
  for (let n = 1; n <= 32; n++) admit(table, n);
  const first = table.bySlot(0)!;
  const last = table.bySlot(31)!;
  const other = table.bySlot(30)!;
  table.heard(first, hello(1, [{ id: last.id, quality: 77 }, { id: other.id, quality: 1 }]), SELF, null, 0);
  assert.is(first.adjacency >>> 0, (0x80000000 | 0x40000000) >>> 0);
  assert.is(first.adjacencyQuality(31), 77);
  table.remove(last);
  assert.is(first.adjacency >>> 0, 0x40000000, "only slot 31's bit cleared");
  assert.is(table.size, 31);
  assert.is(admit(table, 99)!.neighbor.slot, 31);
});

test("table: a neighbor that reboots (beacon sequence restarts at 0) is not rated as a dead link", () => {
  // MeshNode starts beaconSeq at 0 on every boot. A neighbor that reboots faster than it expires
  // sends seq 0 after, say, 1234: heard() takes (0 - 1234) & 0xffff = 64302 as the number of
  // beacons missed, so the row drops to 1 heard in 16 slots (0.0625). It becomes the first row a
  // newcomer evicts, and we advertise it in our HELLO at quality 16, which skews coverage relaying.
  const table = new NeighborTable(2, 3);
  admit(table, 1, 0, 1200);
  admit(table, 2, 0, 500);
  const a = row(table, 1);
  for (let s = 1201; s <= 1234; s++) table.heard(a, hello(s), SELF, null, (s - 1200) * INTERVAL);
  const t = 35 * INTERVAL;
  assert.is(a.reception(t - INTERVAL), 1);
  table.heard(a, hello(0), SELF, null, t); // rebooted
  assert.ok(a.reception(t) >= EVICT_BELOW, `reception after the reboot is ${a.reception(t)}`);
});

test("table: a long run of lost beacons is not mistaken for a reboot", () => {
  // deadAfterBeacons 10 and beaconJitter 0.5 are valid settings: a row survives 10.5 intervals of
  // silence, in which a neighbor beaconing every 0.5 × interval sends 20 beacons. If the first 19 are
  // lost and the 20th arrives, the link is bad (1 heard in 16 slots), not fresh.
  const table = new NeighborTable(4, 10);
  admit(table, 1, 0, 100);
  const a = row(table, 1);
  assert.equal(table.expire(10 * INTERVAL), [], "still within its dead time");
  table.heard(a, hello(120), SELF, null, 10 * INTERVAL);
  assert.ok(a.reception(10 * INTERVAL) < EVICT_BELOW, `reception after 19 lost beacons is ${a.reception(10 * INTERVAL)}`);
});

test.run();
