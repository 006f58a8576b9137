import { test } from "uvu";
import * as assert from "uvu/assert";
import { BroadcastLedger } from "../hosts/sim/broadcast-ledger.js";
import type { Topology } from "../hosts/sim/topology.js";

/** A chain 0 – 1 – 2 – 3. */
const CHAIN: Topology = {
  x: new Float64Array([0, 1, 2, 3]), y: new Float64Array(4), range: 1, side: 3,
  neighbors: [new Int32Array([1]), new Int32Array([0, 2]), new Int32Array([1, 3]), new Int32Array([2])],
};

test("first-copy latency: mean, p90 and worst from publishing, duplicates and the source left out", () => {
  const ledger = new BroadcastLedger(CHAIN, () => true, 255);
  ledger.published(0, "a", 1, 1_000);
  assert.is(ledger.delivered(1, "a", 1, 1, 1_100), 1_000);
  assert.is(ledger.delivered(2, "a", 1, 2, 1_400), 1_000);
  assert.is(ledger.delivered(2, "a", 1, 3, 1_500), -1); // a later copy
  assert.is(ledger.delivered(0, "a", 1, 2, 1_500), -1); // the source
  ledger.published(3, "b", 1, 5_000);
  assert.is(ledger.delivered(2, "b", 1, 1, 7_000), 5_000);
  const t = ledger.totals();
  assert.is(t.delivered, 3);
  assert.is(t.latencyMs.mean, (100 + 400 + 2_000) / 3);
  assert.is(t.latencyMs.max, 2_000);
  // The p90 of three is the largest, up to the histogram's resolution (9 %) and never above the worst.
  assert.ok(t.latencyMs.p90 > 400 * 1.09 && t.latencyMs.p90 <= 2_000);
});

test.run();
