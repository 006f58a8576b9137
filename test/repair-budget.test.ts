/**
 * A busy mesh (many messages per beacon period) keeps the good-link economies: gaps are left to
 * HELLO-driven repair, whose budget per HELLO grows with the messages judged, and whose repairs are
 * paid from the origin's relay budget only when sent. Where an origin publishes near its rate, gaps
 * are not left for it (nothing to pay the repairs with).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MeshSimulation, defaultScenario } from "../hosts/sim/mesh-simulation.js";

test("100 nodes each publishing every 15 s (4 a minute of a budget of 6): fewer transmissions, delivery held", () => {
  const report = new MeshSimulation({ ...defaultScenario(), nodes: 100, seed: 1, durationMs: 3 * 60_000, publishPeriodMs: 15_000 }).run();
  const b = report.broadcasts;
  // With the economies off in busy traffic (as before): 43.7 transmissions per broadcast, 99.89 %.
  assert.ok(b.transmissionsPerBroadcast < 40, `tx/bcast ${b.transmissionsPerBroadcast.toFixed(1)}`);
  // With them on but repairs charged when scheduled and gaps left whatever the origin's budget: 99.75 %.
  assert.ok(b.deliveryRatio >= 0.9985, `delivery ${(100 * b.deliveryRatio).toFixed(3)} %`);
});

test.run();
