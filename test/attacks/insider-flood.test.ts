/**
 * Insider flood: one certified node publishes 100× the normal rate. Every other node relays its
 * messages at no more than the per-origin budget, honest messages still reach ≥ 99% of the mesh,
 * and every table stays within its cap.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runInsiderFlood } from "../../hosts/sim/insider-flood.js";

test("a certified node flooding at 100× is held to its rate limit; honest delivery stays ≥ 99%", () => {
  const r = runInsiderFlood({ nodes: 60, seed: 41, factor: 100, periodMs: 30_000, durationMs: 240_000 });
  assert.ok(r.honestMessages > 300, `${r.honestMessages} honest messages`);
  assert.ok(r.honestDelivery >= 0.99, `honest delivery ${(100 * r.honestDelivery).toFixed(2)}%`);
  assert.ok(r.attackerPublished > 600, `the attacker published ${r.attackerPublished}`);
  assert.ok(r.worstRelayed <= r.allowance, `a node relayed ${r.worstRelayed} of the attacker's messages (budget ${r.allowance})`);
  assert.ok(r.relaysRefused > 3_000, `${r.relaysRefused} relays refused for rate`);
  assert.ok(r.capsHeld, "every table within its cap");
});

test.run();
