/**
 * A black hole cannot launder its record by leaving the table: it takes custody of a victim's
 * readings and drops them until the victim distrusts it, goes off the air until the victim drops it
 * from its neighbor table, and comes back claiming the same perfect route. The victim keeps routing
 * around it: nothing more is handed to it, and every reading arrives.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AttackMesh } from "../../hosts/sim/attack-mesh.js";
import { fromPositions } from "../../hosts/sim/topology.js";

test("a black hole that went silent until dropped and came back is still distrusted: no reading is handed to it again", () => {
  // Gateway 0. The victim 3 reaches it through the black hole 4, which claims one perfect hop from
  // the gateway, or through the honest relays 2 and 1, a hop longer.
  const [gateway, victim, hole] = [0, 3, 4];
  const topology = fromPositions([0, 0.5, 1.6, 2, 1], [1.5, 0.3, 0.4, 1.5, 2.5], 1.5);
  assert.equal(topology.neighbors.map((n) => [...n]), [[1, 4], [0, 2], [1, 3], [2, 4], [0, 3]]);
  const mesh = new AttackMesh({
    topology, seed: 11, loss: 0, gateways: [gateway],
    attackers: new Map([[hole, { dropsGossip: false, dropsData: 1, liesAboutRoutes: true }]]),
    publishPeriodMs: 0, readingPeriodMs: 10_000, warmupMs: 10_000, quietFromMs: 300_000,
    config: { confirmAfterMs: 20_000 },
  });
  // The hole is cut off for 40 s: far past the 3 beacon periods (15 s) after which a silent row is dropped.
  const [away, back] = [120_000, 160_000];
  mesh.simulator.partition([0, 0, 0, 0, 1], away, back);
  const victimRoute = () => mesh.node(victim).routeSummary()[0]?.nextHop;
  mesh.run(away);
  const holeId = mesh.node(hole).idHex;
  const dropped = mesh.droppedByAttackers;
  assert.ok(dropped >= 2, `the hole dropped ${dropped} readings before it left`);
  assert.is.not(victimRoute(), holeId, "the victim routes around it");
  mesh.run(back);
  assert.not.ok(mesh.node(victim).neighborSummary(back).some((n) => n.id === holeId), "dropped from the victim's table while cut off");
  for (let t = back + 5_000; t <= 360_000; t += 5_000) {
    mesh.run(t);
    assert.is.not(victimRoute(), holeId, `t=${t / 1000} s: the victim does not route through the hole`);
  }
  assert.ok(mesh.node(victim).neighborSummary(360_000).some((n) => n.id === holeId), "it was admitted again");
  assert.is(mesh.droppedByAttackers, dropped, "no reading handed to the hole after its return");
  const totals = mesh.readingTotals();
  assert.ok(totals.taken >= 80, `${totals.taken} readings taken`);
  assert.is(totals.lost, 0, "none lost");
  assert.is(totals.duplicated, 0, "none twice");
});

test.run();
