/**
 * Routes to any node, found on demand: the ROUTE_REQUEST and ROUTE_REPLY codecs, the route cache's
 * seqno rule and bounds, and whole simulated meshes — every sampled pair reached with little
 * stretch, loop freedom checked after every simulator step through churn, repair after a node on
 * the path dies, seqnos that survive a reboot, and the origin's bounded buffer.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createBoardConfig } from "../modules/config.js";
import { Role } from "../modules/identity/certificate.js";
import { NodeRoutes, ROUTE_LIFETIME_MS } from "../modules/routing/node-routes.js";
import { seqnoNewer } from "../modules/routing/route-table.js";
import { WireError } from "../modules/wire/errors.js";
import {
  decodeRouteReply, decodeRouteRequest, encodeRouteReply, encodeRouteRequest, newRouteReplyView, newRouteRequestView,
  ROUTE_REPLY_BYTES, ROUTE_REQUEST_BYTES,
} from "../modules/wire/node-route.js";
import { bfsDistances, type Adjacency } from "../hosts/sim/graph.js";
import { MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import { Rng } from "../hosts/sim/rng.js";

const id = (k: number) => new Uint8Array(8).fill(k);

test("ROUTE_REQUEST and ROUTE_REPLY codecs: round trip and strict decoding", () => {
  const request = { origin: id(1), target: id(2), originSeqno: 0xfffe, targetSeqno: -1, metric: 700, hops: 3, hopLimit: 32 };
  const bytes = encodeRouteRequest(request);
  assert.is(bytes.length, ROUTE_REQUEST_BYTES);
  const view = newRouteRequestView();
  assert.is(decodeRouteRequest(bytes, view), WireError.None);
  assert.equal({ ...view, origin: [...view.origin], target: [...view.target] }, { ...request, origin: [...id(1)], target: [...id(2)] });
  assert.is(decodeRouteRequest(encodeRouteRequest({ ...request, targetSeqno: 0 }), view), WireError.None);
  assert.is(view.targetSeqno, 0, "a known seqno 0 is not an unknown one");
  const bad = (at: number, value: number) => {
    const b = bytes.slice();
    b[at] = value;
    return decodeRouteRequest(b, view);
  };
  assert.is(decodeRouteRequest(bytes.subarray(0, 24), view), WireError.Truncated);
  assert.is(decodeRouteRequest(new Uint8Array([...bytes, 0]), view), WireError.TrailingBytes);
  assert.is(bad(24, 2), WireError.BadField, "reserved flag bits");
  assert.is(bad(19, 1), WireError.BadField, "a target seqno without its flag");
  assert.is(bad(22, 32), WireError.BadField, "hops at the hop limit");
  assert.is(bad(23, 0), WireError.BadField, "hop limit 0");
  const infinite = bytes.slice();
  infinite[20] = infinite[21] = 0xff;
  assert.is(decodeRouteRequest(infinite, view), WireError.BadField, "metric 0xffff");
  assert.is(decodeRouteRequest(encodeRouteRequest({ ...request, target: id(1) }), view), WireError.BadField, "a request for oneself");
  assert.throws(() => encodeRouteRequest({ ...request, hops: 32 }), RangeError);
  assert.throws(() => encodeRouteRequest({ ...request, metric: 0xffff }), RangeError);

  const reply = { target: id(2), origin: id(1), targetSeqno: 9, metric: 0, hops: 0 };
  const r = encodeRouteReply(reply);
  assert.is(r.length, ROUTE_REPLY_BYTES);
  const rv = newRouteReplyView();
  assert.is(decodeRouteReply(r, rv), WireError.None);
  assert.equal([[...rv.target], [...rv.origin], rv.targetSeqno, rv.metric, rv.hops], [[...id(2)], [...id(1)], 9, 0, 0]);
  assert.is(decodeRouteReply(r.subarray(0, 20), rv), WireError.Truncated);
  assert.is(decodeRouteReply(new Uint8Array([...r, 1]), rv), WireError.TrailingBytes);
  assert.is(decodeRouteReply(encodeRouteReply({ ...reply, origin: id(2) }), rv), WireError.BadField);
  assert.throws(() => encodeRouteReply({ ...reply, targetSeqno: 0x10000 }), RangeError);
});

test("route cache: only a newer seqno, or the same with a smaller metric, replaces a route", () => {
  const t = new NodeRoutes(4);
  assert.ok(t.offer(id(1), 0, 10, 500, 0));
  assert.not.ok(t.offer(id(1), 1, 10, 600, 0), "same seqno, longer");
  assert.not.ok(t.offer(id(1), 1, 9, 100, 0), "older seqno, however short");
  assert.ok(t.offer(id(1), 1, 10, 400, 0), "same seqno, shorter");
  assert.is(t.nextHop(id(1), 0), 1);
  t.dropNeighbor(1);
  assert.is(t.nextHop(id(1), 0), -1, "a route through a lost neighbor is invalid");
  assert.is(t.seqnoOf(id(1), 0), 10, "its seqno stays");
  assert.not.ok(t.offer(id(1), 2, 10, 100, 0), "an invalid route takes only a newer seqno");
  assert.ok(t.offer(id(1), 2, 11, 900, 0));
  t.offer(id(2), 0, 0xfff0, 300, 0);
  assert.ok(t.offer(id(2), 1, 5, 900, 0), "serial arithmetic: 5 is newer than 0xfff0");
});

test("route cache: bounded, invalid rows evicted first, then the least recently used; unused routes forgotten", () => {
  const t = new NodeRoutes(3);
  t.offer(id(1), 0, 1, 100, 0);
  t.offer(id(2), 0, 1, 100, 10);
  t.offer(id(3), 1, 1, 100, 20);
  t.nextHop(id(1), 30); // 1 used lately: 2 is the least recently used
  t.offer(id(4), 0, 1, 100, 40);
  assert.is(t.size, 3);
  assert.equal(t.routes(40).map((r) => r.destination.slice(0, 2)).sort(), ["01", "03", "04"]);
  t.dropNeighbor(1); // 3 invalid: next out, although used later than 1
  t.offer(id(5), 0, 1, 100, 50);
  assert.equal(t.routes(50).map((r) => r.destination.slice(0, 2)).sort(), ["01", "04", "05"]);
  assert.is(t.nextHop(id(4), 40 + ROUTE_LIFETIME_MS), -1, "unused for the lifetime: forgotten");
  assert.ok(t.offer(id(4), 0, 0, 100, 40 + ROUTE_LIFETIME_MS), "a forgotten route takes any seqno");
  assert.throws(() => new NodeRoutes(0), RangeError);
});

function scenario(overrides: Partial<Scenario>): Scenario {
  return {
    seed: 31, nodes: 60, averageDegree: 8, durationMs: 150_000, loss: 0.1, publishPeriodMs: 0, warmupMs: 20_000,
    config: { hopLimit: 64 }, ...overrides,
  };
}

/** Random pairs (from ≠ to) with a path in the graph, one message each, `gapMs` apart from `from`. */
function samplePairs(nodes: number, count: number, seed: number, start: number, gapMs: number, neighbors: Adjacency): { from: number; to: number; at: number }[] {
  const rng = new Rng(seed).fork("pairs");
  const out: { from: number; to: number; at: number }[] = [];
  while (out.length < count) {
    const from = rng.int(nodes);
    const to = rng.int(nodes);
    if (from !== to && bfsDistances(neighbors, from)[to] > 0) out.push({ from, to, at: start + gapMs * out.length });
  }
  return out;
}

/** Hops along the on-demand next hops (gateway routes and direct neighbors aside) from `from` to `to`; throws on a loop, -1 if they stop short. */
function followNodeRoutes(sim: MeshSimulation, from: number, toHex: string): number {
  const n = sim.topology.x.length;
  let at = from;
  for (let hops = 0; hops <= n; hops++) {
    const node = sim.node(at);
    if (!node || !sim.simulator.isOn(at)) return -1;
    if (node.idHex === toHex) return hops;
    const r = node.nodeRouteSummary(sim.simulator.now).find((x) => x.destination === toHex);
    if (!r) return -1;
    at = sim.indexOf(r.nextHop)!;
  }
  throw new Error(`routing loop toward ${toHex} from node ${from} at ${sim.simulator.now} ms`);
}

/** Follows every node's on-demand next hops toward each of `targets` (hex ids); throws on a loop. */
function assertLoopFree(sim: MeshSimulation, targets: string[]): void {
  const n = sim.topology.x.length;
  const now = sim.simulator.now;
  const next = targets.map(() => new Int32Array(n).fill(-1));
  for (let i = 0; i < n; i++) {
    if (!sim.simulator.isOn(i)) continue;
    for (const r of sim.node(i)!.nodeRouteSummary(now)) {
      const t = targets.indexOf(r.destination);
      if (t >= 0) next[t][i] = sim.indexOf(r.nextHop)!;
    }
  }
  targets.forEach((hex, t) => {
    for (let i = 0; i < n; i++) {
      let at = i;
      for (let hops = 0; next[t][at] >= 0; hops++) {
        if (hops > n) throw new Error(`routing loop toward ${hex} from node ${i} at ${now} ms`);
        at = next[t][at];
      }
    }
  });
}

test("every sampled pair gets a route and its message, close to the shortest path", () => {
  const base = scenario({});
  const probe = new MeshSimulation(base);
  const pairs = samplePairs(60, 25, 31, 30_000, 2_000, probe.topology.neighbors);
  const sim = new MeshSimulation({ ...base, directMessages: pairs });
  sim.simulator.runUntil(110_000);
  const t = sim.direct.totals;
  assert.is(t.sent, 25);
  assert.is(t.delivered, 25, `${t.delivered} of 25 delivered`);
  assert.is(t.duplicated + t.misdelivered, 0);
  let stretch = 0;
  let measured = 0;
  for (const p of pairs) {
    const toHex = sim.node(p.to)!.idHex;
    const shortest = bfsDistances(sim.topology.neighbors, p.from)[p.to];
    const hops = followNodeRoutes(sim, p.from, toHex);
    if (shortest === 1 || hops < 0) continue; // neighbors are reached directly
    stretch += hops / shortest;
    measured++;
  }
  assert.ok(measured >= 15, `${measured} multi-hop routes measured`);
  assert.ok(stretch / measured <= 1.3, `mean hop stretch ${(stretch / measured).toFixed(3)} (uniform loss: also the ETX stretch)`);
});

test("leaves reach and are reached, and are never a route's middle", () => {
  const leaves = [3, 8, 12, 17, 25, 33, 41, 47];
  const base = scenario({ nodes: 50, seed: 41, roles: leaves.map((node) => ({ node, role: Role.Leaf })) });
  const probe = new MeshSimulation(base);
  const pairs = samplePairs(50, 60, 41, 30_000, 1_000, probe.topology.neighbors)
    .filter((p) => leaves.includes(p.from) || leaves.includes(p.to)).slice(0, 12);
  assert.ok(pairs.length >= 8, `${pairs.length} pairs with a leaf`);
  const sim = new MeshSimulation({ ...base, directMessages: pairs });
  sim.simulator.runUntil(100_000);
  assert.is(sim.direct.totals.delivered, pairs.length);
  const leafIds = new Set(leaves.map((i) => sim.node(i)!.idHex));
  for (let i = 0; i < 50; i++) {
    for (const r of sim.node(i)!.nodeRouteSummary(100_000)) {
      assert.ok(!leafIds.has(r.nextHop) || r.nextHop === r.destination, `node ${i} routes to ${r.destination} through leaf ${r.nextHop}`);
    }
  }
});

test("loop-free after every simulated instant while nodes die, and messages still get through", () => {
  const stops = [5, 9, 14, 22, 31].map((node, k) => ({ node, at: 45_000 + 4_000 * k }));
  const base = scenario({ nodes: 40, durationMs: 100_000, loss: 0.15, stops, seed: 33 });
  const probe = new MeshSimulation(base);
  const dying = new Set(stops.map((s) => s.node));
  const pairs = samplePairs(40, 40, 33, 30_000, 1_500, probe.topology.neighbors).filter((p) => !dying.has(p.from) && !dying.has(p.to));
  const sim = new MeshSimulation({ ...base, directMessages: pairs });
  const targets = [...new Set(pairs.map((p) => p.to))];
  sim.simulator.runUntil(30_000);
  const targetHex = targets.map((i) => sim.node(i)!.idHex);
  let instants = 0;
  while (sim.simulator.nextEventAt <= 100_000) {
    sim.simulator.runUntil(sim.simulator.nextEventAt);
    assertLoopFree(sim, targetHex);
    instants++;
  }
  assert.ok(instants > 2_000, `checked after each of ${instants} instants`);
  const up = new Uint8Array(40).fill(1);
  for (const s of stops) up[s.node] = 0;
  const reachable = pairs.filter((p) => bfsDistances(sim.topology.neighbors, p.from, up)[p.to] > 0).length;
  const t = sim.direct.totals;
  assert.ok(t.delivered >= reachable && t.duplicated + t.misdelivered === 0,
    `${t.delivered} of ${pairs.length} delivered; ${reachable} pairs still have a path at the end`);
});

test("a route through a node that dies is repaired: the next message goes around it", () => {
  const base = scenario({ nodes: 50, seed: 35 });
  const probe = new MeshSimulation(base);
  // A pair four or more hops apart.
  let pair = { from: -1, to: -1 };
  for (let from = 1; from < 50 && pair.from < 0; from++) {
    const d = bfsDistances(probe.topology.neighbors, from);
    const to = d.findIndex((h) => h >= 4);
    if (to > 0) pair = { from, to };
  }
  assert.ok(pair.from > 0, "the graph has a pair 4 hops apart");
  const first = { ...pair, at: 30_000 };
  const sim = new MeshSimulation({ ...base, directMessages: [first, { ...pair, at: 70_000 }] });
  sim.simulator.runUntil(40_000);
  assert.is(sim.direct.totals.delivered, 1);
  const toHex = sim.node(pair.to)!.idHex;
  const firstHop = sim.indexOf(sim.node(pair.from)!.nodeRouteSummary(40_000).find((r) => r.destination === toHex)!.nextHop)!;
  const relay = sim.indexOf(sim.node(firstHop)!.nodeRouteSummary(40_000).find((r) => r.destination === toHex)!.nextHop)!;
  assert.ok(relay !== pair.to, "the relay is on the path, not the destination");
  const up = new Uint8Array(50).fill(1);
  up[relay] = 0;
  assert.ok(bfsDistances(sim.topology.neighbors, pair.from, up)[pair.to] > 0, "a way around exists");
  sim.simulator.stop(relay, 41_000);
  sim.simulator.runUntil(100_000);
  assert.is(sim.direct.totals.delivered, 2, "the second message arrived");
  const hops = followNodeRoutes(sim, pair.from, toHex);
  assert.ok(hops > 0, "the repaired route reaches the destination");
  let at = pair.from;
  for (let k = 0; k < hops; k++) {
    assert.is.not(at, relay, "the repaired route avoids the dead node");
    at = sim.indexOf(sim.node(at)!.nodeRouteSummary(100_000).find((r) => r.destination === toHex)!.nextHop)!;
  }
});

test("a node's route seqno survives its reboot: replies after it are newer", () => {
  const base = scenario({ nodes: 30, seed: 37 });
  const probe = new MeshSimulation(base);
  const d = bfsDistances(probe.topology.neighbors, 3);
  const to = d.findIndex((h) => h >= 3);
  const sim = new MeshSimulation({ ...base, reboots: [{ node: to, at: 45_000, downMs: 5_000 }],
    // The second after the first route was forgotten (unused for ROUTE_LIFETIME_MS): a new discovery.
    directMessages: [{ from: 3, to, at: 30_000 }, { from: 3, to, at: 40_000 + ROUTE_LIFETIME_MS }], durationMs: 400_000 });
  sim.simulator.runUntil(40_000);
  const toHex = sim.node(to)!.idHex;
  const before = sim.node(3)!.nodeRouteSummary(40_000).find((r) => r.destination === toHex)!.seqno;
  sim.simulator.runUntil(60_000 + ROUTE_LIFETIME_MS);
  assert.is(sim.direct.totals.delivered, 2);
  const after = sim.node(3)!.nodeRouteSummary(sim.simulator.now).find((r) => r.destination === toHex);
  assert.ok(after && seqnoNewer(after.seqno, before), `seqno ${after?.seqno} is newer than ${before}`);
});

test("caps: route caches stay within the board's cap; messages for nobody fill half the custody queue, then are refused, then dropped", () => {
  const board = createBoardConfig({ hopLimit: 64 });
  const base = scenario({ nodes: 40, seed: 39, config: { hopLimit: 64, nodeRouteCapacity: board.nodeRouteCapacity, custodyCapacity: board.custodyCapacity } });
  const probe = new MeshSimulation(base);
  const pairs = samplePairs(40, 60, 39, 30_000, 500, probe.topology.neighbors);
  const sim = new MeshSimulation({ ...base, directMessages: pairs });
  let most = 0;
  for (let t = 30_000; t <= 90_000; t += 1_000) {
    sim.simulator.runUntil(t);
    for (let i = 0; i < 40; i++) most = Math.max(most, sim.node(i)!.health().nodeRoutes);
  }
  assert.ok(most <= board.nodeRouteCapacity && most >= board.nodeRouteCapacity - 2, `at most ${most} routes held (cap ${board.nodeRouteCapacity})`);
  assert.ok(sim.direct.totals.delivered >= 0.95 * pairs.length, `${sim.direct.totals.delivered} of ${pairs.length} delivered with ${board.nodeRouteCapacity} routes a node`);

  const node = sim.node(7)!;
  const nobody = new Uint8Array(8).fill(0xab);
  const now = sim.simulator.now;
  const seqs = Array.from({ length: board.custodyCapacity }, () => node.sendToNode(nobody, Uint8Array.of(1), now));
  const taken = seqs.filter((s) => s > 0).length;
  assert.ok(taken <= board.custodyCapacity / 2, `${taken} held for a route`);
  const refused = node.counters.directDropped;
  assert.ok(refused >= board.custodyCapacity - taken, `${refused} refused and counted`);
  sim.simulator.runUntil(now + 30_000);
  assert.is(node.counters.directDropped, refused + taken, "without a route they are dropped, and counted");
  assert.is(node.health().custody, 0);
});

test.run();
