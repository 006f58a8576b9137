/**
 * Revocation of a stolen certificate in the simulator: one node's key is stolen (the node keeps
 * running, as the thief would have it), and at `revokeAtMs` the owner's tool hands a revocation
 * list naming it to one gateway (`injectRevocation`). Measures how long until every other node
 * holds the list and so has cut the revoked node off (forgotten it, refusing its frames as
 * `revoked`), and checks that it stays cut off: none of its messages delivered anywhere after that
 * node held the list, no node keeps it as a neighbor.
 */
import { nodeCrypto } from "../node/node-crypto.js";
import { issueRevocationList } from "../../modules/identity/revocation.js";
import { DropReason } from "../../modules/counters.js";
import { AttackMesh } from "./attack-mesh.js";
import { bfsDistances } from "./graph.js";
import { meshKeysFor } from "./provision.js";
import { randomGeometricGraph } from "./topology.js";

export interface RevocationOptions {
  nodes: number;
  seed: number;
  revokeAtMs: number;
  durationMs: number;
}

export interface RevocationResult {
  /** Nodes that hold the list at the end, of those it can reach (connected to the gateway without the revoked node). */
  holding: number;
  others: number;
  /** Time from the injection until the last node held the list, ms (Infinity: some never did). */
  cutOffMs: number;
  /** The median node's time, ms. */
  medianMs: number;
  beaconIntervalMs: number;
  /** Messages of the revoked node delivered at a node after it held the list. */
  deliveredAfterCutOff: number;
  /** Nodes that still list the revoked node as a neighbor at the end. */
  stillNeighbors: number;
  /** Frames of the revoked node refused as `revoked`, over the mesh. */
  refused: number;
}

export function runRevocation(opts: RevocationOptions): RevocationResult {
  const { nodes, seed, revokeAtMs, durationMs } = opts;
  const topology = randomGeometricGraph({ nodes, averageDegree: 8, seed });
  const gateway = 0;
  // The stolen node: the best-connected one, the one a thief would most like to keep.
  let stolen = 1;
  for (let i = 2; i < nodes; i++) if (topology.neighbors[i].length > topology.neighbors[stolen].length) stolen = i;
  const heldAt = new Float64Array(nodes).fill(Infinity);
  let deliveredAfterCutOff = 0;
  let stolenId = "";
  const mesh = new AttackMesh({
    topology, seed, loss: 0.1, gateways: [gateway], attackers: new Map(),
    publishPeriodMs: 60_000, readingPeriodMs: 0, warmupMs: 20_000, quietFromMs: durationMs,
    onEvent: (i, e, now) => {
      if (e.type === "revocation" && heldAt[i] === Infinity) heldAt[i] = now;
      if (e.type === "message" && e.origin === stolenId && now >= heldAt[i]) deliveredAfterCutOff++;
    },
  });
  mesh.run(revokeAtMs);
  stolenId = mesh.node(stolen).idHex;
  const keys = meshKeysFor(seed);
  const list = issueRevocationList(nodeCrypto, keys.owner.secretKey, keys.networkId, 1, [mesh.node(stolen).id]);
  if (!mesh.node(gateway).injectRevocation(list, revokeAtMs)) throw new Error("the revocation list did not verify");
  mesh.run(durationMs);
  const up = new Uint8Array(nodes).fill(1);
  up[stolen] = 0;
  const reach = bfsDistances(topology.neighbors, gateway, up);
  const times: number[] = [];
  let stillNeighbors = 0;
  let refused = 0;
  for (let i = 0; i < nodes; i++) {
    if (reach[i] < 0) continue;
    times.push(heldAt[i] - revokeAtMs);
    const node = mesh.node(i);
    if (node.neighborSummary(durationMs).some((n) => n.id === stolenId)) stillNeighbors++;
    refused += node.counters.dropped(DropReason.Revoked);
  }
  times.sort((a, b) => a - b);
  return {
    holding: times.filter((t) => t < Infinity).length,
    others: times.length,
    cutOffMs: times[times.length - 1],
    medianMs: times[Math.floor(times.length / 2)],
    beaconIntervalMs: mesh.node(gateway).config.beaconIntervalMs,
    deliveredAfterCutOff,
    stillNeighbors,
    refused,
  };
}
