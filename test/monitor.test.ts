/**
 * Monitoring (modules/monitor/): the health report's codec, the anomaly rules, and a simulated mesh
 * whose gateway hears every node's report with what that node really sees.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeConfig } from "../modules/config.js";
import { Counters, DropReason } from "../modules/counters.js";
import type { MeshEvent } from "../modules/events.js";
import { Role } from "../modules/identity/certificate.js";
import { FrameSealer } from "../modules/link/frame-sealer.js";
import { ANOMALY_WINDOW_MS, AnomalyDetector, AnomalyKind, AUTH_BURST } from "../modules/monitor/anomaly-detector.js";
import { decodeHealthReport, encodeHealthReport, HEALTH_FIXED_BYTES, MAX_REPORT_NEIGHBORS, type HealthReport } from "../modules/monitor/health-report.js";
import { NodeMonitor } from "../modules/monitor/node-monitor.js";
import { MeshNode } from "../modules/node.js";
import { WireError } from "../modules/wire/errors.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";
import { bfsDistances } from "../hosts/sim/graph.js";
import { Simulator } from "../hosts/sim/simulator.js";
import { randomGeometricGraph } from "../hosts/sim/topology.js";

function sampleReport(neighbors: number): HealthReport {
  return {
    gateway: false, anomalies: 0b101, uptimeSeconds: 3600, framesIn: 0xfffffff0, framesOut: 12, messagesNew: 3, relays: 2, drops: 9,
    authFailures: 4, rateLimited: 1, neighborCount: 7, certificates: 9, custody: 2, routes: 1, unconfirmedReadings: 300,
    firmwareVersion: 7, configVersion: 0x01020304, transferVersion: 8, transferHeld: 200, transferTotal: 256,
    neighbors: Array.from({ length: neighbors }, (_, i) => ({ id: i.toString(16).padStart(16, "0"), reception: (255 - i) / 255, score: i - 7 })),
  };
}

test("health report: round trip, fits a DATA payload, strict decoding", () => {
  const full = sampleReport(MAX_REPORT_NEIGHBORS + 3);
  const bytes = encodeHealthReport(full);
  assert.ok(bytes.length <= 200, `${bytes.length} bytes`);
  const back = decodeHealthReport(bytes);
  assert.equal(back, { ...full, neighbors: full.neighbors.slice(0, MAX_REPORT_NEIGHBORS) }, "only the first 14 neighbors are listed");
  assert.is(decodeHealthReport(bytes.subarray(0, HEALTH_FIXED_BYTES - 1)), WireError.Truncated);
  assert.is(decodeHealthReport(bytes.subarray(0, bytes.length - 1)), WireError.Truncated);
  assert.is(decodeHealthReport(Uint8Array.from([...bytes, 0])), WireError.TrailingBytes);
  const bad = (at: number, value: number): Uint8Array => {
    const b = bytes.slice();
    b[at] = value;
    return b;
  };
  assert.is(decodeHealthReport(bad(0, 2)), WireError.BadVersion);
  assert.is(decodeHealthReport(bad(1, 0x10)), WireError.BadField, "reserved flag bits");
  assert.is(decodeHealthReport(bad(56, MAX_REPORT_NEIGHBORS + 1)), WireError.Oversized);
});

test("node monitor: reports numbered from the boot epoch, with the counters, tables, content and anomalies since the last", () => {
  const counters = new Counters();
  const sent: { seq: number; report: HealthReport }[] = [];
  const events: MeshEvent[] = [];
  const monitor = new NodeMonitor({
    counters, isGateway: false,
    health: () => ({ neighbors: 2, certificates: 3, replayWindows: 3, seen: 0, recent: 0, pendingRelays: 0, routes: 1, nodeRoutes: 0, custody: 4, unconfirmedReadings: 5, outbox: 0, events: 0 }),
    neighborReport: () => [{ id: "00000000000000aa", reception: 1, score: 3 }],
    neighborIds: () => new Set(["00000000000000aa"]),
    contentStatus: () => ({ firmwareVersion: 4, configVersion: 2, transferVersion: 5, transferHeld: 100, transferTotal: 256 }),
    emit: (e) => void events.push(e),
    sendHealthReport: (report, seq) => void sent.push({ seq, report: decodeHealthReport(report) as HealthReport }),
  }, 120_000);
  monitor.start(0, 3, 60_000);
  for (let t = monitor.deadline; t <= 300_000; t = monitor.deadline) {
    counters.framesIn += 100;
    for (let k = 0; t === 120_000 && k < AUTH_BURST; k++) counters.drop(WireError.AuthFailed);
    monitor.tick(t);
  }
  assert.equal(sent.map((s) => s.seq), [3 * 65536 + 1, 3 * 65536 + 2, 3 * 65536 + 3], "at 60 s, 180 s and 300 s");
  const [first, second] = sent.map((s) => s.report);
  assert.equal([first.uptimeSeconds, first.custody, first.unconfirmedReadings, first.firmwareVersion, first.configVersion,
    first.transferVersion, first.transferHeld, first.transferTotal], [60, 4, 5, 4, 2, 5, 100, 256]);
  assert.is(first.anomalies, 0);
  assert.is(second.anomalies, 1 << AnomalyKind.AuthFailures, "the burst at 120 s is flagged in the next report, once");
  assert.is(sent[2].report.anomalies, 0);
  assert.equal(events.map((e) => e.type === "anomaly" && e.kind), ["auth-failures"]);
  assert.is(second.authFailures, AUTH_BURST);
});

test("anomalies: a rate spike only against a baseline, an auth-failure burst, a neighborhood replaced", () => {
  const d = new AnomalyDetector(0);
  const ids = (...n: number[]): Set<string> => new Set(n.map(String));
  let frames = 0;
  let failures = 0;
  let t = 0;
  const window = (addFrames: number, addFailures: number, neighbors: Set<string>) => {
    frames += addFrames;
    failures += addFailures;
    t += ANOMALY_WINDOW_MS;
    return d.observe(t, frames, failures, neighbors).map((a) => a.kind);
  };
  assert.equal(d.observe(ANOMALY_WINDOW_MS - 1, 10_000, 100, ids()), [], "nothing before the window ends");
  assert.equal(window(1000, 0, ids(1, 2, 3, 4, 5)), [], "the first windows set the baseline, however busy (a boot), and a neighborhood forming is no churn");
  assert.equal(window(100, 0, ids(1, 2, 3, 4, 5)), []);
  assert.equal(window(100, 0, ids(1, 2, 3, 4, 6)), [], "one neighbor of five changed");
  assert.equal(window(100, AUTH_BURST - 1, ids(1, 2, 3, 4, 6)), []);
  assert.equal(window(2000, 0, ids(1, 2, 3, 4, 6)), [AnomalyKind.RateSpike]);
  assert.equal(window(110, AUTH_BURST, ids(1, 2, 3, 4, 6)), [AnomalyKind.AuthFailures], "the spike did not become the baseline");
  assert.equal(window(110, 0, ids(1, 7, 8, 9, 10)), [AnomalyKind.NeighborChurn], "four of five replaced");
  assert.equal(window(110, 0, ids()), [], "losing every neighbor is a partition, not an eclipse");
});

test("a node flooded with frames that fail authentication raises an auth-failures anomaly", () => {
  const rng = new Rng(4);
  const keys = createMeshKeys(rng);
  const p = provisionNode(keys, rng);
  const node = new MeshNode(p, { crypto: nodeCrypto, random: rng, storage: new MemoryStorage() }, createNodeConfig());
  node.start(0);
  const forger = new FrameSealer(nodeCrypto, p.networkId, new Uint8Array(32).fill(9), new Uint8Array(8).fill(1), 1);
  const events: MeshEvent[] = [];
  for (let k = 0; k < 2 * AUTH_BURST; k++) node.receive(forger.seal(Uint8Array.of(2, 0, 0))!, 0, 1000 + k);
  for (let t = node.nextTimeout(); t <= ANOMALY_WINDOW_MS; t = node.nextTimeout()) {
    node.tick(t);
    for (let e = node.pollEvent(); e; e = node.pollEvent()) events.push(e);
  }
  // The open budget lets one link address's burst be opened; the rest are refused unopened, and count too.
  const burst = createNodeConfig().unboundOpensPerLinkBurst;
  assert.is(node.counters.dropped(WireError.AuthFailed), burst);
  assert.is(node.counters.dropped(DropReason.OpenBudget), 2 * AUTH_BURST - burst);
  assert.equal(events.filter((e) => e.type === "anomaly"), [{ type: "anomaly", kind: "auth-failures", value: 2 * AUTH_BURST, threshold: AUTH_BURST }]);
});

test("every node's health report reaches the gateway, and says what the node sees", () => {
  const topology = randomGeometricGraph({ nodes: 20, averageDegree: 6, seed: 8 });
  const rng = new Rng(8);
  const keys = createMeshKeys(rng);
  const provisioning = Array.from({ length: topology.x.length }, (_, i) => provisionNode(keys, rng, i === 0 ? Role.Gateway : Role.Node));
  const config = createNodeConfig({ beaconIntervalMs: 2000, healthIntervalMs: 30_000 });
  const nodes: MeshNode[] = [];
  const reports = new Map<string, Map<number, HealthReport>>();
  const sim = new Simulator({
    topology, seed: 8, radio: { loss: 0.1 },
    createDevice: (i, ports) => (nodes[i] = new MeshNode(provisioning[i], { crypto: nodeCrypto, random: ports.random, storage: ports.storage }, config)),
    onEvent: (i, e) => {
      if (i !== 0 || e.type !== "health") return;
      const bySeq = reports.get(e.origin) ?? new Map<number, HealthReport>();
      const seen = bySeq.get(e.seq);
      if (seen) assert.equal(e.report, seen, "a report delivered twice is the same report");
      bySeq.set(e.seq, e.report);
      reports.set(e.origin, bySeq);
    },
  });
  sim.startAll(0);
  sim.runUntil(180_000);
  const reachable = bfsDistances(topology.neighbors, 0);
  const index = new Map(nodes.map((n, i) => [n.idHex, i]));
  nodes.forEach((n, i) => {
    // Best effort, by whichever path: put them in the order the node sent them.
    const got = [...(reports.get(n.idHex) ?? new Map<number, HealthReport>())].sort(([a], [b]) => a - b).map(([, r]) => r);
    if (reachable[i] < 0) return assert.is(got.length, 0, `node ${i} has no path`);
    assert.ok(got.length >= 3, `node ${i}: ${got.length} reports in 3 minutes at one per 30 s`);
    assert.is(got[0].gateway, i === 0);
    for (let k = 1; k < got.length; k++) {
      assert.ok(got[k].uptimeSeconds > got[k - 1].uptimeSeconds && got[k].framesIn >= got[k - 1].framesIn, `node ${i}: numbered in the order sent`);
    }
    const last = got[got.length - 1];
    assert.ok(last.neighborCount >= 1 && last.neighbors.length === Math.min(last.neighborCount, MAX_REPORT_NEIGHBORS));
    for (const nb of last.neighbors) {
      assert.ok(topology.neighbors[i].includes(index.get(nb.id)!), `node ${i} lists ${nb.id}, a node in its radio range`);
    }
    for (let k = 1; k < last.neighbors.length; k++) assert.ok(last.neighbors[k - 1].reception >= last.neighbors[k].reception, "best heard first");
    assert.is(last.authFailures, 0, "an honest mesh fails no authentication");
  });
});

test.run();
