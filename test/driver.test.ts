/**
 * NodeDriver: two nodes joined by a hand-made link, driven only through the driver's entry points and
 * a fake timer, become neighbors and exchange a message; the timer is re-armed only when the deadline moves.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NodeDriver } from "../modules/driver.js";
import type { MeshEvent } from "../modules/events.js";
import { MeshNode } from "../modules/node.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

interface Side {
  driver: NodeDriver;
  wakeAt: number;
  arms: number;
  events: MeshEvent[];
  inbox: Uint8Array[];
}

function pair(): [Side, Side] {
  const rng = new Rng(11);
  const keys = createMeshKeys(rng);
  const sides: Side[] = [];
  for (let i = 0; i < 2; i++) {
    const node = new MeshNode(provisionNode(keys, rng), { crypto: nodeCrypto, random: new Rng(100 + i), storage: new MemoryStorage() });
    node.setWallClock(SIM_EPOCH_SECONDS, 0);
    const side = { wakeAt: Infinity, arms: 0, events: [] as MeshEvent[], inbox: [] as Uint8Array[] } as Side;
    side.driver = new NodeDriver(node, {
      link: { send: (bytes) => sides[1 - i].inbox.push(bytes) },
      wakeAt: (at) => { side.wakeAt = at; side.arms++; },
      onEvent: (e) => side.events.push(e),
    });
    sides.push(side);
  }
  return sides as [Side, Side];
}

/** Advances both sides in 10 ms steps: timers that are due fire, then frames are delivered. */
function run(sides: Side[], from: number, to: number): void {
  for (let now = from; now <= to; now += 10) {
    for (const s of sides) if (s.wakeAt <= now) s.driver.tick(now);
    for (const s of sides) while (s.inbox.length) s.driver.receive(s.inbox.shift()!, "peer", now);
  }
}

test("two drivers become neighbors and deliver a published message", () => {
  const [a, b] = pair();
  a.driver.start(0);
  b.driver.start(0);
  assert.ok(Number.isFinite(a.wakeAt), "start arms the timer for the first beacon");
  run([a, b], 0, 12_000);
  assert.ok(a.events.some((e) => e.type === "neighbor-up" && e.id === b.driver.node.idHex));
  assert.ok(b.events.some((e) => e.type === "neighbor-up" && e.id === a.driver.node.idHex));
  const seq = a.driver.publish(new Uint8Array([1, 2, 3]), 12_000);
  run([a, b], 12_000, 13_000);
  const got = b.events.find((e) => e.type === "message");
  assert.ok(got && got.type === "message");
  assert.is(got.origin, a.driver.node.idHex);
  assert.is(got.seq, seq);
  assert.equal([...got.payload], [1, 2, 3]);
});

test("the host timer is re-armed only when the node's deadline changes", () => {
  const [a] = pair();
  a.driver.start(0);
  const arms = a.arms;
  const before = a.wakeAt;
  a.driver.receive(new Uint8Array(5), "junk", 1);
  assert.is(a.arms, arms, "a dropped frame moves no deadline");
  assert.is(a.wakeAt, before);
  assert.is(a.driver.node.counters.framesIn, 1);
});

test.run();
