/**
 * One certificate, two boards: a stolen key and certificate copied onto a second board far from the
 * first. Locally a neighbor cannot tell the copy from a replay of captured frames (docs/security.md),
 * but the gateway can: both boards write the one feed of that id, so their entries fork the hash
 * chain and their signed checkpoints disagree — the gateway flags that origin, and only that one.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../../modules/bytes.js";
import { createNodeConfig } from "../../modules/config.js";
import { Role } from "../../modules/identity/certificate.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { MeshNode } from "../../modules/node.js";
import { nodeCrypto } from "../../hosts/node/node-crypto.js";
import { bfsDistances } from "../../hosts/sim/graph.js";
import { MeshDevice, periodicSchedule } from "../../hosts/sim/mesh-device.js";
import { createMeshKeys, provisionNode } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { Simulator } from "../../hosts/sim/simulator.js";
import { randomGeometricGraph } from "../../hosts/sim/topology.js";

test("a certificate cloned onto a second board is flagged at the gateway; honest feeds are not", () => {
  const topology = randomGeometricGraph({ nodes: 30, averageDegree: 7, seed: 12 });
  const n = topology.x.length;
  const rng = new Rng(12);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: n }, (_, i) => provisionNode(keys, rng, i === 0 ? Role.Gateway : Role.Node));
  // The clone: the reachable node farthest from the original takes its provisioning.
  const reach = bfsDistances(topology.neighbors, 0);
  const original = reach.findIndex((d, i) => i > 0 && d > 0);
  const fromOriginal = bfsDistances(topology.neighbors, original);
  let clone = -1;
  fromOriginal.forEach((d, i) => {
    if (i !== 0 && i !== original && reach[i] > 0 && (clone < 0 || d > fromOriginal[clone])) clone = i;
  });
  assert.ok(fromOriginal[clone] >= 3, `the copy is ${fromOriginal[clone]} hops from the original`);
  provisioning[clone] = provisioning[original];

  const config = createNodeConfig({ beaconIntervalMs: 2000, checkpointEvery: 4 });
  const flagged = new Map<string, string[]>();
  let readings = 0;
  const sim = new Simulator({
    topology, seed: 12, radio: { loss: 0.1 },
    createDevice: (i, ports) => new MeshDevice(
      new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config),
      null, null, periodicSchedule(15_000 + 311 * i, 20_000, 480_000), null),
    onEvent: (i, e) => {
      if (i !== 0) return;
      if (e.type === "reading") readings++;
      if (e.type === "feed-flagged") flagged.set(e.origin, [...(flagged.get(e.origin) ?? []), e.reason]);
    },
  });
  sim.startAll(0);
  sim.runUntil(600_000);
  const clonedId = toHex(nodeIdOf(nodeCrypto, provisioning[original].secretKey.subarray(32)));
  assert.ok(readings > 20 * (n - 2), `${readings} readings delivered`);
  assert.equal([...flagged.keys()], [clonedId], `flagged: ${JSON.stringify([...flagged])}`);
  assert.ok(flagged.get(clonedId)!.every((r) => r === "chain-break" || r === "checkpoint-mismatch"), flagged.get(clonedId)!.join(", "));
});

test.run();
