import { test } from "uvu";
import * as assert from "uvu/assert";
import { defaultScenario, MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import { BUCKET_MS, LatencyHistograms } from "../hosts/sim/run-recorder.js";
import { Role } from "../modules/identity/certificate.js";

const SCENARIO: Scenario = {
  ...defaultScenario(), nodes: 20, durationMs: 90_000, seed: 5, readingPeriodMs: 20_000, readingsUntilMs: 60_000,
  roles: [{ node: 0, role: Role.Gateway }],
};

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test("recording changes nothing in the run, and its buckets add up to the report's totals", () => {
  const plain = new MeshSimulation(SCENARIO).run();
  const sim = new MeshSimulation(SCENARIO);
  const recorder = sim.record();
  const report = sim.run({ stepMs: 7_000, onStep: () => {} });
  assert.is(report.traceDigest, plain.traceDigest);

  const buckets = recorder.buckets();
  assert.is(buckets.length, 9);
  assert.equal(buckets.map((b) => b.startMs), Array.from({ length: 9 }, (_, k) => k * BUCKET_MS));
  assert.is(sum(buckets.map((b) => b.framesSent)), report.framesSent);
  assert.is(sum(buckets.map((b) => b.bytesSent)), report.bytesSent);
  assert.is(sum(buckets.map((b) => b.broadcastReachable)), report.broadcasts.reachable);
  assert.is(sum(buckets.map((b) => b.broadcastDelivered)), report.broadcasts.delivered);
  assert.is(sum(buckets.map((b) => b.readingsTaken)), report.readings!.taken);
  assert.is(sum(buckets.map((b) => b.readingsDelivered)), report.readings!.delivered);
  assert.ok(Math.max(...buckets.map((b) => b.readingLatencyMs.max)) === report.readings!.latencyMs.max);
  assert.is(buckets[0].broadcastReachable, 0, "nothing is published during the warm-up");
});

test("the sample broadcast's path runs from its source over radio links, one hop at a time", () => {
  const sim = new MeshSimulation(SCENARIO);
  const recorder = sim.record();
  sim.run();
  const sample = recorder.sample;
  assert.ok(sample.publishedAt >= SCENARIO.warmupMs, `published at ${sample.publishedAt}`);
  const parent = sample.spread(sim.topology.neighbors);
  const farthest = sample.farthest();
  const path = sample.pathTo(farthest, parent);
  assert.is(path[0], sample.source);
  assert.is(path[path.length - 1], farthest);
  assert.is(path.length - 1, sample.hops[farthest]);
  for (let k = 1; k < path.length; k++) {
    assert.ok(sim.topology.neighbors[path[k - 1]].includes(path[k]), `${path[k - 1]} → ${path[k]} is no radio link`);
    assert.is(sample.hops[path[k]], k);
  }
  let reached = 0;
  for (let i = 0; i < parent.length; i++) if (sample.hops[i] > 0) reached += parent[i] >= 0 ? 1 : 0;
  assert.is(reached, [...sample.hops].filter((h) => h > 0).length, "every receiver has a parent");
});

test("latency histograms: percentiles at most 9 % high, never above the worst", () => {
  const h = new LatencyHistograms(2);
  const latencies = Array.from({ length: 1000 }, (_, k) => 3 + ((k * 7919) % 1000) * 4.5);
  for (const ms of latencies) h.add(1, ms);
  const sorted = [...latencies].sort((a, b) => a - b);
  const s = h.summary(1);
  assert.is(s.count, 1000);
  assert.is(s.max, sorted[999]);
  for (const [q, got] of [[0.5, s.p50], [0.9, s.p90], [0.99, s.p99]]) {
    const exact = sorted[Math.floor(q * 1000)];
    assert.ok(got >= exact && got <= exact * 1.0906 && got <= s.max, `p${q * 100}: ${got} vs ${exact}`);
  }
  assert.equal(h.summary(0), { count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  h.add(0, 0);
  assert.equal(h.summary(0), { count: 1, p50: 0, p90: 0, p99: 0, max: 0 });
});

test.run();
