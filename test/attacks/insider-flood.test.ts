/**
 * Insider flood: one certified node publishes 100× the normal rate. Every other node relays its
 * messages at no more than the per-origin limit, honest messages still reach ≥ 99% of the mesh,
 * and every table stays within its cap.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../../modules/config.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode } from "../../modules/node.js";
import { nodeCrypto } from "../../hosts/node/node-crypto.js";
import { MeshDevice } from "../../hosts/sim/mesh-device.js";
import { createMeshKeys, provisionNode } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { Simulator } from "../../hosts/sim/simulator.js";
import { randomGeometricGraph } from "../../hosts/sim/topology.js";
import { bfsDistances } from "../../hosts/sim/graph.js";

const NODES = 60;
const NORMAL_MS = 30_000;
const ATTACKER = 7;
const END = 240_000;

test("a certified node flooding at 100× is held to its rate limit; honest delivery stays ≥ 99%", () => {
  const topology = randomGeometricGraph({ nodes: NODES, averageDegree: 8, seed: 41 });
  const rng = new Rng(41);
  const keys = createMeshKeys(rng);
  const config = createNodeConfig({ hopLimit: 40 });
  const nodes: MeshNode[] = [];
  const published = new Map<string, number>();
  const received = new Map<string, number>();
  const relayedFromAttacker = new Array<number>(NODES).fill(0);
  const provisioning = Array.from({ length: NODES }, () => provisionNode(keys, rng, Role.Node));
  const sim = new Simulator({
    topology, seed: 41, radio: { loss: 0.1 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      nodes[i] = node;
      const period = i === ATTACKER ? NORMAL_MS / 100 : NORMAL_MS;
      const phase = 20_000 + (i * 997) % NORMAL_MS;
      const schedule = (after: number) => {
        const next = after < phase ? phase : phase + (Math.floor((after - phase) / period) + 1) * period;
        return next < END - 20_000 ? next : Infinity;
      };
      return new MeshDevice(node, schedule, (origin, seq) => { if (i !== ATTACKER) published.set(`${origin}:${seq}`, 0); });
    },
    onEvent: (i, e) => {
      if (e.type === "message") received.set(`${e.origin}:${e.seq}`, (received.get(`${e.origin}:${e.seq}`) ?? 0) + 1);
      if (e.type === "relayed" && e.origin === nodes[ATTACKER].idHex) relayedFromAttacker[i]++;
    },
  });
  sim.startAll(0);
  sim.runUntil(END);

  const reachable = Array.from(bfsDistances(topology.neighbors, 0)).filter((d) => d >= 0).length;
  let delivered = 0;
  for (const key of published.keys()) delivered += received.get(key) ?? 0;
  const ratio = delivered / (published.size * (reachable - 1));
  assert.ok(published.size > 300, `${published.size} honest messages`);
  assert.ok(ratio >= 0.99, `honest delivery ${(100 * ratio).toFixed(2)}%`);

  const attackerSent = nodes[ATTACKER].counters.published;
  assert.ok(attackerSent > 600, `the attacker published ${attackerSent}`);
  // 6 a minute over the ~3.3 minutes it published, plus a burst of 10.
  const allowance = config.originBurst + (config.originRatePerMinute * (END - 20_000 - 20_000)) / 60_000;
  const worst = Math.max(...relayedFromAttacker.filter((_, i) => i !== ATTACKER));
  assert.ok(worst <= allowance, `a node relayed ${worst} of the attacker's messages (allowance ${allowance})`);
  const limited = nodes.reduce((a, n, i) => a + (i === ATTACKER ? 0 : n.counters.relaysRateLimited), 0);
  assert.ok(limited > 5_000, `${limited} relays refused for rate`);
  for (const n of nodes) {
    const h = n.health();
    assert.ok(h.seen <= config.seenCacheCapacity && h.pendingRelays <= config.pendingRelayCapacity && h.recent <= config.recentCapacity);
  }
});

test.run();
