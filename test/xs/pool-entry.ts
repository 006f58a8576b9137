/**
 * XS side of test/xs-mixed.test.ts: a NodePool of MeshNodes on the board's crypto, driven by the Node
 * side one instant at a time. Provisioning comes from the Node side (it needs node:crypto).
 */
import { createBoardCrypto } from "../../modules/crypto/board-crypto.js";
import { provisioningFromText, type ProvisioningText } from "../../modules/provisioning.js";
import { serveJson } from "../../tools/xs/xs-bridge.js";
import { NodePool, type Step } from "./node-pool.js";

export type PoolRequest =
  | { create: { provisioning: ProvisioningText[]; seed: number } }
  | { now: number; steps: Step[] }
  | { state: number };

let pool: NodePool | undefined;

serveJson((request: PoolRequest) => {
  if ("create" in request) {
    pool = new NodePool(request.create.provisioning.map(provisioningFromText), createBoardCrypto(), request.create.seed);
    return pool.ids;
  }
  if (!pool) throw new Error("create the pool first");
  return "steps" in request ? pool.apply(request.now, request.steps) : pool.state(request.state);
});
