import { test } from "uvu";
import * as assert from "uvu/assert";
import { measureThreadShare } from "../tools/thread-share.js";

test("two threads beside each other: one round of a short run gives both timings and their ratio", async () => {
  const m = await measureThreadShare(1, 10_000);
  assert.is(m.aloneMs.length, 1);
  assert.is(m.pairMs.length, 1);
  assert.ok(m.aloneMs[0] > 0 && m.pairMs[0] > 0, JSON.stringify(m));
  assert.is(m.share, m.aloneMs[0] / m.pairMs[0]);
});

test.run();
