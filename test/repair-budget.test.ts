/**
 * A busy mesh (many messages per beacon period) keeps the good-link economies: gaps are left to
 * HELLO-driven repair, whose budget per HELLO grows with the messages judged, and whose repairs are
 * paid from the origin's relay budget only when sent. Where an origin publishes near its rate, gaps
 * are not left for it (nothing to pay the repairs with).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MeshSimulation, defaultScenario } from "../hosts/sim/mesh-simulation.js";

test("100 nodes each publishing every 15 s (4 a minute of a budget of 6), seeds 1-3: fewer transmissions, delivery held", () => {
  let sent = 0, reachable = 0, delivered = 0, transmissions = 0;
  for (const seed of [1, 2, 3]) {
    const b = new MeshSimulation({ ...defaultScenario(), nodes: 100, seed, durationMs: 3 * 60_000, publishPeriodMs: 15_000 }).run().broadcasts;
    sent += b.count;
    reachable += b.reachable;
    delivered += b.delivered;
    transmissions += b.transmissionsPerBroadcast * b.count;
  }
  const tx = transmissions / sent;
  const delivery = delivered / reachable;
  // With the economies off in busy traffic (as before): 43.7 transmissions per broadcast on seed 1.
  assert.ok(tx < 40, `tx/bcast ${tx.toFixed(1)}`);
  // With them on but repairs charged when scheduled and gaps left whatever the origin's budget:
  // 99.752 / 99.791 / 99.825 % on seeds 1 / 2 / 3; with both rules 99.757 / 99.944 / 99.916 %.
  assert.ok(delivery >= 0.9985, `delivery ${(100 * delivery).toFixed(3)} %`);
});

test.run();
