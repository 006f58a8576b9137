/**
 * The eclipse attack in the simulator: colluding certified insiders gather around one victim so that
 * they are `attackerShare` of its radio neighbors (75%: three for each honest neighbor). They beacon
 * and advertise attractive routes (one perfect hop from the gateway), then drop everything: they
 * relay no gossip and throw away every reading they take custody of. Measures the victim's share of
 * the honest broadcasts it could receive, whether its readings reach the gateway (it has an honest
 * path by construction), the whole mesh's readings, and whether the victim suspected an eclipse.
 */
import { Rng } from "./rng.js";
import { AttackMesh } from "./attack-mesh.js";
import { bfsDistances } from "./graph.js";
import type { ReadingTotals } from "./reading-ledger.js";
import { fromPositions, randomGeometricGraph } from "./topology.js";

export interface EclipseOptions {
  nodes: number;
  seed: number;
  attackerShare: number;
  durationMs: number;
  /** Readings and gossip stop this long before the end, so the last ones can arrive. */
  drainMs: number;
}

export interface EclipseResult {
  honestNodes: number;
  attackers: number;
  victimHonestNeighbors: number;
  victimHopsToGateway: number;
  /** The victim's share of the honest broadcasts it could have received. */
  victimDelivery: number;
  /** Honest delivery over the whole mesh. */
  meshDelivery: number;
  victimReadings: { taken: number; delivered: number };
  readings: ReadingTotals;
  droppedByAttackers: number;
  /** When the victim first raised `eclipse-suspected` (ms; null: never). */
  suspectedAt: number | null;
}

const MINUTE = 60_000;

export function runEclipse(opts: EclipseOptions): EclipseResult {
  const { nodes, seed, attackerShare, durationMs, drainMs } = opts;
  const base = randomGeometricGraph({ nodes, averageDegree: 8, seed });
  const center = base.side / 2;
  let gateway = 0;
  for (let i = 1; i < nodes; i++) if (Math.hypot(base.x[i] - center, base.y[i] - center) < Math.hypot(base.x[gateway] - center, base.y[gateway] - center)) gateway = i;
  // The victim: the first node three hops or more from the gateway with two to five neighbors.
  const hops = bfsDistances(base.neighbors, gateway);
  const victim = hops.findIndex((h, i) => h >= 3 && base.neighbors[i].length >= 2 && base.neighbors[i].length <= 5);
  const honestNeighbors = base.neighbors[victim].length;
  const attackers = Math.ceil((honestNeighbors * attackerShare) / (1 - attackerShare));
  // The attackers stand within range of the victim, wherever in it the seed puts them.
  const rng = new Rng(seed).fork("eclipse");
  const xs = Array.from(base.x);
  const ys = Array.from(base.y);
  for (let k = 0; k < attackers; k++) {
    const r = 0.9 * base.range * Math.sqrt(rng.float());
    const a = 2 * Math.PI * rng.float();
    xs.push(base.x[victim] + r * Math.cos(a));
    ys.push(base.y[victim] + r * Math.sin(a));
  }
  const topology = fromPositions(xs, ys, base.range);
  const eclipse = { dropsGossip: true, dropsData: 1, liesAboutRoutes: true };
  let suspectedAt: number | null = null;
  const mesh = new AttackMesh({
    topology, seed, loss: 0.1, gateways: [gateway],
    attackers: new Map(Array.from({ length: attackers }, (_, k) => [nodes + k, eclipse])),
    publishPeriodMs: MINUTE, readingPeriodMs: MINUTE, warmupMs: 20_000, quietFromMs: durationMs - drainMs,
    onEvent: (i, e, now) => {
      if (i === victim && e.type === "eclipse-suspected" && suspectedAt === null) suspectedAt = now;
    },
  });
  mesh.run(durationMs);
  const victimId = mesh.node(victim).idHex;
  const taken = mesh.readings.takenBy(victimId);
  return {
    honestNodes: nodes,
    attackers,
    victimHonestNeighbors: honestNeighbors,
    victimHopsToGateway: hops[victim],
    victimDelivery: mesh.delivery.ratioAt(victim),
    meshDelivery: mesh.delivery.ratio(),
    victimReadings: taken,
    readings: mesh.readingTotals(),
    droppedByAttackers: mesh.droppedByAttackers,
    suspectedAt,
  };
}
