/**
 * This node's provisioning on the board. A build may carry it in its config (first flash); the node
 * then keeps a copy in storage, so a later build without it (a firmware update for every node) boots
 * as the same certified node. Written only when it differs from the stored copy: five flash commits
 * once, never one per boot.
 *
 * The secret key sits in NVS as plain bytes, like every key on a board without flash encryption:
 * enable ESP-IDF's NVS encryption where boards can be stolen.
 */
import { equalBytes, readU32, writeU32 } from "../../modules/bytes.js";
import type { Provisioning } from "../../modules/node.js";
import type { Storage } from "../../modules/ports.js";
import { provisioningFromText, type ProvisioningText } from "../../modules/provisioning.js";

const KEY_NETWORK_ID = "netid";
const KEY_NETWORK_KEY = "netkey";
const KEY_OWNER = "owner";
const KEY_SECRET = "secret";
const KEY_CERTIFICATE = "cert";

function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v);
  return b;
}

export function storedProvisioning(store: Storage): Provisioning | undefined {
  const id = store.get(KEY_NETWORK_ID);
  const networkKey = store.get(KEY_NETWORK_KEY);
  const ownerPublicKey = store.get(KEY_OWNER);
  const secretKey = store.get(KEY_SECRET);
  const certificate = store.get(KEY_CERTIFICATE);
  if (!id || id.length !== 4 || !networkKey || !ownerPublicKey || !secretKey || !certificate) return undefined;
  return { networkId: readU32(id, 0), networkKey, ownerPublicKey, secretKey, certificate };
}

function storeProvisioning(store: Storage, p: Provisioning): void {
  const entries: [string, Uint8Array][] = [
    [KEY_NETWORK_ID, u32Bytes(p.networkId)],
    [KEY_NETWORK_KEY, p.networkKey],
    [KEY_OWNER, p.ownerPublicKey],
    [KEY_SECRET, p.secretKey],
    [KEY_CERTIFICATE, p.certificate],
  ];
  for (const [key, value] of entries) {
    const old = store.get(key);
    if (!old || !equalBytes(old, value)) store.set(key, value);
  }
}

/**
 * The build's provisioning (checked, then stored) or else the stored one; undefined when neither
 * exists. Throws TypeError naming the field when the build's is malformed.
 */
export function loadProvisioning(fromBuild: ProvisioningText | undefined, store: Storage):
    { provisioning: Provisioning; source: "build" | "storage" } | undefined {
  if (fromBuild) {
    const provisioning = provisioningFromText(fromBuild);
    storeProvisioning(store, provisioning);
    return { provisioning, source: "build" };
  }
  const provisioning = storedProvisioning(store);
  return provisioning ? { provisioning, source: "storage" } : undefined;
}
