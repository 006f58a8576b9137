/**
 * Keys and certificates for a simulated mesh, derived from the scenario seed so that the same seed
 * gives the same identities (and so the same trace).
 */
import type { Provisioning } from "../../modules/node.js";
import { issueCertificate, Role } from "../../modules/identity/certificate.js";
import { nodeCrypto, nodeKeyPairFromSeed } from "../node/node-crypto.js";
import { Rng } from "./rng.js";
import { SIM_EPOCH_SECONDS } from "./sim-epoch.js";

export { SIM_EPOCH_SECONDS } from "./sim-epoch.js";

export interface MeshKeys {
  networkId: number;
  networkKey: Uint8Array;
  owner: { publicKey: Uint8Array; secretKey: Uint8Array };
}

/** Certificates in the simulator are valid for ten years from SIM_EPOCH_SECONDS. */
const TEN_YEARS = 10 * 365 * 86400;

function bytesFrom(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.nextU32();
    for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = v >>> (8 * k);
  }
  return out;
}

export function createMeshKeys(rng: Rng, networkId = 0x48590001): MeshKeys {
  return { networkId, networkKey: bytesFrom(rng, 32), owner: nodeKeyPairFromSeed(bytesFrom(rng, 32)) };
}

/** A node's provisioning: a fresh key pair and an owner-signed certificate for `role` (with the command right if `command`). */
export function provisionNode(keys: MeshKeys, rng: Rng, role: Role = Role.Node, command = false): Provisioning {
  const pair = nodeKeyPairFromSeed(bytesFrom(rng, 32));
  const certificate = issueCertificate(nodeCrypto, keys.owner.secretKey, {
    networkId: keys.networkId, publicKey: pair.publicKey, role, command,
    notBefore: SIM_EPOCH_SECONDS, notAfter: SIM_EPOCH_SECONDS + TEN_YEARS,
  });
  return {
    networkId: keys.networkId, networkKey: keys.networkKey, ownerPublicKey: keys.owner.publicKey,
    secretKey: pair.secretKey, certificate,
  };
}

/** The owner and network keys of the simulated mesh of `seed` (what provisionMesh gives its nodes). */
export function meshKeysFor(seed: number): MeshKeys {
  return createMeshKeys(new Rng(seed).fork("keys"));
}

/** Every node of a simulated mesh (MeshPlatform.provision): one owner and network key, then node i's own stream. */
export function provisionMesh(seed: number, count: number, roles: ReadonlyMap<number, Role>): Provisioning[] {
  const keys = meshKeysFor(seed);
  const nodes = new Rng(seed).fork("node");
  return Array.from({ length: count }, (_, i) => provisionNode(keys, nodes.fork(i), roles.get(i) ?? Role.Node));
}
