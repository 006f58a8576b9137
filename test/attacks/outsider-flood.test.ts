/**
 * Outsider flood: someone without the network key floods one node with frames that would each cost a
 * secretbox open. The node spends opens on them only within its open budget, whatever addresses they
 * come from; its neighbors' messages and a newcomer's HELLO still get through; a replayed frame of the
 * mesh costs no open, also after its sender rebooted into a new epoch. Forging a neighbor's own
 * address costs the node one open per time that neighbor's frame was accepted again, no more.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runOutsiderFlood, type OutsiderFloodResult } from "../../hosts/sim/outsider-flood.js";

const DURATION_MS = 120_000;
const FLOOD_FROM = 10_000;

/** The most opens the budget allows the flood over the run, and in one second. */
function budget(r: OutsiderFloodResult): { total: number; second: number } {
  const c = r.config;
  return {
    total: c.unboundOpensBurst + (c.unboundOpensPerSecond * (DURATION_MS - FLOOD_FROM)) / 1000,
    second: c.unboundOpensBurst + c.unboundOpensPerSecond,
  };
}

/** The flood's opens stay within the budget; every honest neighbor's message is delivered. */
function holds(r: OutsiderFloodResult, label: string): void {
  const b = budget(r);
  assert.ok(r.floodOpens <= b.total, `${label}: ${r.floodOpens} opens spent on the flood, budget ${b.total}`);
  assert.ok(r.floodOpensPeakSecond <= b.second, `${label}: ${r.floodOpensPeakSecond} opens in one second, budget ${b.second}`);
  assert.ok(r.honestMessages.every((n) => n >= 20), `${label}: ${r.honestMessages} honest messages`);
  assert.equal(r.honestDelivered, r.honestMessages, `${label}: every honest neighbor's message delivered`);
}

test("a flood from one address: opens within its address's budget; neighbors and a newcomer unaffected", () => {
  const r = runOutsiderFlood({
    seed: 3, floodPerSecond: 500, kind: "garbage", addresses: "one", durationMs: DURATION_MS, floodFrom: FLOOD_FROM, newcomerAt: 30_000,
  });
  assert.ok(r.floodFrames > 50_000, `${r.floodFrames} flood frames`);
  holds(r, "one address");
  assert.ok(r.newcomerAdmittedAt >= 0, "the newcomer was admitted");
  // One address gets its own budget, not the shared one: the rest is left for everyone else.
  const c = r.config;
  assert.ok(r.floodOpens <= c.unboundOpensPerLinkBurst + (c.unboundOpensPerLinkPerSecond * (DURATION_MS - FLOOD_FROM)) / 1000);
  assert.is(r.drops["open-budget"], r.floodFrames - r.floodOpens, "every frame not opened was refused by the budget");
  assert.ok(r.newcomerAdmittedAt - 30_000 <= 2 * c.beaconIntervalMs, `admitted ${r.newcomerAdmittedAt - 30_000} ms after it started`);
});

test("a flood from a forged address per frame: opens within the shared budget", () => {
  const r = runOutsiderFlood({
    seed: 4, floodPerSecond: 1000, kind: "garbage", addresses: "spoofed", durationMs: DURATION_MS, floodFrom: FLOOD_FROM, newcomerAt: 30_000,
  });
  assert.ok(r.floodFrames > 100_000, `${r.floodFrames} flood frames`);
  holds(r, "forged addresses");
  assert.ok(r.floodOpens >= budget(r).total - 10, `the flood took the shared budget (${r.floodOpens} opens), and no more`);
});

test("under a flood from forged addresses, a newcomer's HELLO still gets through, at the odds the budget leaves it", () => {
  // Each of the newcomer's frames wins an open with odds of about unboundOpensPerSecond / flood rate
  // (here 1 in 10), and it needs one HELLO that carries its certificate to win: it waits, but it gets in.
  const r = runOutsiderFlood({
    seed: 4, floodPerSecond: 20, kind: "garbage", addresses: "spoofed", durationMs: DURATION_MS, floodFrom: FLOOD_FROM, newcomerAt: 30_000,
  });
  holds(r, "forged addresses, slower");
  assert.ok(r.newcomerAdmittedAt >= 0, "the newcomer was admitted");
});

test("replayed frames of the mesh cost no open, before and after their sender rebooted", () => {
  const r = runOutsiderFlood({
    seed: 5, floodPerSecond: 500, kind: "replay", addresses: "spoofed", durationMs: DURATION_MS, floodFrom: FLOOD_FROM, newcomerAt: 30_000,
    rebootAt: 60_000,
  });
  assert.ok(r.floodFrames > 50_000, `${r.floodFrames} replays`);
  assert.is(r.floodOpens, 0, "no replay was opened");
  assert.is(r.drops.replay, r.floodFrames, "each counted as a replay");
  holds(r, "replays");
  assert.ok(r.newcomerAdmittedAt >= 0 && r.newcomerAdmittedAt - 30_000 <= 2 * r.config.beaconIntervalMs, "the newcomer was admitted at once");
});

test("forging a neighbor's own address: one open per rebinding; the other neighbors unaffected", () => {
  const r = runOutsiderFlood({
    seed: 8, floodPerSecond: 500, kind: "garbage", addresses: "neighbor", durationMs: DURATION_MS, floodFrom: FLOOD_FROM, newcomerAt: 30_000,
  });
  const c = r.config;
  // Each forgery opened unbinds the address; it is bound again only by a frame of the neighbor's
  // accepted through that address's budget: at most one forgery opened per such frame.
  const addressBudget = c.unboundOpensPerLinkBurst + (c.unboundOpensPerLinkPerSecond * (DURATION_MS - FLOOD_FROM)) / 1000;
  assert.ok(r.floodOpens <= 1 + addressBudget, `${r.floodOpens} opens spent on the flood, the address's budget ${addressBudget}`);
  assert.is(r.honestDelivered[0], r.honestMessages[0], "h0's messages all delivered");
  assert.is(r.honestDelivered[2], r.honestMessages[2], "h2's messages all delivered");
  // h1's own frames now compete with the forgeries for its address's budget, as under jamming; some of
  // its messages still arrive (its frames that win, and relays and repairs by the others).
  assert.ok(r.honestDelivered[1] > 0, `h1: ${r.honestDelivered[1]} of ${r.honestMessages[1]} delivered`);
  assert.ok(r.newcomerAdmittedAt >= 0, "the newcomer was admitted");
});

test.run();
