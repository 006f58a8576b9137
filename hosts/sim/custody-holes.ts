/**
 * Black and grey holes in the simulator: certified routers next to the gateways that advertise
 * attractive routes (one perfect hop from the gateway), relay gossip like everyone, take custody of
 * the readings that come to them, and drop all of them (black hole) or a share (grey hole). The
 * zero-loss promise of store-and-forward must hold: every reading of an honest node with an honest
 * path to a gateway is delivered, once.
 */
import { DropReason } from "../../modules/counters.js";
import { AttackMesh } from "./attack-mesh.js";
import type { ReadingTotals } from "./reading-ledger.js";
import { randomGeometricGraph } from "./topology.js";

export interface HoleOptions {
  nodes: number;
  seed: number;
  gateways: number;
  /** Holes per gateway, among its best-connected neighbors. */
  holesPerGateway: number;
  /** Share of the readings in its custody a hole drops: 1 black, between 0 and 1 grey. */
  dropShare: number;
  /** Holes answer the readings they drop with forged CONFIRMs (insider-attacker.ts). */
  forgesConfirms?: boolean;
  durationMs: number;
  /** Readings stop this long before the end, so the last ones can arrive. */
  drainMs: number;
}

export interface HoleResult {
  holes: number;
  readings: ReadingTotals;
  /** Readings the holes took custody of and dropped (the origins had to send them again). */
  droppedByHoles: number;
  /** CONFIRMs the holes forged, and those the origins dropped as forged (`bad-confirm`). */
  forgedByHoles: number;
  confirmsRefused: number;
}

export function runCustodyHoles(opts: HoleOptions): HoleResult {
  const { nodes, seed, gateways: count, holesPerGateway, dropShare, forgesConfirms = false, durationMs, drainMs } = opts;
  const topology = randomGeometricGraph({ nodes, averageDegree: 8, seed });
  const { x, y, side } = topology;
  // Gateways: the nodes nearest to points spread along the diagonal of the plane.
  const gateways: number[] = [];
  for (let g = 0; g < count; g++) {
    const px = ((g + 1) / (count + 1)) * side;
    let best = -1;
    for (let i = 0; i < nodes; i++) {
      if (gateways.includes(i)) continue;
      if (best < 0 || Math.hypot(x[i] - px, y[i] - px) < Math.hypot(x[best] - px, y[best] - px)) best = i;
    }
    gateways.push(best);
  }
  const hole = { dropsGossip: false, dropsData: dropShare, liesAboutRoutes: true, forgesConfirms };
  const attackers = new Map<number, typeof hole>();
  for (const g of gateways) {
    const around = [...topology.neighbors[g]].filter((i) => !gateways.includes(i) && !attackers.has(i))
      .sort((a, b) => topology.neighbors[b].length - topology.neighbors[a].length || a - b);
    for (const i of around.slice(0, holesPerGateway)) attackers.set(i, hole);
  }
  const mesh = new AttackMesh({
    topology, seed, loss: 0.1, gateways, attackers,
    publishPeriodMs: 60_000, readingPeriodMs: 60_000, warmupMs: 20_000, quietFromMs: durationMs - drainMs,
  });
  mesh.run(durationMs);
  let confirmsRefused = 0;
  for (let i = 0; i < nodes; i++) confirmsRefused += mesh.node(i).counters.dropped(DropReason.BadConfirm);
  return { holes: attackers.size, readings: mesh.readingTotals(), droppedByHoles: mesh.droppedByAttackers, forgedByHoles: mesh.forgedByAttackers, confirmsRefused };
}
