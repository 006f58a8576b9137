/**
 * The insider-flood attack in the simulator: one certified node publishes `factor` times as often as
 * the others. Measures honest delivery, how many of the attacker's messages each node relayed
 * against its per-origin budget, and whether every table stayed within its cap.
 */
import { createNodeConfig } from "../../modules/config.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode } from "../../modules/node.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { HonestDelivery } from "./honest-delivery.js";
import { MeshDevice, periodicSchedule } from "./mesh-device.js";
import { createMeshKeys, provisionNode } from "./provision.js";
import { Rng } from "./rng.js";
import { Simulator } from "./simulator.js";
import { randomGeometricGraph } from "./topology.js";

export interface FloodResult {
  honestMessages: number;
  /** Receptions of honest messages over the receivers each could reach (its origin's component). */
  honestDelivery: number;
  attackerPublished: number;
  /** The most any node relayed of the attacker's messages, and the budget it had for the run. */
  worstRelayed: number;
  allowance: number;
  relaysRefused: number;
  capsHeld: boolean;
}

export function runInsiderFlood(opts: { nodes: number; seed: number; factor: number; periodMs: number; durationMs: number }): FloodResult {
  const { nodes, seed, factor, periodMs, durationMs } = opts;
  const warmup = 20_000;
  const stopAt = durationMs - 20_000;
  const topology = randomGeometricGraph({ nodes, averageDegree: 8, seed });
  const attacker = topology.neighbors.findIndex((adj) => adj.length >= 4);
  const rng = new Rng(seed);
  const keys = createMeshKeys(rng);
  const config = createNodeConfig({ hopLimit: 255, seenCacheCapacity: 1024 });
  const provisioning = Array.from({ length: nodes }, () => provisionNode(keys, rng, Role.Node));
  const devices: MeshNode[] = [];
  // The attacker is a certified member of the mesh: it counts as a receiver, its messages do not.
  const delivery = new HonestDelivery(topology.neighbors, new Uint8Array(nodes).fill(1));
  const relayed = new Array<number>(nodes).fill(0);
  const sim = new Simulator({
    topology, seed, radio: { loss: 0.1 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      devices[i] = node;
      const period = i === attacker ? periodMs / factor : periodMs;
      const schedule = periodicSchedule(warmup + ((i * 997) % periodMs), period, stopAt);
      return new MeshDevice(node, schedule, (origin, seq) => { if (i !== attacker) delivery.publishedBy(i, `${origin}:${seq}`); });
    },
    onEvent: (i, e) => {
      if (e.type === "message") delivery.receivedAt(i, `${e.origin}:${e.seq}`);
      if (e.type === "relayed" && e.origin === devices[attacker].idHex) relayed[i]++;
    },
  });
  sim.startAll(0);
  sim.runUntil(durationMs);
  let capsHeld = true;
  for (const n of devices) {
    const h = n.health();
    if (h.seen > config.seenCacheCapacity || h.pendingRelays > config.pendingRelayCapacity || h.recent > config.recentCapacity) capsHeld = false;
  }
  return {
    honestMessages: delivery.messages,
    honestDelivery: delivery.ratio(),
    attackerPublished: devices[attacker].counters.published,
    worstRelayed: Math.max(...relayed.filter((_, i) => i !== attacker)),
    allowance: config.originBurst + (config.originRatePerMinute * (durationMs - warmup)) / 60_000,
    relaysRefused: devices.reduce((a, n, i) => a + (i === attacker ? 0 : n.counters.relaysRateLimited), 0),
    capsHeld,
  };
}
