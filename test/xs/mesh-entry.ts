/**
 * XS side of test/xs-mesh.test.ts: runs a whole SimulatedMesh inside XS on the board's crypto, every
 * open and verify computed by each node (no shared results), and replies with its figures. The
 * provisioning comes from the Node side: deriving it needs node:crypto, which XS does not have.
 */
import { createBoardCrypto } from "../../modules/crypto/board-crypto.js";
import { provisioningFromText, type ProvisioningText } from "../../modules/provisioning.js";
import { SimulatedMesh, type Scenario, type SimulationReport } from "../../hosts/sim/simulated-mesh.js";
import { serveJson } from "../../tools/xs/xs-bridge.js";

export interface MeshRunRequest {
  scenario: Scenario;
  provisioning: ProvisioningText[];
}

export interface MeshRunReply {
  report: SimulationReport;
  /** Radio adjacency the simulation built, per node. */
  topology: number[][];
  /** Neighbor-table size of each node at the end. */
  neighbors: number[];
}

serveJson((request: MeshRunRequest): MeshRunReply => {
  const provisioning = request.provisioning.map(provisioningFromText);
  const mesh = new SimulatedMesh(request.scenario, { crypto: createBoardCrypto(), shareResults: false, provision: () => provisioning });
  const report = mesh.run();
  const now = mesh.simulator.now;
  return {
    report,
    topology: mesh.topology.neighbors.map((list) => Array.from(list)),
    neighbors: provisioning.map((_, i) => mesh.node(i)?.neighborSummary(now).length ?? 0),
  };
});
