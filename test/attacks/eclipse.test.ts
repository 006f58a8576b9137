/**
 * Eclipse: colluding insiders make up 75% of a victim's neighbors, beacon, advertise attractive
 * routes and drop everything. The victim still receives ≥ 95% of the honest broadcasts, its readings
 * reach the gateway, it raises `eclipse-suspected`; and the pieces that make it so, one by one:
 * neighbors never heard relaying are avoided, the eclipse watch's two signs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEclipse } from "../../hosts/sim/eclipse-attack.js";
import { EclipseWatch, MIN_USUAL_ORIGINS, ORIGINS_COUNTED, WINDOW_MS } from "../../modules/reputation/eclipse-watch.js";
import { RelayWatch, SILENT_AFTER_MESSAGES } from "../../modules/reputation/relay-watch.js";

test("a victim with 75% attackers around it gets ≥ 95% of honest broadcasts and all its readings to the gateway", () => {
  const r = runEclipse({ nodes: 60, seed: 3, attackerShare: 0.75, durationMs: 10 * 60_000, drainMs: 4 * 60_000 });
  assert.ok(r.attackers >= 3 * r.victimHonestNeighbors, `${r.attackers} attackers around ${r.victimHonestNeighbors} honest neighbors`);
  assert.ok(r.victimHopsToGateway >= 3, `the victim is ${r.victimHopsToGateway} hops from the gateway`);
  assert.ok(r.victimDelivery >= 0.95, `the victim received ${(100 * r.victimDelivery).toFixed(1)}% of the honest broadcasts`);
  assert.ok(r.victimReadings.taken >= 5, `${r.victimReadings.taken} readings taken by the victim`);
  assert.is(r.victimReadings.delivered, r.victimReadings.taken, "every reading of the victim reached the gateway");
  assert.is(r.readings.lost, 0, "no honest reading lost anywhere");
  assert.is(r.readings.duplicated, 0);
  assert.ok(r.droppedByAttackers > 0, "the attackers did take custody and drop readings");
  assert.ok(r.suspectedAt !== null, "the victim suspected an eclipse");
});

test("relay watch: a neighbor silent for SILENT_AFTER_MESSAGES new messages is avoided until heard relaying", () => {
  const w = new RelayWatch(4);
  w.reset(0);
  w.reset(1);
  for (let i = 0; i < SILENT_AFTER_MESSAGES - 1; i++) {
    w.newMessage();
    w.heardRelaying(1);
  }
  assert.not.ok(w.silent(0), "not yet");
  w.newMessage();
  assert.ok(w.silent(0), "silent through 64 messages");
  assert.not.ok(w.silent(1), "slot 1 relays");
  w.heardRelaying(0);
  assert.not.ok(w.silent(0), "heard relaying: trusted again");
  for (let i = 0; i < SILENT_AFTER_MESSAGES; i++) w.newMessage();
  w.reset(0);
  assert.not.ok(w.silent(0), "a newcomer in the slot starts a new watch");
  assert.ok(w.silent(1));
});

test("relay watch: only messages received while we designate a neighbor count against its promise to relay", () => {
  const w = new RelayWatch(4);
  w.reset(0);
  w.reset(1);
  for (let i = 0; i < SILENT_AFTER_MESSAGES - 1; i++) w.newMessage(0b01);
  w.newMessage(0b10);
  assert.not.ok(w.brokePromise(0), "not yet");
  assert.ok(w.silent(1), "silent through 64 messages: not a next hop");
  assert.not.ok(w.brokePromise(1), "designated for one message only: no broken promise");
  w.newMessage(0b01);
  assert.ok(w.brokePromise(0), "designated through 64 messages, never heard relaying");
  w.heardRelaying(0);
  assert.not.ok(w.brokePromise(0), "heard relaying: designated again");
  for (let i = 0; i < SILENT_AFTER_MESSAGES; i++) w.newMessage(0b10);
  w.reset(1);
  assert.not.ok(w.brokePromise(1), "a newcomer in the slot starts a new watch");
});

test("eclipse watch: most neighbors avoided raises one event, re-armed once it clears", () => {
  const w = new EclipseWatch();
  assert.is(w.check(0, 1, 8), null, "one in eight avoided is normal");
  assert.is(w.check(5_000, 2, 3), null, "too few neighbors to judge");
  const signs = w.check(10_000, 5, 8);
  assert.equal(signs, { origins: 0, usualOrigins: 0, avoidedNeighbors: 5, neighbors: 8 });
  assert.is(w.check(15_000, 6, 8), null, "reported once");
  assert.is(w.check(20_000, 0, 8), null);
  assert.ok(w.check(25_000, 5, 8), "again after it cleared");
});

test("eclipse watch: far fewer distinct origins than in the windows before raises the event", () => {
  const w = new EclipseWatch();
  w.check(0, 0, 8);
  for (let k = 0; k < ORIGINS_COUNTED + 10; k++) w.heardOrigin(k);
  for (let k = 0; k < 10; k++) w.heardOrigin(k); // repeats count once
  assert.is(w.check(WINDOW_MS, 0, 8), null, "a busy first window");
  w.heardOrigin(1);
  w.heardOrigin(2);
  const signs = w.check(2 * WINDOW_MS, 0, 8);
  assert.equal(signs, { origins: 2, usualOrigins: ORIGINS_COUNTED, avoidedNeighbors: 0, neighbors: 8 });
  // A mesh that was always small never trips it.
  const small = new EclipseWatch();
  small.check(0, 0, 8);
  for (let k = 0; k < MIN_USUAL_ORIGINS - 1; k++) small.heardOrigin(k);
  small.check(WINDOW_MS, 0, 8);
  assert.is(small.check(2 * WINDOW_MS, 0, 8), null);
});

test.run();
