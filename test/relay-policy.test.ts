/** Relay decisions as pure functions over a small neighbor table. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../modules/bytes.js";
import type { RelayPolicy } from "../modules/config.js";
import {
  applyCopy, expectedGain, likelyMissing, relayDelay, resetMiss, shouldRelay, wellLinked, WELL_LINKED, WELL_LINKED_NEIGHBORS,
} from "../modules/gossip/relay-policy.js";
import { NeighborTable, type Neighbor } from "../modules/neighbors/neighbor-table.js";
import { WireError } from "../modules/wire/errors.js";
import { decodeHello, encodeHello, newHelloView, type HelloNeighbor } from "../modules/wire/hello.js";
import { testId } from "./helpers/prng.js";

const SELF = testId(0);
const TARGET = 0.02;

interface Mesh {
  table: NeighborTable;
  /** Rows by name. */
  n: Record<string, Neighbor>;
}

/**
 * Builds our table from each neighbor's HELLO: `hears[x]` lists whom x hears and how well (0..255),
 * with "self" meaning us.
 */
function mesh(names: string[], hears: Record<string, Record<string, number>>, capacity = 8): Mesh {
  const table = new NeighborTable(capacity, 3);
  const n: Record<string, Neighbor> = {};
  names.forEach((name, i) => {
    const id = testId(i + 1);
    n[name] = table.admit(id, toHex(id), null, 0, 0, 1000, 0)!.neighbor;
  });
  names.forEach((name) => {
    const list: HelloNeighbor[] = [];
    for (const [other, quality] of Object.entries(hears[name] ?? {})) {
      list.push({ id: other === "self" ? SELF : n[other].id, quality });
    }
    const view = newHelloView();
    assert.is(decodeHello(encodeHello(1, 1000, 0, null, list), view), WireError.None);
    table.heard(n[name], view, SELF, null, 0);
  });
  return { table, n };
}

function freshMiss(table: NeighborTable): Uint8Array {
  const miss = new Uint8Array(table.capacity);
  resetMiss(miss);
  return miss;
}

test("resetMiss: every neighbor misses the message", () => {
  const miss = new Uint8Array(5);
  resetMiss(miss);
  assert.equal([...miss], [255, 255, 255, 255, 255]);
});

test("applyCopy: a transmitter that hears every neighbor perfectly covers them all", () => {
  const { table, n } = mesh(["A", "B", "C"], {
    A: { self: 255, B: 255, C: 255 },
    B: { self: 255 },
    C: { self: 255 },
  });
  const miss = freshMiss(table);
  applyCopy(miss, n.A);
  assert.is(miss[n.A.slot], 0);
  assert.is(miss[n.B.slot], 0);
  assert.is(miss[n.C.slot], 0);
  assert.is(likelyMissing(miss, table, 0), 0);
  assert.is(expectedGain(miss, table), 0);
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET), false, "coverage suppresses");
  assert.is(shouldRelay("flood", 1, miss, table, TARGET), true, "flood relays anyway");
  assert.is(shouldRelay("managed", 1, miss, table, TARGET), false, "managed: a copy was heard");
});

test("applyCopy: partial quality leaves a miss above the target → coverage relays", () => {
  const { table, n } = mesh(["A", "B", "C"], {
    A: { self: 255, B: 128, C: 255 },
    B: { self: 255 },
    C: { self: 255 },
  });
  const miss = freshMiss(table);
  applyCopy(miss, n.A);
  // 255 × (255 − 128) / 255, rounded: 127.
  assert.equal([miss[n.A.slot], miss[n.B.slot], miss[n.C.slot]], [0, 127, 0]);
  assert.is(likelyMissing(miss, table, 126 / 255), 1, "B, at 127/255");
  assert.is(likelyMissing(miss, table, 127 / 255), 0);
  assert.ok(Math.abs(expectedGain(miss, table) - 127 / 255) < 1e-12);
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET), true);
  // A second copy, from B itself, covers B.
  applyCopy(miss, n.B);
  assert.is(miss[n.B.slot], 0);
  assert.is(shouldRelay("coverage", 2, miss, table, TARGET), false);
});

test("applyCopy: copies compound; quality 0 and unlisted neighbors stay at 255", () => {
  const { table, n } = mesh(["A", "B", "C", "D"], {
    A: { self: 255, C: 128, D: 0 },
    B: { self: 255, C: 128 },
    C: { self: 255 },
    D: { self: 255 },
  });
  const miss = freshMiss(table);
  applyCopy(miss, n.A);
  assert.equal([miss[n.A.slot], miss[n.B.slot], miss[n.C.slot], miss[n.D.slot]], [0, 255, 127, 255]);
  applyCopy(miss, n.B);
  // 127 × 127 / 255 = 63.25 → 63.
  assert.equal([miss[n.A.slot], miss[n.B.slot], miss[n.C.slot], miss[n.D.slot]], [0, 0, 63, 255]);
  assert.is(likelyMissing(miss, table, 0.5), 1, "D");
  assert.is(likelyMissing(miss, table, 0.2), 2, "C and D");
  assert.ok(Math.abs(expectedGain(miss, table) - (63 + 255) / 255) < 1e-12);
  // Unused slots are untouched.
  for (let s = 0; s < table.capacity; s++) {
    if (![n.A, n.B, n.C, n.D].some((x) => x.slot === s)) assert.is(miss[s], 255, `free slot ${s}`);
  }
});

test("applyCopy: high quality drives the miss under the target; rounding reaches 0", () => {
  const { table, n } = mesh(["A", "B"], { A: { self: 255, B: 250 }, B: { self: 255 } });
  const miss = freshMiss(table);
  applyCopy(miss, n.A);
  // 255 × 5 / 255 = 5 → 5/255 ≈ 0.0196, just under a 0.02 target.
  assert.is(miss[n.B.slot], 5);
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET), false);
  assert.is(shouldRelay("coverage", 1, miss, table, 0.01), true);
  // Exactly at the target is covered (strictly above relays).
  assert.is(shouldRelay("coverage", 1, miss, table, 5 / 255), false);
  applyCopy(miss, n.A);
  assert.is(miss[n.B.slot], 0, "(5 × 5 + 127) / 255 rounds to 0");
});

test("likelyMissing and expectedGain ignore neighbors that do not hear us", () => {
  const { table, n } = mesh(["A", "B", "C"], {
    A: { self: 255, B: 255 },
    B: { self: 255 },
    C: { A: 255 }, // C lists A but not us: hearsUs 0
  });
  assert.is(n.C.hearsUs, 0);
  const miss = freshMiss(table);
  applyCopy(miss, n.A);
  assert.is(miss[n.C.slot], 255);
  assert.is(likelyMissing(miss, table, 0), 0, "only C misses it, and C cannot hear us");
  assert.is(expectedGain(miss, table), 0);
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET), false);
  // Nothing heard yet: every neighbor that hears us misses it.
  const none = freshMiss(table);
  assert.is(likelyMissing(none, table, TARGET), 2, "A and B");
  assert.ok(Math.abs(expectedGain(none, table) - 2) < 1e-12, "A and B, each heard us at 255");
  assert.is(shouldRelay("coverage", 0, none, table, TARGET), true);
});

test("expectedGain weights each miss by how well that neighbor hears us", () => {
  const { table } = mesh(["A", "B", "C"], {
    A: { self: 255 },
    B: { self: 51 },
    C: { self: 102 },
  });
  const miss = freshMiss(table);
  assert.ok(Math.abs(expectedGain(miss, table) - (1 + 0.2 + 0.4)) < 1e-12);
  assert.is(likelyMissing(miss, table, TARGET), 3);
});

test("applyCopy and likelyMissing: slot 31 (the sign bit of the adjacency mask)", () => {
  const names = Array.from({ length: 32 }, (_, i) => `N${i}`);
  const hears: Record<string, Record<string, number>> = {};
  for (const name of names) hears[name] = { self: 255 };
  hears.N0 = { self: 255, N31: 255, N30: 128 };
  const { table, n } = mesh(names, hears, 32);
  assert.is(n.N31.slot, 31);
  const miss = freshMiss(table);
  applyCopy(miss, n.N0);
  assert.is(miss[31], 0);
  assert.is(miss[30], 127);
  for (let s = 1; s < 30; s++) assert.is(miss[s], 255, `slot ${s}`);
  // Every neighbor except N0, N30, N31 still misses it.
  assert.ok(Math.abs(expectedGain(miss, table) - (29 + 127 / 255)) < 1e-12);
});

test("empty table: nothing to cover, coverage never relays, flood still does", () => {
  const table = new NeighborTable(4, 3);
  const miss = freshMiss(table);
  assert.is(likelyMissing(miss, table, 0), 0);
  assert.is(expectedGain(miss, table), 0);
  assert.is(shouldRelay("coverage", 0, miss, table, TARGET), false);
  assert.is(shouldRelay("flood", 0, miss, table, TARGET), true);
  assert.is(shouldRelay("managed", 0, miss, table, TARGET), true);
});

test("shouldRelay: flood always; managed only with 0 copies; coverage by the worst miss", () => {
  const { table, n } = mesh(["A", "B"], { A: { self: 255, B: 255 }, B: { self: 255 } });
  const covered = freshMiss(table);
  applyCopy(covered, n.A);
  const uncovered = freshMiss(table);
  for (const copies of [0, 1, 2, 10]) {
    for (const miss of [covered, uncovered]) {
      assert.is(shouldRelay("flood", copies, miss, table, TARGET), true);
      assert.is(shouldRelay("managed", copies, miss, table, TARGET), copies === 0);
    }
    // Coverage ignores the copy count.
    assert.is(shouldRelay("coverage", copies, covered, table, TARGET), false);
    assert.is(shouldRelay("coverage", copies, uncovered, table, TARGET), true);
  }
  // Target 1: nothing is ever above it.
  assert.is(shouldRelay("coverage", 0, uncovered, table, 1), false);
});

test("shouldRelay: coverage with `needed` relays only while that many neighbors are likely missing it", () => {
  const { table, n } = mesh(["A", "B", "C"], { A: { self: 255, B: 255 }, B: { self: 255 }, C: { self: 255 } });
  const miss = freshMiss(table);
  assert.is(shouldRelay("coverage", 0, miss, table, TARGET, 0, 2), true, "A, B and C miss it");
  applyCopy(miss, n.A);
  assert.is(likelyMissing(miss, table, TARGET), 1, "C alone");
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET, 0, 1), true);
  assert.is(shouldRelay("coverage", 1, miss, table, TARGET, 0, 2), false, "a lone gap is left to repair");
  // The baselines ignore it.
  assert.is(shouldRelay("flood", 1, miss, table, TARGET, 0, 2), true);
  assert.is(shouldRelay("managed", 0, miss, table, TARGET, 0, 2), true);
});

test("wellLinked: at least WELL_LINKED_NEIGHBORS neighbors that hear us, their mean reception against WELL_LINKED", () => {
  assert.is(WELL_LINKED_NEIGHBORS, 4);
  const at = Math.ceil(WELL_LINKED * 255);
  const four = (b: Record<string, number>) => mesh(["A", "B", "C", "D"], { A: { self: at }, B: b, C: { self: at }, D: { self: at } }).table;
  assert.ok(wellLinked(four({ self: at })));
  assert.not.ok(wellLinked(four({ self: at - 4 })), "mean just below");
  assert.ok(wellLinked(mesh(["A", "B", "C", "D"], { A: { self: 255 }, B: { self: at - 20 }, C: { self: at }, D: { self: at } }).table), "a poor link among good ones");
  assert.not.ok(wellLinked(four({})), "B does not hear us: three left, too few");
  assert.not.ok(wellLinked(mesh(["A", "B", "C"], { A: { self: 255 }, B: { self: 255 }, C: { self: 255 } }).table), "three perfect links: too few");
  assert.not.ok(wellLinked(mesh(["A"], { A: {} }).table), "nobody hears us");
  assert.not.ok(wellLinked(new NeighborTable(4, 3)), "no neighbors");
});

test("relayDelay: table per policy", () => {
  const unit = 40;
  const table: [RelayPolicy, number, number, number][] = [
    // policy, gain, u → ms
    ["flood", 0, 0, 0],
    ["flood", 5, 0.5, 20],
    ["flood", 0, 0.999999, 39],
    ["managed", 0, 0, 0],
    ["managed", 3, 0.5, 80],
    ["managed", 0, 0.999999, 159],
    // coverage: 6 / (1 + gain) units to rank by usefulness, plus 2u units to break ties
    ["coverage", 0, 0, 240],
    ["coverage", 0, 0.999999, 319],
    ["coverage", 1, 0, 120],
    ["coverage", 3, 0, 60],
    ["coverage", 3, 0.5, 100],
    ["coverage", 5, 0, 40],
  ];
  for (const [policy, gain, u, want] of table) {
    assert.is(relayDelay(policy, gain, unit, u), want, `${policy}, gain ${gain}, u ${u}`);
  }
});

test("relayDelay: flood and managed ignore the gain; ranges are 0–1, 0–4 and 0–8 units", () => {
  const unit = 100;
  for (let i = 0; i < 200; i++) {
    const u = i / 200;
    const gain = (i * 7) % 33;
    const flood = relayDelay("flood", gain, unit, u);
    const managed = relayDelay("managed", gain, unit, u);
    const coverage = relayDelay("coverage", gain, unit, u);
    assert.is(flood, relayDelay("flood", 0, unit, u));
    assert.is(managed, relayDelay("managed", 0, unit, u));
    assert.ok(flood >= 0 && flood < unit, `flood delay ${flood}`);
    assert.ok(managed >= 0 && managed < 4 * unit, `managed delay ${managed}`);
    assert.ok(coverage >= 0 && coverage < 8 * unit, `coverage delay ${coverage}`);
    for (const d of [flood, managed, coverage]) assert.ok(Number.isInteger(d));
  }
});

test("relayDelay: larger gain → shorter coverage delay for the same u", () => {
  const gains = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32];
  for (const u of [0, 0.1, 0.5, 0.9, 0.999]) {
    const delays = gains.map((g) => relayDelay("coverage", g, 1000, u));
    for (let i = 1; i < delays.length; i++) {
      assert.ok(delays[i] < delays[i - 1], `u ${u}: gain ${gains[i]} → ${delays[i]} ms, gain ${gains[i - 1]} → ${delays[i - 1]} ms`);
    }
  }
  // From the table: a node whose copy reaches more uncovered neighbors speaks first.
  const { table, n } = mesh(["A", "B", "C"], {
    A: { self: 255, B: 255 },
    B: { self: 255 },
    C: { self: 255 },
  });
  const afterA = freshMiss(table);
  applyCopy(afterA, n.A); // B and A covered, C not
  const nothing = freshMiss(table);
  const low = expectedGain(afterA, table);
  const high = expectedGain(nothing, table);
  assert.ok(high > low);
  assert.ok(relayDelay("coverage", high, 40, 0.5) < relayDelay("coverage", low, 40, 0.5));
});

test.run();
