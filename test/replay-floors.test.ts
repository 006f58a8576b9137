/**
 * Replay protection survives forgetting a sender: when a sender's certificate leaves the cache (and
 * its replay window with it), a frame of that sender captured earlier is still refused.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import { ReplayFloors } from "../modules/link/replay-floors.js";
import { ReplayWindows } from "../modules/link/replay-window.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

test("a floor starts a new window where the dropped one stood", () => {
  const windows = new ReplayWindows(4);
  const old = windows.open();
  windows.accept(old, 3, 10);
  windows.accept(old, 3, 12);
  const floors = new ReplayFloors(2);
  floors.remember(0xabc, windows, old);
  const fresh = windows.open();
  floors.restore(0xabc, windows, fresh);
  assert.ok(!windows.accept(fresh, 3, 11), "inside the old window: refused");
  assert.ok(!windows.accept(fresh, 3, 12));
  assert.ok(windows.accept(fresh, 3, 13), "newer: accepted");
  assert.ok(windows.accept(fresh, 4, 0), "a newer epoch (reboot): accepted");
  // Judged before any window opens, from the floor alone: the same answers.
  assert.ok(floors.refuses(0xabc, 3, 11) && floors.refuses(0xabc, 3, 12) && floors.refuses(0xabc, 2, 99));
  assert.not.ok(floors.refuses(0xabc, 3, 13) || floors.refuses(0xabc, 4, 0) || floors.refuses(0xdef, 1, 0));
  const other = windows.open();
  floors.restore(0xdef, windows, other);
  assert.ok(windows.accept(other, 1, 0), "no floor for another sender");
  floors.remember(1, windows, old);
  floors.remember(2, windows, old);
  const evicted = windows.open();
  floors.restore(0xabc, windows, evicted);
  assert.ok(windows.accept(evicted, 3, 5), "bounded: the oldest floor was overwritten");
});

test("a frame captured before its sender was forgotten is refused when replayed", () => {
  const rng = new Rng(71);
  const keys = createMeshKeys(rng);
  const config = createNodeConfig({ neighborCapacity: 1, certificateCacheCapacity: 2, beaconIntervalMs: 1000 });
  const make = (i: number) => {
    const node = new MeshNode(provisionNode(keys, rng), { crypto: nodeCrypto, random: new Rng(i), storage: new MemoryStorage() }, config);
    node.start(0);
    node.setWallClock(SIM_EPOCH_SECONDS, 0);
    return node;
  };
  const [victim, c, a, b, d] = [make(1), make(2), make(3), make(4), make(5)];
  const framesOf = (n: MeshNode, now: number): Uint8Array[] => {
    n.tick(now);
    const out: Uint8Array[] = [];
    for (let t = n.pollTransmit(); t; t = n.pollTransmit()) out.push(t.bytes);
    return out;
  };
  // C takes the only neighbor row; A is admitted (certificate cached) but has no row.
  for (const f of framesOf(c, 1_000)) victim.receive(f, "c", 1_000);
  const captured = framesOf(a, 1_000)[0];
  victim.receive(captured, "a", 1_050);
  assert.is(victim.health().replayWindows, 2);
  // B's and D's certificates take the two cache slots, C's and then A's (least recently used first).
  for (const f of framesOf(b, 2_500)) victim.receive(f, "b", 2_600);
  for (const f of framesOf(d, 2_500)) victim.receive(f, "d", 2_650);
  assert.is(victim.health().replayWindows, 2, "A's window went with its certificate");
  assert.ok(!victim.neighborSummary(2_600).some((n) => n.id === a.idHex), "A has no neighbor row");
  const replaysBefore = victim.counters.dropped(DropReason.Replay);
  victim.receive(captured, "a", 2_700);
  assert.is(victim.counters.dropped(DropReason.Replay), replaysBefore + 1, "the captured frame is refused as a replay");
});

test.run();
