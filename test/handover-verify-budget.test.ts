/**
 * A busy gateway spends its verify budget on origins' certificates as it refills; a gateway's
 * handover message naming it is admitted from a budget of its own (node.ts), else the claimer's
 * RELEASEs went unverified for minutes and its claim gave up: 4 readings delivered twice at 1,000
 * nodes under stress, seed 1.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { toHex } from "../modules/bytes.js";
import { createNodeConfig } from "../modules/config.js";
import { DropReason } from "../modules/counters.js";
import { encodeHandover } from "../modules/forward/handover-message.js";
import { Role } from "../modules/identity/certificate.js";
import { nodeIdOf } from "../modules/identity/node-id.js";
import { MeshNode } from "../modules/node.js";
import { NOTICE_BYTES, NoticeType, writeNotice } from "../modules/wire/handover.js";
import { nodeCrypto as crypto } from "../hosts/node/node-crypto.js";
import { createMeshKeys, provisionNode, SIM_EPOCH_SECONDS } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";
import { MemoryStorage } from "../hosts/sim/storage.js";

test("origins' certificates spending the verify budget leave a gateway's RELEASE acted on", () => {
  const rng = new Rng(3);
  const keys = createMeshKeys(rng);
  const [home, claimer] = [provisionNode(keys, rng, Role.Gateway), provisionNode(keys, rng, Role.Gateway)];
  const [homeId, claimerId] = [home, claimer].map((p) => nodeIdOf(crypto, p.secretKey.subarray(32)));
  const storage = new MemoryStorage();
  const node = new MeshNode(home, { crypto, random: rng.fork(1), storage }, createNodeConfig());
  node.start(0);
  node.setWallClock(SIM_EPOCH_SECONDS, 0);
  // Fresh origins' certificates until the shared budget is spent.
  for (let i = 0; i < 40; i++) {
    const origin = provisionNode(keys, rng);
    node.admitOrigin(nodeIdOf(crypto, origin.secretKey.subarray(32)), origin.certificate, 1000);
  }
  const spent = node.counters.dropped(DropReason.VerifyBudget);
  assert.ok(spent > 0, "the verify budget is spent");
  // The claimer asks the home to release origin O.
  const originId = nodeIdOf(crypto, provisionNode(keys, rng).secretKey.subarray(32));
  const notices = new Uint8Array(NOTICE_BYTES);
  writeNotice(notices, 0, NoticeType.Release, originId, homeId, 0);
  const message = encodeHandover(crypto, claimer.secretKey, claimer.certificate, claimerId, 1, notices);
  (node as unknown as { onHandover(o: Uint8Array, seq: number, p: Uint8Array, now: number): void }).onHandover(claimerId, 1, message, 1000);
  assert.is(node.counters.dropped(DropReason.VerifyBudget), spent, "the handover message's certificate is not dropped for the budget");
  const released = storage.get("fhr2");
  assert.ok(released && toHex(released).includes(toHex(originId) + toHex(claimerId)), "the home released O to the claimer");
});

test.run();
