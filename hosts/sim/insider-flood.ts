/**
 * The insider-flood attack in the simulator: one certified node publishes `factor` times as often as
 * the others. Measures honest delivery, how many of the attacker's messages each node relayed
 * against its per-origin budget, and whether every table stayed within its cap.
 */
import { createNodeConfig } from "../../modules/config.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode } from "../../modules/node.js";
import { nodeCrypto } from "../node/node-crypto.js";
import { bfsDistances } from "./graph.js";
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
  const published = new Set<string>();
  const received = new Map<string, number>();
  const relayed = new Array<number>(nodes).fill(0);
  const sim = new Simulator({
    topology, seed, radio: { loss: 0.1 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      devices[i] = node;
      const period = i === attacker ? periodMs / factor : periodMs;
      const schedule = periodicSchedule(warmup + ((i * 997) % periodMs), period, stopAt);
      return new MeshDevice(node, schedule, (origin, seq) => { if (i !== attacker) published.add(`${origin}:${seq}`); });
    },
    onEvent: (i, e) => {
      if (e.type === "message") received.set(`${e.origin}:${e.seq}`, (received.get(`${e.origin}:${e.seq}`) ?? 0) + 1);
      if (e.type === "relayed" && e.origin === devices[attacker].idHex) relayed[i]++;
    },
  });
  sim.startAll(0);
  sim.runUntil(durationMs);
  // Each honest message can reach its origin's connected component.
  const component = new Int32Array(nodes).fill(-1);
  const sizes: number[] = [];
  for (let i = 0; i < nodes; i++) {
    if (component[i] >= 0) continue;
    const d = bfsDistances(topology.neighbors, i);
    let size = 0;
    for (let j = 0; j < nodes; j++) if (d[j] >= 0) { component[j] = sizes.length; size++; }
    sizes.push(size);
  }
  const indexOf = new Map(devices.map((n, i) => [n.idHex, i]));
  let delivered = 0;
  let possible = 0;
  for (const key of published) {
    delivered += received.get(key) ?? 0;
    possible += sizes[component[indexOf.get(key.slice(0, key.indexOf(":")))!]] - 1;
  }
  let capsHeld = true;
  for (const n of devices) {
    const h = n.health();
    if (h.seen > config.seenCacheCapacity || h.pendingRelays > config.pendingRelayCapacity || h.recent > config.recentCapacity) capsHeld = false;
  }
  return {
    honestMessages: published.size,
    honestDelivery: possible ? delivered / possible : 0,
    attackerPublished: devices[attacker].counters.published,
    worstRelayed: Math.max(...relayed.filter((_, i) => i !== attacker)),
    allowance: config.originBurst + (config.originRatePerMinute * (durationMs - warmup)) / 60_000,
    relaysRefused: devices.reduce((a, n, i) => a + (i === attacker ? 0 : n.counters.relaysRateLimited), 0),
    capsHeld,
  };
}
