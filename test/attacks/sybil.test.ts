/**
 * Sybil: a swarm of fake identities that hold the network key but no owner-signed certificate is
 * never admitted or relayed, honest delivery holds, and the certificates it forges cost each node no
 * more than its verify budget.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runSybilSwarm } from "../../hosts/sim/sybil-swarm.js";

test("300 fake identities from 3 radios: none admitted, honest delivery ≥ 99%", () => {
  const r = runSybilSwarm({ nodes: 50, attackers: 3, identities: 300, seed: 61, durationMs: 180_000 });
  assert.ok(r.framesSent > 5_000, `${r.framesSent} forged frames`);
  assert.is(r.admitted, 0, "no fake identity admitted or delivered");
  assert.ok(r.honestDelivery >= 0.99, `honest delivery ${(100 * r.honestDelivery).toFixed(2)}%`);
  // Each forged certificate would cost a verify (a second on the board): the budget holds them to 20 a minute.
  assert.ok(r.verifiesPerNodeMinute <= 20, `${r.verifiesPerNodeMinute.toFixed(1)} verifies per node per minute`);
});

test.run();
