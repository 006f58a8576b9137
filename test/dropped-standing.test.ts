/**
 * Reputation survives leaving the table: a neighbor dropped with something against it (a score below
 * zero, custody broken, silence as a relay) gets it back, aged, when the same id is admitted again;
 * a clean one or one gone past the horizon starts fresh, and the memory is bounded, oldest drop first out.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CustodyTrust, HALF_LIFE_MS as CUSTODY_HALF_LIFE_MS } from "../modules/reputation/custody-trust.js";
import { DroppedStanding, HORIZON_MS } from "../modules/reputation/dropped-standing.js";
import { AVOID_BELOW, Behavior, JUDGE_INTERVAL_MS, PeerScores } from "../modules/reputation/peer-scores.js";
import { RelayWatch, SILENT_AFTER_MESSAGES } from "../modules/reputation/relay-watch.js";

const SCORE_HALF_LIFE_MS = 120_000;
const ID = ["aaaaaaaa00000001", "aaaaaaaa00000002", "bbbbbbbb00000001", "bbbbbbbb00000002"];

/** A node's three reputation tables, two slots each. */
function reputation() {
  const scores = new PeerScores(2);
  const watch = new RelayWatch(2);
  const trust = new CustodyTrust(2);
  for (const slot of [0, 1]) {
    scores.reset(slot, 0);
    watch.reset(slot);
    trust.reset(slot, 0);
  }
  return { scores, watch, trust };
}

/** Slot 0's neighbor misbehaves in every way by t = 20 s: scored below AVOID_BELOW, custody broken three times, silent. */
function misbehave({ scores, watch, trust }: ReturnType<typeof reputation>): void {
  for (let t = 0; t <= 2 * JUDGE_INTERVAL_MS; t += JUDGE_INTERVAL_MS) scores.record(0, Behavior.InvalidRecord, t);
  for (let i = 0; i < 3; i++) trust.recordBroken(0, 20_000);
  for (let i = 0; i < SILENT_AFTER_MESSAGES; i++) watch.newMessage(0b01);
}

test("a returning neighbor gets its standing back, aged by the time it was gone", () => {
  const r = reputation();
  misbehave(r);
  const { scores, watch, trust } = r;
  const scoreAtDrop = scores.score(0, 20_000);
  assert.ok(scoreAtDrop < AVOID_BELOW && trust.distrusted(0, 20_000) && watch.silent(0) && watch.brokePromise(0));
  const memory = new DroppedStanding(4);
  memory.remember(ID[0], 0, 20_000, scores, watch, trust);
  assert.is(memory.size, 1);
  // Gone 30 s; meanwhile another neighbor took the slot and left with a clean record (not remembered).
  memory.restore(ID[1], 0, 30_000, scores, watch, trust);
  assert.is(scores.score(0, 30_000), 0, "a never-seen id starts fresh");
  assert.not.ok(watch.silent(0) || trust.distrusted(0, 30_000));
  memory.remember(ID[1], 0, 40_000, scores, watch, trust);
  assert.is(memory.size, 1, "a clean record takes no place");
  for (let i = 0; i < 10; i++) watch.newMessage();
  memory.restore(ID[0], 1, 50_000, scores, watch, trust);
  assert.is(memory.size, 0, "given back, so forgotten here");
  const expected = scoreAtDrop * Math.pow(0.5, 30_000 / SCORE_HALF_LIFE_MS);
  assert.ok(Math.abs(scores.score(1, 50_000) - expected) < 0.01, `score ${scores.score(1, 50_000)} ≈ ${expected}: decayed while it was gone`);
  assert.ok(scores.avoid(1, 50_000), "still avoided");
  assert.ok(trust.distrusted(1, 50_000), "still distrusted as a custodian");
  assert.ok(Math.abs(trust.broken(1, 50_000) - 3 * Math.pow(0.5, 30_000 / CUSTODY_HALF_LIFE_MS)) < 0.01, "the record faded while it was gone");
  assert.ok(watch.silent(1) && watch.brokePromise(1), "still silent as a relay: the messages of its absence were not its to relay");
  watch.heardRelaying(1);
  assert.not.ok(watch.silent(1), "and heard relaying, trusted again as before");
});

test("what comes back is never better than what left: credit is not kept, rounding goes against the neighbor", () => {
  const { scores, watch, trust } = reputation();
  for (let i = 0; i < 30; i++) scores.record(0, Behavior.FirstDelivery, 0);
  trust.recordBroken(0, 0);
  const memory = new DroppedStanding(2);
  memory.remember(ID[0], 0, 1, scores, watch, trust);
  assert.is(memory.size, 1, "one broken reading and none kept: remembered");
  memory.restore(ID[0], 1, 1, scores, watch, trust);
  assert.is(scores.score(1, 1), 0, "a positive score comes back as 0");
  assert.ok(trust.broken(1, 1) >= trust.broken(0, 1), "broken rounded up");
  trust.recordBroken(1, 1);
  assert.ok(trust.distrusted(1, 1), "one more broken reading distrusts it, as it would have");
});

test("bounded: past capacity the oldest drop is overwritten", () => {
  const r = reputation();
  misbehave(r);
  const { scores, watch, trust } = r;
  const memory = new DroppedStanding(3);
  for (let k = 0; k < 4; k++) memory.remember(ID[k], 0, 20_000 + k * 1000, scores, watch, trust);
  assert.is(memory.size, 3);
  memory.restore(ID[0], 1, 30_000, scores, watch, trust);
  assert.is(scores.score(1, 30_000), 0, "the first dropped was overwritten: a fresh start");
  for (const id of ID.slice(1)) {
    memory.restore(id, 1, 30_000, scores, watch, trust);
    assert.ok(scores.avoid(1, 30_000), `${id} kept`);
  }
  assert.is(memory.size, 0);
  // Remembered again while kept: one row, refreshed, not two.
  memory.remember(ID[0], 0, 40_000, scores, watch, trust);
  memory.remember(ID[0], 0, 41_000, scores, watch, trust);
  assert.is(memory.size, 1);
});

test("forgotten past the horizon: a neighbor gone that long starts fresh", () => {
  const r = reputation();
  misbehave(r);
  const { scores, watch, trust } = r;
  for (let i = 0; i < 40; i++) trust.recordBroken(0, 20_000);
  const memory = new DroppedStanding(2);
  memory.remember(ID[0], 0, 20_000, scores, watch, trust);
  memory.remember(ID[1], 0, 20_000, scores, watch, trust);
  memory.restore(ID[0], 1, 20_000 + HORIZON_MS, scores, watch, trust);
  assert.ok(trust.distrusted(1, 20_000 + HORIZON_MS) && watch.silent(1), "at the horizon: still kept");
  memory.restore(ID[1], 1, 20_001 + HORIZON_MS, scores, watch, trust);
  assert.not.ok(trust.distrusted(1, 20_001 + HORIZON_MS) || watch.silent(1), "past it: a fresh start");
  assert.is(memory.size, 0);
});

test.run();
