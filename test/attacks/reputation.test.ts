/**
 * Reputation: scores rise a little for good deeds and fall for bad ones, decay, and have
 * consequences — and, end to end, routers that take custody of readings and drop them (black holes)
 * are routed around until every reading still reaches the gateway exactly once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../../modules/config.js";
import { Role } from "../../modules/identity/certificate.js";
import { MeshNode } from "../../modules/node.js";
import { AVOID_BELOW, Behavior, COOL_DOWN_MS, IGNORE_BELOW, JUDGE_INTERVAL_MS, PeerScores } from "../../modules/reputation/peer-scores.js";
import { nodeCrypto } from "../../hosts/node/node-crypto.js";
import { bfsDistances } from "../../hosts/sim/graph.js";
import { InsiderAttacker } from "../../hosts/sim/insider-attacker.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../../hosts/sim/provision.js";
import { Rng } from "../../hosts/sim/rng.js";
import { Simulator } from "../../hosts/sim/simulator.js";
import { randomGeometricGraph } from "../../hosts/sim/topology.js";
import type { MeshEvent, Transmit } from "../../modules/events.js";
import type { SimDevice } from "../../hosts/sim/device.js";

test("scores: good deeds are capped, bad ones cost more, everything decays", () => {
  const s = new PeerScores(4);
  s.reset(0, 0);
  for (let i = 0; i < 100; i++) s.record(0, Behavior.FirstDelivery, 0);
  assert.is(s.score(0, 0), 20, "credit is capped");
  s.reset(1, 0);
  s.record(1, Behavior.InvalidRecord, 0);
  s.record(1, Behavior.InvalidRecord, 5_000);
  assert.is(s.score(1, 5_000), -10 * Math.pow(0.5, 5_000 / 120_000), "one bad act of a kind per window");
  s.record(1, Behavior.InvalidRecord, JUDGE_INTERVAL_MS);
  s.record(1, Behavior.InvalidRecord, 2 * JUDGE_INTERVAL_MS);
  const bad = s.score(1, 2 * JUDGE_INTERVAL_MS);
  assert.ok(s.avoid(1, 2 * JUDGE_INTERVAL_MS), `score ${bad} < ${AVOID_BELOW}`);
  assert.ok(Math.abs(s.score(1, 2 * JUDGE_INTERVAL_MS + 120_000) - bad / 2) < 1e-9, "halves in two minutes");
  assert.ok(!s.avoid(1, 2 * JUDGE_INTERVAL_MS + 120_000));
  for (let i = 0; i < 12; i++) s.record(1, Behavior.InvalidRecord, 200_000 + i * JUDGE_INTERVAL_MS);
  assert.ok(s.score(1, 310_000) < IGNORE_BELOW);
  s.ignore("abc", 200_000);
  assert.ok(s.isIgnored("abc", 200_000 + COOL_DOWN_MS - 1));
  assert.ok(!s.isIgnored("abc", 200_000 + COOL_DOWN_MS), "the cool-down ends");
  for (let i = 0; i < 20; i++) s.ignore(`id${i}`, 0);
  assert.is(s.ignoredCount, 16, "the ignored list is bounded");
});

/** A board taking a reading every 10 s. */
function readingDevice(node: MeshNode, phase: number, until: number, onPublish: (seq: number) => void): SimDevice {
  let next = phase;
  return {
    start(now) { node.start(now); node.setWallClock(SIM_EPOCH_SECONDS, now); },
    receive: (b, l, now) => node.receive(b, l, now),
    tick(now) {
      while (now >= next) {
        if (now < until) onPublish(node.publishReading("temp", now, now));
        next += 10_000;
      }
      node.tick(now);
    },
    nextTimeout: () => Math.min(node.nextTimeout(), next),
    pollTransmit: (): Transmit | undefined => node.pollTransmit(),
    pollEvent: (): MeshEvent | undefined => node.pollEvent(),
  };
}

test("black holes that take custody and drop readings are routed around: nothing is lost", () => {
  const n = 40;
  const topology = randomGeometricGraph({ nodes: n, averageDegree: 8, seed: 51 });
  // The gateway's two best-connected neighbors turn black hole.
  const holes = [...topology.neighbors[0]].sort((a, b) => topology.neighbors[b].length - topology.neighbors[a].length).slice(0, 2);
  const rng = new Rng(51);
  const keys = createMeshKeys(rng);
  const config = createNodeConfig({ beaconIntervalMs: 2000, confirmAfterMs: 20_000, checkpointEvery: 4 });
  const published = new Map<string, number[]>();
  const delivered = new Map<string, number[]>();
  const nodes: MeshNode[] = [];
  const provisioning = Array.from({ length: n }, (_, i) => provisionNode(keys, rng, i === 0 ? Role.Gateway : Role.Relay));
  const sim = new Simulator({
    topology, seed: 51, radio: { loss: 0.05 },
    createDevice: (i, ports) => {
      const node = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config);
      nodes[i] = node;
      // The attack: acknowledge custody, then drop (an insider's modified firmware).
      if (holes.includes(i)) return new InsiderAttacker(node, { dropsGossip: false, dropsData: 1, liesAboutRoutes: false }, nodeCrypto, provisioning[i]);
      return readingDevice(node, 15_000 + 113 * i, 240_000, (seq) => {
        const list = published.get(node.idHex) ?? [];
        list.push(seq);
        published.set(node.idHex, list);
      });
    },
    onEvent: (i, e) => {
      if (i === 0 && e.type === "reading") delivered.set(e.origin, [...(delivered.get(e.origin) ?? []), e.seq]);
    },
  });
  sim.startAll(0);
  sim.runUntil(600_000);
  const up = new Uint8Array(n).fill(1);
  for (const h of holes) up[h] = 0;
  const honestReach = bfsDistances(topology.neighbors, 0, up);
  let checked = 0;
  for (let i = 1; i < n; i++) {
    if (holes.includes(i) || honestReach[i] < 0) continue;
    const id = nodes[i].idHex;
    assert.equal(delivered.get(id) ?? [], published.get(id) ?? [], `node ${i}: every reading once, in order`);
    checked++;
  }
  assert.ok(checked >= 30, `${checked} honest nodes checked`);
  const resent = nodes.reduce((a, node, i) => a + (holes.includes(i) ? 0 : node.counters.readingsResent), 0);
  assert.ok(resent > 20, `${resent} readings had to be sent again: the black holes did swallow some`);
});

test.run();
