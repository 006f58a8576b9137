/**
 * The core in the real XS engine: one simulated mesh run twice from the same seed, on Node (node:crypto)
 * and inside an xsnap worker (simulator, radio and every node bundled into XS, on the board's crypto,
 * each node computing its own opens and verifies). The figures must be identical, trace digest first.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { provisioningToText } from "../modules/provisioning.js";
import { MeshSimulation, type Scenario, type SimulationReport } from "../hosts/sim/mesh-simulation.js";
import { provisionMesh } from "../hosts/sim/provision.js";
import { bundleForXs, startXsWorker } from "../tools/xs/xs-worker.js";
import type { MeshRunReply, MeshRunRequest } from "./xs/mesh-entry.js";

const ENTRY = fileURLToPath(new URL("./xs/mesh-entry.js", import.meta.url));

const SCENARIO: Scenario = {
  seed: 3, nodes: 24, averageDegree: 6, durationMs: 150_000, loss: 0.1,
  publishPeriodMs: 30_000, warmupMs: 20_000,
  reboots: [{ node: 9, at: 60_000, downMs: 10_000 }],
  // Messages to one node: route discovery and custody run in XS too (the last to the rebooted node).
  directMessages: [{ from: 2, to: 17, at: 40_000 }, { from: 11, to: 4, at: 70_000 }, { from: 20, to: 9, at: 100_000 }],
};

/** Everything but the wall time, which is not part of a run's behavior. */
function figures(report: SimulationReport): Omit<SimulationReport, "wallMs"> {
  const { wallMs: _wall, ...rest } = report;
  return rest;
}

test("a 24-node mesh inside XS gives the same trace, deliveries, frames and crypto counts as on Node", async () => {
  const sim = new MeshSimulation(SCENARIO);
  const onNode = sim.run();
  const request: MeshRunRequest = {
    scenario: SCENARIO,
    provisioning: provisionMesh(SCENARIO.seed, SCENARIO.nodes, new Map()).map(provisioningToText),
  };
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-mesh");
  let inXs: MeshRunReply;
  try {
    inXs = await worker.request<MeshRunReply>(request);
  } finally {
    await worker.close();
  }

  assert.equal(inXs.topology, sim.topology.neighbors.map((l) => Array.from(l)), "same radio graph");
  assert.is(inXs.report.traceDigest, onNode.traceDigest);
  assert.equal(inXs.report.broadcasts, onNode.broadcasts);
  assert.is(inXs.report.framesSent, onNode.framesSent);
  assert.is(inXs.report.bytesSent, onNode.bytesSent);
  assert.equal(inXs.report.crypto, onNode.crypto);
  assert.equal(figures(inXs.report), figures(onNode));

  // And the run itself is a working mesh, not two identical failures.
  assert.ok(onNode.broadcasts.count >= 90, `broadcasts: ${onNode.broadcasts.count}`);
  assert.ok(onNode.broadcasts.deliveryRatio >= 0.99, `delivery ${onNode.broadcasts.deliveryRatio}`);
  assert.ok(onNode.relays > 0 && onNode.certificatesVerified >= SCENARIO.nodes, "relays and certificate checks happened");
  assert.is(sim.direct.totals.delivered, 3, "messages to one node arrived (their events are in the trace)");
  assert.ok(inXs.report.crypto.open > 5000 && inXs.report.crypto.verify > 100, "XS did the crypto work itself");
  // Only what the reboot causes: for a moment node 9 hears neighbors whose certificates it forgot.
  assert.equal(Object.keys(onNode.drops), ["unknown-sender"]);
  inXs.neighbors.forEach((count, i) => {
    assert.ok(count > 0, `node ${i} has neighbors in XS`);
    assert.is(count, sim.node(i)!.neighborSummary(sim.simulator.now).length, `node ${i}'s table matches Node's`);
  });
});

test.run();
