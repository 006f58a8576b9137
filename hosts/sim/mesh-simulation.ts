/**
 * The simulated mesh on Node: SimulatedMesh with node:crypto and provisioning derived from the seed.
 * Inside XS the same SimulatedMesh runs on the board's crypto (test/xs-mesh.test.ts).
 */
import { nodeCrypto } from "../node/node-crypto.js";
import { provisionMesh } from "./provision.js";
import { SimulatedMesh, type MeshPlatform, type Scenario } from "./simulated-mesh.js";

export { DRAIN_MS, defaultScenario, recentCapacityFor, type Scenario, type SimulationReport } from "./simulated-mesh.js";

export const NODE_PLATFORM: MeshPlatform = { crypto: nodeCrypto, provision: provisionMesh };

export class MeshSimulation extends SimulatedMesh {
  constructor(scenario: Scenario) {
    super(scenario, NODE_PLATFORM);
  }
}
