/**
 * A fixed-seed sample of the node fuzzer (the benchmark runs a million inputs): no exception escapes,
 * every table stays within its cap, and a frame rejected as a whole changes nothing but counters.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fuzzNode } from "../hosts/sim/node-fuzzer.js";

test("20,000 random, mutated and replayed frames against a live node: no escape, no violation", () => {
  const r = fuzzNode(7, 20_000);
  assert.is(r.inputs, 20_000);
  assert.equal(r.violations, [], r.violations.join("\n"));
  assert.is(r.escaped, 0);
  assert.ok(r.replaysTried > 1_000 && r.forgeriesTried > 2_000, `${r.replaysTried} replays, ${r.forgeriesTried} forgeries tried`);
  assert.is(r.replaysAccepted, 0);
  assert.is(r.forgeriesAccepted, 0);
  // The mix must reach both sides of admission, or the fuzzer tests nothing past the MAC.
  assert.ok(r.rejected > 5_000, `${r.rejected} rejected`);
  assert.ok(r.accepted > 1_000, `${r.accepted} accepted`);
  for (const reason of ["auth-failed", "truncated", "bad-type", "bad-field", "replay"]) {
    assert.ok((r.drops[reason] ?? 0) > 50, `inputs reached the ${reason} check: ${JSON.stringify(r.drops)}`);
  }
});

test("a frame whose DATA record goes one hop but names another node or origin is rejected whole, before any record is applied", () => {
  // Seed 37 sends, by input 2,146, a frame whose other records took effect (custody, an answer
  // queued) before a lend or an origin's own CONFIRM in it was dropped as bad-field (wire/data.ts
  // checkDataHop now rejects it with the records' decoding).
  const r = fuzzNode(37, 3_000);
  assert.equal(r.violations, [], r.violations.join("\n"));
  assert.is(r.escaped, 0);
});

test.run();
