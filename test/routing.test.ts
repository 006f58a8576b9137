/**
 * Routes to gateways: the ROUTE codec, the route table's feasibility rule and bounds, and whole
 * simulated meshes — convergence, loop freedom checked after every simulator step through churn,
 * repair after nodes die, stretch against breadth-first distance, leaves never used as next hops.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Role } from "../modules/identity/certificate.js";
import { RouteTable, seqnoNewer, MAX_CANDIDATES } from "../modules/routing/route-table.js";
import { WireError } from "../modules/wire/errors.js";
import { decodeRoute, encodeRoute, INFINITE_METRIC, MAX_ROUTE_ENTRIES, newRouteView, type RouteEntry } from "../modules/wire/route.js";
import { bfsDistances } from "../hosts/sim/graph.js";
import { MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import { lineLayout } from "../hosts/sim/topology.js";
import { SILENT_AFTER_MESSAGES } from "../modules/reputation/relay-watch.js";

const SELF = new Uint8Array(8).fill(0xee);
const gw = (k: number) => new Uint8Array(8).fill(k);
const entry = (k: number, seqno: number, metric: number): RouteEntry => ({ destination: gw(k), seqno, metric });
const unitCost = () => 256;

test("ROUTE codec: round trip and strict decoding", () => {
  const entries = [entry(1, 7, 0), entry(2, 0xffff, 513)];
  const bytes = encodeRoute(entries);
  const view = newRouteView();
  assert.is(decodeRoute(bytes, view), WireError.None);
  assert.is(view.count, 2);
  assert.equal(view.entries.slice(0, 2).map((e) => [[...e.destination], e.seqno, e.metric]), entries.map((e) => [[...e.destination], e.seqno, e.metric]));
  assert.is(decodeRoute(bytes.subarray(0, bytes.length - 1), view), WireError.Truncated);
  assert.is(decodeRoute(new Uint8Array([...bytes, 0]), view), WireError.TrailingBytes);
  assert.is(decodeRoute(new Uint8Array(0), view), WireError.Truncated);
  assert.is(decodeRoute(Uint8Array.of(MAX_ROUTE_ENTRIES + 1), view), WireError.Oversized);
  assert.throws(() => encodeRoute(Array.from({ length: MAX_ROUTE_ENTRIES + 1 }, () => entry(1, 1, 1))), RangeError);
  assert.throws(() => encodeRoute([entry(1, 0x10000, 0)]), RangeError);
});

test("seqno order is serial arithmetic on 16 bits", () => {
  assert.ok(seqnoNewer(2, 1));
  assert.ok(!seqnoNewer(1, 2));
  assert.ok(!seqnoNewer(5, 5));
  assert.ok(seqnoNewer(0, 0xffff), "wraps");
  assert.ok(!seqnoNewer(0x8001, 1), "half the space away is older");
});

test("feasibility: after advertising, a worse route with the same seqno is refused until a newer seqno", () => {
  const t = new RouteTable();
  t.update(0, entry(1, 10, 256), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.metric, 512);
  t.advertise([], 8); // FD := (10, 512)
  // The only neighbor now reports a longer way with the same seqno: it may be routing through us.
  t.update(0, entry(1, 10, 600), SELF);
  t.update(1, entry(1, 10, 700), SELF);
  t.select(unitCost);
  assert.is(t.nearest(), null, "unfeasible routes are never selected");
  const out: RouteEntry[] = [];
  t.advertise(out, 8);
  assert.equal(out.map((e) => e.metric), [INFINITE_METRIC], "the loss is advertised as a retraction");
  t.update(1, entry(1, 11, 700), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 1, "a newer seqno is feasible at any metric");
});

test("a lost route keeps asking for its record until its three retractions are out; an eviction does not", () => {
  const t = new RouteTable(1);
  t.update(0, entry(1, 10, 256), SELF);
  t.select(unitCost);
  t.advertise([], 8);
  assert.is(t.retractingLoss(), false);
  t.dropNeighbor(0);
  t.select(unitCost);
  for (let k = 0; k < 3; k++) {
    assert.ok(t.retractingLoss(), `retraction ${k + 1} of 3 still to send`);
    t.advertise([], 8);
  }
  assert.is(t.retractingLoss(), false, "all three sent");
  t.update(0, entry(2, 5, 256), SELF);
  t.select(unitCost);
  t.advertise([], 8);
  t.update(1, entry(3, 5, 0), SELF); // nearer: the full table retires gateway 2's route
  const out: RouteEntry[] = [];
  t.advertise(out, 8);
  assert.equal(out.map((e) => [e.destination[0], e.metric]), [[2, INFINITE_METRIC]], "retracted to make room");
  assert.is(t.retractingLoss(), false, "and not hurried");
});

test("a full candidate list makes room for a newer seqno before routes we may not take", () => {
  const t = new RouteTable();
  t.update(0, entry(1, 10, 256), SELF);
  t.select(unitCost);
  t.advertise([], 8); // FD := (10, 512)
  for (let slot = 1; slot < MAX_CANDIDATES; slot++) t.update(slot, entry(1, 10, 600 + slot), SELF);
  t.update(9, entry(1, 11, 3000), SELF); // longer than all, but newer: feasible at any metric
  t.dropNeighbor(0);
  t.select(unitCost);
  assert.is(t.routeTo(gw(1))?.nextHop, 9, "the only route we may take was kept");
});

test("retractions and lost neighbors remove routes; a better route must beat the current by a margin", () => {
  const t = new RouteTable();
  t.update(0, entry(1, 1, 300), SELF);
  t.update(1, entry(1, 1, 310), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 0);
  t.update(1, entry(1, 2, 290), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 0, "10 units better is not worth a switch");
  t.update(1, entry(1, 2, 100), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 1);
  t.update(1, entry(1, 2, INFINITE_METRIC), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 0);
  t.dropNeighbor(0);
  t.select(unitCost);
  assert.is(t.nearest(), null);
  t.update(0, entry(0xee, 1, 0), SELF);
  assert.is(t.size, 1, "routes to ourselves are ignored");
});

test("losing a route to any destination is flagged once, not only the nearest", () => {
  const t = new RouteTable();
  t.update(0, entry(1, 1, 100), SELF);
  t.update(1, entry(2, 1, 900), SELF);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 0);
  assert.is(t.takeLost(), false);
  t.dropNeighbor(1);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 0, "the nearest route stays");
  assert.is(t.takeLost(), true, "the farther gateway's route was lost: flagged all the same");
  assert.is(t.takeLost(), false, "once");
  t.update(2, entry(1, 1, 400), SELF);
  t.dropNeighbor(0);
  t.select(unitCost);
  assert.is(t.nearest()?.nextHop, 2);
  assert.is(t.takeLost(), false, "a move is not a loss");
});

test("bounded: destinations and candidates per destination", () => {
  const t = new RouteTable(2);
  t.update(0, entry(1, 1, 100), SELF);
  t.update(0, entry(2, 1, 200), SELF);
  t.select(unitCost);
  t.update(0, entry(3, 1, 900), SELF);
  assert.is(t.size, 2, "a farther newcomer is refused");
  t.update(0, entry(4, 1, 50), SELF);
  t.select(unitCost);
  assert.equal(t.routes().map((r) => r.destination[0]).sort(), [1, 4], "a nearer newcomer replaces the farthest");
  for (let slot = 0; slot < MAX_CANDIDATES + 2; slot++) t.update(slot, entry(1, 1, 100 + slot), SELF);
  t.dropNeighbor(0);
  t.dropNeighbor(1);
  t.dropNeighbor(2);
  t.dropNeighbor(3);
  t.select(unitCost);
  assert.is(t.routeTo(gw(1)), null, `only the best ${MAX_CANDIDATES} candidates were kept`);
});

function meshScenario(overrides: Partial<Scenario>): Scenario {
  return {
    seed: 21, nodes: 50, averageDegree: 8, durationMs: 60_000, loss: 0.1, publishPeriodMs: 0, warmupMs: 20_000,
    roles: [{ node: 0, role: Role.Gateway }, { node: 1, role: Role.Gateway }], ...overrides,
  };
}

/** Follows next hops from every node toward `gateway`; fails on a loop. Returns hop counts (-1: no route). */
function followRoutes(sim: MeshSimulation, gatewayHex: string): number[] {
  const n = sim.topology.x.length;
  const next = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!sim.simulator.isOn(i)) continue;
    const r = sim.node(i)?.routeSummary().find((s) => s.gateway === gatewayHex);
    if (r) next[i] = sim.indexOf(r.nextHop) ?? -1;
  }
  const hops: number[] = [];
  for (let i = 0; i < n; i++) {
    let at = i;
    let count = 0;
    while (next[at] >= 0) {
      at = next[at];
      if (++count > n) throw new Error(`routing loop toward ${gatewayHex} from node ${i}, step ${sim.simulator.now} ms`);
    }
    hops.push(sim.node(at)?.idHex === gatewayHex ? count : -1);
  }
  return hops;
}

/** Runs the simulation to `until`, following every node's routes to each gateway after every instant (thousands of them). */
function assertLoopFreeUntil(sim: MeshSimulation, gatewayNodes: number[], until: number): void {
  const gateways = gatewayNodes.map((i) => sim.node(i)!.idHex);
  let instants = 0;
  while (sim.simulator.nextEventAt <= until) {
    sim.simulator.runUntil(sim.simulator.nextEventAt);
    for (const g of gateways) followRoutes(sim, g);
    instants++;
  }
  assert.ok(instants > 2_000, `checked after each of ${instants} instants`);
}

test("routes converge: every node reaches its nearest gateway, close to the shortest path", () => {
  const sim = new MeshSimulation(meshScenario({}));
  sim.simulator.runUntil(60_000);
  const gateways = [0, 1].map((i) => sim.node(i)!.idHex);
  const distance = [0, 1].map((g) => bfsDistances(sim.topology.neighbors, g));
  let ratio = 0;
  let routed = 0;
  for (let i = 2; i < 50; i++) {
    const nearest = sim.node(i)!.nearestGateway();
    assert.ok(nearest, `node ${i} has a route`);
    const g = gateways.indexOf(nearest.gateway);
    assert.ok(g >= 0, "routes lead to gateways only");
    const hops = followRoutes(sim, nearest.gateway)[i];
    assert.ok(hops > 0, `node ${i}: the next hops reach the gateway`);
    ratio += hops / Math.min(distance[0][i], distance[1][i]);
    routed++;
  }
  assert.ok(ratio / routed <= 1.3, `mean hop stretch ${(ratio / routed).toFixed(3)} against the nearer gateway`);
});

test("loop-free after every simulated instant while 10% of nodes die, and routes repair", () => {
  const stops = [5, 9, 14, 22, 31].map((node, k) => ({ node, at: 40_000 + 3_000 * k }));
  const sim = new MeshSimulation(meshScenario({ nodes: 40, durationMs: 120_000, loss: 0.15, stops, seed: 23 }));
  sim.simulator.runUntil(30_000);
  assertLoopFreeUntil(sim, [0, 1], 120_000);
  const up = new Uint8Array(40).fill(1);
  for (const s of stops) up[s.node] = 0;
  const reach = [0, 1].map((g) => bfsDistances(sim.topology.neighbors, g, up));
  for (let i = 2; i < 40; i++) {
    if (!up[i] || (reach[0][i] < 0 && reach[1][i] < 0)) continue;
    const nearest = sim.node(i)!.nearestGateway();
    assert.ok(nearest, `node ${i} has a route again`);
    assert.ok(followRoutes(sim, nearest.gateway)[i] > 0, `node ${i}: repaired route reaches the gateway`);
  }
});

test("loop-free through churn with more gateways than route rows: destinations forgotten and relearned", () => {
  // Six gateways, three rows: nodes keep evicting and re-admitting destinations, the case where a
  // neighbor's stale candidate (a route it no longer advertises) could close a loop.
  const roles = [0, 1, 2, 3, 4, 5].map((node) => ({ node, role: Role.Gateway }));
  const stops = [8, 13, 17, 26, 33, 41].map((node, k) => ({ node, at: 35_000 + 2_000 * k }));
  const sim = new MeshSimulation(meshScenario({ nodes: 60, durationMs: 60_000, loss: 0.15, roles, stops, seed: 26, config: { routeCapacity: 3 } }));
  sim.simulator.runUntil(20_000);
  assertLoopFreeUntil(sim, roles.map((r) => r.node), 60_000);
});

test("a lost route to a gateway other than the nearest is retracted at once", () => {
  // A line: gateway 0, then C=1 and A=2 (both nearer to gateway 0), B=3, D=4, gateway 5. C's and A's
  // routes to gateway 5 go through B; B dies. When A drops that route it tells C at once (not at its
  // next beacon), though the lost route is not its nearest. Ten seeds: without the trigger, some
  // are seconds late.
  const killedAt = 40_000;
  for (let seed = 27; seed < 37; seed++) {
    const sim = new MeshSimulation(meshScenario({
      nodes: 6, topology: lineLayout(6, 1, 1.5), loss: 0, durationMs: 70_000, seed,
      roles: [{ node: 0, role: Role.Gateway }, { node: 5, role: Role.Gateway }], stops: [{ node: 3, at: killedAt }],
    }));
    sim.simulator.runUntil(killedAt - 1);
    const far = sim.node(5)!.idHex;
    const routeVia = (i: number) => sim.node(i)!.routeSummary().find((r) => r.gateway === far)?.nextHop;
    assert.is(routeVia(2), sim.node(3)!.idHex, "A routes to gateway 5 through B");
    assert.is(routeVia(1), sim.node(2)!.idHex, "C through A");
    assert.is(sim.node(2)!.nearestGateway()?.gateway, sim.node(0)!.idHex, "gateway 0 is A's nearest");
    let lostA = -1;
    let lostC = -1;
    while (lostC < 0 && sim.simulator.nextEventAt <= 70_000) {
      sim.simulator.runUntil(sim.simulator.nextEventAt);
      if (lostA < 0 && routeVia(2) === undefined) lostA = sim.simulator.now;
      if (lostC < 0 && routeVia(1) === undefined) lostC = sim.simulator.now;
    }
    assert.ok(lostA > killedAt, `seed ${seed}: A dropped the route`);
    assert.ok(lostC > 0 && lostC - lostA <= 1_200, `seed ${seed}: C dropped it ${lostC - lostA} ms after A (a triggered retraction, at most a second late)`);
  }
});

test("a gateway that never relays gossip keeps its neighbors' routes (silence avoids relays, not gateways)", () => {
  // A line: gateway 0, then 1 and 2, all publishing. Node 1 relays what the gateway needs; the gateway
  // has no one to pass anything to, so node 1 never hears it relaying through far more than
  // SILENT_AFTER_MESSAGES messages. Its route to the gateway must stay.
  const sim = new MeshSimulation(meshScenario({
    nodes: 3, topology: lineLayout(3, 1, 1.5), loss: 0, durationMs: 6 * 60_000, publishPeriodMs: 3_000,
    roles: [{ node: 0, role: Role.Gateway }],
  }));
  const gateway = () => sim.node(0)!.idHex;
  for (let t = 60_000; t <= 6 * 60_000; t += 30_000) {
    sim.simulator.runUntil(t);
    assert.is(sim.node(1)!.routeSummary().find((r) => r.gateway === gateway())?.nextHop, gateway(), `t=${t / 1000} s: node 1 routes to the gateway directly`);
  }
  assert.ok(sim.node(1)!.counters.messagesNew > 2 * SILENT_AFTER_MESSAGES, `${sim.node(1)!.counters.messagesNew} new messages at node 1`);
});

test("a destination left out of a neighbor's ROUTE record loses that neighbor as candidate", () => {
  const t = new RouteTable(4);
  const view = { count: 2, entries: [{ destination: gw(1), seqno: 5, metric: 256 }, { destination: gw(2), seqno: 9, metric: 512 }] };
  t.updateFrom(3, view, gw(0));
  t.select(() => 256);
  assert.is(t.routeTo(gw(2))?.nextHop, 3);
  t.updateFrom(3, { count: 1, entries: [view.entries[0]] }, gw(0));
  t.select(() => 256);
  assert.is(t.routeTo(gw(2)), null, "gone with the candidate");
  assert.is(t.routeTo(gw(1))?.nextHop, 3, "the listed destination stays");
});

test("leaves are never next hops and advertise no routes", () => {
  const leaves = [2, 3, 4, 5, 6, 7, 8, 9].map((node) => ({ node, role: Role.Leaf }));
  const sim = new MeshSimulation(meshScenario({ roles: [{ node: 0, role: Role.Gateway }, ...leaves], seed: 24 }));
  sim.simulator.runUntil(60_000);
  const leafIds = new Set(leaves.map((l) => sim.node(l.node)!.idHex));
  let routes = 0;
  for (let i = 0; i < 50; i++) {
    for (const r of sim.node(i)!.routeSummary()) {
      routes++;
      assert.ok(!leafIds.has(r.nextHop), `node ${i} routes through leaf ${r.nextHop}`);
    }
  }
  assert.ok(routes >= 40, `${routes} routes`);
});

test("a gateway's route seqnos survive its reboot without going back", () => {
  const sim = new MeshSimulation(meshScenario({ nodes: 20, reboots: [{ node: 0, at: 30_000, downMs: 5_000 }], seed: 25 }));
  sim.simulator.runUntil(29_000);
  const gatewayHex = sim.node(0)!.idHex;
  const before = sim.node(2)!.routeSummary().find((r) => r.gateway === gatewayHex)!.seqno;
  sim.simulator.runUntil(60_000);
  const after = sim.node(2)!.routeSummary().find((r) => r.gateway === gatewayHex);
  assert.ok(after, "the route came back after the gateway rebooted");
  assert.ok(seqnoNewer(after.seqno, before), `seqno ${after.seqno} is newer than ${before}`);
});

test.run();
