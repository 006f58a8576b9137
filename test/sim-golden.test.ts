/**
 * A pinned trace: one small scenario that runs most of the core (beacons, gossip, readings to two
 * gateways, a direct message, a reboot, a stop, a partition, 20 % loss) must give this digest. The
 * determinism tests compare two runs of the same build, so a refactor that changed behavior would pass
 * them; this one fails. A commit that changes behavior on purpose updates GOLDEN and says so.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MeshSimulation, defaultScenario } from "../hosts/sim/mesh-simulation.js";
import { Role } from "../modules/identity/certificate.js";

const GOLDEN = { digest: "69f726d0fa098275", framesSent: 9313 };

test("the pinned scenario gives the pinned trace", () => {
  const report = new MeshSimulation({
    ...defaultScenario(),
    nodes: 60,
    durationMs: 2 * 60_000,
    seed: 5,
    loss: 0.2,
    roles: [{ node: 0, role: Role.Gateway }, { node: 40, role: Role.Gateway }, { node: 10, role: Role.Leaf }],
    readingPeriodMs: 20_000,
    directMessages: [{ from: 5, to: 50, at: 40_000 }],
    reboots: [{ node: 7, at: 50_000, downMs: 10_000 }],
    stops: [{ node: 30, at: 60_000 }],
    partitions: [{ from: 70_000, to: 90_000 }],
  }).run();
  assert.ok(report.readings && report.readings.delivered > 100, "readings reached the gateways");
  assert.equal({ digest: report.traceDigest, framesSent: report.framesSent }, GOLDEN);
});

test.run();
