/**
 * Whole meshes in the simulator, running the real core: delivery, determinism by seed, churn.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import { lineLayout } from "../hosts/sim/topology.js";

function scenario(overrides: Partial<Scenario>): Scenario {
  return {
    seed: 11, nodes: 60, averageDegree: 8, durationMs: 3 * 60_000, loss: 0.1,
    publishPeriodMs: 30_000, warmupMs: 20_000, ...overrides,
  };
}

test("gossip reaches nearly every reachable node at 10% loss, with fewer transmissions than nodes", () => {
  const r = new MeshSimulation(scenario({})).run();
  assert.ok(r.broadcasts.count >= 200, `broadcasts: ${r.broadcasts.count}`);
  assert.ok(r.broadcasts.deliveryRatio >= 0.995, `delivery ${r.broadcasts.deliveryRatio}`);
  assert.ok(r.broadcasts.transmissionsPerBroadcast < 0.7 * 60, `transmissions ${r.broadcasts.transmissionsPerBroadcast}`);
  assert.ok(r.relaysSuppressed > 0);
  assert.equal(r.drops, {}, "an honest mesh drops nothing");
});

test("a message crosses a 10-hop line, one hop per relay", () => {
  const topology = lineLayout(11, 100, 120);
  const sim = new MeshSimulation(scenario({ topology, nodes: 11, loss: 0, publishPeriodMs: 0, broadcasts: [{ node: 0, at: 30_000 }], durationMs: 40_000 }));
  const r = sim.run();
  assert.is(r.broadcasts.delivered, 10);
  assert.is(r.broadcasts.meanHops, r.broadcasts.meanBfsHops);
  assert.is(r.broadcasts.transmissionsPerBroadcast, 10, "every node but the last relays on a line");
});

test("the same seed gives the same trace; another seed another", () => {
  const short = { nodes: 30, durationMs: 60_000 };
  const a = new MeshSimulation(scenario(short)).run();
  const b = new MeshSimulation(scenario(short)).run();
  const c = new MeshSimulation(scenario({ ...short, seed: 12 })).run();
  assert.is(a.traceDigest, b.traceDigest);
  assert.is.not(a.traceDigest, c.traceDigest);
  assert.equal(a.broadcasts, b.broadcasts);
});

test("crashed nodes rejoin after reboot and the mesh keeps delivering", () => {
  const reboots = [3, 7, 11, 19].map((node, k) => ({ node, at: 40_000 + k * 10_000, downMs: 20_000 }));
  const sim = new MeshSimulation(scenario({ reboots }));
  const r = sim.run();
  assert.ok(r.broadcasts.deliveryRatio >= 0.99, `delivery ${r.broadcasts.deliveryRatio}`);
  for (const { node } of reboots) {
    assert.ok(sim.node(node)!.neighborSummary(sim.simulator.now).length > 0, `node ${node} has neighbors again`);
  }
  assert.is(r.drops["replay"] ?? 0, 0, "a rebooted node's new epoch is not mistaken for a replay");
});

test("a node switched on late joins the mesh and receives what is published after", () => {
  const topology = lineLayout(4, 100, 120);
  const sim = new MeshSimulation(scenario({
    topology, nodes: 4, loss: 0, publishPeriodMs: 0, starts: [{ node: 3, at: 40_000 }],
    broadcasts: [{ node: 0, at: 30_000 }, { node: 0, at: 70_000 }], durationMs: 90_000,
  }));
  sim.simulator.runUntil(39_999);
  assert.not.ok(sim.simulator.isOn(3));
  const report = sim.run();
  assert.is(sim.node(3)!.counters.messagesNew, 1, "the late node got the second broadcast only");
  assert.is(report.broadcasts.deliveryRatio, 1, "node 3 was not reachable for the first, and got the second");
});

test("dead neighbors are detected within a few beacon periods", () => {
  const topology = lineLayout(3, 100, 120);
  const sim = new MeshSimulation(scenario({ topology, nodes: 3, loss: 0, publishPeriodMs: 0, stops: [{ node: 2, at: 30_000 }], durationMs: 50_000 }));
  sim.simulator.runUntil(30_000);
  assert.is(sim.node(1)!.neighborSummary(30_000).length, 2);
  // Dead after 3 silent periods and a half (17.5 s) from its last beacon, at most one period before the stop.
  sim.simulator.runUntil(50_000);
  assert.is(sim.node(1)!.neighborSummary(50_000).length, 1, "node 2 expired from node 1's table");
});

test.run();
