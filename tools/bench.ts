/**
 * `npm run bench`: the relay policies against each other and against what the graph allows, then
 * how far the simulator scales. Writes BENCHMARKS.md (progress on stderr).
 *
 *   node build/tools/bench.js [--quick] [--only relay|routing|scale] [--out FILE]
 *
 * Relay policies: for each graph size, loss and seed, one random geometric graph (mean degree 8)
 * and one set of broadcast sources; every policy runs on that same topology with the same seed, so
 * the rows of a table differ only in the relay rule. 30 s of beacons first (neighbor tables
 * form), then K single broadcasts 3 s apart, then 20 s for the last to settle.
 *
 * Yardsticks: the greedy connected dominating set rooted at the source (graph.ts) approximates the
 * fewest transmissions a broadcast can take; the hindsight relays, the fewest over lossy links for a
 * rule that knew every loss beforehand and kept flooding's hop latency; the feedback relays, what
 * resending where a copy was lost costs when every loss is known at once, at any latency; the source's eccentricity is
 * the fewest hops to its farthest node. Wall times are measured and reported, never asserted.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RelayPolicy } from "../modules/config.js";
import type { BroadcastTotals } from "../hosts/sim/broadcast-ledger.js";
import { componentOf, eccentricity, feedbackRelays, greedyConnectedDominatingSet, hindsightRelays, realizedLinks } from "../hosts/sim/graph.js";
import { defaultScenario, MeshSimulation, type Scenario, type SimulationReport } from "../hosts/sim/mesh-simulation.js";
import { parallelRun } from "../hosts/sim/parallel-mesh.js";
import { Rng } from "../hosts/sim/rng.js";
import { randomGeometricGraph, type Topology } from "../hosts/sim/topology.js";
import { renderAttackSection, runAttackBench, type AttackResults } from "./bench-attacks.js";
import { renderRoutingSection, ROUTING_HEADING, runRoutingBench, type NodeRouteResult, type RouteResult, type StressResult } from "./bench-routing.js";
import { deviceSectionOf, renderDeviceSection, replaceDeviceSection, runDeviceBench } from "./bench-device.js";
import { firmwareSectionOf, replaceFirmwareSection } from "./bench-firmware.js";
import { CONTENT_HEADING, renderContentSection, runContentBench, withContentSection } from "./bench-content.js";
import { replaceSection, sectionOf } from "./markdown-section.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, parseFlags, processIo, runAsScript, UsageError } from "./cli.js";
import { measureThreadShare, type ThreadShare } from "./thread-share.js";

export const POLICIES: readonly RelayPolicy[] = ["coverage", "flood", "managed"];
const DEGREE = 8;
const BEACON_PHASE_MS = 30_000;
const SPACING_MS = 3_000;
const SETTLE_MS = 20_000;
/** Draws of the radio's losses per source for the hindsight and feedback relays. */
const LOSS_DRAWS = 5;

export interface BenchPlan {
  sizes: number[];
  losses: number[];
  seeds: number[];
  /** Broadcasts per run (K). */
  broadcasts: number;
  scale: boolean;
  /** Measure the Device section inside XS (tools/bench-device.ts); otherwise the report keeps the one it had. */
  device?: boolean;
  /** Run the routing-and-readings section (tools/bench-routing.ts) on `sizes` and `seeds`. */
  routing?: boolean;
  /** Inputs for the fuzzer in the Under-attack section (tools/bench-attacks.ts); 0 or absent skips the section. */
  fuzzInputs?: number;
  /** Mesh sizes for the Content section (tools/bench-content.ts; the first also with 10% malicious nodes); absent keeps the report's. */
  contentSizes?: number[];
}

export const FULL_PLAN: BenchPlan = {
  sizes: [200, 1000], losses: [0.1, 0.3], seeds: [1, 2], broadcasts: 20, scale: true, device: true, routing: true, fuzzInputs: 1_000_000,
  contentSizes: [100, 500],
};
export const QUICK_PLAN: BenchPlan = {
  sizes: [200], losses: [0.1, 0.3], seeds: [1], broadcasts: 20, scale: false, routing: true, fuzzInputs: 100_000, contentSizes: [100],
};

/** Targets for the coverage policy. */
export const TARGETS = {
  /** Minimum delivery ratio by loss. */
  delivery: (loss: number): number => (loss <= 0.1 ? 0.995 : 0.98),
  maxOfFlooding: 0.4,
  maxOfCds: 2,
  maxStretch: 1.3,
};

/** Distinct sources drawn (by the seed) from the largest connected component. */
export function chooseSources(topology: Topology, seed: number, count: number): number[] {
  const n = topology.neighbors.length;
  const seen = new Uint8Array(n);
  let largest: Int32Array = new Int32Array(0);
  for (let i = 0; i < n; i++) {
    if (seen[i]) continue;
    const component = componentOf(topology.neighbors, i);
    for (const j of component) seen[j] = 1;
    if (component.length > largest.length) largest = component;
  }
  const pool = Array.from(largest);
  const rng = new Rng(seed).fork("bench-sources");
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    if (k < pool.length) {
      const j = k + rng.int(pool.length - k);
      [pool[k], pool[j]] = [pool[j], pool[k]];
      out.push(pool[k]);
    } else {
      out.push(pool[rng.int(pool.length)]); // more broadcasts than nodes: repeat sources
    }
  }
  return out;
}

export function broadcastScenario(nodes: number, loss: number, seed: number, sources: number[], config: Scenario["config"]): Scenario {
  return {
    seed,
    nodes,
    averageDegree: DEGREE,
    durationMs: BEACON_PHASE_MS + (sources.length - 1) * SPACING_MS + SETTLE_MS,
    loss,
    publishPeriodMs: 0,
    warmupMs: 0,
    broadcasts: sources.map((node, k) => ({ node, at: BEACON_PHASE_MS + k * SPACING_MS })),
    config,
  };
}

/**
 * BroadcastTotals of several runs pooled as if they were one (weights: broadcasts, deliveries);
 * `latencyMeanMs`: the mean time from publishing to a receiver's first copy, over every delivery.
 */
export type Pooled = Omit<BroadcastTotals, "meanHops" | "meanBfsHops" | "latencyMs"> & { latencyMeanMs: number; wallMs: number };

export function pool(runs: { totals: BroadcastTotals; wallMs: number }[]): Pooled {
  let count = 0, reachable = 0, delivered = 0, worst = 1, tx = 0, hops = 0, bfs = 0, maxRatio = 0, latency = 0, wallMs = 0;
  for (const { totals: t, wallMs: w } of runs) {
    count += t.count;
    reachable += t.reachable;
    delivered += t.delivered;
    worst = Math.min(worst, t.worstDeliveryRatio);
    tx += t.transmissionsPerBroadcast * t.count;
    hops += t.meanHops * t.delivered;
    bfs += t.meanBfsHops * t.delivered;
    maxRatio += t.maxHopRatio * t.count;
    latency += t.latencyMs.mean * t.delivered;
    wallMs += w;
  }
  return {
    count, reachable, delivered,
    deliveryRatio: reachable ? delivered / reachable : 1,
    worstDeliveryRatio: worst,
    transmissionsPerBroadcast: count ? tx / count : 0,
    hopStretch: bfs ? hops / bfs : 1,
    maxHopRatio: count ? maxRatio / count : 1,
    latencyMeanMs: delivered ? latency / delivered : 0,
    wallMs,
  };
}

export interface CaseResult {
  nodes: number;
  loss: number;
  seeds: number[];
  sources: number;
  meanCds: number;
  /** Mean hindsight relays (graph.ts hindsightRelays) over LOSS_DRAWS draws of the losses per source. */
  meanHindsight: number;
  /** Mean feedback relays (graph.ts feedbackRelays) over LOSS_DRAWS draws of the losses per source. */
  meanFeedback: number;
  /** The same, stopped once the delivery target's share of the reachable nodes holds the message. */
  meanFeedbackAtTarget: number;
  meanEccentricity: number;
  meanDegree: number;
  policies: Record<RelayPolicy, Pooled>;
}

function sameTopology(a: Topology, b: Topology): boolean {
  if (a.neighbors.length !== b.neighbors.length) return false;
  for (let i = 0; i < a.neighbors.length; i++) {
    const x = a.neighbors[i], y = b.neighbors[i];
    if (x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Every policy on every (size, loss, seed) of the plan. */
export function runPolicies(plan: BenchPlan, log: (line: string) => void): CaseResult[] {
  const results: CaseResult[] = [];
  const total = plan.sizes.length * plan.losses.length * plan.seeds.length * POLICIES.length;
  let done = 0;
  for (const nodes of plan.sizes) {
    for (const loss of plan.losses) {
      const runs = new Map<RelayPolicy, { totals: BroadcastTotals; wallMs: number }[]>(POLICIES.map((p) => [p, []]));
      let cdsSum = 0, hindsightSum = 0, feedbackSum = 0, feedbackAtTargetSum = 0, eccSum = 0, sourceCount = 0, degreeSum = 0;
      for (const seed of plan.seeds) {
        // The same derivation MeshSimulation uses; checked against each simulation's own below.
        const topology = randomGeometricGraph({ nodes, averageDegree: DEGREE, seed });
        const sources = chooseSources(topology, seed, plan.broadcasts);
        const losses = new Rng(seed).fork("hindsight");
        const draw = (): number => losses.float();
        const feedbackLosses = new Rng(seed).fork("feedback");
        const feedbackDraw = (): number => feedbackLosses.float();
        const atTargetLosses = new Rng(seed).fork("feedback-at-target");
        const atTargetDraw = (): number => atTargetLosses.float();
        for (const source of sources) {
          cdsSum += greedyConnectedDominatingSet(topology.neighbors, source).length;
          for (let k = 0; k < LOSS_DRAWS; k++) hindsightSum += hindsightRelays(realizedLinks(topology.neighbors, loss, draw), source) / LOSS_DRAWS;
          for (let k = 0; k < LOSS_DRAWS; k++) feedbackSum += feedbackRelays(topology.neighbors, source, loss, feedbackDraw) / LOSS_DRAWS;
          for (let k = 0; k < LOSS_DRAWS; k++) {
            feedbackAtTargetSum += feedbackRelays(topology.neighbors, source, loss, atTargetDraw, TARGETS.delivery(loss)) / LOSS_DRAWS;
          }
          eccSum += eccentricity(topology.neighbors, source);
          sourceCount++;
        }
        for (const relayPolicy of POLICIES) {
          const sim = new MeshSimulation(broadcastScenario(nodes, loss, seed, sources, { hopLimit: 255, relayPolicy }));
          if (!sameTopology(sim.topology, topology)) throw new Error("the simulation built a different topology from the same seed");
          const report = sim.run();
          runs.get(relayPolicy)!.push({ totals: report.broadcasts, wallMs: report.wallMs });
          if (relayPolicy === POLICIES[0]) degreeSum += report.graphDegree;
          done++;
          const b = report.broadcasts;
          log(`[${done}/${total}] N=${nodes} loss=${loss} seed=${seed} ${relayPolicy.padEnd(8)} ` +
            `delivery ${(b.deliveryRatio * 100).toFixed(2)}%  tx/bcast ${b.transmissionsPerBroadcast.toFixed(1)}  ` +
            `stretch ${b.hopStretch.toFixed(3)}  ${seconds(report.wallMs)}`);
        }
      }
      const policies = {} as Record<RelayPolicy, Pooled>;
      for (const p of POLICIES) policies[p] = pool(runs.get(p)!);
      results.push({
        nodes, loss, seeds: plan.seeds, sources: sourceCount,
        meanCds: cdsSum / sourceCount, meanHindsight: hindsightSum / sourceCount, meanFeedback: feedbackSum / sourceCount,
        meanFeedbackAtTarget: feedbackAtTargetSum / sourceCount, meanEccentricity: eccSum / sourceCount, meanDegree: degreeSum / plan.seeds.length,
        policies,
      });
    }
  }
  return results;
}

export interface TargetCheck {
  nodes: number;
  loss: number;
  name: string;
  value: string;
  rule: string;
  pass: boolean;
}

export function checkTargets(results: CaseResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const r of results) {
    const c = r.policies.coverage;
    const flood = r.policies.flood.transmissionsPerBroadcast;
    const ofFlood = flood ? c.transmissionsPerBroadcast / flood : Infinity;
    const ofCds = c.transmissionsPerBroadcast / r.meanCds;
    const minDelivery = TARGETS.delivery(r.loss);
    const add = (name: string, value: string, rule: string, pass: boolean): void => {
      checks.push({ nodes: r.nodes, loss: r.loss, name, value, rule, pass });
    };
    add("delivery", percent(c.deliveryRatio), `≥ ${percent(minDelivery, 1)}`, c.deliveryRatio >= minDelivery);
    add("tx vs flooding", percent(ofFlood, 1), `≤ ${percent(TARGETS.maxOfFlooding, 0)}`, ofFlood <= TARGETS.maxOfFlooding);
    add("tx vs greedy CDS", `${ofCds.toFixed(2)}×`, `≤ ${TARGETS.maxOfCds}×`, ofCds <= TARGETS.maxOfCds);
    add("hop stretch", c.hopStretch.toFixed(3), `≤ ${TARGETS.maxStretch}`, c.hopStretch <= TARGETS.maxStretch);
  }
  return checks;
}

/** A percentage that shows 100 (or 0) only when it is exactly that. */
function percent(ratio: number, digits = 2): string {
  const step = 10 ** -digits;
  let p = Number((ratio * 100).toFixed(digits));
  if (p >= 100 && ratio < 1) p = 100 - step;
  if (p <= 0 && ratio > 0) p = step;
  return `${p.toFixed(digits)} %`;
}

function logChecks(checks: TargetCheck[], log: (line: string) => void): void {
  for (const c of checks) log(`${c.pass ? "PASS" : "FAIL"}  coverage N=${c.nodes} loss=${c.loss}: ${c.name} ${c.value} (${c.rule})`);
}

export interface ScaleResult {
  name: string;
  /** Threads the parallel simulator ran on. */
  threads: number;
  setupMs: number;
  report: SimulationReport;
  /** CPU time of setup and run, every thread (user + system, ms): unlike wall time, it does not grow with other work on the machine. */
  cpuMs: number;
}

/** The scale runs, and how fast two threads of this machine run beside each other (null on one core). */
export interface ScaleRuns {
  runs: ScaleResult[];
  share: ThreadShare | null;
}

export const SCALE_HEADING = "## Simulator scale";
export const RELAY_HEADING = "## Relay policies";
/** Sections `--only` can measure alone, rewriting just that section of the report. */
const ONLY_SECTIONS = ["relay", "routing", "scale"] as const;

/** The two simulator-scale runs, on the parallel simulator with one thread per available core. */
export async function runScale(log: (line: string) => void, threads = availableParallelism()): Promise<ScaleRuns> {
  const out: ScaleResult[] = [];
  const timed = async (name: string, scenario: Scenario): Promise<void> => {
    log(`scale: ${name}, ${threads} threads …`);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const end = scenario.durationMs;
    const report = await parallelRun(scenario, {
      threads,
      progress: {
        stepMs: 60_000,
        onStep: (t, wallMs) => log(`scale: ${name}: ${(t / 60_000).toFixed(1)} of ${(end / 60_000).toFixed(1)} simulated min, ${seconds(wallMs)}`),
      },
    });
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const setupMs = performance.now() - started - report.wallMs;
    log(`scale: ${name}: setup ${seconds(setupMs)}, run ${seconds(report.wallMs)} (CPU ${seconds(cpuMs)}), ${report.framesSent} frames`);
    out.push({ name, threads, setupMs, report, cpuMs });
  };
  await timed("1,000 nodes × 10 simulated min, default config", {
    ...defaultScenario(), nodes: 1000, durationMs: 10 * 60_000, config: { hopLimit: 255 },
  });
  const nodes = 10_000;
  const seed = 1;
  const sources = chooseSources(randomGeometricGraph({ nodes, averageDegree: DEGREE, seed }), seed, 20);
  await timed("10,000 nodes × 2 simulated min, 20 broadcasts", {
    ...broadcastScenario(nodes, 0.1, seed, sources, { hopLimit: 255, seenCacheCapacity: 4096 }),
    durationMs: 2 * 60_000,
  });
  if (threads < 2) return { runs: out, share: null };
  log("scale: two threads beside each other …");
  const share = await measureThreadShare();
  log(`scale: each of two threads ran at ${percent(share.share, 0)} of one alone`);
  return { runs: out, share };
}

function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export interface MarkdownInput {
  command: string;
  date: Date;
  plan: BenchPlan;
  results: CaseResult[];
  checks: TargetCheck[];
  scale: ScaleRuns | null;
  routing: { routes: RouteResult[]; stress: StressResult[]; nodeRoutes: NodeRouteResult[] } | null;
  attacks: AttackResults | null;
  totalMs: number;
}

export function renderMarkdown(m: MarkdownInput): string {
  const cpu = cpus();
  const L: string[] = [];
  L.push("# Hyphae benchmarks", "");
  L.push(`Produced by \`${m.command}\` on ${m.date.toISOString().replace(/\.\d+Z$/, "Z")}, ` +
    `Node ${process.version}, ${cpu[0]?.model.trim() ?? "unknown CPU"} (${cpu.length} cores), ` +
    `${seconds(m.totalMs)} in all.`, "");
  L.push("Every figure below comes from the deterministic simulator (`hosts/sim`) running the real firmware core:",
    "the same command on the same code gives the same numbers, except wall times.", "");

  L.push(renderRelaySection(m.plan, m.results, m.checks));
  L.push(renderScaleSection(m.scale));
  L.push(m.routing ? renderRoutingSection(m.routing) : "## Routing and readings\n\nSkipped by this plan.\n");
  L.push(m.attacks ? renderAttackSection(m.attacks) : "## Under attack\n\nSkipped by this plan.\n");
  return L.join("\n").trimEnd() + "\n";
}

/** The note of a section measured by itself: by which command, when, on what. */
function measuredAlone(alone: { command: string; date: Date }): string {
  const cpu = cpus();
  return `Measured alone by \`${alone.command}\` on ${alone.date.toISOString().replace(/\.\d+Z$/, "Z")}, Node ${process.version}, ` +
    `${cpu[0]?.model.trim() ?? "unknown CPU"} (${cpu.length} cores), load average ${loadavg()[0].toFixed(1)} at the start ` +
    "(wall times grow with other work on the machine).";
}

/**
 * The Relay-policies section. `alone` names the command and time when the section was measured by
 * itself (`--only relay`), as the report's header then speaks for the other sections only.
 */
export function renderRelaySection(plan: BenchPlan, results: CaseResult[], checks: TargetCheck[], alone?: { command: string; date: Date }): string {
  const L: string[] = [RELAY_HEADING, ""];
  if (alone) L.push(measuredAlone(alone), "");
  L.push(`Random geometric graphs (mean degree ${DEGREE}), ${plan.seeds.length === 1 ? `seed ${plan.seeds[0]}` : `seeds ${plan.seeds.join(", ")} pooled`}. Per run: ${BEACON_PHASE_MS / 1000} s of beacons, ` +
    `then ${plan.broadcasts} single broadcasts ${SPACING_MS / 1000} s apart from distinct sources drawn by the seed from the ` +
    `largest connected component, then ${SETTLE_MS / 1000} s to settle; no periodic publishing, hop limit 255. ` +
    "All three policies run on the same topology, sources and seed.", "");
  L.push("- **coverage**: Hyphae's gossip (designated relays first, then others where a neighbor is likely still missing the message, plus HELLO-driven repair);",
    "  **flood**: every node rebroadcasts every new message once; **managed**: Meshtastic-style managed flooding.",
    "- **delivery**: received / reachable over all broadcasts; **worst**: the lowest single broadcast.",
    "- **tx/bcast**: transmissions per broadcast (origin + relays); **vs flood**: that over flooding's;",
    "  **vs CDS**: that over the mean greedy connected dominating set rooted at the source (a near-minimal",
    "  relay set: a lower-bound proxy for transmissions).",
    "- **hindsight relays** (a limit): the transmissions a greedy needs that knows beforehand which receptions",
    `  each node's transmission will lose (${LOSS_DRAWS} draws of the radio's losses per source) and keeps every first copy on a`,
    "  shortest path of the links that worked (graph.ts `hindsightRelays`): a relay rule learns of losses only",
    "  after sending, so it cannot expect fewer at flooding's hop latency; **vs hindsight**: tx/bcast over them.",
    "- **feedback relays** (a limit): the transmissions a greedy needs that learns, after every round of transmissions,",
    "  exactly which nodes hold the message, free of charge, and in each round picks the fewest holders whose transmissions",
    `  reach every node next to a holder still missing it, until all have it (${LOSS_DRAWS} draws per source; graph.ts \`feedbackRelays\`):`,
    "  no rule learns of its losses sooner or cheaper, so resending where a copy was lost cannot expect fewer, at any latency;",
    "  **vs feedback**: tx/bcast over them. **At the delivery target**: the same greedy, stopped at the first transmission",
    `  after which the target's share of the reachable nodes (${percent(TARGETS.delivery(0.1), 1)} at 10 % loss, ${percent(TARGETS.delivery(0.3), 0)} at 30 %) holds the message.`,
    "- **stretch**: mean first-copy hops / mean breadth-first hops; **max-hop**: mean over broadcasts of",
    "  (farthest receiver's hops / source eccentricity); **first copy**: mean time from publishing to a receiver's",
    "  first copy (hops count relays, not the time each waits: the two together show what a rule costs in latency).", "");
  for (const r of results) {
    L.push(`### N = ${int(r.nodes)}, loss ${percent(r.loss, 0)}`, "");
    const flood = r.policies.flood.transmissionsPerBroadcast;
    L.push(`Limits: mean radio degree ${r.meanDegree.toFixed(2)}; mean greedy CDS ${r.meanCds.toFixed(1)} nodes; ` +
      `hindsight relays ${r.meanHindsight.toFixed(1)} tx (${percent(flood ? r.meanHindsight / flood : 0, 1)} of flooding's); ` +
      `feedback relays ${r.meanFeedback.toFixed(1)} tx (${percent(flood ? r.meanFeedback / flood : 0, 1)}), ` +
      `${r.meanFeedbackAtTarget.toFixed(1)} tx at the delivery target (${percent(flood ? r.meanFeedbackAtTarget / flood : 0, 1)}); ` +
      `mean source eccentricity ${r.meanEccentricity.toFixed(2)} hops (${r.sources} sources).`, "");
    L.push("| policy | delivery | worst | tx/bcast | vs flood | vs CDS | vs hindsight | vs feedback | stretch | max-hop | first copy | wall |");
    L.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const p of POLICIES) {
      const x = r.policies[p];
      L.push(`| ${p} | ${percent(x.deliveryRatio)} | ${percent(x.worstDeliveryRatio)} | ` +
        `${x.transmissionsPerBroadcast.toFixed(1)} | ${percent(flood ? x.transmissionsPerBroadcast / flood : 0, 1)} | ` +
        `${(x.transmissionsPerBroadcast / r.meanCds).toFixed(2)}× | ${(x.transmissionsPerBroadcast / r.meanHindsight).toFixed(2)}× | ${(x.transmissionsPerBroadcast / r.meanFeedback).toFixed(2)}× | ${x.hopStretch.toFixed(3)} | ${x.maxHopRatio.toFixed(3)} | ${(x.latencyMeanMs / 1000).toFixed(2)} s | ` +
        `${seconds(x.wallMs)} |`);
    }
    L.push("");
  }

  L.push("### Targets (coverage policy)", "");
  L.push("| N | loss | target | value | rule | result |");
  L.push("|--:|--:|---|--:|---|---|");
  for (const c of checks) {
    L.push(`| ${int(c.nodes)} | ${percent(c.loss, 0)} | ${c.name} | ${c.value} | ${c.rule} | ${c.pass ? "PASS" : "**FAIL**"} |`);
  }
  const passed = checks.filter((c) => c.pass).length;
  L.push("", `${passed} of ${checks.length} targets met.`, "");
  for (const r of results) {
    const flood = r.policies.flood.transmissionsPerBroadcast;
    const hindsight = r.meanHindsight / flood;
    const feedback = r.meanFeedback / flood;
    const atTarget = r.meanFeedbackAtTarget / flood;
    if (!(hindsight > TARGETS.maxOfFlooding) && !(feedback > TARGETS.maxOfFlooding)) continue;
    const over = [
      hindsight > TARGETS.maxOfFlooding ? `the hindsight relays are ${percent(hindsight, 1)} of flooding's transmissions (a rule that knew every loss beforehand, at flooding's hop latency)` : "",
      feedback > TARGETS.maxOfFlooding ? `the feedback relays are ${percent(feedback, 1)} of flooding's (a rule told every loss at once and for free, at any latency)` : "",
      atTarget > TARGETS.maxOfFlooding ? `stopped at ${percent(TARGETS.delivery(r.loss), 0)} delivery, they are still ${percent(atTarget, 1)}` : "",
    ].filter((x) => x).join("; ");
    L.push(`At N = ${int(r.nodes)}, loss ${percent(r.loss, 0)}, ${over}: the ≤ ${percent(TARGETS.maxOfFlooding, 0)} target asks for fewer ` +
      "transmissions than such a rule would send (greedy covers are not the optimum: an estimate, not a proof).", "");
  }
  return L.join("\n");
}

/** `markdown` with its Relay-policies section replaced by `section` (appended when it has none). */
export function withRelaySection(markdown: string, section: string): string {
  return replaceSection(markdown, RELAY_HEADING, section) ?? markdown.trimEnd() + "\n\n" + section;
}

/**
 * The Simulator-scale section. `alone` names the command and time when the section was measured by
 * itself (`--only scale`), as the report's header then speaks for the other sections only.
 */
export function renderScaleSection(scale: ScaleRuns | null, alone?: { command: string; date: Date }): string {
  const L: string[] = [SCALE_HEADING, ""];
  if (!scale) return [...L, "Skipped (`--quick`).", ""].join("\n");
  if (alone) L.push(measuredAlone(alone), "");
  L.push("Both runs use the parallel simulator (hosts/sim/parallel-mesh.ts) on one thread per available core " +
    "(`os.availableParallelism()`): the nodes are split into strips, one per thread, each running as far ahead as the radio's 2 ms latency " +
    "and its nodes' distance from the other strips allow; " +
    "its report, trace digest included, is the serial simulator's. Setup is starting the threads, each building the topology " +
    "and provisioning every node (keys, certificates); run is the simulation in wall time; CPU is user + system time of the " +
    "whole process, every thread, setup included (a thread waiting for another polls a little before it sleeps). On a machine " +
    "shared with other work wall time grows with the load, and threads that wait on each other lose more to it than one thread " +
    "does: there CPU time is the fairer figure.", "");
  L.push("| run | threads | setup | run | CPU | frames | deliveries | delivery | tx/bcast | digest |");
  L.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|");
  for (const s of scale.runs) {
    const b = s.report.broadcasts;
    L.push(`| ${s.name} | ${s.threads} | ${seconds(s.setupMs)} | ${seconds(s.report.wallMs)} | ${seconds(s.cpuMs)} | ${int(s.report.framesSent)} | ` +
      `${int(b.delivered)} | ${percent(b.deliveryRatio)} | ${b.transmissionsPerBroadcast.toFixed(1)} | \`${s.report.traceDigest}\` |`);
  }
  if (scale.share) {
    const s = scale.share;
    L.push("", `Two threads on this machine each ran a serial simulation at ${percent(s.share, 0)} of the speed of one thread alone ` +
      `(median of ${s.aloneMs.length} rounds: ${s.aloneMs.map(seconds).join(", ")} alone, ${s.pairMs.map(seconds).join(", ")} side by side; ` +
      "tools/thread-share.ts, 200 nodes each with the per-node traffic of the 1,000-node run): two busy threads slow each other down (shared caches and memory, or a VM host), " +
      `so the parallel simulator on two threads can run at most ${(2 * s.share).toFixed(2)}× as fast as the serial one.`);
  }
  L.push("", "1,000-node run: `defaultScenario()` (beacons every 5 s, each node publishing once a minute after a 20 s warm-up, " +
    "loss 10 %, seed 1) with hop limit 255. 10,000-node run: degree 8, loss 10 %, hop limit 255, seen cache 4096, " +
    `no periodic publishing, 20 broadcasts ${SPACING_MS / 1000} s apart after ${BEACON_PHASE_MS / 1000} s of beacons, seed 1.`, "");
  return L.join("\n");
}

/** `markdown` with its Simulator-scale section replaced by `section` (appended when it has none). */
export function withScaleSection(markdown: string, section: string): string {
  return replaceSection(markdown, SCALE_HEADING, section) ?? markdown.trimEnd() + "\n\n" + section;
}

const HELP = `Usage: node build/tools/bench.js [--quick] [--only relay|routing|scale] [--out FILE]   (or: npm run bench -- [flags])

Benchmarks the relay policies (coverage, flood, managed) on random geometric graphs and the
simulator's scale; writes a markdown report.

  --quick       N = 200 only, one seed, no scale section, 100,000 fuzz inputs, the Device
                section kept as it was (a few minutes)
  --only relay  run only the relay-policy section (the full plan's sizes and seeds, a few
                minutes) and rewrite just that section of the report (the rest is kept)
  --only routing  run only the routing-and-readings section (routes, repair, readings under
                stress, routes to any node; 200 and 1,000 nodes, about ten minutes) and rewrite
                just that section of the report
  --only scale  run only the simulator-scale section and rewrite just that section of the
                report (the rest is kept as it is)
  --out FILE    where to write the report (default: BENCHMARKS.md at the repo root)
  -h, --help    this help

The full run takes about an hour on a 2-core machine, most of it the 1,000-node × 10-minute
scale run and the 1,000-node routing runs; progress goes to stderr. Sections: relay policies,
simulator scale, routing and readings (tools/bench-routing.ts), under attack (a million fuzz
inputs, an insider flood: tools/bench-attacks.ts), and the Device section, measured inside the
real XS engine (node build/tools/bench-device.js does that alone).

Exit codes: 0 ok, 2 usage error, 1 runtime failure. Missed targets are reported, not an error.
`;

/** The text of `file`, or "" when there is none. */
function readIfThere(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** The Device section the report at `file` already has, or a note saying how to measure it. */
function previousDeviceSection(file: string): string {
  let markdown = "";
  try {
    markdown = readFileSync(file, "utf8");
  } catch {
    // No report yet.
  }
  return deviceSectionOf(markdown) ?? "## Device\n\nNot measured yet: `node build/tools/bench-device.js` writes this section.\n";
}

/** The command line that produced the report, as a person would retype it. */
function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((a) => (/^[\w./:=@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  if (process.env.npm_lifecycle_event === "bench") return ["npm run bench", ...(quoted.length ? ["--", ...quoted] : [])].join(" ");
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) || process.argv[1] : "build/tools/bench.js";
  return ["node", script, ...quoted].join(" ");
}

export async function main(argv: readonly string[], io: Io = processIo, plan?: BenchPlan): Promise<number> {
  let quick: boolean, out: string, only: string | undefined;
  try {
    const v = parseFlags([...argv], {
      quick: { type: "boolean" }, only: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" },
    }) as { quick?: boolean; only?: string; out?: string; help?: boolean };
    if (v.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (v.out !== undefined && v.out.trim() === "") throw new UsageError("--out must name a file");
    quick = v.quick === true;
    only = v.only;
    if (only !== undefined && !(ONLY_SECTIONS as readonly string[]).includes(only)) {
      throw new UsageError(`--only takes one of: ${ONLY_SECTIONS.join(", ")}`);
    }
    if (only !== undefined && quick) throw new UsageError("--only and --quick do not go together");
    const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
    out = v.out !== undefined ? resolve(v.out) : resolve(repoRoot, "BENCHMARKS.md");
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`bench: ${e.message}\nRun with --help for the flags.\n`);
    return EXIT_USAGE;
  }
  const chosen = plan ?? (quick ? QUICK_PLAN : FULL_PLAN);
  const log = (line: string): void => void io.stderr.write(line + "\n");
  try {
    if (only === "scale") {
      await writeScaleSection(out, commandLine(argv), log);
      return EXIT_OK;
    }
    if (only === "relay") {
      writeRelaySection(out, plan ?? FULL_PLAN, commandLine(argv), log);
      return EXIT_OK;
    }
    if (only === "routing") {
      writeRoutingSection(out, plan ?? FULL_PLAN, commandLine(argv), log);
      return EXIT_OK;
    }
    const started = performance.now();
    const date = new Date();
    const results = runPolicies(chosen, log);
    const checks = checkTargets(results);
    logChecks(checks, log);
    const scale = chosen.scale ? await runScale(log) : null;
    const routing = chosen.routing ? runRoutingBench(chosen.sizes, chosen.seeds, log) : null;
    const attacks = chosen.fuzzInputs ? runAttackBench(chosen.fuzzInputs, log) : null;
    const markdown = renderMarkdown({
      command: commandLine(argv), date, plan: chosen, results, checks, scale, routing, attacks, totalMs: performance.now() - started,
    });
    const device = chosen.device ? renderDeviceSection(await runDeviceBench(log), commandLine(argv), new Date()) : previousDeviceSection(out);
    // The firmware-in-the-simulator section needs the Moddable SDK: bench-firmware.js writes it; keep it.
    const firmware = firmwareSectionOf(readIfThere(out));
    const content = chosen.contentSizes
      ? renderContentSection(runContentBench(chosen.contentSizes, log), chosen.contentSizes.includes(500) ? null : "The 500-node run is in full runs only.")
      : sectionOf(readIfThere(out), CONTENT_HEADING);
    let report = replaceDeviceSection(markdown, device);
    if (content) report = withContentSection(report, content);
    writeFileSync(out, firmware ? replaceFirmwareSection(report, firmware) : report);
    log(`wrote ${out} (${checks.filter((c) => c.pass).length} of ${checks.length} targets met)`);
    return EXIT_OK;
  } catch (e) {
    const err = e as Error;
    io.stderr.write(`bench: failed: ${err.message}\n`);
    if (err.stack) io.stderr.write(err.stack + "\n");
    return EXIT_FAILURE;
  }
}

/** `--only relay`: the relay-policy runs of `plan`, written over the Relay-policies section of `out`. */
function writeRelaySection(out: string, plan: BenchPlan, command: string, log: (line: string) => void): void {
  const date = new Date();
  const results = runPolicies(plan, log);
  const checks = checkTargets(results);
  logChecks(checks, log);
  writeFileSync(out, withRelaySection(readIfThere(out), renderRelaySection(plan, results, checks, { command, date })));
  log(`wrote the ${RELAY_HEADING.slice(3)} section of ${out} (${checks.filter((c) => c.pass).length} of ${checks.length} targets met)`);
}

/** `--only routing`: the routing runs of `plan`, written over the Routing-and-readings section of `out`. */
function writeRoutingSection(out: string, plan: BenchPlan, command: string, log: (line: string) => void): void {
  const date = new Date();
  const section = renderRoutingSection(runRoutingBench(plan.sizes, plan.seeds, log))
    .replace(`${ROUTING_HEADING}\n\n`, `${ROUTING_HEADING}\n\n${measuredAlone({ command, date })}\n\n`);
  writeFileSync(out, withRoutingSection(readIfThere(out), section));
  log(`wrote the ${ROUTING_HEADING.slice(3)} section of ${out}`);
}

/** `markdown` with its Routing-and-readings section replaced by `section` (appended when it has none). */
export function withRoutingSection(markdown: string, section: string): string {
  return replaceSection(markdown, ROUTING_HEADING, section) ?? markdown.trimEnd() + "\n\n" + section;
}

/** `--only scale`: the two scale runs, written over the Simulator-scale section of `out`. */
async function writeScaleSection(out: string, command: string, log: (line: string) => void): Promise<void> {
  const date = new Date();
  const section = renderScaleSection(await runScale(log), { command, date });
  writeFileSync(out, withScaleSection(readIfThere(out), section));
  log(`wrote the ${SCALE_HEADING.slice(3)} section of ${out}`);
}

if (runAsScript(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
