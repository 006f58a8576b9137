/**
 * The "Routing and readings" section of BENCHMARKS.md (issue 5's figures), on the same random
 * geometric graphs and seeds as the relay-policy tables:
 *   1. routes: after 90 s of beacons, the share of nodes with a route to a gateway and its hop
 *      stretch against the breadth-first distance to the nearest gateway (under uniform loss every
 *      link has the same ETX, so this is also the stretch against the shortest ETX path);
 *   2. repair: 10% of the nodes (not gateways) die at once; how long until every node whose route
 *      went through one of them has a working route again, in beacon intervals;
 *   3. control overhead: bytes per node per second with no data, only HELLO and ROUTE;
 *   4. readings under stress: 20% loss, a 10-minute partition, 10% of the nodes rebooting; readings
 *      lost and duplicated at the gateways' applications (targets 0), and their latency;
 *   5. routes to any node (on demand): one message each between sampled pairs, one after the other;
 *      routes found, messages delivered, hop stretch, and the route requests' and replies' bytes per
 *      discovery. `node build/tools/bench-routing.js` measures this part alone and rewrites its
 *      subsection of BENCHMARKS.md (the last of §Routing and readings).
 */
import { DEFAULT_NODE_CONFIG } from "../modules/config.js";
import { HEADER_BYTES, TAG_BYTES } from "../modules/wire/frame.js";
import { ROUTE_REPLY_BYTES, ROUTE_REQUEST_BYTES } from "../modules/wire/node-route.js";
import { RECORD_HEADER_BYTES } from "../modules/wire/records.js";
import { type Io, processIo, runAsScript } from "./cli.js";
import { runReportTool } from "./report-tool.js";
import { sectionBounds } from "./markdown-section.js";
import { Role } from "../modules/identity/certificate.js";
import { bfsDistances } from "../hosts/sim/graph.js";
import { MeshSimulation, type Scenario } from "../hosts/sim/mesh-simulation.js";
import type { ReadingTotals } from "../hosts/sim/reading-ledger.js";
import { Rng } from "../hosts/sim/rng.js";
import { chooseGateways, chooseReboots } from "./sim-command.js";

const DEGREE = 8;
const CONVERGE_MS = 90_000;
const QUIET_FROM_MS = 60_000;
const REPAIR_WINDOW_MS = 120_000;
const STEP_MS = 250;

export const ROUTING_TARGETS = { maxStretch: 1.15, maxRepairBeacons: 3, maxLost: 0, maxDuplicated: 0 };

export interface RouteResult {
  nodes: number;
  seed: number;
  gateways: number;
  routedShare: number;
  stretch: number;
  overheadBytesPerNodeSecond: number;
  /** Nodes whose route crossed a killed node. */
  affected: number;
  repairMeanBeacons: number;
  repairMaxBeacons: number;
  /** Affected nodes with an honest path left that had no working route at the end of the window. */
  unrepaired: number;
}

export interface StressResult {
  nodes: number;
  seed: number;
  readings: ReadingTotals;
  wallMs: number;
}

function gatewayCount(nodes: number): number {
  return Math.max(2, Math.round(nodes / 100));
}

/**
 * The path a reading from node i would take: its nearest gateway D, then at every hop that hop's own
 * route to D (custody follows the route to the reading's gateway, not each hop's nearest one). Null
 * without a working route: no route, a hop that is down, or a loop.
 */
function routePath(sim: MeshSimulation, i: number): number[] | null {
  const start = sim.node(i)?.nearestGateway();
  if (!start) return null;
  const path: number[] = [];
  const limit = sim.topology.neighbors.length;
  let hop: string | undefined = start.nextHop;
  while (hop !== undefined && path.length <= limit) {
    const next = sim.indexOf(hop);
    if (next === undefined || !sim.simulator.isOn(next)) return null;
    path.push(next);
    const node = sim.node(next)!;
    if (node.idHex === start.gateway) return path;
    hop = node.routeSummary().find((r) => r.gateway === start.gateway)?.nextHop;
  }
  return null;
}

/** Hops from each node along its route to its nearest gateway; -1 without a working route. */
function routeHops(sim: MeshSimulation, n: number): Int32Array {
  const hops = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!sim.simulator.isOn(i) || sim.node(i)!.role === Role.Gateway) continue;
    const path = routePath(sim, i);
    if (path) hops[i] = path.length;
  }
  return hops;
}

/** Multi-source BFS: hops from every node to its nearest gateway over the nodes that are up. */
function nearestGatewayHops(sim: MeshSimulation, gateways: number[], up?: Uint8Array): Int32Array {
  const n = sim.topology.neighbors.length;
  const best = new Int32Array(n).fill(-1);
  for (const g of gateways) {
    const d = bfsDistances(sim.topology.neighbors, g, up);
    for (let i = 0; i < n; i++) if (d[i] >= 0 && (best[i] < 0 || d[i] < best[i])) best[i] = d[i];
  }
  return best;
}

export function runRoutes(nodes: number, seed: number, log: (line: string) => void): RouteResult {
  const gateways = chooseGateways(seed, nodes, gatewayCount(nodes));
  const rng = new Rng(seed).fork("bench-kill");
  const candidates = Array.from({ length: nodes }, (_, i) => i).filter((i) => !gateways.includes(i));
  for (let k = candidates.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
  }
  const killed = candidates.slice(0, Math.round(nodes / 10));
  const scenario: Scenario = {
    seed, nodes, averageDegree: DEGREE, durationMs: CONVERGE_MS + REPAIR_WINDOW_MS, loss: 0.1, publishPeriodMs: 0, warmupMs: 20_000,
    roles: gateways.map((node) => ({ node, role: Role.Gateway })),
    stops: killed.map((node) => ({ node, at: CONVERGE_MS })),
    config: { hopLimit: 255 },
  };
  const sim = new MeshSimulation(scenario);
  sim.simulator.runUntil(QUIET_FROM_MS);
  const bytesBefore = sim.report(0).bytesSent;
  sim.simulator.runUntil(CONVERGE_MS - 1);
  const overhead = (sim.report(0).bytesSent - bytesBefore) / nodes / ((CONVERGE_MS - 1 - QUIET_FROM_MS) / 1000);

  const hops = routeHops(sim, nodes);
  const shortest = nearestGatewayHops(sim, gateways);
  let routed = 0, reachable = 0, stretchSum = 0;
  for (let i = 0; i < nodes; i++) {
    if (gateways.includes(i) || shortest[i] <= 0) continue;
    reachable++;
    if (hops[i] > 0) {
      routed++;
      stretchSum += hops[i] / shortest[i];
    }
  }
  // Who routes through a node about to die?
  const dying = new Set(killed);
  const affected: number[] = [];
  for (let i = 0; i < nodes; i++) {
    if (dying.has(i) || gateways.includes(i) || hops[i] <= 0) continue;
    if (routePath(sim, i)!.some((at) => dying.has(at))) affected.push(i);
  }
  const up = new Uint8Array(nodes).fill(1);
  for (const k of killed) up[k] = 0;
  const stillReachable = nearestGatewayHops(sim, gateways, up);
  const repairedAt = new Map<number, number>();
  for (let t = CONVERGE_MS; t <= CONVERGE_MS + REPAIR_WINDOW_MS; t += STEP_MS) {
    sim.simulator.runUntil(t);
    const now = routeHops(sim, nodes);
    for (const i of affected) if (!repairedAt.has(i) && now[i] > 0) repairedAt.set(i, t - CONVERGE_MS);
    if (repairedAt.size === affected.length) break;
  }
  const beacon = DEFAULT_NODE_CONFIG.beaconIntervalMs;
  const repairable = affected.filter((i) => stillReachable[i] > 0);
  const times = repairable.map((i) => repairedAt.get(i) ?? Infinity);
  const finite = times.filter(Number.isFinite);
  const result: RouteResult = {
    nodes, seed, gateways: gateways.length,
    routedShare: reachable ? routed / reachable : 0,
    stretch: routed ? stretchSum / routed : 0,
    overheadBytesPerNodeSecond: overhead,
    affected: repairable.length,
    repairMeanBeacons: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length / beacon : 0,
    repairMaxBeacons: finite.length ? Math.max(...finite) / beacon : 0,
    unrepaired: times.length - finite.length,
  };
  log(`routing N=${nodes} seed=${seed}: routed ${(100 * result.routedShare).toFixed(1)}%, stretch ${result.stretch.toFixed(3)}, ` +
    `repair ${result.repairMeanBeacons.toFixed(2)} mean / ${result.repairMaxBeacons.toFixed(2)} max beacons (${result.affected} affected, ` +
    `${result.unrepaired} unrepaired), overhead ${result.overheadBytesPerNodeSecond.toFixed(1)} B/node·s`);
  return result;
}

export function runStress(nodes: number, seed: number, log: (line: string) => void): StressResult {
  const minute = 60_000;
  const gateways = chooseGateways(seed, nodes, gatewayCount(nodes));
  const scenario: Scenario = {
    seed, nodes, averageDegree: DEGREE, durationMs: 30 * minute, loss: 0.2, publishPeriodMs: 0, warmupMs: 20_000,
    roles: gateways.map((node) => ({ node, role: Role.Gateway })),
    readingPeriodMs: minute, readingsUntilMs: 16 * minute,
    partitions: [{ from: 3 * minute, to: 13 * minute }],
    reboots: chooseReboots(seed, nodes, Math.round(nodes / 10), 20_000, 16 * minute).filter((r) => !gateways.includes(r.node)),
    config: { hopLimit: 255 },
  };
  const started = performance.now();
  const sim = new MeshSimulation(scenario);
  for (let t = minute; t <= scenario.durationMs; t += minute) sim.simulator.runUntil(t);
  const readings = sim.report(0).readings!;
  const wallMs = performance.now() - started;
  log(`readings N=${nodes} seed=${seed}: ${readings.taken} taken, ${readings.lost} lost, ${readings.duplicated} duplicated, ` +
    `latency p50 ${(readings.latencyMs.p50 / 1000).toFixed(2)} s max ${(readings.latencyMs.max / 1000).toFixed(1)} s (${(wallMs / 1000).toFixed(1)} s)`);
  return { nodes, seed, readings, wallMs };
}

/** Pairs sampled per run, one message each, NODE_ROUTE_GAP_MS apart from NODE_ROUTE_START_MS. */
const NODE_ROUTE_PAIRS = 20;
const NODE_ROUTE_START_MS = 60_000;
const NODE_ROUTE_GAP_MS = 5_000;
/** Bytes on the air per request or reply: the record in a frame of its own (header, tag, record header). */
const REQUEST_FRAME_BYTES = HEADER_BYTES + TAG_BYTES + RECORD_HEADER_BYTES + ROUTE_REQUEST_BYTES;
const REPLY_FRAME_BYTES = HEADER_BYTES + TAG_BYTES + RECORD_HEADER_BYTES + ROUTE_REPLY_BYTES;

export interface NodeRouteResult {
  nodes: number;
  seed: number;
  pairs: number;
  /** Pairs whose origin held a route to the destination NODE_ROUTE_GAP_MS after sending. */
  routeShare: number;
  deliveredShare: number;
  /** Hops along the next hops over the breadth-first hops, mean over the routes found. */
  stretch: number;
  /** Floods started (retries and custodians' repairs included). */
  discoveries: number;
  /** Requests and replies on the air per flood, bytes. */
  controlBytesPerDiscovery: number;
  latencyMeanMs: number;
}

/**
 * Routes to any node on the graph, seed and gateways of runRoutes: after NODE_ROUTE_START_MS of
 * beacons, one message each between NODE_ROUTE_PAIRS sampled pairs at least two hops apart (a
 * neighbor is reached directly; gateways are not destinations: their routes are proactive).
 */
export function runNodeRoutes(nodes: number, seed: number, log: (line: string) => void): NodeRouteResult {
  const gateways = chooseGateways(seed, nodes, gatewayCount(nodes));
  const base: Scenario = {
    seed, nodes, averageDegree: DEGREE, durationMs: NODE_ROUTE_START_MS + NODE_ROUTE_GAP_MS * (NODE_ROUTE_PAIRS + 4), loss: 0.1,
    publishPeriodMs: 0, warmupMs: 20_000, roles: gateways.map((node) => ({ node, role: Role.Gateway })), config: { hopLimit: 255 },
  };
  const started = performance.now();
  const topology = new MeshSimulation(base).topology;
  const rng = new Rng(seed).fork("bench-pairs");
  const pairs: { from: number; to: number; at: number; shortest: number }[] = [];
  while (pairs.length < NODE_ROUTE_PAIRS) {
    const from = rng.int(nodes);
    const to = rng.int(nodes);
    const shortest = bfsDistances(topology.neighbors, from)[to];
    if (shortest >= 2 && !gateways.includes(to)) pairs.push({ from, to, shortest, at: NODE_ROUTE_START_MS + NODE_ROUTE_GAP_MS * pairs.length });
  }
  const sim = new MeshSimulation({ ...base, topology, directMessages: pairs.map(({ from, to, at }) => ({ from, to, at })) });
  let routed = 0;
  let stretchSum = 0;
  for (const p of pairs) {
    sim.simulator.runUntil(p.at + NODE_ROUTE_GAP_MS - 1);
    const toHex = sim.node(p.to)!.idHex;
    let at = p.from;
    let hops = 0;
    while (at !== p.to && hops <= nodes) {
      const r = sim.node(at)?.nodeRouteSummary(sim.simulator.now).find((x) => x.destination === toHex);
      if (!r) break;
      at = sim.indexOf(r.nextHop)!;
      hops++;
    }
    // The last hop may be the destination as a neighbor, with no route entry.
    if (at !== p.to && hops > 0 && sim.node(at)?.neighborSummary(sim.simulator.now).some((n) => n.id === toHex)) hops++, at = p.to;
    if (at === p.to) {
      routed++;
      stretchSum += hops / p.shortest;
    }
  }
  sim.simulator.runUntil(base.durationMs);
  let discoveries = 0;
  let controlBytes = 0;
  for (let i = 0; i < nodes; i++) {
    const c = sim.node(i)?.discoveryCounters;
    if (!c) continue;
    discoveries += c.requestsStarted;
    controlBytes += (c.requestsStarted + c.requestsRelayed) * REQUEST_FRAME_BYTES + c.replyRecords * REPLY_FRAME_BYTES;
  }
  const t = sim.direct.totals;
  const result: NodeRouteResult = {
    nodes, seed, pairs: pairs.length, routeShare: routed / pairs.length, deliveredShare: t.delivered / pairs.length,
    stretch: routed ? stretchSum / routed : 0, discoveries, controlBytesPerDiscovery: discoveries ? controlBytes / discoveries : 0,
    latencyMeanMs: t.latenciesMs.length ? t.latenciesMs.reduce((a, b) => a + b, 0) / t.latenciesMs.length : 0,
  };
  log(`node routes N=${nodes} seed=${seed}: routes ${(100 * result.routeShare).toFixed(0)}%, delivered ${(100 * result.deliveredShare).toFixed(0)}%, ` +
    `stretch ${result.stretch.toFixed(3)}, ${discoveries} floods, ${(result.controlBytesPerDiscovery / 1000).toFixed(1)} KB each ` +
    `(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return result;
}

export function runRoutingBench(sizes: number[], seeds: number[], log: (line: string) => void): { routes: RouteResult[]; stress: StressResult[]; nodeRoutes: NodeRouteResult[] } {
  const routes: RouteResult[] = [];
  const stress: StressResult[] = [];
  for (const nodes of sizes) for (const seed of seeds) routes.push(runRoutes(nodes, seed, log));
  for (const nodes of sizes) for (const seed of seeds) stress.push(runStress(nodes, seed, log));
  return { routes, stress, nodeRoutes: runNodeRouteBench(sizes, seeds, log) };
}

export function runNodeRouteBench(sizes: number[], seeds: number[], log: (line: string) => void): NodeRouteResult[] {
  const out: NodeRouteResult[] = [];
  for (const nodes of sizes) for (const seed of seeds) out.push(runNodeRoutes(nodes, seed, log));
  return out;
}

function mark(pass: boolean): string {
  return pass ? "PASS" : "**FAIL**";
}

export function renderRoutingSection(r: { routes: RouteResult[]; stress: StressResult[]; nodeRoutes: NodeRouteResult[] }): string {
  const L: string[] = [ROUTING_HEADING, ""];
  L.push("Routes to gateways (distance vector with Babel feasibility, docs/protocol.md §Routing) on the graphs above,",
    `10% loss, ${DEFAULT_NODE_CONFIG.beaconIntervalMs / 1000} s beacons, max(2, N/100) gateways chosen from the seed. ` +
    "A node's route is the path a reading would take: its nearest gateway, then every hop's own route to that gateway.",
    "Stretch: hops along that path over the breadth-first hops to the nearest gateway (uniform loss: every link has",
    "the same ETX, so this is the stretch against the shortest ETX path). Repair: 10% of the nodes die at once after 90 s; for each",
    "node whose route crossed one of them (and that still has a path), the time until its route reaches a gateway again,",
    "sampled every 250 ms. Overhead: all bytes sent from 60 to 90 s with no data (HELLO and ROUTE) per node per second.", "");
  L.push("| N | seed | gateways | routed | stretch (≤ 1.15) | affected | repair mean | repair max (≤ 3 beacons) | unrepaired | overhead B/node·s |");
  L.push("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const x of r.routes) {
    L.push(`| ${x.nodes} | ${x.seed} | ${x.gateways} | ${(100 * x.routedShare).toFixed(1)}% | ${x.stretch.toFixed(3)} ${mark(x.stretch <= ROUTING_TARGETS.maxStretch)} | ` +
      `${x.affected} | ${x.repairMeanBeacons.toFixed(2)} | ${x.repairMaxBeacons.toFixed(2)} ${mark(x.repairMaxBeacons <= ROUTING_TARGETS.maxRepairBeacons && x.unrepaired === 0)} | ` +
      `${x.unrepaired} | ${x.overheadBytesPerNodeSecond.toFixed(1)} |`);
  }
  L.push("", "Readings under stress: 20% loss, the plane split in two from minute 3 to 13, 10% of the nodes (not gateways) crash",
    "and reboot 30 s later at random times, every other node takes a reading each minute until minute 16, run to minute 30.",
    "Counted at the gateways' applications (the `reading` events). Readings of nodes with no path to any gateway in the graph",
    "(isolated by the random placement) are not lost: they wait in the origin's storage, and are counted apart.", "");
  L.push("| N | seed | taken | lost (target 0) | duplicated (target 0) | waiting, no path | verified on delivery | latency p50 | p90 | p99 | max | wall |");
  L.push("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const s of r.stress) {
    const x = s.readings;
    const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;
    L.push(`| ${s.nodes} | ${s.seed} | ${x.taken} | ${x.lost} ${mark(x.lost === 0)} | ${x.duplicated} ${mark(x.duplicated === 0)} | ${x.unreachable} | ` +
      `${(100 * x.verifiedOnDelivery / Math.max(1, x.delivered)).toFixed(1)}% | ${sec(x.latencyMs.p50)} | ${sec(x.latencyMs.p90)} | ` +
      `${sec(x.latencyMs.p99)} | ${sec(x.latencyMs.max)} | ${(s.wallMs / 1000).toFixed(0)} s |`);
  }
  return L.join("\n") + "\n\n" + renderNodeRouteSection(r.nodeRoutes);
}

export const ROUTING_HEADING = "## Routing and readings";
export const NODE_ROUTE_HEADING = "### Routes to any node";

/** The last subsection of §Routing and readings: on-demand routes (docs/protocol.md §Routes to any node). */
export function renderNodeRouteSection(results: NodeRouteResult[]): string {
  const L: string[] = [NODE_ROUTE_HEADING, ""];
  L.push(`Measured by \`node build/tools/bench-routing.js\` (this subsection only). On-demand routes (AODV/LOADng-style route`,
    `requests and replies, docs/protocol.md §Routes to any node) on the graphs, seeds and gateways of the first table, 10% loss:`,
    `after ${NODE_ROUTE_START_MS / 1000} s of beacons, ${NODE_ROUTE_PAIRS} sampled pairs at least two hops apart (not gateways as destinations)`,
    `send one message each, ${NODE_ROUTE_GAP_MS / 1000} s apart. Routes: the origin holds a route that its next hops follow to the`,
    `destination ${NODE_ROUTE_GAP_MS / 1000} s after sending. Stretch: those hops over the breadth-first hops (uniform loss: also against the shortest`,
    "ETX path). Floods: route requests started (retries and custodians' repairs included). Bytes per flood: every request and reply",
    `sent, each counted as a frame of its own (${REQUEST_FRAME_BYTES} and ${REPLY_FRAME_BYTES} B with header and tag), over the floods.`, "");
  L.push("| N | seed | pairs | routes found | delivered | stretch | floods | bytes per flood | bytes per flood per node | mean latency |");
  L.push("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const x of results) {
    L.push(`| ${x.nodes} | ${x.seed} | ${x.pairs} | ${(100 * x.routeShare).toFixed(0)}% | ${(100 * x.deliveredShare).toFixed(0)}% | ${x.stretch.toFixed(3)} | ` +
      `${x.discoveries} | ${Math.round(x.controlBytesPerDiscovery).toLocaleString("en-US")} | ${(x.controlBytesPerDiscovery / x.nodes).toFixed(1)} | ` +
      `${(x.latencyMeanMs / 1000).toFixed(2)} s |`);
  }
  return L.join("\n") + "\n";
}

/**
 * `markdown` with its Routes-to-any-node subsection replaced by `section`: it ends §Routing and
 * readings, so it runs to the next "## " heading (added there the first time); undefined without
 * that section.
 */
export function withNodeRouteSection(markdown: string, section: string): string | undefined {
  const routing = sectionBounds(markdown, ROUTING_HEADING);
  if (!routing) return undefined;
  const at = markdown.slice(0, routing[1]).search(/^### Routes to any node$/m);
  const start = at >= 0 ? at : routing[1];
  const rest = markdown.slice(routing[1]);
  return markdown.slice(0, start) + section + (rest ? "\n" + rest : "");
}

const HELP = `Usage: node build/tools/bench-routing.js [--out FILE]

Measures routes to any node (on demand) at 200 and 1,000 nodes, seeds 1 and 2, and rewrites the
"### Routes to any node" subsection of the report (the last of "## Routing and readings"), leaving
the rest of the file as it is. About 30 s. The whole routing section comes from
\`node build/tools/bench.js --only routing\`.

  --out FILE    the report to update (default: BENCHMARKS.md at the repo root)
  -h, --help    this help
`;

/** The command line: rewrites the Routes-to-any-node subsection of `--out` (default BENCHMARKS.md). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  return runReportTool({
    name: "bench-routing", section: NODE_ROUTE_HEADING.slice(4), help: HELP, flags: {}, settings: () => null,
    rewrite(existing, _settings, _command, io) {
      const section = renderNodeRouteSection(runNodeRouteBench([200, 1000], [1, 2], (line) => void io.stderr.write(line + "\n")));
      const updated = withNodeRouteSection(existing, section);
      if (!updated) throw new Error(`the report has no "${ROUTING_HEADING}" section`);
      return updated;
    },
  }, argv, io);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
